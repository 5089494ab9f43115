"""IRC accounts in the service: two in-process TimbServices, each with an IRC account
(``nick@<onion>``) on ngircd as an onion service of the private Tor network, chat privately
with OTR required (the first message is held until the AKE finished)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.ircd import IrcServer
from tests.fixtures.tor import TorNetwork
from timb.common.secret import Secret
from timb.core.events import ConnectionState, ConnectionStateChanged, CoreEvent, MessageReceived
from timb.core.service import TimbService, TorSettings

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

    async def wait_for(self, predicate: Callable[[CoreEvent], bool], within: float = 120) -> Any:
        async with asyncio.timeout(within):
            while True:
                for event in self.seen:
                    if predicate(event):
                        return event
                self._changed.clear()
                await self._changed.wait()


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
    two_services: tuple[Local, Local], ircd_onion: str, ircd_server: IrcServer
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
    alice.service.send_message("main", to_bob, "hello through the service")
    got = await bob.wait_for(
        lambda e: isinstance(e, MessageReceived) and e.text == "hello through the service"
    )
    assert got.encrypted and got.contact == to_alice
    bob.service.send_message("main", to_alice, "private on IRC")
    back = await alice.wait_for(lambda e: isinstance(e, MessageReceived) and e.text == "private on IRC")
    assert back.encrypted
