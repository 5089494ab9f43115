"""Modular arithmetic for OTR's Diffie-Hellman group and SMP: the one place that chooses a backend.

GMP (gmpy2) is about 8x faster than CPython's pow() for 1536-bit moduli; pow() is the fallback.
Both give identical results; only speed differs.
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
