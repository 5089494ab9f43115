"""SMP refuses group elements of order 2q (beyond libotr's 2 <= x <= p-2 range check).

p = 2q + 1 is a safe prime: every element but 1 and p-1 has order q or 2q. An element of order 2q,
such as p - g1^a, passes the range check, and a cheating initiator can make its proof of knowledge
verify (pick the proof's nonce until the hash c is even, so (-1)^c = 1). The responder's values
built on it then carry the Legendre symbol of their exponents, which leaks a bit of the secret.
"""

from __future__ import annotations

import copy
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timb.common.random import DeterministicRandom
from timb.otr import modexp
from timb.otr.encoding import Reader, encode_int, encode_mpi
from timb.otr.modexp import DH_MODULUS as P
from timb.otr.modexp import DH_ORDER as Q
from timb.otr.modexp import has_order_q
from timb.otr.smp import SmpCheated, SmpEngine, SmpQuestion, SmpState
from timb.otr.tlv import Tlv, TlvType


def _mpis(value: bytes) -> list[int]:
    reader = Reader(value)
    return [reader.mpi() for _ in range(reader.uint32())]


def _pack(values: list[int]) -> bytes:
    return encode_int(len(values)) + b"".join(encode_mpi(v) for v in values)


def _hash(version: int, value: int) -> int:
    return int.from_bytes(hashlib.sha256(bytes([version]) + encode_mpi(value)).digest(), "big")


def _order_2q_element_with_valid_proof(version: int, rng: DeterministicRandom) -> tuple[int, int, int]:
    """(X, c, D) with X = p - g1^a of order 2q and c == H(version, g1^D X^c), as a cheater makes it."""
    a = int.from_bytes(rng.randbytes(192), "big") % Q
    element = P - pow(2, a, P)
    while True:
        r = int.from_bytes(rng.randbytes(192), "big") % Q
        c = _hash(version, pow(2, r, P))
        if c % 2 == 0:  # X^c = (-1)^c g1^(a c) = g1^(a c)
            return element, c, (r - a * c) % Q


@pytest.mark.parametrize("position", [0, 3])  # g2a or g3a
def test_order_2q_generator_half_with_a_valid_proof_is_refused(position: int) -> None:
    alice, bob = SmpEngine(DeterministicRandom(b"a")), SmpEngine(DeterministicRandom(b"b"))
    [smp1] = alice.start(5)
    values = _mpis(smp1.value)
    version = 1 if position == 0 else 2
    element, c, d = _order_2q_element_with_valid_proof(version, DeterministicRandom(b"cheat"))
    values[position : position + 3] = [element, c, d]
    # Everything libotr (and TIMB before this check) looks at holds: the range and the proof.
    assert 2 <= element <= P - 2 and 1 <= d < Q
    assert _hash(version, pow(2, d, P) * pow(element, c, P) % P) == c
    assert pow(element, Q, P) == P - 1  # order 2q
    outcome = bob.receive(Tlv(TlvType.SMP1, _pack(values)))
    assert outcome.replies == (Tlv(TlvType.SMP_ABORT),)
    assert outcome.events == (SmpCheated("group element not of order q"),)
    assert bob.state is SmpState.SMPSTATE_EXPECT1 and not bob.awaiting_answer
    # The untouched message is still accepted (the check refuses only the cheat).
    fresh = SmpEngine(DeterministicRandom(b"b"))
    assert isinstance(fresh.receive(smp1).events[0], SmpQuestion)


def _steps() -> dict[int, tuple[SmpEngine, Tlv]]:
    """A receiver for each step (2..5) and the genuine TLV it expects."""
    alice, bob = SmpEngine(DeterministicRandom(b"a2")), SmpEngine(DeterministicRandom(b"b2"))
    [smp1] = alice.start(7)
    steps: dict[int, tuple[SmpEngine, Tlv]] = {2: (SmpEngine(DeterministicRandom(b"b2")), smp1)}
    bob.receive(smp1)
    [smp2] = bob.respond(7)
    steps[3] = (copy.deepcopy(alice), smp2)
    [smp3] = alice.receive(smp2).replies
    steps[4] = (copy.deepcopy(bob), smp3)
    [smp4] = bob.receive(smp3).replies
    steps[5] = (alice, smp4)
    return steps


_STEPS = _steps()
# Where the group elements sit in each step's MPIs.
ELEMENTS = {2: (0, 3), 3: (0, 3, 6, 7), 4: (0, 1, 5), 5: (0,)}


@pytest.mark.parametrize(("step", "index"), [(s, i) for s, idx in ELEMENTS.items() for i in idx])
def test_every_received_element_is_checked_for_order_q(step: int, index: int) -> None:
    engine, tlv = _STEPS[step]
    engine = copy.deepcopy(engine)
    values = _mpis(tlv.value)
    values[index] = P - values[index]  # the same element times p-1: order 2q
    assert not has_order_q(values[index]) and 2 <= values[index] <= P - 2
    outcome = engine.receive(Tlv(tlv.type, _pack(values)))
    assert outcome.events == (SmpCheated("group element not of order q"),)
    assert outcome.replies == (Tlv(TlvType.SMP_ABORT),)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=P + 3), st.booleans(), st.booleans())
def test_order_check_equals_the_exponentiation(value: int, square: bool, builtin: bool) -> None:
    if square:
        value = value * value % P  # half the inputs are residues, which random integers rarely hit
    expected = 2 <= value <= P - 2 and pow(value, Q, P) == 1
    legendre = modexp._legendre_builtin if builtin else modexp._legendre_gmp
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(modexp, "_legendre", legendre)
        assert has_order_q(value) is expected


@pytest.mark.parametrize("value", [0, 1, 2, 4, P - 2, P - 1, P, pow(2, Q - 1, P), P - pow(2, 5, P)])
def test_order_check_edges(value: int) -> None:
    expected = 2 <= value <= P - 2 and pow(value, Q, P) == 1
    assert has_order_q(value) is expected
