"""Interop on IRC: a TIMB service with an IRC account and a libotr 4.1.1 peer (ctypes) on its own
IRC connection, both on ngircd as an onion service of the private Tor network. The TIMB side
starts (its first message waits for the AKE); then the libotr side sends two consecutive long
messages, each fragmented by libotr at the IRC line size, as irssi-otr splits long typed lines.
SMP runs both ways over the same session: TIMB asks a question libotr answers, then libotr asks
with a shared secret TIMB answers; every SMP message is fragmented to the IRC line size. Last,
libotr starts an AKE of its own (its query) and the chat goes on both ways in the new session."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.ircd import ONION_PORT, IrcServer
from tests.fixtures.tor import TorNetwork
from tests.interop import libotr
from timb.common.secret import Secret
from timb.core.events import (
    ConnectionState,
    ConnectionStateChanged,
    CoreEvent,
    MessageReceived,
    SmpFinished,
    SmpOutcome,
    SmpRequested,
)
from timb.core.service import TimbService, TorSettings
from timb.net.irc.adapter import IrcAccount, IrcAdapter, ReconnectPolicy
from timb.net.irc.events import PrivateMessage
from timb.tor.client import TorClient

pytestmark = pytest.mark.integration

PASSPHRASE = Secret("libotr on irc, a passphrase")


class LibotrOnIrc:
    """A libotr peer whose wire is one IRC connection: every private message goes to libotr,
    everything libotr injects goes out as one PRIVMSG line."""

    def __init__(self, peer: libotr.LibotrPeer, irc: IrcAdapter) -> None:
        self.peer, self.irc = peer, irc
        self.shown: list[str] = []
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        async for event in self.irc.events():
            if isinstance(event, PrivateMessage) and not event.notice:
                shown = self.peer.receive(event.sender.lower(), event.body)
                if shown is not None:
                    self.shown.append(shown)
                await self.flush()
                self._changed.set()

    async def flush(self) -> None:
        for to, wire in self.peer.take_outgoing():
            await self.irc.send_message(to, wire)

    async def send(self, to: str, text: str) -> int:
        """Returns how many lines (fragments) libotr made of ``text``."""
        wires = self.peer.send(to, text)
        for wire in wires:
            await self.irc.send_message(to, wire)
        return len(wires)

    async def wait_shown(self, text: str, within: float = 90) -> None:
        await self.wait_for(lambda: text in self.shown, within)

    async def wait_for(self, predicate: Callable[[], bool], within: float = 90) -> None:
        async with asyncio.timeout(within):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def close(self) -> None:
        await self.irc.disconnect()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def wait_event(seen: list[CoreEvent], changed: asyncio.Event, predicate: Callable[[Any], bool]) -> Any:
    async with asyncio.timeout(120):
        while True:
            for event in seen:
                if predicate(event):
                    return event
            changed.clear()
            await changed.wait()


@pytest.fixture
async def tor(tor_network: TorNetwork) -> AsyncIterator[TorClient]:
    client = await TorClient.attach(
        "127.0.0.1", tor_network.control_port, cookie_path=tor_network.control_cookie
    )
    try:
        yield client
    finally:
        await client.close()


@dataclass
class Chat:
    """A connected TIMB service with an IRC account ``main`` and the libotr peer ``carol``."""

    service: TimbService
    carol: LibotrOnIrc
    seen: list[CoreEvent]
    changed: asyncio.Event
    timb_nick: str
    carol_contact: str

    async def wait(self, predicate: Callable[[Any], bool], since: int = 0) -> Any:
        """The first event from ``seen[since]`` on that satisfies ``predicate``."""
        async with asyncio.timeout(120):
            while True:
                for event in self.seen[since:]:
                    if predicate(event):
                        return event
                self.changed.clear()
                await self.changed.wait()


@contextlib.asynccontextmanager
async def timb_and_libotr(
    tmp_path: Path,
    tor_network: TorNetwork,
    tor: TorClient,
    ircd_onion: str,
    ircd_server: IrcServer,
    libotr_peer_factory: Callable[..., libotr.LibotrPeer],
) -> AsyncIterator[Chat]:
    stamp = str(time.monotonic_ns())[-6:]
    timb_nick, carol_nick = f"ta{stamp}", f"lc{stamp}"
    pin = ircd_server.pin()
    irc = IrcAdapter(
        IrcAccount(host=ircd_onion, nick=carol_nick, port=ONION_PORT, pin=pin),
        tor,
        policy=ReconnectPolicy(attempt_timeout=90.0),
    )
    await irc.connect()
    fragment = irc.fragment_size(timb_nick)
    carol = LibotrOnIrc(libotr_peer_factory(carol_nick, max_message_size=fragment), irc)
    carol.start()
    settings = TorSettings(control_port=tor_network.control_port, cookie_path=tor_network.control_cookie)
    seen: list[CoreEvent] = []
    changed = asyncio.Event()
    try:
        async with TimbService(tmp_path / "timb", tor=settings) as service:

            async def collect() -> None:
                async for event in service.events():
                    seen.append(event)
                    changed.set()

            collector = asyncio.create_task(collect())
            await service.create_profile(PASSPHRASE)
            await service.add_account(
                "main",
                f"{timb_nick}@{ircd_onion}",
                Secret(""),
                network="irc",
                tls_pin_sha256=pin.digest.hex(),
            )
            await service.connect("main")
            await wait_event(
                seen,
                changed,
                lambda e: isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.CONNECTED,
            )
            carol_contact = f"{carol_nick}@{ircd_onion}"
            await service.add_contact("main", carol_contact)
            yield Chat(service, carol, seen, changed, timb_nick, carol_contact)
            await service.close()
            await collector
    finally:
        await carol.close()


async def test_timb_and_libotr_chat_privately_on_irc_both_ways(
    tmp_path: Path,
    tor_network: TorNetwork,
    tor: TorClient,
    ircd_onion: str,
    ircd_server: IrcServer,
    libotr_peer_factory: Callable[..., libotr.LibotrPeer],
) -> None:
    async with timb_and_libotr(
        tmp_path, tor_network, tor, ircd_onion, ircd_server, libotr_peer_factory
    ) as chat:
        carol, timb_nick = chat.carol, chat.timb_nick
        # TIMB -> libotr: held until private; TIMB's query starts the AKE
        chat.service.send_message("main", chat.carol_contact, "hello libotr over IRC")
        await carol.wait_shown("hello libotr over IRC")
        assert carol.peer.is_encrypted(timb_nick)
        # libotr -> TIMB: two consecutive long messages, each in several fragments
        first, second = "é" * 300 + " one", "ü" * 300 + " two"
        assert await carol.send(timb_nick, first) > 1  # libotr fragmented it
        assert await carol.send(timb_nick, second) > 1
        for text in (first, second):
            got = await chat.wait(lambda e, t=text: isinstance(e, MessageReceived) and e.text == t)
            assert got.encrypted and got.contact == chat.carol_contact
        # SMP both ways on the same session (see the module docstring)
        await smp_timb_asks(chat)
        await smp_libotr_asks(chat)
        await libotr_starts_an_ake(chat)


def smp_kinds(carol: LibotrOnIrc) -> list[str]:
    return carol.peer.smp_kinds()


async def smp_timb_asks(chat: Chat) -> None:
    carol, timb_nick = chat.carol, chat.timb_nick
    question = "Where did we first meet? (café, 2019)"
    chat.service.smp_start("main", chat.carol_contact, Secret("the old harbour"), question)
    await carol.wait_for(lambda: "ask_for_answer" in smp_kinds(carol))
    (asked,) = [e for e in carol.peer.events_of(libotr.SmpEvent) if e.kind == "ask_for_answer"]
    assert asked.question == question  # arrived whole through IRC's fragments
    for wire in carol.peer.smp_respond(timb_nick, "the old harbour"):
        await carol.irc.send_message(timb_nick, wire)
    done = await chat.wait(lambda e: isinstance(e, SmpFinished))
    assert done.outcome is SmpOutcome.SUCCEEDED and done.verified and done.contact == chat.carol_contact
    await carol.wait_for(lambda: "success" in smp_kinds(carol))


async def smp_libotr_asks(chat: Chat) -> None:
    carol, timb_nick = chat.carol, chat.timb_nick
    mark = len(chat.seen)
    for wire in carol.peer.smp_start(timb_nick, "a shared secret"):
        await carol.irc.send_message(timb_nick, wire)
    asked = await chat.wait(lambda e: isinstance(e, SmpRequested), since=mark)
    assert asked.question is None and asked.contact == chat.carol_contact
    chat.service.smp_respond("main", chat.carol_contact, Secret("a shared secret"))
    done = await chat.wait(lambda e: isinstance(e, SmpFinished), since=mark)
    assert done.outcome is SmpOutcome.SUCCEEDED and done.verified  # a shared secret proves them too
    await carol.wait_for(lambda: smp_kinds(carol).count("success") == 2)
    assert carol.peer.is_encrypted(timb_nick)


async def libotr_starts_an_ake(chat: Chat) -> None:
    """libotr sends its query (as irssi-otr's /otr init): TIMB answers, a new AKE runs over IRC."""
    carol, timb_nick = chat.carol, chat.timb_nick
    mark, before = len(chat.seen), carol.peer.ssid(timb_nick)
    for wire in carol.peer.start(timb_nick):  # the query's explanation: one IRC line
        await carol.irc.send_message(timb_nick, " ".join(wire.splitlines()))
    await carol.wait_for(lambda: carol.peer.is_encrypted(timb_nick) and carol.peer.ssid(timb_nick) != before)
    await carol.send(timb_nick, "after libotr's own AKE")
    got = await chat.wait(
        lambda e: isinstance(e, MessageReceived) and e.text == "after libotr's own AKE", mark
    )
    assert got.encrypted
    chat.service.send_message("main", chat.carol_contact, "and back")
    await carol.wait_shown("and back")
