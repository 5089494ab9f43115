"""The authentication state machine's retransmission and "ignore" rules (Protocol-v3)."""

from __future__ import annotations

from timb.common.random import DeterministicRandom
from timb.otr.ake import AuthenticatedKeyExchange, AuthState
from timb.otr.wire import DHCommit, DHKey, Header, RevealSignature, Signature, parse_encoded

from .otr_link import ALICE_KEY, BOB_KEY, CAROL_KEY

A_TAG, B_TAG = 0x1000, 0x2000


def machines() -> tuple[AuthenticatedKeyExchange, AuthenticatedKeyExchange]:
    bob = AuthenticatedKeyExchange(BOB_KEY, DeterministicRandom(b"bob"), B_TAG)
    alice = AuthenticatedKeyExchange(ALICE_KEY, DeterministicRandom(b"alice"), A_TAG)
    return bob, alice


def test_full_exchange_and_retransmissions() -> None:
    bob, alice = machines()
    commit = parse_encoded(bob.start(3))
    assert bob.state is AuthState.AUTHSTATE_AWAITING_DHKEY
    assert isinstance(commit, DHCommit) and commit.header.receiver_tag == 0
    dh_key_bytes, _ = alice.receive(commit)
    assert alice.state is AuthState.AUTHSTATE_AWAITING_REVEALSIG
    # A repeated commit: "Retransmit your D-H Key Message (the same one...)".
    again, _ = alice.receive(commit)
    assert again == dh_key_bytes
    dh_key = parse_encoded(dh_key_bytes)  # type: ignore[arg-type]
    assert isinstance(dh_key, DHKey) and dh_key.header.receiver_tag == B_TAG
    reveal_bytes, _ = bob.receive(dh_key)
    assert bob.state is AuthState.AUTHSTATE_AWAITING_SIG
    # The same D-H Key again: retransmit the Reveal Signature; a different one: ignore.
    assert bob.receive(dh_key) == (reveal_bytes, None)
    other = DHKey(dh_key.header, dh_key.gy + 1)
    assert bob.receive(other) == (None, None)
    reveal = parse_encoded(reveal_bytes)  # type: ignore[arg-type]
    assert isinstance(reveal, RevealSignature)
    # A Reveal Signature in the wrong state is ignored.
    assert bob.receive(reveal) == (None, None)
    sig_bytes, alice_result = alice.receive(reveal)
    assert alice.state is AuthState.AUTHSTATE_NONE and alice_result is not None
    signature = parse_encoded(sig_bytes)  # type: ignore[arg-type]
    assert isinstance(signature, Signature)
    _, bob_result = bob.receive(signature)
    assert bob.state is AuthState.AUTHSTATE_NONE and bob_result is not None
    assert alice_result.ssid == bob_result.ssid
    assert alice_result.their_public_key == BOB_KEY.public_key()
    assert bob_result.their_public_key == ALICE_KEY.public_key()
    assert bob_result.sent_reveal_signature and not alice_result.sent_reveal_signature
    assert alice_result.their_dh == bob_result.our_dh.public
    assert bob_result.their_dh == alice_result.our_dh.public
    assert (alice_result.their_instance_tag, bob_result.their_instance_tag) == (B_TAG, A_TAG)
    # After completion, stray messages are ignored.
    assert alice.receive(reveal) == (None, None)
    assert bob.receive(signature) == (None, None)


def test_tampered_or_forged_messages_leave_the_state_alone() -> None:
    bob, alice = machines()
    commit = parse_encoded(bob.start(3))
    dh_key = parse_encoded(alice.receive(commit)[0])  # type: ignore[arg-type, index]
    reveal = parse_encoded(bob.receive(dh_key)[0])  # type: ignore[arg-type, index]
    assert isinstance(reveal, RevealSignature)
    bad_mac = RevealSignature(reveal.header, reveal.revealed_key, reveal.encrypted_signature, bytes(20))
    assert alice.receive(bad_mac) == (None, None)
    bad_r = RevealSignature(reveal.header, bytes(16), reveal.encrypted_signature, reveal.mac)
    assert alice.receive(bad_r) == (None, None)
    other_sender = RevealSignature(
        Header(3, 0x11, 0x9999, A_TAG), reveal.revealed_key, reveal.encrypted_signature, reveal.mac
    )
    assert alice.receive(other_sender) == (None, None)
    assert alice.state is AuthState.AUTHSTATE_AWAITING_REVEALSIG
    # A man in the middle with another key cannot complete Bob's exchange either.
    carol = AuthenticatedKeyExchange(CAROL_KEY, DeterministicRandom(b"carol"), A_TAG)
    carol.receive(commit)
    sig_from_carol, _ = carol.receive(reveal)
    assert sig_from_carol is None  # Carol cannot even decrypt: her gy differs
    genuine, result = alice.receive(reveal)
    assert result is not None and genuine is not None


def test_simultaneous_commits_break_the_tie_by_hash() -> None:
    bob, alice = machines()
    commit_b = parse_encoded(bob.start(3))
    commit_a = parse_encoded(alice.start(3))
    assert isinstance(commit_a, DHCommit) and isinstance(commit_b, DHCommit)
    reply_b, _ = bob.receive(commit_a)
    reply_a, _ = alice.receive(commit_b)
    higher, lower = (bob, alice) if commit_b.hashed_gx > commit_a.hashed_gx else (alice, bob)
    # The higher hash resends its commit and keeps waiting; the lower one answers with a D-H Key.
    assert higher.state is AuthState.AUTHSTATE_AWAITING_DHKEY
    assert lower.state is AuthState.AUTHSTATE_AWAITING_REVEALSIG
    resent = reply_b if higher is bob else reply_a
    assert parse_encoded(resent) in (commit_a, commit_b)  # type: ignore[arg-type]


def test_commit_while_awaiting_sig_restarts_as_responder() -> None:
    bob, alice = machines()
    commit = parse_encoded(bob.start(3))
    dh_key = parse_encoded(alice.receive(commit)[0])  # type: ignore[arg-type, index]
    bob.receive(dh_key)
    assert bob.state is AuthState.AUTHSTATE_AWAITING_SIG
    new_commit = parse_encoded(alice.start(3))
    reply, _ = bob.receive(new_commit)
    assert isinstance(parse_encoded(reply), DHKey)  # type: ignore[arg-type]
    assert bob.state is AuthState.AUTHSTATE_AWAITING_REVEALSIG


def test_dh_key_ignored_unless_awaiting() -> None:
    bob, _alice = machines()
    key = DHKey(Header(3, 0x0A, A_TAG, B_TAG), 12345)
    assert bob.receive(key) == (None, None)
    bob.start(3)
    assert bob.receive(DHKey(Header(3, 0x0A, A_TAG, B_TAG), 1)) == (None, None)  # not in the group
    assert bob.state is AuthState.AUTHSTATE_AWAITING_DHKEY
    assert bob.receive(DHKey(Header(2, 0x0A), 12345)) == (None, None)  # wrong version


def test_after_losing_a_crossed_commit_a_dh_key_for_our_commit_is_answered() -> None:
    """libotr (v2) answers a crossed D-H Commit with a D-H Key even when its own hash is higher,
    and waits for our Reveal Signature. We keep our commit's r after losing, so we can continue as
    the initiator instead of both sides stalling in AUTHSTATE_AWAITING_REVEALSIG."""
    for seed in range(20):
        bob = AuthenticatedKeyExchange(BOB_KEY, DeterministicRandom(b"bob%d" % seed), B_TAG)
        commit_b = parse_encoded(bob.start(2))
        alice = AuthenticatedKeyExchange(ALICE_KEY, DeterministicRandom(b"alice"), A_TAG)
        commit_a = parse_encoded(alice.start(2))
        assert isinstance(commit_a, DHCommit) and isinstance(commit_b, DHCommit)
        if commit_b.hashed_gx < commit_a.hashed_gx:
            break
    bob.receive(commit_a)  # Bob loses the comparison: he answers with a D-H Key
    assert bob.state is AuthState.AUTHSTATE_AWAITING_REVEALSIG
    # A libotr-like Alice answers Bob's commit from a fresh context.
    libotr_like = AuthenticatedKeyExchange(ALICE_KEY, DeterministicRandom(b"fresh"), A_TAG)
    dh_key = parse_encoded(libotr_like.receive(commit_b)[0])  # type: ignore[arg-type]
    reveal_bytes, _ = bob.receive(dh_key)
    assert bob.state is AuthState.AUTHSTATE_AWAITING_SIG
    sig_bytes, alice_result = libotr_like.receive(parse_encoded(reveal_bytes))  # type: ignore[arg-type]
    _, bob_result = bob.receive(parse_encoded(sig_bytes))  # type: ignore[arg-type]
    assert alice_result is not None and bob_result is not None
    assert alice_result.ssid == bob_result.ssid
