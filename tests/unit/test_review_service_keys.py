"""Review of issue 9 at the level of `TimbService`: the rules `Conversations` has must be wired.

`Conversations` takes ``known_keys`` (a message typed before any session is written for the
contact's known keys) and ``is_contact`` (strangers are bounded, contacts are not), but the
service builds it without either (core/service/account_book.py), so neither rule holds there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.fake_network import FakeServer, Impostor
from tests.unit.hostile_network import BOB, HostileRig
from tests.unit.otr_link import CAROL_KEY
from tests.unit.test_core_service import ALICE, private_with, running, setup
from timb.common.ids import Jid
from timb.core.events import HeldForKeyChange, MessageState
from timb.net import base as net

SECRET = "the launch code is 0000"


async def test_after_a_restart_text_typed_before_any_session_never_goes_to_the_servers_key(
    tmp_path: Path,
) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice:
        await setup(alice, ALICE, BOB)
        async with running(tmp_path / "b", server) as bob:
            await setup(bob, BOB, ALICE)
            alice.service.send_message("main", BOB, "hello bob, all fine")
            await bob.wait(lambda ev: bob.received() == ["hello bob, all fine"])
            await alice.wait(private_with(BOB))
    # Alice restarts (bob's key is in her trust store); bob stays offline.
    async with running(tmp_path / "a", server) as alice:
        await setup(alice, ALICE, BOB, create=False)
        impostor = Impostor(server, Jid.parse(BOB), Jid.parse(ALICE), CAROL_KEY)
        msg = alice.service.send_message("main", BOB, SECRET).id
        impostor.start()  # the server answers as bob, with its own key and instance tag

        def settled(ev: list[object]) -> bool:
            held = any(isinstance(e, HeldForKeyChange) for e in ev)
            return held or alice.service.message_state("main", msg) is not MessageState.PENDING

        await alice.wait(settled, limit=60.0)  # (an AKE and an unlock: slow on a loaded machine)
        await asyncio.sleep(0)
        assert impostor.read == []
        assert alice.service.message_state("main", msg) is MessageState.PENDING


@pytest.fixture(scope="module")
def rig() -> Iterator[HostileRig]:
    rig = HostileRig().start()
    yield rig
    rig.stop()


def test_a_flood_of_strangers_never_evicts_a_contacts_private_session(rig: HostileRig) -> None:
    service = rig.alice_service()
    assert service.fingerprints("main", BOB).theirs is not None  # private with bob
    rig.feed([net.MessageIn(Jid.parse(f"stranger{i}@evil.test"), f"hi {i}") for i in range(150)])
    assert service.fingerprints("main", BOB).theirs is not None


async def test_a_key_seen_only_under_a_key_change_notice_never_takes_text_typed_before_a_session(
    tmp_path: Path,
) -> None:
    """The server's key K' entered the trust store when its AKE raised the key-change notice. The
    user released nothing: after another restart, text typed before any session is still held
    when the server answers with K' again (K' was observed, never accepted)."""
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice:
        await setup(alice, ALICE, BOB)
        async with running(tmp_path / "b", server) as bob:
            await setup(bob, BOB, ALICE)
            alice.service.send_message("main", BOB, "hello bob, all fine")
            await bob.wait(lambda ev: bob.received() == ["hello bob, all fine"])
            await alice.wait(private_with(BOB))
    for attempt in range(2):  # the notice, then a later restart with K' already in the store
        async with running(tmp_path / "a", server) as alice:
            # The server answers alice's own Query with its key: the one her send starts, or (the
            # second time) the one she sends at connecting for the message her profile kept.
            impostor = Impostor(server, Jid.parse(BOB), Jid.parse(ALICE), CAROL_KEY)
            impostor.active = True
            await setup(alice, ALICE, BOB, create=False)
            msg = alice.service.send_message("main", BOB, f"{SECRET} ({attempt})").id
            await alice.wait(lambda ev: any(isinstance(e, HeldForKeyChange) for e in ev), limit=10.0)
            await asyncio.sleep(0)
            assert impostor.read == []
            assert alice.service.message_state("main", msg) is MessageState.PENDING
