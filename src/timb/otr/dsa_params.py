"""Checks that a DSA key read from a file is one OTR can use (FIPS 186 sizes, a real subgroup).

This guards against damaged or hand-edited key files, not against an adversary's primes: the
key is the user's own. Pure arithmetic through `timb.otr.modexp`.
"""

from __future__ import annotations

from timb.otr.modexp import powmod

__all__ = ["dsa_problem", "probably_prime"]

# FIPS 186 sizes: OTR signatures are two 20-byte halves, so q has 160 bits.
_Q_BITS = 160
_P_MIN_BITS = 1024
_P_MAX_BITS = 3072
_MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53)


def dsa_problem(p: int, q: int, g: int, y: int, x: int) -> str | None:
    """What is wrong with (p, q, g, y, x) as a DSA key for OTR, or None."""
    problem = None
    if not _P_MIN_BITS <= p.bit_length() <= _P_MAX_BITS:
        problem = f"DSA p has {p.bit_length()} bits"
    elif q.bit_length() != _Q_BITS:
        problem = f"DSA q has {q.bit_length()} bits, OTR needs 160"
    elif (p - 1) % q:
        problem = "DSA q does not divide p-1"
    elif not (probably_prime(q) and probably_prime(p)):
        problem = "DSA p or q is not prime"
    elif not 1 < g < p or powmod(g, q, p) != 1:
        problem = "DSA g does not generate the order-q subgroup"
    elif not 0 < x < q:
        problem = "DSA x is out of range"
    elif not 1 < y < p or powmod(g, x, p) != y:
        problem = "DSA y does not match x (y != g^x mod p)"
    return problem


def probably_prime(n: int) -> bool:
    """Miller-Rabin with fixed bases: this checks a file for damage, not an adversary's prime."""
    if n < 2 or n % 2 == 0:
        return n == 2
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for base in _MR_BASES:
        if base % n == 0:
            continue
        value = powmod(base, d, n)
        if value in (1, n - 1):
            continue
        for _ in range(s - 1):
            value = powmod(value, 2, n)
            if value == n - 1:
                break
        else:
            return False
    return True
