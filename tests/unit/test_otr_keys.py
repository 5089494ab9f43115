"""DSA keys, fingerprints and libotr-compatible signatures (the value is taken modulo q)."""

from __future__ import annotations

import hashlib

import pytest
from Crypto.PublicKey import DSA as CryptodomeDSA
from hypothesis import given, settings
from hypothesis import strategies as st

from timb.common.random import DeterministicRandom
from timb.otr.encoding import Reader
from timb.otr.errors import LocalError, MalformedMessage
from timb.otr.keys import PrivateKey, PublicKey

from .otr_link import ALICE_KEY, BOB_KEY


def test_fingerprint_is_sha1_of_the_key_without_its_type() -> None:
    encoded = ALICE_KEY.public_key().encode()
    assert encoded[:2] == b"\x00\x00"
    digest = hashlib.sha1(encoded[2:]).digest()
    assert ALICE_KEY.fingerprint().digest == digest
    human = ALICE_KEY.fingerprint().human()
    assert len(human) == 44 and human == human.upper() and len(human.split(" ")) == 5


def test_public_key_round_trip_and_rejections() -> None:
    pub = ALICE_KEY.public_key()
    assert PublicKey.read(Reader(pub.encode())) == pub
    with pytest.raises(MalformedMessage):
        PublicKey.read(Reader(b"\x00\x01" + pub.encode()[2:]))  # not DSA
    with pytest.raises(MalformedMessage):
        PublicKey(pub.p, pub.q * 2 + 1, pub.g, pub.y)  # q is not 160 bits / does not divide p-1
    with pytest.raises(MalformedMessage):
        PublicKey(pub.p, pub.q, 1, pub.y)


def test_sign_and_verify() -> None:
    rng = DeterministicRandom(b"sig")
    value = hashlib.sha256(b"M").digest()
    signature = ALICE_KEY.sign(value, rng)
    assert len(signature) == 40
    assert ALICE_KEY.public_key().verify(value, signature)
    assert not BOB_KEY.public_key().verify(value, signature)
    assert not ALICE_KEY.public_key().verify(hashlib.sha256(b"N").digest(), signature)
    assert not ALICE_KEY.public_key().verify(value, signature[:39])
    assert not ALICE_KEY.public_key().verify(value, bytes(40))


def test_the_32_byte_value_is_taken_modulo_q_not_truncated() -> None:
    """Protocol-v3: MB is signed "taken modulo q instead of being truncated (as described in
    FIPS-186)". v and v+q differ in their leading 160 bits but are equal mod q."""
    q = ALICE_KEY.public_key().q
    v = 12345678901234567890
    signature = ALICE_KEY.sign(v.to_bytes(32, "big"), DeterministicRandom(b"q"))
    assert ALICE_KEY.public_key().verify((v + q).to_bytes(32, "big"), signature)
    truncated = int.from_bytes(v.to_bytes(32, "big")[:20], "big")
    assert not ALICE_KEY.public_key().verify(truncated.to_bytes(32, "big"), signature)


def test_signatures_verify_with_an_independent_dsa() -> None:
    """pycryptodome's raw DSA (what python-potr uses) agrees with ours both ways."""
    p, q, g, y, x = ALICE_KEY.numbers()
    theirs = CryptodomeDSA.construct((y, g, p, q, x))
    value = hashlib.sha256(b"interop").digest()
    m = int.from_bytes(value, "big")
    ours = ALICE_KEY.sign(value, DeterministicRandom(b"i"))
    r, s = int.from_bytes(ours[:20], "big"), int.from_bytes(ours[20:], "big")
    assert theirs._verify(m, (r, s))
    r2, s2 = theirs._sign(m, 0xC0FFEE)
    assert ALICE_KEY.public_key().verify(value, r2.to_bytes(20, "big") + s2.to_bytes(20, "big"))


def test_from_numbers_round_trip_and_mismatch() -> None:
    again = PrivateKey.from_numbers(*ALICE_KEY.numbers())
    assert again.fingerprint() == ALICE_KEY.fingerprint()
    p, q, g, y, x = ALICE_KEY.numbers()
    with pytest.raises(LocalError):
        PrivateKey.from_numbers(p, q, g, y, x + 1)
    assert str(x) not in repr(ALICE_KEY)


def test_verify_with_a_hostile_composite_q_returns_false() -> None:
    q = 1 << 159  # 20 bytes, divides p - 1, but s = 2 has no inverse mod q
    key = PublicKey(2 * q + 1, q, 2, 3)
    assert not key.verify(bytes(32), (1).to_bytes(20, "big") + (2).to_bytes(20, "big"))


@settings(max_examples=200, deadline=None)
@given(
    q=st.integers(min_value=1 << 152, max_value=(1 << 160) - 1),
    k=st.integers(min_value=1, max_value=1 << 64),
    g=st.integers(min_value=2),
    y=st.integers(min_value=2),
    value=st.binary(min_size=32, max_size=32),
    signature=st.binary(min_size=0, max_size=41),
)
def test_verify_never_raises_on_hostile_keys(
    q: int, k: int, g: int, y: int, value: bytes, signature: bytes
) -> None:
    p = q * 2 * k + 1
    key = PublicKey(p, q, g % (p - 2) + 2, y % (p - 2) + 2)
    assert key.verify(value, signature) in (True, False)
