"""Two TimbServices chatting serverless over the private Tor network (real tor, real OnionPeer):
a request and its acceptance, messages both ways with acknowledgements, and a message written
while the contact was offline that waits through a restart of the sender and arrives once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.fixtures.tor import TorNetwork
from timb.common.secret import Secret
from timb.core.events import CoreEvent
from timb.core.onion_events import (
    OnionContactRequested,
    OnionMessageReceived,
    OnionMessageState,
    OnionMessageStateChanged,
    OnionPresenceChanged,
)
from timb.core.service import TimbService
from timb.core.tor_link import TorSettings

pytestmark = pytest.mark.integration
PASS = Secret("onion service passphrase")
LIMIT = 120.0  # seconds: descriptor upload and rendezvous on a busy 2-core machine


class Side:
    def __init__(self, service: TimbService) -> None:
        self.service = service
        self.onion = service.onion
        self.events: list[CoreEvent] = []
        self._changed = asyncio.Event()

    async def collect(self) -> None:
        async for event in self.service.events():
            self.events.append(event)
            self._changed.set()

    async def wait(self, predicate: Callable[[], bool], what: str) -> None:
        try:
            async with asyncio.timeout(LIMIT):
                while not predicate():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"{what}: not within {LIMIT} s") from None

    def received(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, OnionMessageReceived)]

    def delivered(self, msg_id: str) -> bool:
        return any(
            isinstance(e, OnionMessageStateChanged)
            and e.id == msg_id
            and e.state is OnionMessageState.DELIVERED
            for e in self.events
        )

    def presence(self, online: bool) -> bool:
        return any(isinstance(e, OnionPresenceChanged) and e.online is online for e in self.events)


@contextlib.asynccontextmanager
async def running(tor_network: TorNetwork, directory: Path, *, create: bool) -> AsyncIterator[Side]:
    client = tor_network.client
    settings = TorSettings(control_port=client.control_port, cookie_path=client.cookie_path)
    async with TimbService(directory, tor=settings) as service:
        side = Side(service)
        task = asyncio.create_task(side.collect())
        if create:
            await service.create_profile(PASS)
            await service.onion.create_identity("me")
        else:
            await service.unlock_profile(PASS)
        try:
            yield side
        finally:
            await service.close()
            await task


async def test_two_services_request_chat_and_a_message_that_waits_through_a_restart(
    tor_network: TorNetwork, tmp_path: Path
) -> None:
    async with (
        running(tor_network, tmp_path / "a", create=True) as a,
        running(tor_network, tmp_path / "b", create=True) as b,
    ):
        a_id, b_id = a.onion.list_identities()[0].address, b.onion.list_identities()[0].address
        await asyncio.gather(a.onion.go_online("me"), b.onion.go_online("me"))
        await a.onion.add_contact("me", b_id, message="it's A")
        await b.wait(
            lambda: any(isinstance(e, OnionContactRequested) for e in b.events), "B sees the request"
        )
        await b.onion.accept("me", a_id)
        await a.wait(lambda: a.presence(True), "A sees B online")
        await b.wait(lambda: b.presence(True), "B sees A online")
        m1 = a.onion.send_message("me", b_id, "hello B ✓")
        m2 = b.onion.send_message("me", a_id, "hello A")
        await a.wait(lambda: a.delivered(m1) and a.received() == ["hello A"], "A: ack and B's text")
        await b.wait(lambda: b.delivered(m2) and b.received() == ["hello B ✓"], "B: ack and A's text")
        await b.onion.go_offline("me")
        await a.wait(lambda: a.presence(False), "A sees B go")
        waiting = a.onion.send_message("me", b_id, "written while B was away")
        assert a.onion.message_state("me", waiting) is OnionMessageState.WAITING
    # B is closed; A restarts with the message still waiting (kept in its profile)
    async with running(tor_network, tmp_path / "a", create=False) as a:
        assert a.onion.message_state("me", waiting) is OnionMessageState.WAITING
        await a.onion.go_online("me")
        async with running(tor_network, tmp_path / "b", create=False) as b:
            await b.onion.go_online("me")
            await a.wait(lambda: a.delivered(waiting), "the waiting message is delivered")
            await b.wait(lambda: b.received() == ["written while B was away"], "B gets it once")
            assert a.onion.message_state("me", waiting) is None
