"""Helpers shared by the onion integration tests: a TIMB OnionPeer on a private-network tor,
and waiting for its events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from timb.common.random import SystemRandom
from timb.net.onion import peer_events as pe
from timb.net.onion.adapter import OnionPeer
from timb.net.onion.identity import OnionIdentity
from timb.tor.client import TorClient
from timb.tor.testnet.state import ClientInfo

E = TypeVar("E")


class PeerEvents:
    """Collects an OnionPeer's events in the background; `wait` takes the first match."""

    def __init__(self, peer: OnionPeer) -> None:
        self.peer = peer
        self.seen: list[pe.PeerEvent] = []
        self._new = asyncio.Condition()
        self._task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for event in self.peer.events():
            async with self._new:
                self.seen.append(event)
                self._new.notify_all()

    async def wait(self, kind: type[E], timeout: float = 60.0, **fields: Any) -> E:  # noqa: ASYNC109
        def find() -> E | None:
            for i, ev in enumerate(self.seen):
                if isinstance(ev, kind) and all(getattr(ev, k) == v for k, v in fields.items()):
                    self.seen.pop(i)
                    return ev
            return None

        try:
            async with asyncio.timeout(timeout), self._new:
                while (found := find()) is None:
                    if self._task.done():
                        self._task.result()  # raises the adapter's crash
                        raise AssertionError("the event stream ended")
                    await self._new.wait()
                return found
        except TimeoutError:
            raise AssertionError(
                f"no {kind.__name__} {fields} within {timeout} s; seen {self.seen}"
            ) from None

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.seen if isinstance(e, kind)]

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@contextlib.asynccontextmanager
async def timb_peer(
    client: ClientInfo, identity: OnionIdentity | None = None, **kw: Any
) -> AsyncIterator[tuple[OnionPeer, PeerEvents]]:
    tor = await TorClient.attach("127.0.0.1", client.control_port, cookie_path=client.cookie_path)
    try:
        await tor.wait_bootstrapped(60)
        peer = OnionPeer(tor, identity or OnionIdentity.generate(SystemRandom()), **kw)
        events = PeerEvents(peer)
        try:
            await peer.start()
            yield peer, events
        finally:
            await peer.stop()
            await events.close()
    finally:
        await tor.close()
