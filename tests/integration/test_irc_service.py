"""IRC accounts in the service: two in-process TimbServices, each with an IRC account
(``nick@<onion>``) on ngircd as an onion service of the private Tor network.

One conversation, in phases (one AKE and one pair of connections for all of them, to keep the run
short): a private message typed before any OTR session stays PENDING until the session is private
and only then becomes SENT, and no plaintext of any 1:1 message (nor an SMP question or secret)
is ever handed to the IRC connection; SMP both ways (a question answered rightly verifies the key;
a wrong answer fails, verifies nobody and takes the answerer's earlier verification away);
a channel on the real server, NOT PRIVATE, whose first message leaves only when confirmed.

What reaches the server is read at `IrcConnection.send`, the one entrance of the send queue that
TLS encrypts for the server: ngircd keeps no traffic log, and a third client cannot see private
messages."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.ircd import IrcServer
from tests.fixtures.tor import TorNetwork
from timb.common.secret import Secret
from timb.core.errors import ConfirmationRequired
from timb.core.events import (
    ChannelJoined,
    ChannelMembersChanged,
    ChannelMessageReceived,
    ConnectionState,
    ConnectionStateChanged,
    CoreEvent,
    MessageReceived,
    MessageState,
    MessageStateChanged,
    OtrState,
    OtrStateChanged,
    SmpFinished,
    SmpOutcome,
    SmpRequested,
)
from timb.core.service import TimbService, TorSettings
from timb.net.irc.connection import IrcConnection
from timb.net.irc.message import parse

pytestmark = pytest.mark.integration

PASSPHRASE = Secret("correct horse battery staple irc")


class Local:
    def __init__(self, service: TimbService) -> None:
        self.service = service
        self.seen: list[CoreEvent] = []
        self._changed = asyncio.Event()

    async def collect(self) -> None:
        async for event in self.service.events():
            self.seen.append(event)
            self._changed.set()

    async def wait_for(
        self, predicate: Callable[[CoreEvent], bool], within: float = 120, since: int = 0
    ) -> Any:
        async with asyncio.timeout(within):
            while True:
                for event in self.seen[since:]:
                    if predicate(event):
                        return event
                self._changed.clear()
                await self._changed.wait()


@dataclass
class Wire:
    """Every line the IRC connections of this process queued for the server, in order."""

    lines: list[bytes] = field(default_factory=list)

    def bodies(self, target: str) -> list[str]:
        """The text of every PRIVMSG or NOTICE to ``target``."""
        found = []
        for line in self.lines:
            msg = parse(line)
            if msg.command in ("PRIVMSG", "NOTICE") and msg.params[0].lower() == target.lower():
                found.append(msg.params[1])
        return found

    def carries(self, text: str) -> bool:
        return any(text.encode() in line for line in self.lines)


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    spy = Wire()
    original = IrcConnection.send

    def send(self: IrcConnection, lines: list[tuple[bytes, bool]]) -> None:
        spy.lines.extend(line for line, _ in lines)
        original(self, lines)

    monkeypatch.setattr(IrcConnection, "send", send)
    return spy


@pytest.fixture
async def two_services(tmp_path: Path, tor_network: TorNetwork) -> AsyncIterator[tuple[Local, Local]]:
    settings = TorSettings(control_port=tor_network.control_port, cookie_path=tor_network.control_cookie)
    async with TimbService(tmp_path / "a", tor=settings) as a, TimbService(tmp_path / "b", tor=settings) as b:
        locals_ = (Local(a), Local(b))
        tasks = [asyncio.create_task(local.collect()) for local in locals_]
        try:
            yield locals_
        finally:
            await a.close()
            await b.close()
            for task in tasks:
                await task


async def test_irc_accounts_chat_privately_through_the_service(
    two_services: tuple[Local, Local], ircd_onion: str, ircd_server: IrcServer, wire: Wire
) -> None:
    alice, bob = two_services
    stamp = str(time.monotonic_ns())[-6:]
    nicks = {alice: f"sa{stamp}", bob: f"sb{stamp}"}
    pin = ircd_server.pin().digest.hex()
    for local, nick in nicks.items():
        await local.service.create_profile(PASSPHRASE)
        info = await local.service.add_account(
            "main", f"{nick}@{ircd_onion}", Secret(""), network="irc", tls_pin_sha256=pin
        )
        assert info.network == "irc" and info.port == 6697
        await local.service.connect("main")
    for local in (alice, bob):
        await local.wait_for(
            lambda e: isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.CONNECTED
        )
    to_bob, to_alice = f"{nicks[bob]}@{ircd_onion}", f"{nicks[alice]}@{ircd_onion}"
    await alice.service.add_contact("main", to_bob)
    await bob.service.add_contact("main", to_alice)

    # Held until private: typed before any OTR session exists.
    started = time.monotonic()
    first = "hello through the service zq1"
    queued = alice.service.send_message("main", to_bob, first)
    assert queued.state is MessageState.PENDING
    got = await bob.wait_for(lambda e: isinstance(e, MessageReceived) and e.text == first)
    assert got.encrypted and got.contact == to_alice
    await alice.wait_for(
        lambda e: isinstance(e, MessageStateChanged) and e.id == queued.id and e.state is MessageState.SENT
    )
    private_at = next(
        i
        for i, e in enumerate(alice.seen)
        if isinstance(e, OtrStateChanged) and e.contact == to_bob and e.state is OtrState.PRIVATE_UNVERIFIED
    )
    states = [
        (i, e.state)
        for i, e in enumerate(alice.seen)
        if isinstance(e, MessageStateChanged) and e.id == queued.id
    ]
    sent_at = next(i for i, s in states if s is MessageState.SENT)
    assert states[0][1] is MessageState.PENDING
    assert sent_at > private_at, "SENT before the session was private"
    assert all(s is MessageState.PENDING for i, s in states if i < sent_at)

    reply = "private on IRC zq2"
    bob.service.send_message("main", to_alice, reply)
    back = await alice.wait_for(lambda e: isinstance(e, MessageReceived) and e.text == reply)
    assert back.encrypted

    chatted = time.monotonic()
    print(f"\nIRC service: first message (with AKE) and a reply {chatted - started:.1f} s")
    # SMP both ways over the session, every step fragmented to IRC lines. The slowest phase: a
    # round is some kilobytes of OTR lines and the send queue keeps to the server's 256 B/s
    # (about 30 s a round here), hence two rounds and no more.
    harbour = ("Where did we first meet?", "the old harbour")
    door = ("Which colour was the door?", "bottle green")
    done = await smp(alice, bob, to_bob, to_alice, harbour, answer="the old harbour")
    assert [(d.outcome, d.verified) for d in done] == [
        (SmpOutcome.SUCCEEDED, True),
        (SmpOutcome.SUCCEEDED, False),
    ]
    assert alice.service.fingerprints("main", to_bob).is_verified(done[0].fingerprint)
    await alice.wait_for(
        lambda e: (
            isinstance(e, OtrStateChanged) and e.contact == to_bob and e.state is OtrState.PRIVATE_VERIFIED
        )
    )
    # (answering bob's question proves nothing about alice to bob: answering is not asking)
    assert not bob.service.fingerprints("main", to_alice).is_verified(done[1].fingerprint)

    # The other way, answered wrongly: it fails on both sides and verifies nobody. Bob never
    # verified alice; alice, whose check of bob failed now, loses her earlier verification of him
    # (a failed check may be a man in the middle, as libotr's set_smp_trust(.., 0)).
    done = await smp(bob, alice, to_alice, to_bob, door, answer="a blue one")
    assert [(d.outcome, d.verified, d.unverified) for d in done] == [
        (SmpOutcome.FAILED, False, False),
        (SmpOutcome.FAILED, False, True),
    ]
    keys = bob.service.fingerprints("main", to_alice)
    assert keys.theirs == done[0].fingerprint and not keys.is_verified(keys.theirs)
    assert not alice.service.fingerprints("main", to_bob).is_verified(done[1].fingerprint)

    # Nothing of the 1:1 chat reached the server unencrypted: every line to a nick is OTR.
    for nick in nicks.values():
        bodies = wire.bodies(nick)
        assert bodies, "the spy saw nothing: it would prove nothing"
        assert all(body.startswith("?OTR") for body in bodies), f"a line to {nick} without OTR"
    for text in (first, reply, *harbour, *door, "a blue one"):
        assert not wire.carries(text), "plaintext of the 1:1 chat was handed to the IRC connection"

    verified = time.monotonic()
    await channel_not_private_and_confirmed_first(alice, bob, nicks[alice], nicks[bob], f"#t{stamp}", wire)
    channel_took = time.monotonic() - verified
    print(f"\nIRC service: SMP both ways {verified - chatted:.1f} s; channel {channel_took:.1f} s")


async def smp(
    asker: Local,
    answerer: Local,
    to_answerer: str,
    to_asker: str,
    asked: tuple[str, str],
    *,
    answer: str,
) -> tuple[SmpFinished, SmpFinished]:
    """``asker`` asks ``asked`` = (question, secret), ``answerer`` answers ``answer``: the
    SmpFinished of each (the asker's first)."""
    question, secret = asked
    mark_asker, mark_answerer = len(asker.seen), len(answerer.seen)
    asker.service.smp_start("main", to_answerer, Secret(secret), question)
    request = await answerer.wait_for(lambda e: isinstance(e, SmpRequested), since=mark_answerer)
    assert request.question == question and request.contact == to_asker
    answerer.service.smp_respond("main", to_asker, Secret(answer))
    mine = await asker.wait_for(lambda e: isinstance(e, SmpFinished), since=mark_asker)
    theirs = await answerer.wait_for(lambda e: isinstance(e, SmpFinished), since=mark_answerer)
    assert mine.contact == to_answerer and theirs.contact == to_asker
    return mine, theirs


async def channel_not_private_and_confirmed_first(
    alice: Local, bob: Local, alice_nick: str, bob_nick: str, channel: str, wire: Wire
) -> None:
    """Through ``service.channels`` on the real server: the banner on joining and in the list,
    the first message refused unless confirmed (and then nothing reaches the server), the next
    one leaving without a question, and bob's own first message asking him again."""
    expected_banner = f"NOT PRIVATE: everyone in {channel} and the server reads this"

    def in_channel(e: CoreEvent) -> bool:
        return isinstance(e, ChannelJoined) and e.channel.lower() == channel.lower()

    alice.service.channels.join_channel("main", channel)
    joined = await alice.wait_for(in_channel)
    assert joined.banner == expected_banner
    bob.service.channels.join_channel("main", channel)
    assert (await bob.wait_for(in_channel)).banner == expected_banner
    both = {alice_nick, bob_nick}
    await alice.wait_for(lambda e: isinstance(e, ChannelMembersChanged) and set(e.members) == both)
    [info] = alice.service.channels.list_channels("main")
    assert (info.private, info.banner, info.joined, info.confirmed) == (False, expected_banner, True, False)

    with pytest.raises(ConfirmationRequired, match=expected_banner):
        await alice.service.channels.send_channel_message("main", channel, "unconfirmed first zq3")
    assert wire.bodies(channel) == [] and not wire.carries("unconfirmed first zq3")
    assert not alice.service.channels.list_channels("main")[0].confirmed

    said = ["confirmed first zq4", "second without a question zq5"]
    await alice.service.channels.send_channel_message("main", channel, said[0], confirmed=True)
    await alice.service.channels.send_channel_message("main", channel, said[1])
    await bob.wait_for(lambda e: isinstance(e, ChannelMessageReceived) and e.text == said[1])
    # IRC keeps the order: had the refused message left, bob would have read it first.
    heard = [(e.sender, e.text) for e in bob.seen if isinstance(e, ChannelMessageReceived)]
    assert heard == [(alice_nick, said[0]), (alice_nick, said[1])]
    assert wire.bodies(channel) == said
    with pytest.raises(ConfirmationRequired):
        await bob.service.channels.send_channel_message("main", channel, "bob's first zq6")
    assert not wire.carries("bob's first zq6")
