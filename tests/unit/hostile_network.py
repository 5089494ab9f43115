"""A rig for driving hostile network events through a running `TimbService` (no tor, no sockets).

Alice and Bob run real services over the in-memory `FakeServer` with a private OTR session
between them, and Alice has written a secret that must never cross the server in plaintext. The
hostile server then injects events into Alice's adapter as if from Bob or from strangers: forged,
replayed and mutated messages, presence, subscriptions, rosters, errors. After each batch a
*canary* (a plaintext message from an address of its own) must come out of Alice's service: it
proves the service handled everything before it, in order, and is still running.

The rig runs its event loop in a thread of its own, so a synchronous property test (hypothesis)
or a fuzz harness (atheris) can feed it thousands of batches against one pair of services.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from tests.unit.fake_network import FakeAdapter, FakeServer
from timb.common.ids import Jid
from timb.common.secret import Secret
from timb.core.events import (
    ConnectionState,
    ConnectionStateChanged,
    CoreEvent,
    ErrorEvent,
    MessageReceived,
    OtrState,
    OtrStateChanged,
)
from timb.core.service import TimbService
from timb.net import base as net

ALICE, BOB, CANARY = "alice@timb.test", "bob@timb.test", "canary@timb.test"
SECRET = "the launch code is 0000"
PASS = Secret("correct horse battery staple")
WAIT_S = 30.0

T = TypeVar("T")


class Party:
    """One running service and what it emitted."""

    def __init__(self, service: TimbService) -> None:
        self.service = service
        self.events: list[CoreEvent] = []
        self.changed = asyncio.Event()

    async def collect(self) -> None:
        async for event in self.service.events():
            self.events.append(event)
            self.changed.set()

    async def wait(self, predicate: Callable[[list[CoreEvent]], bool]) -> None:
        async with asyncio.timeout(WAIT_S):
            while not predicate(self.events):
                self.changed.clear()
                await self.changed.wait()


class HostileRig:
    """Start with `start()`, feed batches with `feed(events)`, end with `stop()`."""

    def __init__(self) -> None:
        self.server = FakeServer()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hostile-rig", daemon=True)
        self._stack = contextlib.AsyncExitStack()
        self._dir = tempfile.TemporaryDirectory(prefix="timb-hostile-")
        self._canaries = 0
        self.alice: Party | None = None
        self.genuine: list[str] = []  # what Bob really sent Alice: material for replay and mutation

    def start(self) -> HostileRig:
        self._thread.start()
        self._call(self._start())
        return self

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._call(self._stack.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT_S)
        self._loop.close()
        self._dir.cleanup()

    def feed(self, events: list[net.NetEvent]) -> list[CoreEvent]:
        """Inject ``events`` into Alice's adapter, then a canary; returns what Alice's service
        emitted meanwhile. Raises TimeoutError if the canary never comes out (the service stopped
        or hangs)."""
        return self._call(self._feed(events))

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine (a service command) in the rig's loop."""
        return self._call(coro)

    def alice_service(self) -> TimbService:
        assert self.alice is not None
        return self.alice.service

    def plaintext_leaked(self) -> bool:
        return any(SECRET in wire for wire in self.server.log)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(WAIT_S * 4)

    async def _party(self, name: str, me: str, peer: str) -> Party:
        service = await self._stack.enter_async_context(
            TimbService(Path(self._dir.name) / name, adapter_factory=self.server.factory)
        )
        party = Party(service)
        task = asyncio.get_running_loop().create_task(party.collect())
        self._stack.push_async_callback(_finish, service, task)
        await service.create_profile(PASS)
        await service.add_account("main", me, Secret("pw"))
        await service.add_contact("main", peer)
        await service.connect("main")
        await party.wait(
            lambda ev: any(
                isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.CONNECTED for e in ev
            )
        )
        return party

    async def _start(self) -> None:
        alice = await self._party("alice", ALICE, BOB)
        bob = await self._party("bob", BOB, ALICE)
        before = len(self.server.log)
        alice.service.send_message("main", BOB, SECRET)
        await bob.wait(lambda ev: any(isinstance(e, MessageReceived) and e.text == SECRET for e in ev))
        bob.service.send_message("main", ALICE, "an answer from bob")
        await alice.wait(lambda ev: any(isinstance(e, MessageReceived) for e in ev))
        await alice.wait(
            lambda ev: any(
                isinstance(e, OtrStateChanged) and e.state is OtrState.PRIVATE_UNVERIFIED for e in ev
            )
        )
        self.genuine = list(self.server.log[before:])
        await bob.service.disconnect("main")  # from now on, "Bob" is whoever the server says
        self.alice = alice

    async def _feed(self, events: list[net.NetEvent]) -> list[CoreEvent]:
        assert self.alice is not None
        adapter = self.server.adapters[Jid.parse(ALICE)]
        assert isinstance(adapter, FakeAdapter)
        start = len(self.alice.events)
        self._canaries += 1
        canary = f"canary {self._canaries}"
        for event in events:
            adapter.queue.put_nowait(event)
        adapter.queue.put_nowait(net.MessageIn(Jid.parse(CANARY), canary))
        await self.alice.wait(
            lambda ev: any(isinstance(e, MessageReceived) and e.text == canary for e in ev[start:])
        )
        return self.alice.events[start:]


async def _finish(service: TimbService, task: asyncio.Task[None]) -> None:
    await service.close()
    await task


def error_events(events: list[CoreEvent]) -> list[ErrorEvent]:
    return [e for e in events if isinstance(e, ErrorEvent)]
