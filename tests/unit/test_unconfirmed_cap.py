"""At most MAX_UNCONFIRMED messages per contact are followed until confirmed (routing.py): a server
that keeps every acknowledgement makes neither the texts pile up in memory nor a re-send larger
than what a TIMB peer remembers having shown (seen_ids.KEPT_IDS)."""

from __future__ import annotations

from tests.unit.otr_link import BOB_KEY
from tests.unit.test_review4_outbox import ALICE, BOB, Net
from timb.common.random import DeterministicRandom
from timb.core.conversations import Conversations
from timb.core.events import MessageState
from timb.core.routing import MAX_UNCONFIRMED
from timb.core.seen_ids import KEPT_IDS


def _bob(net: Net, tag: int) -> Conversations:
    """Bob's TIMB client, with alice in his roster (so the ids he showed are kept in his profile)."""
    net.shown.setdefault("bob", [])
    rng = DeterministicRandom(b"bob%d" % tag)
    return Conversations(
        BOB, BOB_KEY, instance_tag=tag, clock=net.clock, rng=rng, is_contact=lambda c: c == ALICE
    )


def test_a_server_keeping_every_acknowledgement_makes_nothing_pile_up() -> None:
    assert MAX_UNCONFIRMED <= KEPT_IDS
    net = Net()
    alice = net.alice()
    bob = _bob(net, 0x2222)
    alice.start(BOB)
    net.pump(alice, bob, "bob")
    sent = [alice.send(BOB, f"message {n}") for n in range(MAX_UNCONFIRMED + 5)]
    net.pump(alice, bob, "bob", drop_replies=True)
    assert len(net.shown["bob"]) == len(sent)
    kept = [m["id"] for m in alice.outbox_section()]
    assert kept == sent[5:]  # the newest, in order
    assert [alice.message_state(m) for m in sent[:5]] == [MessageState.SENT] * 5  # honest: never DELIVERED
    # Bob's client restarts: alice re-sends what she follows, and bob shows none of it twice.
    bob2 = _bob(net, 0x2223)
    bob2.restore_seen(dict(bob.seen_section()))
    bob2.start(ALICE)
    net.pump(alice, bob2, "bob")
    assert len(net.shown["bob"]) == len(sent), f"shown twice: {net.shown['bob'][len(sent) :][:3]}"
    assert all(alice.message_state(m) is MessageState.DELIVERED for m in kept)


def test_the_cap_is_per_contact_across_the_peers_instances() -> None:
    net = Net()
    alice = net.alice()
    bob = net.timb_peer("bob")
    alice.start(BOB)
    net.pump(alice, bob, "bob", drop_replies=False)
    half = MAX_UNCONFIRMED // 2 + 1
    first = [alice.send(BOB, f"a{n}") for n in range(half)]
    alice.data_to_send()  # lost
    bob2 = net.timb_peer("bob2", tag=0x2223)  # bob restarted: a new instance
    bob2.start(ALICE)
    net.pump(alice, bob2, "bob2", drop_replies=True)  # re-sent there; acknowledgements kept
    more = [alice.send(BOB, f"b{n}") for n in range(half)]
    net.pump(alice, bob2, "bob2", drop_replies=True)
    kept = [m["id"] for m in alice.outbox_section()]
    assert len(kept) == MAX_UNCONFIRMED
    assert kept == (first + more)[-MAX_UNCONFIRMED:]
