"""SMP engines paired directly (no data messages): outcomes, aborts, and hostile steps."""

from __future__ import annotations

import copy
import hashlib
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import timb.otr.smp as smp_module
from timb.common.random import DeterministicRandom
from timb.otr.encoding import Reader, encode_int, encode_mpi
from timb.otr.errors import LocalError
from timb.otr.modexp import DH_MODULUS, DH_ORDER
from timb.otr.smp import (
    SmpAborted,
    SmpAbortReason,
    SmpCheated,
    SmpEngine,
    SmpFailed,
    SmpOutcome,
    SmpProgress,
    SmpQuestion,
    SmpState,
    SmpSucceeded,
    smp_secret,
)
from timb.otr.tlv import Tlv, TlvType

EXPECT1 = SmpState.SMPSTATE_EXPECT1
FP_A = bytes(range(20))
FP_B = bytes(range(20, 40))
SSID = bytes.fromhex("0102030405060708")


def _pair(seed: bytes = b"smp") -> tuple[SmpEngine, SmpEngine]:
    return SmpEngine(DeterministicRandom(seed + b"-alice")), SmpEngine(DeterministicRandom(seed + b"-bob"))


def _only(outcome: SmpOutcome) -> Tlv:
    assert len(outcome.replies) == 1, outcome
    return outcome.replies[0]


def _run(x: int, y: int, question: str | None = None) -> tuple[SmpOutcome, SmpOutcome]:
    """A full exchange; returns Bob's outcome for SMP3 and Alice's for SMP4."""
    alice, bob = _pair()
    [smp1] = alice.start(x, question)
    assert alice.state is SmpState.SMPSTATE_EXPECT2
    asked = bob.receive(smp1)
    assert asked.replies == ()
    assert asked.events == (SmpQuestion(question),)
    assert bob.awaiting_answer and bob.state is EXPECT1
    [smp2] = bob.respond(y)
    assert bob.state is SmpState.SMPSTATE_EXPECT3
    third = alice.receive(smp2)
    assert third.events == (SmpProgress(60),)
    assert alice.state is SmpState.SMPSTATE_EXPECT4
    bob_done = bob.receive(_only(third))
    alice_done = alice.receive(_only(bob_done))
    assert alice_done.replies == ()
    assert alice.state is EXPECT1 and bob.state is EXPECT1
    assert not alice.in_progress and not bob.in_progress
    return bob_done, alice_done


def test_same_secret_succeeds_on_both_sides() -> None:
    secret = smp_secret(FP_A, FP_B, SSID, b"correct horse")
    bob_done, alice_done = _run(secret, secret)
    assert bob_done.events == (SmpSucceeded(),)
    assert alice_done.events == (SmpSucceeded(),)
    assert alice_done.events[0].verifies_peer


def test_different_secret_fails_on_both_sides() -> None:
    x = smp_secret(FP_A, FP_B, SSID, b"correct horse")
    y = smp_secret(FP_A, FP_B, SSID, b"correct h0rse")
    bob_done, alice_done = _run(x, y)
    assert bob_done.events == (SmpFailed(),)
    assert alice_done.events == (SmpFailed(),)


def test_question_arrives_and_only_the_asker_verifies() -> None:
    secret = smp_secret(FP_A, FP_B, SSID, b"Zurich")
    question = "Where did we meet? \u00e9\u4e2d"
    bob_done, alice_done = _run(secret, secret, question)
    [bob_event] = bob_done.events
    [alice_event] = alice_done.events
    assert isinstance(bob_event, SmpSucceeded) and not bob_event.verifies_peer
    assert isinstance(alice_event, SmpSucceeded) and alice_event.verifies_peer


def test_question_wire_format_is_utf8_nul_then_mpis() -> None:
    alice, _ = _pair()
    [tlv] = alice.start(7, "wer?")
    assert tlv.type == TlvType.SMP1Q
    question, _, mpis = tlv.value.partition(b"\0")
    assert question == b"wer?"
    assert Reader(mpis).uint32() == 6


def test_empty_question_is_a_question() -> None:
    alice, bob = _pair()
    [tlv] = alice.start(7, "")
    assert bob.receive(tlv).events == (SmpQuestion(""),)


def test_smp_secret_is_sha256_of_spec_fields_in_initiator_order() -> None:
    expected = hashlib.sha256(b"\x01" + FP_A + FP_B + SSID + b"secret").digest()
    assert smp_secret(FP_A, FP_B, SSID, b"secret") == int.from_bytes(expected, "big")
    assert smp_secret(FP_B, FP_A, SSID, b"secret") != smp_secret(FP_A, FP_B, SSID, b"secret")
    with pytest.raises(LocalError):
        smp_secret(FP_A[:19], FP_B, SSID, b"s")
    with pytest.raises(LocalError):
        smp_secret(FP_A, FP_B, SSID[:7], b"s")


def test_deterministic_under_deterministic_random() -> None:
    a1, _ = _pair(b"same")
    a2, _ = _pair(b"same")
    assert a1.start(5) == a2.start(5)


@pytest.mark.parametrize("aborter", ["alice", "bob"])
@pytest.mark.parametrize("after", [1, 2, 3])
def test_abort_mid_way_resets_both(aborter: str, after: int) -> None:
    alice, bob = _pair()
    [msg] = alice.start(11)
    bob.receive(msg)
    if after >= 2:
        [msg] = bob.respond(11)
    if after >= 3:
        msg = _only(alice.receive(msg))
    assert alice.in_progress and bob.in_progress
    me, peer = (alice, bob) if aborter == "alice" else (bob, alice)
    abort = me.abort()
    assert abort == Tlv(TlvType.SMP_ABORT)
    assert me.state is EXPECT1 and not me.in_progress
    outcome = peer.receive(abort)
    assert outcome.replies == ()
    assert outcome.events == (SmpAborted(SmpAbortReason.PEER_ABORTED),)
    assert peer.state is EXPECT1 and not peer.in_progress
    if after >= 2:
        # The step that was in flight arrives after the abort: refused with an abort of its own.
        receiver = alice if after == 2 else bob
        late = receiver.receive(msg)
        assert late.replies == (Tlv(TlvType.SMP_ABORT),)
        assert late.events == (SmpAborted(SmpAbortReason.OUT_OF_ORDER),)
        assert receiver.state is EXPECT1
    # And a fresh run still works afterwards.
    [smp1] = alice.start(3)
    bob.receive(smp1)
    [smp2] = bob.respond(3)
    done = bob.receive(_only(alice.receive(smp2)))
    assert done.events == (SmpSucceeded(),)


def test_respond_without_request_is_a_local_error() -> None:
    alice, _ = _pair()
    with pytest.raises(LocalError):
        alice.respond(1)


@pytest.mark.parametrize("secret", [-1, DH_ORDER])
def test_secret_out_of_range_is_a_local_error(secret: int) -> None:
    alice, _ = _pair()
    with pytest.raises(LocalError):
        alice.start(secret)
    assert alice.state is EXPECT1


def test_question_with_nul_or_too_long_is_a_local_error() -> None:
    alice, _ = _pair()
    with pytest.raises(LocalError):
        alice.start(1, "a\0b")
    with pytest.raises(LocalError):
        alice.start(1, "x" * 70_000)
    assert alice.state is EXPECT1 and not alice.in_progress
    # A refused restart leaves the running exchange alone.
    alice.start(1)
    with pytest.raises(LocalError):
        alice.start(1, "x" * (0xFFFF - 800))
    assert alice.state is SmpState.SMPSTATE_EXPECT2


def test_longest_question_fits_in_a_tlv() -> None:
    alice, bob = _pair()
    [tlv] = alice.start(1, "x" * (0xFFFF - 861))
    assert len(tlv.encode()) <= 0xFFFF + 4
    assert bob.receive(tlv).events == (SmpQuestion("x" * (0xFFFF - 861)),)


def test_restart_while_in_progress_sends_abort_first() -> None:
    alice, bob = _pair()
    [smp1] = alice.start(9)
    bob.receive(smp1)
    [smp2] = bob.respond(9)
    alice.receive(smp2)  # alice in EXPECT4, bob in EXPECT3
    abort, new_smp1 = alice.start(9, "again?")
    assert abort.type == TlvType.SMP_ABORT and new_smp1.type == TlvType.SMP1Q
    assert bob.receive(abort).events == (SmpAborted(SmpAbortReason.PEER_ABORTED),)
    assert bob.receive(new_smp1).events == (SmpQuestion("again?"),)
    [smp2] = bob.respond(9)
    bob_done = bob.receive(_only(alice.receive(smp2)))
    assert bob_done.events == (SmpSucceeded(answered_question=True),)
    assert alice.receive(_only(bob_done)).events == (SmpSucceeded(),)


def test_a_second_smp1_replaces_one_waiting_for_an_answer() -> None:
    alice, bob = _pair()
    [first] = alice.start(1, "first?")
    bob.receive(first)
    [second] = alice.start(2, "second?")[-1:]
    assert bob.receive(second).events == (SmpQuestion("second?"),)
    [smp2] = bob.respond(2)
    assert bob.receive(_only(alice.receive(smp2))).events == (SmpSucceeded(answered_question=True),)


@pytest.mark.parametrize("step", [0, 1, 2])
def test_abandon_tells_the_user_only_when_something_was_running(step: int) -> None:
    alice, bob = _pair()
    assert alice.abandon() == SmpOutcome()
    [smp1] = alice.start(1)
    if step >= 1:
        bob.receive(smp1)
    if step >= 2:
        bob.respond(1)
    engine = bob if step else alice
    assert engine.abandon() == SmpOutcome(events=(SmpAborted(SmpAbortReason.SESSION_ENDED),))
    assert not engine.in_progress and engine.state is EXPECT1
    assert engine.abandon() == SmpOutcome()


def test_reset_forgets_everything() -> None:
    alice, bob = _pair()
    [smp1] = alice.start(1)
    bob.receive(smp1)
    bob.reset()
    assert not bob.awaiting_answer
    with pytest.raises(LocalError):
        bob.respond(1)


def test_non_smp_tlvs_are_ignored() -> None:
    alice, _ = _pair()
    alice.start(1)
    for tlv in (Tlv(TlvType.PADDING, b"\0" * 8), Tlv(TlvType.DISCONNECTED), Tlv(0x1234, b"x")):
        assert alice.receive(tlv) == SmpOutcome()
    assert alice.state is SmpState.SMPSTATE_EXPECT2


# ---- out-of-order steps -----------------------------------------------------------------------


def _messages() -> dict[int, Tlv]:
    """One genuine TLV of each step from a reference run."""
    alice, bob = _pair(b"reference")
    [smp1] = alice.start(5)
    bob.receive(smp1)
    [smp2] = bob.respond(5)
    smp3 = _only(alice.receive(smp2))
    smp4 = _only(bob.receive(smp3))
    return {2: smp1, 3: smp2, 4: smp3, 5: smp4}


MESSAGES = _messages()


def _engine_in(state: SmpState) -> SmpEngine:
    return copy.deepcopy(_ENGINES[state])


def _make_engine_in(state: SmpState) -> SmpEngine:
    alice, bob = _pair(b"state")
    if state is EXPECT1:
        return alice
    [smp1] = alice.start(5)
    if state is SmpState.SMPSTATE_EXPECT2:
        return alice
    bob.receive(smp1)
    [smp2] = bob.respond(5)
    if state is SmpState.SMPSTATE_EXPECT3:
        return bob
    alice.receive(smp2)
    return alice


_ENGINES = {state: _make_engine_in(state) for state in SmpState}

ACCEPTED = {
    SmpState.SMPSTATE_EXPECT1: 2,
    SmpState.SMPSTATE_EXPECT2: 3,
    SmpState.SMPSTATE_EXPECT3: 4,
    SmpState.SMPSTATE_EXPECT4: 5,
}


OUT_OF_ORDER = [
    (state, tlv_type)
    for state in SmpState
    for tlv_type in (2, 3, 4, 5, 7)
    if ACCEPTED[state] != tlv_type and not (state is EXPECT1 and tlv_type == 7)
]


@pytest.mark.parametrize(("state", "tlv_type"), OUT_OF_ORDER)
def test_out_of_order_steps_abort(state: SmpState, tlv_type: int) -> None:
    engine = _engine_in(state)
    value = MESSAGES[tlv_type].value if tlv_type in MESSAGES else b"q\0" + MESSAGES[2].value
    outcome = engine.receive(Tlv(tlv_type, value))
    assert outcome.replies == (Tlv(TlvType.SMP_ABORT),)
    assert outcome.events == (SmpAborted(SmpAbortReason.OUT_OF_ORDER),)
    assert engine.state is EXPECT1 and not engine.in_progress


# ---- hostile steps ----------------------------------------------------------------------------


def _receiver_for(step: int) -> tuple[SmpEngine, Tlv]:
    """A fresh engine expecting `step` (2..5) and the genuine TLV for it."""
    engine, tlv = _RECEIVERS[step]
    return copy.deepcopy(engine), tlv


def _make_receiver_for(step: int) -> tuple[SmpEngine, Tlv]:
    alice, bob = _pair(b"hostile")
    [smp1] = alice.start(5)
    if step == 2:
        return bob, smp1
    bob.receive(smp1)
    [smp2] = bob.respond(5)
    if step == 3:
        return alice, smp2
    smp3 = _only(alice.receive(smp2))
    if step == 4:
        return bob, smp3
    return alice, _only(bob.receive(smp3))


_RECEIVERS = {step: _make_receiver_for(step) for step in (2, 3, 4, 5)}


def _mpis(value: bytes) -> list[int]:
    reader = Reader(value)
    return [reader.mpi() for _ in range(reader.uint32())]


def _pack(values: list[int], count: int | None = None) -> bytes:
    return encode_int(len(values) if count is None else count) + b"".join(encode_mpi(v) for v in values)


def _assert_cheat_handled(engine: SmpEngine, tlv: Tlv) -> None:
    outcome = engine.receive(tlv)
    assert outcome.replies == (Tlv(TlvType.SMP_ABORT),)
    assert len(outcome.events) == 1 and isinstance(outcome.events[0], SmpCheated)
    assert engine.state is EXPECT1 and not engine.in_progress


MPI_COUNTS = {2: 6, 3: 11, 4: 8, 5: 3}
STEP_MPI = [(step, i) for step, n in MPI_COUNTS.items() for i in range(n)]


def test_genuine_messages_are_accepted_by_the_helper() -> None:
    # Guards the hostile tests below: without tampering, each step is accepted.
    for step in MPI_COUNTS:
        engine, tlv = _receiver_for(step)
        outcome = engine.receive(tlv)
        assert not any(isinstance(e, (SmpCheated, SmpAborted)) for e in outcome.events)


@pytest.mark.parametrize(("step", "index"), STEP_MPI)
@pytest.mark.parametrize("bit", [0, 77])
def test_flipping_a_bit_in_any_mpi_is_caught(step: int, index: int, bit: int) -> None:
    engine, tlv = _receiver_for(step)
    values = _mpis(tlv.value)
    values[index] ^= 1 << bit
    _assert_cheat_handled(engine, Tlv(tlv.type, _pack(values)))


@pytest.mark.parametrize(("step", "index"), STEP_MPI)
@pytest.mark.parametrize("bad", [0, 1, DH_MODULUS - 1, DH_MODULUS, DH_ORDER, 1 << 256])
def test_out_of_range_values_are_caught(step: int, index: int, bad: int) -> None:
    engine, tlv = _receiver_for(step)
    values = _mpis(tlv.value)
    values[index] = bad
    _assert_cheat_handled(engine, Tlv(tlv.type, _pack(values)))


@pytest.mark.parametrize("step", list(MPI_COUNTS))
def test_truncated_wrong_count_and_trailing_bytes_are_caught(step: int) -> None:
    values = _mpis(_receiver_for(step)[1].value)
    bad_values = [
        b"",
        b"\0\0\0",
        _pack(values)[:-1],
        _pack(values)[: len(_pack(values)) // 2],
        _pack(values[:-1]),
        _pack([*values, 5]),
        _pack(values, count=len(values) + 1),
        _pack(values, count=len(values) - 1),
        _pack(values) + b"\0",
        encode_int(0xFFFFFFFF) + _pack(values)[4:],
    ]
    for value in bad_values:
        engine, tlv = _receiver_for(step)
        _assert_cheat_handled(engine, Tlv(tlv.type, value))


def test_smp1q_without_nul_or_empty_is_caught() -> None:
    for value in (b"", b"no terminator"):
        _, bob = _pair()
        _assert_cheat_handled(bob, Tlv(TlvType.SMP1Q, value))


def test_replayed_smp1_from_peer_is_refused_as_smp2() -> None:
    # Proof versions separate the steps: Alice's SMP1 proofs do not pass as Bob's SMP2 proofs.
    engine, smp2 = _receiver_for(3)
    values = _mpis(smp2.value)
    smp1_values = _mpis(MESSAGES[2].value)
    values[:6] = smp1_values
    _assert_cheat_handled(engine, Tlv(TlvType.SMP2, _pack(values)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    state=st.sampled_from(list(SmpState)),
    tlv_type=st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8, 99]),
    payload=st.one_of(
        st.binary(max_size=600),
        st.lists(st.integers(min_value=0, max_value=DH_MODULUS + 5), max_size=12).map(_pack),
    ),
    question=st.booleans(),
)
def test_arbitrary_tlvs_never_raise(state: SmpState, tlv_type: int, payload: bytes, question: bool) -> None:
    engine = _engine_in(state)
    value = (b"q\0" + payload) if question and tlv_type == 7 else payload
    outcome = engine.receive(Tlv(tlv_type, value))
    assert isinstance(outcome, SmpOutcome)
    for event in outcome.events:
        if isinstance(event, (SmpCheated, SmpAborted)):
            assert engine.state is EXPECT1
    assert all(t.type == TlvType.SMP_ABORT for t in outcome.replies)


# ---- values whose proofs verify but which the range checks must refuse ---------------------------

# Where the D exponents sit in each step (libotr check_expon); g1 has order q, so D + q passes the
# proofs, and only the range check stops it.
EXPONENT_INDEXES = {2: (2, 5), 3: (2, 5, 9, 10), 4: (3, 4, 7), 5: (2,)}


@pytest.mark.parametrize(("step", "index"), [(s, i) for s, idx in EXPONENT_INDEXES.items() for i in idx])
def test_exponent_plus_q_is_refused_although_the_proof_holds(step: int, index: int) -> None:
    engine, tlv = _receiver_for(step)
    values = _mpis(tlv.value)
    values[index] += DH_ORDER
    _assert_cheat_handled(engine, Tlv(tlv.type, _pack(values)))


def _forged_know_log(element: int, version: int, rng: DeterministicRandom) -> tuple[int, int]:
    """A valid proof "c = H(v, g1^D element^c)" for element 1 or p-1 (whose logs are 0 or none)."""
    while True:
        r = int.from_bytes(rng.randbytes(192), "big") % DH_ORDER
        digest = hashlib.sha256(bytes([version]) + encode_mpi(pow(2, r, DH_MODULUS))).digest()
        c = int.from_bytes(digest, "big")
        if element == 1 or c % 2 == 0:  # (p-1)^c == 1 when c is even
            return c, r


@pytest.mark.parametrize("degenerate", [1, DH_MODULUS - 1])
@pytest.mark.parametrize("position", [0, 3])
def test_degenerate_generator_halves_are_refused(degenerate: int, position: int) -> None:
    # g2a = 1 would make g2 = 1 and the comparison independent of the secrets.
    _, bob = _pair()
    values = _mpis(_receiver_for(2)[1].value)
    version = 1 if position == 0 else 2
    c, d = _forged_know_log(degenerate, version, DeterministicRandom(b"forge"))
    values[position : position + 3] = [degenerate, c, d]
    # The forged proof itself is valid:
    lhs = pow(2, d, DH_MODULUS) * pow(degenerate, c, DH_MODULUS) % DH_MODULUS
    assert int.from_bytes(hashlib.sha256(bytes([version]) + encode_mpi(lhs)).digest(), "big") == c
    _assert_cheat_handled(bob, Tlv(TlvType.SMP1, _pack(values)))


def test_huge_hash_values_are_refused_before_any_exponentiation(monkeypatch: pytest.MonkeyPatch) -> None:
    real_powmod, real_powmod2 = smp_module.powmod, smp_module.powmod2

    def bounded_powmod(base: int, exponent: int, modulus: int) -> int:
        assert exponent.bit_length() <= 1536
        return real_powmod(base, exponent, modulus)

    def bounded_powmod2(a: int, x: int, b: int, y: int, modulus: int) -> int:
        assert max(x.bit_length(), y.bit_length()) <= 1536
        return real_powmod2(a, x, b, y, modulus)

    monkeypatch.setattr(smp_module, "powmod", bounded_powmod)
    monkeypatch.setattr(smp_module, "powmod2", bounded_powmod2)
    for step, c_index in ((2, 1), (3, 8), (4, 6), (5, 1)):
        engine, tlv = _receiver_for(step)
        values = _mpis(tlv.value)
        values[c_index] = (1 << 400_000) + 3
        _assert_cheat_handled(engine, Tlv(tlv.type, _pack(values)))


# ---- against python-potr's SMP (the same maths, written independently) ---------------------------


class _PotrContext:
    """What potr's SMPHandler needs from its context: a way to send and our fingerprint."""

    def __init__(self, ours: bytes) -> None:
        self.sent: list[Tlv] = []
        self.trust: str | None = None
        self.user = SimpleNamespace(getPrivkey=lambda: SimpleNamespace(fingerprint=lambda: ours))

    def sendInternal(self, msg: bytes, tlvs: list[Any], appdata: object = None) -> None:
        self.sent.extend(Tlv(t.typ, t.getPayload()) for t in tlvs)

    def setCurrentTrust(self, trust: str) -> None:
        self.trust = trust


def _potr_peer(ours: bytes, theirs: bytes) -> tuple[Any, _PotrContext]:
    crypt = pytest.importorskip("potr.crypt")
    ctx = _PotrContext(ours)
    crypto = SimpleNamespace(ctx=ctx, theirPubkey=SimpleNamespace(fingerprint=lambda: theirs), sessionId=SSID)
    return crypt.SMPHandler(crypto), ctx


def _to_potr(tlv: Tlv) -> Any:
    proto = pytest.importorskip("potr.proto")
    [parsed] = proto.TLV.parse(tlv.encode())
    return parsed


@pytest.mark.interop
@pytest.mark.parametrize("same", [True, False])
@pytest.mark.parametrize("question", [None, "Wo?"])
def test_timb_initiates_against_potr(same: bool, question: str | None) -> None:
    alice = SmpEngine(DeterministicRandom(b"timb-alice"))
    potr_bob, ctx = _potr_peer(ours=FP_B, theirs=FP_A)
    [smp1] = alice.start(smp_secret(FP_A, FP_B, SSID, b"hunter2"), question)
    potr_bob.handle(_to_potr(smp1))
    assert potr_bob.state == 0  # potr waits for its user's secret
    potr_bob.gotSecret(b"hunter2" if same else b"hunter3")
    [smp2] = ctx.sent
    smp3 = _only(alice.receive(smp2))
    potr_bob.handle(_to_potr(smp3))
    [last] = ctx.sent[1:]
    if same:
        assert last.type == TlvType.SMP4
        assert alice.receive(last).events == (SmpSucceeded(),)
        assert ctx.trust == ("smp" if question is None else None)
    else:
        # potr answers a failed comparison with an abort instead of SMP4.
        assert last.type == TlvType.SMP_ABORT
        assert alice.receive(last).events == (SmpAborted(SmpAbortReason.PEER_ABORTED),)
        assert ctx.trust == ""
    assert alice.state is EXPECT1


@pytest.mark.interop
@pytest.mark.parametrize("same", [True, False])
@pytest.mark.parametrize("question", [None, "Wo?"])
def test_potr_initiates_against_timb(same: bool, question: str | None) -> None:
    potr_alice, ctx = _potr_peer(ours=FP_A, theirs=FP_B)
    bob = SmpEngine(DeterministicRandom(b"timb-bob"))
    potr_alice.gotSecret(b"hunter2", question=None if question is None else question.encode())
    [smp1] = ctx.sent
    assert bob.receive(smp1).events == (SmpQuestion(question),)
    [smp2] = bob.respond(smp_secret(FP_A, FP_B, SSID, b"hunter2" if same else b"hunter3"))
    potr_alice.handle(_to_potr(smp2))
    [smp3] = ctx.sent[1:]
    done = bob.receive(smp3)
    if same:
        assert done.events == (SmpSucceeded(answered_question=question is not None),)
        potr_alice.handle(_to_potr(_only(done)))
        assert ctx.trust == "smp"
    else:
        assert done.events == (SmpFailed(),)
        potr_alice.handle(_to_potr(_only(done)))
        assert ctx.trust == ""
