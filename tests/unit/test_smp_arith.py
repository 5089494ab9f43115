"""The fast arithmetic of `timb.otr.modexp` equals plain pow(), and SMP gives it no secret.

`FixedBase` (a precomputed comb) and `powmod2` (Straus, or two powmods) serve public exponents
only; every exponent SMP draws or is given as a secret must reach `powmod_secret` and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import timb.otr.smp as smp_module
from timb.common.random import DeterministicRandom
from timb.otr import modexp
from timb.otr.modexp import DH_MODULUS as P
from timb.otr.modexp import DH_ORDER as Q
from timb.otr.modexp import G1_TABLE, FixedBase, powmod2, powmod_secret
from timb.otr.smp import SmpEngine, SmpSucceeded

_odd_moduli = st.integers(min_value=3, max_value=(1 << 1600)).map(lambda m: m | 1)
_exponents = st.integers(min_value=0, max_value=(1 << 1600))


@settings(max_examples=40, deadline=None)
@given(exponent=st.one_of(st.integers(min_value=0, max_value=Q - 1), _exponents))
def test_g1_table_equals_pow(exponent: int) -> None:
    assert G1_TABLE.power(exponent) == pow(2, exponent, P)


@settings(max_examples=40, deadline=None)
@given(
    base=st.integers(min_value=0, max_value=1 << 1600),
    modulus=_odd_moduli,
    bits=st.integers(min_value=1, max_value=300),
    window=st.integers(min_value=1, max_value=7),
    exponent=st.integers(min_value=0, max_value=1 << 320),
)
def test_fixed_base_equals_pow(base: int, modulus: int, bits: int, window: int, exponent: int) -> None:
    table = FixedBase(base, modulus, bits, window)
    assert table.power(exponent) == pow(base, exponent, modulus)  # wider exponents fall back
    assert table.power(exponent >> max(0, exponent.bit_length() - bits)) == pow(
        base, exponent >> max(0, exponent.bit_length() - bits), modulus
    )


@settings(max_examples=60, deadline=None)
@given(
    a=st.integers(min_value=0, max_value=1 << 1600),
    b=st.integers(min_value=0, max_value=1 << 1600),
    x=_exponents,
    y=_exponents,
    modulus=st.one_of(st.just(P), _odd_moduli),
)
def test_products_of_two_powers_equal_pow(a: int, b: int, x: int, y: int, modulus: int) -> None:
    expected = pow(a, x, modulus) * pow(b, y, modulus) % modulus
    assert powmod2(a, x, b, y, modulus) == expected
    assert modexp._straus(a, x, b, y, modulus) == expected


@settings(max_examples=30, deadline=None)
@given(base=st.integers(min_value=0, max_value=P), exponent=st.integers(min_value=0, max_value=1 << 1536))
def test_secret_powmod_equals_pow(base: int, exponent: int) -> None:
    assert powmod_secret(base, exponent, P) == pow(base, exponent, P)


class _Recording:
    """DeterministicRandom that remembers every 192-byte exponent SMP draws."""

    def __init__(self, seed: bytes) -> None:
        self._rng = DeterministicRandom(seed)
        self.exponents: set[int] = set()

    def randbytes(self, n: int) -> bytes:
        out = self._rng.randbytes(n)
        self.exponents.add(int.from_bytes(out, "big"))
        return out


def _spy(calls: list[int], real: Callable[..., int], positions: tuple[int, ...]) -> Callable[..., int]:
    def wrapper(*args: Any) -> int:
        calls.extend(args[i] for i in positions)
        return real(*args)

    return wrapper


def test_smp_sends_every_secret_exponent_to_powmod_secret_only(monkeypatch: pytest.MonkeyPatch) -> None:
    public: list[int] = []
    secret: list[int] = []
    monkeypatch.setattr(smp_module, "powmod", _spy(public, smp_module.powmod, (1,)))
    monkeypatch.setattr(smp_module, "powmod2", _spy(public, smp_module.powmod2, (1, 3)))
    monkeypatch.setattr(smp_module, "powmod_secret", _spy(secret, smp_module.powmod_secret, (1,)))
    table = smp_module.G1_TABLE
    monkeypatch.setattr(
        smp_module, "G1_TABLE", type("T", (), {"power": staticmethod(_spy(public, table.power, (0,)))})
    )
    rng_a, rng_b = _Recording(b"alice"), _Recording(b"bob")
    alice, bob = SmpEngine(rng_a), SmpEngine(rng_b)
    x = 0xC0FFEE << 200
    [smp1] = alice.start(x)
    bob.receive(smp1)
    [smp2] = bob.respond(x)
    [smp3] = alice.receive(smp2).replies
    bob_done = bob.receive(smp3)
    [smp4] = bob_done.replies
    assert alice.receive(smp4).events == (SmpSucceeded(),) and bob_done.events == (SmpSucceeded(),)
    secrets = rng_a.exponents | rng_b.exponents | {x}
    assert len(secrets) == 1 + 2 * 8 and public and secret  # x; per side a2 a3, two nonces, r4 r5 r6 r7
    assert not secrets & set(public)
    assert secrets <= set(secret)
