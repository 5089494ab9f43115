"""Interop on IRC: a TIMB service with an IRC account and a libotr 4.1.1 peer (ctypes) on its own
IRC connection, both on ngircd as an onion service of the private Tor network. The TIMB side
starts (its first message waits for the AKE); then the libotr side sends two consecutive long
messages, each fragmented by libotr at the IRC line size, as irssi-otr splits long typed lines."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.ircd import ONION_PORT, IrcServer
from tests.fixtures.tor import TorNetwork
from tests.interop import libotr
from timb.common.secret import Secret
from timb.core.events import ConnectionState, ConnectionStateChanged, CoreEvent, MessageReceived
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
        async with asyncio.timeout(within):
            while text not in self.shown:
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


async def test_timb_and_libotr_chat_privately_on_irc_both_ways(
    tmp_path: Path,
    tor_network: TorNetwork,
    tor: TorClient,
    ircd_onion: str,
    ircd_server: IrcServer,
    libotr_peer_factory: Callable[..., libotr.LibotrPeer],
) -> None:
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
            # TIMB -> libotr: held until private; TIMB's query starts the AKE
            service.send_message("main", carol_contact, "hello libotr over IRC")
            await carol.wait_shown("hello libotr over IRC")
            assert carol.peer.is_encrypted(timb_nick)
            # libotr -> TIMB: two consecutive long messages, each in several fragments
            first, second = "é" * 300 + " one", "ü" * 300 + " two"
            assert await carol.send(timb_nick, first) > 1  # libotr fragmented it
            assert await carol.send(timb_nick, second) > 1
            for text in (first, second):
                got = await wait_event(
                    seen, changed, lambda e, t=text: isinstance(e, MessageReceived) and e.text == t
                )
                assert got.encrypted and got.contact == carol_contact
            await service.close()
            await collector
    finally:
        await carol.close()
