"""Sending again what a TIMB peer did not acknowledge (`Receipts._retransmit`): at a reconnect
(`resume`) and as the probe of a silent session (`_probe_if_due`).

The finding: the short fault campaign lost a message alice sent as Prosody restarted. Both
clients reconnected, the session stayed up, and nothing sent the message again: it was not
suspect (no error, no re-key), and the probe was an empty Data Message that bob, alive and
well, had nothing to answer. Attacks on the fix: a retransmission goes only into the session
(the key) the message went to, never to a key the user distrusted or a suspect session, never
to a libotr peer (it would show it twice), and a server that keeps dropping gets at most
AKE_RETRIES of them without progress.
"""

from __future__ import annotations

from tests.unit.otr_link import BOB_KEY, CAROL_KEY
from tests.unit.test_review4_outbox import ALICE, BOB, SECRET, Net, _timb_bob_session
from timb.common.random import DeterministicRandom
from timb.core.conversations import AKE_RETRIES, AKE_TIMEOUT, Conversations
from timb.core.events import MessageReceived, MessageState
from timb.otr import Conversation
from timb.otr import wire as otr_wire
from timb.otr.instances import peek


def _bob_session(net: Net, alice: Conversations) -> Conversations:
    bob = net.timb_peer("bob")
    _timb_bob_session(net, alice, bob)
    return bob


def _settle(net: Net, alice: Conversations, bob: Conversations) -> None:
    """Deliver both ways, bob's owed acknowledgements included (his service polls)."""
    net.pump(alice, bob, "bob")
    bob.poll()
    net.pump(alice, bob, "bob")


def test_a_message_lost_as_the_server_restarted_is_sent_again_at_the_reconnect_and_shown_once() -> None:
    net = Net()
    alice = net.alice()
    bob = _bob_session(net, alice)
    msg = alice.send(BOB, SECRET)
    assert [w for _c, w in alice.data_to_send()]  # into the dying stream: the server lost it
    alice.resume()  # the link is back
    wires = [w for _c, w in alice.data_to_send()]
    assert wires and all(peek(w).type == otr_wire.DATA and SECRET not in w for w in wires)
    for wire in wires:
        bob.receive(ALICE, wire)
    _settle(net, alice, bob)
    assert net.shown["bob"] == [SECRET]
    assert alice.message_state(msg) is MessageState.DELIVERED
    alice.resume()  # nothing unconfirmed: a reconnect sends nothing
    assert alice.data_to_send() == []


def test_a_message_shown_whose_acknowledgement_was_lost_is_not_shown_twice() -> None:
    net = Net()
    alice = net.alice()
    bob = _bob_session(net, alice)
    msg = alice.send(BOB, SECRET)
    net.pump(alice, bob, "bob", drop_replies=True)  # bob read it; his acknowledgement was lost
    assert alice.message_state(msg) is MessageState.SENT
    alice.resume()
    _settle(net, alice, bob)
    assert net.shown["bob"] == [SECRET]
    assert alice.message_state(msg) is MessageState.DELIVERED


def test_the_probe_of_a_silent_timb_session_carries_the_lost_message() -> None:
    # The other half of the finding: bob's side lost it (his stream died), alice's link stayed up.
    net = Net()
    alice = net.alice()
    bob = _bob_session(net, alice)
    msg = alice.send(BOB, SECRET)
    alice.data_to_send()
    net.clock.advance(AKE_TIMEOUT + 1)
    alice.poll()
    _settle(net, alice, bob)
    assert net.shown["bob"] == [SECRET]
    assert alice.message_state(msg) is MessageState.DELIVERED


def test_a_server_that_drops_every_retransmission_gets_at_most_ake_retries_while_bob_chats() -> None:
    # Bob keeps writing (answers that confirm nothing): no progress, so the count is not reset.
    net = Net()
    alice = net.alice()
    bob = _bob_session(net, alice)
    msg = alice.send(BOB, SECRET)
    alice.data_to_send()
    dropped = 0
    for minute in range(20):
        bob.send(ALICE, f"still here {minute}")
        for _c, wire in bob.data_to_send():
            alice.receive(BOB, wire)
        while alice.next_event() is not None:
            pass
        net.clock.advance(AKE_TIMEOUT + 1)
        alice.poll()
        dropped += len(alice.data_to_send())  # (acks owed to bob ride on them, or go alone)
    assert alice.message_state(msg) is MessageState.SENT
    assert dropped <= 20, dropped  # a wire a minute: the acknowledgement owed (on a probe, or alone)
    net.clock.advance(AKE_TIMEOUT + 1)
    alice.poll()
    assert alice.data_to_send() == []  # the probes gave up
    bob.send(ALICE, "and now?")
    for _c, wire in bob.data_to_send():
        alice.receive(BOB, wire)
    alice.poll()
    for _c, wire in alice.data_to_send():  # (an acknowledgement, perhaps OTR's heartbeat)
        bob.receive(ALICE, wire)
    net.pump(alice, bob, "bob")
    assert net.shown["bob"] == []  # the message did not go again


def test_probes_give_up_after_ake_retries_when_everything_is_dropped() -> None:
    net = Net()
    alice = net.alice()
    _bob_session(net, alice)
    alice.send(BOB, SECRET)
    alice.data_to_send()
    sent = 0
    for _ in range(10):
        net.clock.advance(AKE_TIMEOUT + 1)
        alice.poll()
        sent += len(alice.data_to_send())
    assert sent == AKE_RETRIES


def test_no_retransmission_to_a_key_the_user_distrusted() -> None:
    net = Net()
    alice = net.alice()
    _bob_session(net, alice)
    alice.send(BOB, SECRET)
    alice.data_to_send()
    fingerprint = alice.their_fingerprint(BOB)
    assert fingerprint is not None
    net.distrusted.add(fingerprint)
    alice.refresh_trust_and_flush(BOB)
    alice.data_to_send()
    alice.resume()
    assert alice.data_to_send() == []
    net.clock.advance(AKE_TIMEOUT + 1)
    alice.poll()
    assert alice.data_to_send() == []


def test_a_reconnect_after_the_servers_own_key_sends_the_message_to_no_key() -> None:
    # The hostile server answers as a new instance of bob with its own key, then drops the link:
    # the message is held for the user's decision (issue 9), and the reconnect sends it nowhere.
    net = Net()
    alice = net.alice()
    bob = _bob_session(net, alice)
    msg = alice.send(BOB, SECRET)
    alice.data_to_send()  # lost
    server = net.timb_peer("server", key=CAROL_KEY, tag=0x6666)
    server.start(ALICE)
    net.pump(alice, server, "server")
    alice.resume()
    net.clock.advance(AKE_TIMEOUT + 1)
    alice.poll()  # and a probe's time
    for _c, wire in alice.data_to_send():
        server.receive(ALICE, wire)
        bob.receive(ALICE, wire)
    for peer, name in ((server, "server"), (bob, "bob")):
        while (event := peer.next_event()) is not None:
            if isinstance(event, MessageReceived) and event.text:
                net.shown[name].append(event.text)
    assert SECRET not in net.shown["server"] and SECRET not in net.shown["bob"]
    assert alice.message_state(msg) is MessageState.PENDING


def test_a_libotr_peer_gets_nothing_again_at_a_reconnect() -> None:
    # It would show the message twice: its silence is not a loss we can tell.
    net = Net()
    alice = net.alice()
    pidgin = Conversation(BOB_KEY, clock=net.clock, rng=DeterministicRandom(b"pidgin"), instance_tag=0x3333)
    pidgin.start()
    net.pump(alice, pidgin, "pidgin")
    pidgin.send("hello alice")
    net.pump(alice, pidgin, "pidgin")
    alice.send(BOB, SECRET)
    net.pump(alice, pidgin, "pidgin")
    assert net.shown["pidgin"] == [SECRET]
    alice.resume()
    net.pump(alice, pidgin, "pidgin")
    assert net.shown["pidgin"] == [SECRET]
