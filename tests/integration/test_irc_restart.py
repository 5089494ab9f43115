"""A restart without loss over IRC: two TimbServices with IRC accounts on ngircd as an onion
service of the private Tor network chat privately; Alice writes long messages (several OTR
fragments each, paced by the flood limiter); Bob's service closes as soon as the first is shown,
before its acknowledgement goes, with the next one's fragments on the wire; Alice writes on while Bob is
away (the server bounces it: no such nick). Mallory, a libotr client with her own key, takes
Bob's free nick and starts OTR with Alice: the re-send holds everything for Bob's key and
Mallory reads none of it. Bob's next service, on the same profile, writes
first: the peers re-key, Alice re-sends what Bob did not confirm, and Bob's two lives together
show every message of Alice's exactly once, in order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.ircd import ONION_PORT, IrcServer
from tests.fixtures.tor import TorNetwork
from tests.integration.test_irc_libotr import LibotrOnIrc
from tests.integration.test_irc_service import PASSPHRASE, Local
from tests.interop import libotr
from timb.common.secret import Secret
from timb.core.events import (
    ConnectionState,
    ConnectionStateChanged,
    HeldForKeyChange,
    KeyChanged,
    MessageReceived,
    MessageState,
    MessageStateChanged,
)
from timb.core.service import TimbService, TorSettings
from timb.net.irc.adapter import IrcAccount, IrcAdapter
from timb.tor.client import TorClient

pytestmark = pytest.mark.integration


def shown(local: Local) -> list[str]:
    return [e.text for e in local.seen if isinstance(e, MessageReceived)]


def state_of(local: Local, msg_id: str) -> MessageState | None:
    states = [e.state for e in local.seen if isinstance(e, MessageStateChanged) and e.id == msg_id]
    return states[-1] if states else None


def sends(local: Local, msg_id: str) -> int:
    return sum(
        1
        for e in local.seen
        if isinstance(e, MessageStateChanged) and e.id == msg_id and e.state is MessageState.SENT
    )


async def start(local: Local, nick: str, onion: str, pin: str, *, new: bool) -> None:
    if new:
        await local.service.create_profile(PASSPHRASE)
        await local.service.add_account(
            "main", f"{nick}@{onion}", Secret(""), network="irc", tls_pin_sha256=pin
        )
    else:
        await local.service.unlock_profile(PASSPHRASE)
    await local.service.connect("main")
    await local.wait_for(
        lambda e: isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.CONNECTED
    )


async def impostor_takes_bobs_nick(
    alice: Local,
    ids: list[str],
    texts: list[str],
    tor: TorClient,
    onion: str,
    ircd: IrcServer,
    a_nick: str,
    b_nick: str,
    otr: Callable[..., libotr.LibotrPeer],
) -> None:
    """While Bob is away, Mallory (libotr, her own key) takes his nick and starts OTR with Alice:
    the re-send acts for Alice without asking, so nothing unconfirmed may go to Mallory's key."""
    to_bob = f"{b_nick}@{onion}"
    irc = IrcAdapter(IrcAccount(host=onion, nick=b_nick, port=ONION_PORT, pin=ircd.pin()), tor)
    await irc.connect()
    assert irc.nick == b_nick  # Bob's nick was free: the server handed it to Mallory
    mallory = LibotrOnIrc(otr(b_nick, max_message_size=irc.fragment_size(a_nick)), irc)
    mallory.start()
    try:
        for wire in mallory.peer.start(a_nick):  # the query's explanation: one IRC line
            await irc.send_message(a_nick, " ".join(wire.splitlines()))
        await mallory.wait_for(lambda: mallory.peer.is_encrypted(a_nick))
        await mallory.send(a_nick, "it is me, bob")
        got = await alice.wait_for(lambda e: isinstance(e, MessageReceived) and e.text == "it is me, bob")
        assert got.contact == to_bob  # the same contact: only the key tells them apart
        await alice.wait_for(lambda e: isinstance(e, KeyChanged) and e.contact == to_bob)
        await alice.wait_for(lambda e: isinstance(e, HeldForKeyChange) and e.contact == to_bob)
        unconfirmed = [i for i in ids if state_of(alice, i) is not MessageState.DELIVERED]
        assert unconfirmed and alice.service.held_messages("main", to_bob) == unconfirmed
        assert not set(texts) & set(mallory.shown), "a re-send went to a key Alice never accepted"
    finally:
        await mallory.close()


@pytest.fixture
async def tor(tor_network: TorNetwork) -> AsyncIterator[TorClient]:
    client = await TorClient.attach(
        "127.0.0.1", tor_network.control_port, cookie_path=tor_network.control_cookie
    )
    try:
        yield client
    finally:
        await client.close()


async def test_bob_restarts_mid_chat_and_nothing_is_lost_or_shown_twice(
    tmp_path: Path,
    tor_network: TorNetwork,
    tor: TorClient,
    ircd_onion: str,
    ircd_server: IrcServer,
    libotr_peer_factory: Callable[..., libotr.LibotrPeer],
) -> None:
    settings = TorSettings(control_port=tor_network.control_port, cookie_path=tor_network.control_cookie)
    stamp = str(time.monotonic_ns())[-6:]
    a_nick, b_nick = f"ra{stamp}", f"rb{stamp}"
    to_bob, to_alice = f"{b_nick}@{ircd_onion}", f"{a_nick}@{ircd_onion}"
    pin = ircd_server.pin().digest.hex()
    # ~700 bytes of text: 3 fragments of 351 bytes after OTR's base64, ~4 s each at ngircd's pace
    texts = [f"{i} " + "long line of a private chat over IRC, " * 18 + f"end {i}" for i in range(4)]
    tasks: list[asyncio.Task[Any]] = []
    async with TimbService(tmp_path / "a", tor=settings) as a_service:
        alice = Local(a_service)
        tasks.append(asyncio.create_task(alice.collect()))
        await start(alice, a_nick, ircd_onion, pin, new=True)
        async with TimbService(tmp_path / "b", tor=settings) as b_service:
            bob = Local(b_service)
            tasks.append(asyncio.create_task(bob.collect()))
            await start(bob, b_nick, ircd_onion, pin, new=True)
            await alice.service.add_contact("main", to_bob)
            await bob.service.add_contact("main", to_alice)
            alice.service.send_message("main", to_bob, "hello bob")
            await bob.wait_for(lambda _: shown(bob) == ["hello bob"])
            bob.service.send_message("main", to_alice, "hello alice")
            await alice.wait_for(lambda _: shown(alice) == ["hello alice"])
            ids = [alice.service.send_message("main", to_bob, t).id for t in texts[:3]]
            # Bob leaves as soon as the first is shown: its acknowledgement (sent at the next poll)
            # most likely never goes, and the next message's fragments are on their way.
            await bob.wait_for(lambda _: texts[0] in shown(bob))
            first_life = shown(bob)
            await b_service.close()
            unacked_at_close = state_of(alice, ids[0]) is not MessageState.DELIVERED
        assert first_life[0] == "hello bob" and texts[0] in first_life
        assert len(first_life) < 4, "Bob saw everything before he left: the restart tests nothing"
        ids.append(alice.service.send_message("main", to_bob, texts[3]).id)  # Bob is away
        await impostor_takes_bobs_nick(
            alice, ids, texts, tor, ircd_onion, ircd_server, a_nick, b_nick, libotr_peer_factory
        )
        async with TimbService(tmp_path / "b", tor=settings) as b_service:
            bob = Local(b_service)
            tasks.append(asyncio.create_task(bob.collect()))
            await start(bob, b_nick, ircd_onion, pin, new=False)
            bob.service.send_message("main", to_alice, "bob is back")  # his new instance re-keys
            await alice.wait_for(lambda _: shown(alice)[-1:] == ["bob is back"], within=240)
            await alice.wait_for(
                lambda _: all(state_of(alice, i) is MessageState.DELIVERED for i in ids), 240
            )
            await bob.wait_for(lambda _: texts[3] in shown(bob))
            both_lives = first_life + shown(bob)
            assert both_lives == ["hello bob", *texts], [t[:8] for t in both_lives]
            sent_twice = [i for i in ids if sends(alice, i) >= 2]
            lives = f"Bob's first life showed {len(first_life)} (the last unacknowledged: {unacked_at_close})"
            print(f"FIGURE: {lives}; re-sent after re-keying: {len(sent_twice)} of {len(ids)}")
            assert ids[-1] in sent_twice  # written into the dead session, re-sent once in the new one
            got = [e for e in bob.seen if isinstance(e, MessageReceived)]
            assert all(e.encrypted and e.contact == to_alice for e in got)
            await b_service.close()
        await a_service.close()
    for task in tasks:
        await task
