"""Review 4: the probes (`Conversations._probe_if_due`, `Session.probe_at` / `probes`).

A silent peer with unconfirmed messages gets an empty Data Message after AKE_TIMEOUT, at most
AKE_RETRIES times until it answers. Attacks: can the server or the peer make us probe for ever,
can a probe go where nothing may go (a distrusted key), is a probe ever anything but OTR Data?
"""

from __future__ import annotations

from tests.unit.test_review4_outbox import ALICE, BOB, SECRET, Net
from timb.core.conversations import AKE_RETRIES, AKE_TIMEOUT, Conversations
from timb.core.events import MessageState
from timb.otr import wire as otr_wire
from timb.otr.instances import peek


def _session_with_timb_bob(net: Net, alice: Conversations) -> Conversations:
    bob = net.timb_peer("bob")
    alice.start(BOB)
    net.pump(alice, bob, "bob")
    bob.send(ALICE, "hello alice")
    net.pump(alice, bob, "bob")
    return bob


def _probes(net: Net, alice: Conversations, minutes: int, answer: Conversations | None) -> list[str]:
    """What alice sends by herself while time passes (polled as the service does)."""
    sent: list[str] = []
    for _ in range(minutes):
        net.clock.advance(AKE_TIMEOUT + 1)
        alice.poll()
        if answer is None:
            sent += [w for _c, w in alice.data_to_send()]
        else:
            answer.poll()
            before = len(net.wires)
            net.pump(alice, answer, "bob")
            sent += net.wires[before:]
    return sent


def test_a_silent_peer_gets_at_most_ake_retries_probes_each_an_otr_data_message() -> None:
    # Plain regression test (nothing tested the probes): bob's client died silently.
    net = Net()
    alice = net.alice()
    _session_with_timb_bob(net, alice)
    msg = alice.send(BOB, SECRET)
    alice.data_to_send()  # to bob's dead client
    probes = _probes(net, alice, 10, answer=None)
    assert len(probes) == AKE_RETRIES
    assert all(peek(w).type == otr_wire.DATA and SECRET not in w for w in probes)
    assert alice.message_state(msg) is MessageState.SENT


def test_a_peer_answering_without_confirming_does_not_get_probes_for_ever() -> None:
    net = Net()
    alice = net.alice()
    bob = _session_with_timb_bob(net, alice)
    msg = alice.send(BOB, SECRET)
    alice.data_to_send()  # the server drops this one message; it passes everything else
    probes = _probes(net, alice, 20, answer=bob)
    # The probe of a TIMB peer carries the message again (test_retransmit.py), bob confirms it.
    assert alice.message_state(msg) is MessageState.DELIVERED
    assert len(probes) <= AKE_RETRIES, f"{len(probes)} probes in 20 minutes, and no end"


def test_no_probe_goes_to_a_key_the_user_distrusted() -> None:
    net = Net()
    alice = net.alice()
    _session_with_timb_bob(net, alice)
    alice.send(BOB, SECRET)
    alice.data_to_send()  # bob does not answer
    fingerprint = alice.their_fingerprint(BOB)
    assert fingerprint is not None
    net.distrusted.add(fingerprint)  # the user marks this key as not bob's (the trust store)
    alice.refresh_trust_and_flush(BOB)
    assert alice.data_to_send() == []
    probes = _probes(net, alice, 5, answer=None)
    assert probes == [], f"{len(probes)} Data Messages to the distrusted key {fingerprint}"
