"""Review 3, item 1: the ids of a TIMB peer's messages *shown* are kept (memory: SEEN_IDS per
contact; the profile: the newest KEPT_IDS), so a copy re-sent after our crash is shown once.

`Conversations._read_id` remembers the id of every authenticated Data Message with a record, and
asks for a vault save, whether or not anything was shown: a Data Message with an empty text and a
fresh id shows nothing, yet counts. The ids are kept per contact, not per key, so the server
running its own AKE under a contact's address (one KeyChanged notice, then nothing visible) can
push the contact's genuine ids out of what the profile keeps with a few hundred empty messages
-- each one asking for a vault rewrite -- and the genuine message re-sent after our crash is shown again.
"""

from __future__ import annotations

from tests.unit.otr_link import ALICE_KEY, BOB_KEY, CAROL_KEY
from tests.unit.test_core_conversations import ALICE, BOB, Link, Peer, make
from timb.common.clock import FakeClock
from timb.common.random import DeterministicRandom
from timb.core.conversations import Conversations
from timb.core.seen_ids import KEPT_IDS

KEYS = {ALICE: ALICE_KEY, BOB: BOB_KEY}


def test_messages_that_show_nothing_do_not_push_out_the_ids_of_messages_shown() -> None:
    clock = FakeClock()
    link = Link(clock, [])
    core = Conversations(
        ALICE,
        ALICE_KEY,
        instance_tag=0x1111,
        clock=clock,
        rng=DeterministicRandom(b"alice"),
        is_contact=lambda _c: True,
    )
    alice = Peer(ALICE, core)
    bob = make(BOB, KEYS, clock, b"bob", 0x2222)
    link.attach(alice)
    link.attach(bob)
    genuine = bob.core.send(ALICE, "a genuine message from bob")
    link.pump()
    link.poll()
    assert alice.texts() == ["a genuine message from bob"]
    assert genuine in alice.core.seen_section()[BOB]
    # The server, as bob, with its own key: an AKE, then empty Data Messages with fresh ids.
    link.detach(BOB)
    mallory = make(BOB, {BOB: CAROL_KEY}, clock, b"mallory", 0x6666)
    link.attach(mallory)
    mallory.core.start(ALICE)
    link.pump()
    for _ in range(KEPT_IDS + 1):
        mallory.core.send(ALICE, "")
    link.pump()
    assert alice.texts() == ["a genuine message from bob"]  # nothing more was shown
    assert genuine in alice.core.seen_section()[BOB]
