"""Issue 9, item 6 (storage part): with history on, a message too long for a history record is
kept cut, with a notice, and never stops the service (before: ValueError out of HistoryEntry,
inside the account's task for an incoming message, which ended the service's TaskGroup)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from tests.unit.fake_network import FakeServer
from timb.common.secret import Secret
from timb.core.events import (
    ConnectionState,
    ConnectionStateChanged,
    CoreEvent,
    ErrorEvent,
    MessageReceived,
)
from timb.core.service import TimbService
from timb.core.service.results import HistoryItem
from timb.core.storage.history_format import MAX_BODY

ALICE, BOB = "alice@timb.test", "bob@timb.test"
PASS = Secret("correct horse battery staple")
# What 400 kB of invalid UTF-8 through OTR becomes: 400k U+FFFD, 1.2 MB of UTF-8.
HUGE = "\ufffd" * 400_000


class Client:
    def __init__(self, service: TimbService) -> None:
        self.service = service
        self.events: list[CoreEvent] = []
        self._changed = asyncio.Event()

    async def collect(self) -> None:
        async for event in self.service.events():
            self.events.append(event)
            self._changed.set()

    async def wait(self, predicate: Callable[[list[CoreEvent]], bool]) -> None:
        async with asyncio.timeout(60):
            while not predicate(self.events):
                self._changed.clear()
                await self._changed.wait()

    def notices(self) -> list[str]:
        return [e.message for e in self.events if isinstance(e, ErrorEvent)]

    async def history(self, contact: str, count: int) -> list[HistoryItem]:
        """The history once `count` records are in (they are written by a task of the service)."""
        async with asyncio.timeout(60):
            kept = await self.service.read_history("main", contact)
            while len(kept) < count:  # each read waits in a thread: the recording task runs
                kept = await self.service.read_history("main", contact)
        return kept


@contextlib.asynccontextmanager
async def running(directory: Path, server: FakeServer, me: str, peer: str) -> AsyncIterator[Client]:
    async with TimbService(directory, adapter_factory=server.factory) as service:
        client = Client(service)
        task = asyncio.create_task(client.collect())
        try:
            await service.create_profile(PASS)
            await service.add_account("main", me, Secret("pw"))
            await service.add_contact("main", peer)
            await service.connect("main")
            await client.wait(
                lambda ev: any(
                    isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.CONNECTED for e in ev
                )
            )
            await service.set_history("main", peer, True)
            yield client
        finally:
            await service.close()
            await task


def _cut(record: HistoryItem) -> bool:
    return record.text == "\ufffd" * (MAX_BODY // 3)


async def test_an_oversize_message_is_kept_cut_with_a_notice_both_ways(tmp_path: Path) -> None:
    server = FakeServer()
    async with (
        running(tmp_path / "a", server, ALICE, BOB) as alice,
        running(tmp_path / "b", server, BOB, ALICE) as bob,
    ):
        alice.service.send_message("main", BOB, HUGE)  # recorded as sent: no exception here
        await bob.wait(lambda ev: any(isinstance(e, MessageReceived) and e.text == HUGE for e in ev))
        for client, peer in ((alice, BOB), (bob, ALICE)):
            (record,) = await client.history(peer, 1)
            assert _cut(record)
            await client.wait(lambda ev, c=client: any("too long to keep whole" in n for n in c.notices()))
            assert all("\ufffd" not in n for n in client.notices())
        # The service goes on: the next message arrives and is kept whole.
        alice.service.send_message("main", BOB, "still here")
        await bob.wait(lambda ev: any(isinstance(e, MessageReceived) and e.text == "still here" for e in ev))
        kept = await bob.history(ALICE, 2)
        assert kept[1].text == "still here"
