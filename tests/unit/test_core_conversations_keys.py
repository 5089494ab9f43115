"""A hostile server against the self-healing rules (issue 9): it drops, forges and runs its own
AKE under the contact's address. Nothing may go to a key the user did not accept, and nothing
unauthenticated may confirm a message.
"""

from __future__ import annotations

import base64

import pytest

from tests.unit.otr_link import CAROL_KEY
from tests.unit.test_core_conversations import ALICE, BOB, Peer, keys, make, say, world
from timb.common.ids import Fingerprint
from timb.core.conversations import Conversations
from timb.core.events import (
    HeldForKeyChange,
    MessageState,
    OtrState,
    OtrStateChanged,
    ProtocolDowngraded,
)
from timb.otr import Policy, PolicyViolation
from timb.otr.tlv import MAX_ACKS

__all__ = ["keys", "world"]  # fixtures

ERROR = "?OTR Error: You transmitted an unreadable encrypted message."


def _mallory(link, tag: int) -> Peer:
    """The server, as bob, with its own key."""
    mallory = make(BOB, {BOB: CAROL_KEY}, link.clock, b"mallory", tag)
    link.attach(mallory)
    return mallory


def _bob_goes_away_after_a_chat(link, alice: Peer, typed: list[str]) -> str:
    say(alice, BOB, "hello bob, all fine", typed)
    link.pump()
    link.poll()
    link.detach(BOB)
    secret = say(alice, BOB, "the launch code is 0000", typed)
    link.pump()
    assert alice.core.message_state(secret) is MessageState.SENT
    link.waiting[BOB].clear()  # the server keeps it from bob
    return secret


def _held(alice: Peer) -> list[HeldForKeyChange]:
    alice.collect()
    return [e for e in alice.events if isinstance(e, HeldForKeyChange)]


def test_a_new_instance_with_another_key_gets_nothing_resent(world) -> None:
    link, alice, _bob, typed = world
    secret = _bob_goes_away_after_a_chat(link, alice, typed)
    mallory = _mallory(link, 0x6666)
    mallory.core.start(ALICE)
    link.pump()
    link.poll()
    assert mallory.texts() == []
    assert alice.core.message_state(secret) is MessageState.PENDING
    (held,) = _held(alice)
    assert held.ids == (secret,)
    assert held.offered == CAROL_KEY.fingerprint()
    assert alice.core.held(BOB) == [secret]
    alice.core.discard_held(BOB)
    assert alice.core.message_state(secret) is MessageState.FAILED
    assert alice.core.held(BOB) == []


def test_a_rekey_on_bobs_tag_and_an_injected_error_resend_nothing(world) -> None:
    link, alice, _bob, typed = world
    secret = _bob_goes_away_after_a_chat(link, alice, typed)
    mallory = _mallory(link, 0x2222)  # bob's own instance tag
    mallory.core.start(ALICE)
    link.pump()
    link.waiting[ALICE].append((BOB, ERROR))
    link.pump()
    link.poll()
    assert mallory.texts() == []
    assert alice.core.message_state(secret) is MessageState.PENDING  # never DELIVERED by mallory
    assert [h.ids for h in _held(alice)] == [(secret,)]


def test_the_user_may_release_held_messages_to_the_new_key(world) -> None:
    link, alice, _bob, typed = world
    secret = _bob_goes_away_after_a_chat(link, alice, typed)
    mallory = _mallory(link, 0x6666)
    mallory.core.start(ALICE)
    link.pump()
    with pytest.raises(PolicyViolation):  # a key other than the one now offered
        alice.core.release_held(BOB, Fingerprint(bytes(20)))
    assert mallory.texts() == []
    alice.core.release_held(BOB, CAROL_KEY.fingerprint())
    link.pump()
    link.poll()
    assert mallory.texts() == ["the launch code is 0000"]
    assert alice.core.message_state(secret) is MessageState.DELIVERED


def test_the_same_key_on_a_new_instance_still_gets_the_resend(world, keys) -> None:
    link, alice, _bob, typed = world
    secret = _bob_goes_away_after_a_chat(link, alice, typed)
    bob2 = make(BOB, keys, link.clock, b"bob-again", 0x3333)
    link.attach(bob2)
    bob2.core.start(ALICE)
    link.pump()
    link.poll()
    assert bob2.texts() == ["the launch code is 0000"]
    assert alice.core.message_state(secret) is MessageState.DELIVERED
    assert _held(alice) == []


def test_a_verified_new_key_counts_as_the_key(world, keys) -> None:
    link, alice, _bob, typed = world
    _bob_goes_away_after_a_chat(link, alice, typed)
    alice.core._is_verified = lambda _c, fp: fp == CAROL_KEY.fingerprint()
    mallory = _mallory(link, 0x6666)  # here: bob's new, verified key
    mallory.core.start(ALICE)
    link.pump()
    link.poll()
    assert mallory.texts() == ["the launch code is 0000"]
    assert alice.core.otr_state(BOB) is OtrState.PRIVATE_VERIFIED


def _with_known(peer: Peer, known: list[Fingerprint]) -> None:
    peer.core._known_keys = lambda _contact: tuple(known)


def test_a_message_typed_before_any_session_waits_for_the_known_key(world, keys) -> None:
    link, alice, _bob, typed = world
    _with_known(alice, [keys[BOB].fingerprint()])
    link.detach(BOB)
    mallory = _mallory(link, 0x6666)
    secret = say(alice, BOB, "typed before any session", typed)
    link.pump()
    link.poll()
    assert mallory.texts() == []
    assert alice.core.message_state(secret) is MessageState.PENDING
    assert [h.ids for h in _held(alice)] == [(secret,)]
    assert alice.core.otr_state(BOB) is OtrState.PRIVATE_UNVERIFIED  # the new key is shown


def test_a_contact_without_a_known_key_gets_the_first_session(world) -> None:
    link, alice, bob, typed = world
    _with_known(alice, [])
    secret = say(alice, BOB, "first contact ever", typed)
    link.pump()
    link.poll()
    assert bob.texts() == ["first contact ever"]
    assert alice.core.message_state(secret) is MessageState.DELIVERED


def _forged_data(sender: int, receiver: int) -> str:
    """A v3 Data Message with IGNORE_UNREADABLE, recipient keyid 0xFFFFFFFF and a junk MAC."""
    body = bytes([0, 3, 3]) + sender.to_bytes(4, "big") + receiver.to_bytes(4, "big")
    body += b"\x01" + (1).to_bytes(4, "big") + (0xFFFFFFFF).to_bytes(4, "big")
    body += (1).to_bytes(4, "big") + b"\x05" + bytes(8) + (4).to_bytes(4, "big") + b"junk"
    body += b"\xaa" * 20 + (0).to_bytes(4, "big")
    return "?OTR:" + base64.b64encode(body).decode() + "."


def test_a_forged_unreadable_data_message_confirms_nothing(world) -> None:
    link, alice, _bob, typed = world
    secret = _bob_goes_away_after_a_chat(link, alice, typed)
    alice.core.delivery_failed(BOB)  # the session is suspect now
    alice.core.receive(BOB, _forged_data(0x2222, 0x1111))
    assert alice.core.message_state(secret) is MessageState.SENT
    c = alice.core._contacts[BOB]
    assert c.instances.children[0x2222].suspect  # not cleared by a message nobody authenticated
    assert isinstance(alice.core, Conversations)


def test_a_v2_session_after_v3_ones_with_the_same_key_is_a_loud_downgrade(world, keys) -> None:
    link, alice, _bob, typed = world
    say(alice, BOB, "over version 3", typed)
    link.pump()
    link.poll()
    alice.collect()
    states = [e for e in alice.events if isinstance(e, OtrStateChanged) and e.fingerprint]
    assert states[-1].protocol_version == 3
    link.detach(BOB)
    # The server strips "3" from the query: bob (or anyone with bob's key) ends up on version 2.
    v2 = make(BOB, keys, link.clock, b"bob-v2", 0x2223, policy=Policy.ALWAYS & ~Policy.ALLOW_V3)
    link.attach(v2)
    v2.core.start(ALICE)
    link.pump()
    alice.collect()
    (warning,) = [e for e in alice.events if isinstance(e, ProtocolDowngraded)]
    assert (warning.version, warning.previous, warning.fingerprint) == (2, 3, keys[BOB].fingerprint())
    say(alice, BOB, "version 2 still works", typed)
    link.pump()
    assert v2.texts() == ["version 2 still works"]


def test_a_new_key_in_the_same_state_is_reported(world) -> None:
    link, alice, _bob, typed = world
    _bob_goes_away_after_a_chat(link, alice, typed)
    mallory = _mallory(link, 0x6666)
    mallory.core.start(ALICE)
    link.pump()
    alice.collect()
    states = [e for e in alice.events if isinstance(e, OtrStateChanged)]
    assert states[-1].state is OtrState.PRIVATE_UNVERIFIED  # as before: only the key changed
    assert states[-1].fingerprint == CAROL_KEY.fingerprint()


def test_more_messages_than_one_record_acknowledges_are_all_delivered(world) -> None:
    """A record names at most MAX_ACKS ids: a peer that reads more before it writes must owe none
    of them (they were dropped: those messages stayed SENT for ever and were re-sent after a
    crash; found by the real-stack test of 100 messages each way)."""
    link, alice, bob, typed = world
    first = say(alice, BOB, "hello before the burst", typed)
    link.pump()
    link.poll()
    assert alice.core.message_state(first) is MessageState.DELIVERED
    burst = [say(alice, BOB, f"burst line {i:03d} zq", typed) for i in range(3 * MAX_ACKS + 5)]
    link.pump()  # bob reads them all and writes nothing of his own
    link.poll()
    assert bob.texts()[-1] == f"burst line {3 * MAX_ACKS + 4:03d} zq"
    assert [alice.core.message_state(m) for m in burst] == [MessageState.DELIVERED] * len(burst)
