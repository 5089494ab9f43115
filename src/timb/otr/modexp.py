"""Modular arithmetic for OTR's Diffie-Hellman group and SMP: the one place that chooses a backend.

GMP (gmpy2) is about 8x faster than CPython's pow() for 1536-bit moduli; pow() is the fallback.
Both give identical results; only speed differs.

Two kinds of exponentiation, and the caller must pick the right one:

* secret exponents (D-H private keys, SMP's a2, a3, r4 and proof nonces, the SMP secret, DSA
  nonces): `powmod_secret` only, GMP's mpz_powm_sec, whose time and memory access do not depend
  on the exponent's value.
* public exponents (the D values and hashes of a peer's proofs, DSA verification): `powmod`,
  `powmod2` (a product of two powers) and `FixedBase.power` (g1^e from a precomputed table, about
  5x faster than powmod for 1536-bit exponents). These follow the exponent's bits in their branches
  and table lookups, so a secret given to them would leak through timing and the cache.
"""

from __future__ import annotations

from collections.abc import Callable

# Protocol-v3: "the 1536-bit prime from RFC 3526 (group 5) ... generator 2".
DH_MODULUS = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D"
    "670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF",
    16,
)
DH_GENERATOR = 2
# The group order used by SMP (Protocol-v3: "q = (p-1)/2").
DH_ORDER = (DH_MODULUS - 1) // 2

try:
    import gmpy2 as _gmpy2
except ImportError:  # pragma: no cover - gmpy2 is a declared dependency
    _gmpy2 = None


def _powmod_builtin(base: int, exponent: int, modulus: int) -> int:
    return pow(base, exponent, modulus)


def _powmod_gmp(base: int, exponent: int, modulus: int) -> int:
    return int(_gmpy2.powmod(base, exponent, modulus))


def _powmod_secret_gmp(base: int, exponent: int, modulus: int) -> int:
    if not exponent:
        # mpz_powm_sec refuses 0; the branch tells only that the exponent is 0 (an SMP secret of 0).
        return 1 % modulus
    return int(_gmpy2.powmod_sec(base, exponent, modulus))


def _invert_builtin(value: int, modulus: int) -> int:
    return pow(value, -1, modulus)


def _invert_gmp(value: int, modulus: int) -> int:
    return int(_gmpy2.invert(value, modulus))


powmod: Callable[[int, int, int], int] = _powmod_gmp if _gmpy2 is not None else _powmod_builtin
invert: Callable[[int, int], int] = _invert_gmp if _gmpy2 is not None else _invert_builtin
# For secret exponents (D-H private keys, DSA nonces): GMP's mpz_powm_sec, whose time and memory
# access do not depend on the exponent's value (only on its size: callers fix the bit length). Same
# speed as powmod here. The odd modulus it requires holds for every OTR modulus. The pow() fallback
# promises nothing of the kind.
powmod_secret: Callable[[int, int, int], int] = (
    _powmod_secret_gmp if _gmpy2 is not None and hasattr(_gmpy2, "powmod_sec") else _powmod_builtin
)
BACKEND = "gmpy2" if _gmpy2 is not None else "builtin"


def _straus(a: int, x: int, b: int, y: int, modulus: int) -> int:
    """a^x b^y by simultaneous exponentiation (Straus/Shamir): one chain of squarings for both,
    2 bits of each exponent at a time, from a table of the 16 products a^i b^j (i, j < 4)."""
    lift = _gmpy2.mpz if _gmpy2 is not None else int
    m = lift(modulus)
    pa = [lift(1), lift(a) % m]
    pb = [lift(1), lift(b) % m]
    for _ in range(2):
        pa.append(pa[-1] * pa[1] % m)
        pb.append(pb[-1] * pb[1] % m)
    table = [pa[i] * pb[j] % m for j in range(4) for i in range(4)]
    acc = lift(1)
    shift = (max(x.bit_length(), y.bit_length()) + 1) & ~1
    while shift:
        shift -= 2
        acc = acc * acc % m
        acc = acc * acc % m
        digit = ((x >> shift) & 3) | (((y >> shift) & 3) << 2)
        if digit:
            acc = acc * table[digit] % m
    return int(acc)


def _straus_pays(x_bits: int, y_bits: int) -> bool:
    # Measured on the 2-vCPU host (docs/otr.md, "Performance of the arithmetic"): a Python loop
    # multiplies about 3x slower than GMP does inside powmod, so with gmpy2 Straus only ties two
    # powmods (DSA-1024 verification: 110 vs 108 us) and loses for 1536-bit exponents. With pow()
    # it saves the second chain of squarings: 12.0 ms against 18.6 ms for two 1536-bit exponents,
    # and nothing when one exponent is short (1536 + 256 bits: 10.1 vs 9.7 ms).
    return _gmpy2 is None and 2 * min(x_bits, y_bits) >= max(x_bits, y_bits)


def powmod2(a: int, x: int, b: int, y: int, modulus: int) -> int:
    """a^x b^y mod modulus, for PUBLIC exponents x, y >= 0 (see the module docstring)."""
    if _straus_pays(x.bit_length(), y.bit_length()):
        return _straus(a, x, b, y, modulus)
    return powmod(a, x, modulus) * powmod(b, y, modulus) % modulus


class FixedBase:
    """base^e mod modulus for PUBLIC exponents e, from a table built once: row i holds
    base^(d 2^(w i)) for each w-bit digit d, so a power is one multiplication per nonzero digit of e
    and no squarings (a fixed-window comb). About 256 multiplications for a 1536-bit exponent
    against GMP's ~1,800 inside powmod; the table (w=6: 16,384 residues, ~3 MB) costs about 30 ms
    to build, on first use."""

    __slots__ = ("_base", "_bits", "_modulus", "_rows", "_window")

    def __init__(self, base: int, modulus: int, bits: int, window: int = 6) -> None:
        self._base = base
        self._modulus = modulus
        self._bits = bits
        self._window = window
        self._rows: list[list[int]] | None = None

    def _build(self) -> list[list[int]]:
        lift = _gmpy2.mpz if _gmpy2 is not None else int
        m = lift(self._modulus)
        step = lift(self._base) % m
        rows = []
        for _ in range(-(-self._bits // self._window)):
            row = [lift(1), step]
            for _ in range((1 << self._window) - 2):
                row.append(row[-1] * step % m)
            rows.append(row)
            step = row[-1] * step % m
        return rows

    def power(self, exponent: int) -> int:
        """base^exponent mod modulus; exponents wider than the table go to `powmod`."""
        if exponent < 0 or exponent.bit_length() > self._bits:
            return powmod(self._base, exponent, self._modulus)
        rows = self._rows
        if rows is None:
            rows = self._rows = self._build()
        mask = (1 << self._window) - 1
        m = self._modulus
        acc = rows[0][0]
        index = 0
        while exponent:
            digit = exponent & mask
            if digit:
                acc = acc * rows[index][digit] % m
            exponent >>= self._window
            index += 1
        return int(acc)


# g1 = 2 in the 1536-bit group, for exponents below q (the D values of SMP proofs).
G1_TABLE = FixedBase(DH_GENERATOR, DH_MODULUS, DH_ORDER.bit_length())


def is_valid_group_element(value: int) -> bool:
    """Protocol-v3: check that "2 <= g^x <= modulus-2" for every D-H public value received."""
    return 2 <= value <= DH_MODULUS - 2


def _legendre_gmp(value: int) -> int:
    return int(_gmpy2.legendre(value, DH_MODULUS))


def _legendre_builtin(value: int) -> int:
    # Euler's criterion: value^q is the Legendre symbol (1 or p-1) for a value not divisible by p.
    return 1 if pow(value, DH_ORDER, DH_MODULUS) == 1 else -1


_legendre: Callable[[int], int] = _legendre_gmp if _gmpy2 is not None else _legendre_builtin


def has_order_q(value: int) -> bool:
    """True when `value` is in [2, p-2] and has order q, i.e. lies in the subgroup g generates.

    p = 2q + 1 is a safe prime, so every element but 1 and p-1 has order q or 2q, and by Euler's
    criterion value^q mod p is the Legendre symbol (value | p): the order is q exactly when value is
    a quadratic residue. GMP computes the symbol in microseconds, about 200x less than the
    `pow(value, q, p) == 1` it is equal to (tests/unit/test_smp_order.py checks the two agree).
    """
    return is_valid_group_element(value) and _legendre(value) == 1
