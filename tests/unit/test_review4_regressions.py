"""Review 4: attacks on the kept outbox that the code withstands today (plain regression tests:
nothing tested them). Harness: tests/unit/test_review4_outbox.py."""

from __future__ import annotations

from tests.unit.otr_link import CAROL_KEY
from tests.unit.test_review4_outbox import ALICE, BOB, SECRET, Net, _timb_bob_session
from timb.core.conversations import Conversations
from timb.core.events import MessageState
from timb.otr import Policy
from timb.otr.instances import Kind, peek


def _held_for_the_servers_key(net: Net) -> tuple[Conversations, str]:
    """Alice's message to bob written for his key, held when the server's key answered instead."""
    alice = net.alice()
    bob = net.timb_peer("bob")
    alice.start(BOB)
    net.pump(alice, bob, "bob")
    alice.end(BOB)
    net.pump(alice, bob, "bob")
    msg = alice.send(BOB, SECRET)  # not private: written for bob's known key
    alice.data_to_send()
    mallory = net.timb_peer("mallory", CAROL_KEY, tag=0x7777)
    mallory.start(ALICE)
    net.pump(alice, mallory, "mallory")
    assert alice.held(BOB) == [msg] and net.shown["mallory"] == []
    return alice, msg


def test_a_discarded_or_failed_message_is_never_kept() -> None:
    net = Net()
    alice, msg = _held_for_the_servers_key(net)
    alice.discard_held(BOB)
    other = alice.send("carol@timb.test", "to carol")
    alice.fail_pending("carol@timb.test")
    assert alice.message_state(msg) is alice.message_state(other) is MessageState.FAILED
    assert alice.outbox_section() == []


def test_a_message_typed_under_always_stays_encrypted_only_when_the_next_run_says_never() -> None:
    net = Net()
    alice, msg = _held_for_the_servers_key(net)
    section = alice.outbox_section()
    assert section[0]["needs_otr"] is True
    net.wires.clear()
    alice2 = net.alice(Policy.NEVER, section)
    net.pump(alice2, None, "nobody")
    assert [w for w in net.wires if SECRET in w] == []
    assert alice2.message_state(msg) is MessageState.PENDING


def test_a_restored_message_goes_nowhere_once_its_key_is_distrusted() -> None:
    net = Net()
    alice = net.alice()
    bob = net.timb_peer("bob")
    _timb_bob_session(net, alice, bob)
    msg = alice.send(BOB, SECRET)
    net.pump(alice, bob, "bob", drop_replies=True)
    section = alice.outbox_section()
    fingerprint = alice.their_fingerprint(BOB)
    assert fingerprint is not None
    net.distrusted.add(fingerprint)  # between the runs, the user distrusts bob's key
    bob2 = net.timb_peer("bob2", tag=0x2223)
    alice2 = net.alice(section=section)
    net.pump(alice2, bob2, "bob2")
    assert net.shown["bob2"] == [] and alice2.message_state(msg) is MessageState.PENDING


def test_a_flapping_connection_starts_one_ake_per_time_out_however_often_it_comes_back() -> None:
    net = Net()
    alice = net.alice()
    alice.send(BOB, SECRET)  # bob is offline
    wires = [w for _c, w in alice.data_to_send()]
    for _ in range(50):  # the server drops and restores the connection, each time: resume
        alice.resume()
        wires += [w for _c, w in alice.data_to_send()]
    assert [peek(w).kind for w in wires] == [Kind.QUERY]
