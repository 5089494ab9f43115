"""`Conversations.ack_after_save` (docs/reliability.md, finding 8): a service that keeps the ids
shown in its profile has each one acknowledged only once the save that holds it has ended, by
`poll` or in a record of a message of its own; killed before, the peer sends it again and the
next run, which never saved it, shows it once."""

from __future__ import annotations

from tests.unit.otr_link import ALICE_KEY, BOB_KEY
from tests.unit.test_core_conversations import ALICE, BOB, Link, Peer, make
from timb.common.clock import FakeClock
from timb.common.random import DeterministicRandom
from timb.core.conversations import Conversations
from timb.core.events import MessageState

KEYS = {ALICE: ALICE_KEY, BOB: BOB_KEY}


def _pair() -> tuple[FakeClock, Link, Peer, Peer]:
    clock = FakeClock()
    link = Link(clock, [])
    alice = make(ALICE, KEYS, clock, b"alice", 0x1111)
    # bob's service: alice is his contact (only contacts' ids are kept in the profile)
    core = Conversations(
        BOB,
        BOB_KEY,
        instance_tag=0x2222,
        clock=clock,
        rng=DeterministicRandom(b"bob"),
        is_contact=lambda _c: True,
    )
    bob = Peer(BOB, core)
    link.attach(alice)
    link.attach(bob)
    alice.core.send(BOB, "first, before the hold")
    link.pump()
    link.poll()
    bob.core.ack_after_save = True
    return clock, link, alice, bob


def test_an_id_is_acknowledged_only_after_its_save() -> None:
    clock, link, alice, bob = _pair()
    msg_id = alice.core.send(BOB, "acknowledged once saved")
    link.pump()
    assert bob.texts()[-1] == "acknowledged once saved"
    unsaved = bob.core.unsaved_ids()
    assert len(unsaved) == 1
    for _ in range(3):
        clock.advance(1.0)
        link.poll()
        assert alice.core.message_state(msg_id) is MessageState.SENT  # no acknowledgement yet
    bob.core.send(ALICE, "bob writes meanwhile")  # its record must not carry that id either
    link.pump()
    assert alice.texts()[-1] == "bob writes meanwhile"
    assert alice.core.message_state(msg_id) is MessageState.SENT
    bob.core.ids_saved(unsaved)
    clock.advance(1.0)
    link.poll()
    assert alice.core.message_state(msg_id) is MessageState.DELIVERED
    assert bob.core.unsaved_ids() == frozenset()


def test_other_ids_are_acknowledged_while_one_waits() -> None:
    clock, link, alice, bob = _pair()
    waiting = alice.core.send(BOB, "waits for its save")
    link.pump()
    first = bob.core.unsaved_ids()
    bob.core.ids_saved(frozenset())  # (a save that held none of them)
    later = alice.core.send(BOB, "saved at once")
    link.pump()
    bob.core.ids_saved(bob.core.unsaved_ids() - first)
    clock.advance(1.0)
    link.poll()
    assert alice.core.message_state(later) is MessageState.DELIVERED
    assert alice.core.message_state(waiting) is MessageState.SENT
    bob.core.ids_saved(first)
    clock.advance(1.0)
    link.poll()
    assert alice.core.message_state(waiting) is MessageState.DELIVERED
