"""Review 3, item 1: the ids of the messages shown are saved "as soon as a new one is shown"
(docs/core.md, core/seen_ids.py) so a copy re-sent after our crash is not shown again.

A save that failed used to leave nothing marked unsaved: no later poll tried again, so after a
transient disk refusal (full, EIO) and a crash the message was shown again, although the disk was
fine again long before the crash. Fixed: `ProfileSession.unsaved`, retried at the service's tick.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.unit.fake_network import FakeServer
from tests.unit.test_core_service import ALICE, BOB, Client, running, setup
from timb.common.ids import Jid
from timb.core.events import ErrorEvent, MessageState, MessageStateChanged
from timb.core.storage.vault import StorageError


def _delivered(msg_id: str):
    return lambda ev: any(
        isinstance(e, MessageStateChanged) and e.id == msg_id and e.state is MessageState.DELIVERED
        for e in ev
    )


async def _saves_settle(client: Client) -> None:
    # A background save runs under the vault lock: let it start, then wait for the lock.
    for _ in range(3):
        await asyncio.sleep(0)
        async with client.service._session.lock:
            pass


async def test_ids_whose_save_failed_are_saved_once_the_disk_is_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice:
        async with running(tmp_path / "b", server) as bob:
            await setup(alice, ALICE, BOB)
            await setup(bob, BOB, ALICE)
            await alice.wait(_delivered(alice.service.send_message("main", BOB, "hello bob").id))
            await _saves_settle(bob)
            vault = bob.service._session.require().vault
            save = type(vault).save
            refused: list[object] = []

            def refuse_once(self: Any) -> None:
                if self is vault and not refused:
                    refused.append(self)
                    raise StorageError("disk full")
                save(self)

            monkeypatch.setattr(type(vault), "save", refuse_once)
            # Bob's acknowledgement never reaches alice (the server keeps what bob sends).
            server.intercept = lambda sender, _to, _body: sender.bare != Jid.parse(BOB)
            alice.service.send_message("main", BOB, "shown once, before the crash")
            await bob.wait(lambda _ev: "shown once, before the crash" in bob.received())
            await bob.wait(lambda ev: any(isinstance(e, ErrorEvent) and "disk full" in e.message for e in ev))
            assert refused  # the save of the id was refused, once; the disk works again
            bob.service._accounts.poll()  # time passes: the service's own tick (poll_forever)
            await _saves_settle(bob)
            shutil.copytree(tmp_path / "b", tmp_path / "b-at-the-crash")
        server.intercept = None
        async with running(tmp_path / "b-at-the-crash", server) as again:
            await setup(again, BOB, ALICE, create=False)
            after = alice.service.send_message("main", BOB, "after the crash").id
            await alice.wait(_delivered(after))
            await again.wait(lambda _ev: "after the crash" in again.received())
            assert again.received() == ["after the crash"]
