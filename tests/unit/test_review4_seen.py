"""Review 4, item 3: the ids of the messages shown, kept across restarts (`timb.core.seen_ids`).

seen_ids.py keeps the newest KEPT_IDS (256) ids per contact, "more than a peer re-sends after a
crash". Since issue 14's kept outbox a TIMB peer re-sends everything we did not acknowledge, up to
its MAX_KEPT (1000) across its own restarts and without any bound while it runs; the server
decides how much that is by keeping our acknowledgements.
"""

from __future__ import annotations

from tests.unit.test_review4_outbox import ALICE, BOB, Net
from timb.core.conversations import Conversations
from timb.core.events import MessageReceived
from timb.core.outbox import MAX_KEPT
from timb.core.seen_ids import KEPT_IDS


def test_a_peer_resending_what_we_never_acknowledged_is_shown_nothing_twice_after_our_restart() -> None:
    assert KEPT_IDS < MAX_KEPT  # the gap the attack uses
    net = Net()
    alice = net.alice()
    bob = net.timb_peer("bob")
    net.shown["alice"] = []
    alice.start(BOB)
    _pump_to_alice(net, alice, bob, drop_alices=False)
    count = KEPT_IDS + 1
    for n in range(count):
        bob.send(ALICE, f"bob's message {n}")
    _pump_to_alice(net, alice, bob, drop_alices=True)  # the server keeps alice's acknowledgements
    net.clock.advance(2.0)
    alice.poll()
    _pump_to_alice(net, alice, bob, drop_alices=True)
    assert len(net.shown["alice"]) == count
    saved = alice.seen_section()  # the service saved the ids as they were shown
    # Alice's client restarts (her own outbox is empty); her new instance re-keys with bob's,
    # which re-sends everything she never acknowledged.
    net.lives += 1
    alice2 = net.alice()
    alice2.restore_seen(dict(saved))
    alice2.start(BOB)
    _pump_to_alice(net, alice2, bob, drop_alices=False)
    twice = net.shown["alice"][count:]
    assert twice == [], f"shown again after the restart: {len(twice)}, first {twice[:1]}"


def _pump_to_alice(net: Net, alice: Conversations, bob: Conversations, *, drop_alices: bool) -> None:
    """Bob's TIMB core sends to alice; what alice shows is counted under "alice"."""
    for _ in range(100):
        moved = False
        for _c, wire in alice.data_to_send():
            moved = True
            if not drop_alices:
                bob.receive(ALICE, wire)
        for _c, wire in bob.data_to_send():
            moved = True
            alice.receive(BOB, wire)
        while (event := alice.next_event()) is not None:
            if isinstance(event, MessageReceived) and event.text:
                net.shown["alice"].append(event.text)
        while bob.next_event() is not None:
            pass
        if not moved:
            return
    raise AssertionError("did not settle")
