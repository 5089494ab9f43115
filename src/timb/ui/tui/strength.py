"""A rough passphrase strength hint (shown while typing; the vault's KDF does the real work).

The estimate is deliberately pessimistic (at most 3 bits a character, repeats count little) and
knows no dictionary, so it says "rough". Five or more random words are what we recommend.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass

MIN_LENGTH = 10


@dataclass(frozen=True, slots=True)
class Strength:
    bits: int
    label: str  # "too short", "weak", "fair", "good", "strong"


def passphrase_strength(text: str) -> Strength:
    """Estimate entropy from length, character classes and repeats (see the module docstring)."""
    if len(text) < MIN_LENGTH:
        return Strength(0, "too short")
    pool = 0
    for chars, size in (
        (string.ascii_lowercase, 26),
        (string.ascii_uppercase, 26),
        (string.digits, 10),
        (string.punctuation + " ", 33),
    ):
        if any(c in chars for c in text):
            pool += size
    if any(ord(c) > 127 for c in text):
        pool += 64
    # Repeated characters add little: count distinct characters, at most the length.
    effective = min(len(text), len(set(text)) * 2)
    # Without a dictionary "Tr0ub4dor&3" looks random; people's passwords rarely are, so no
    # character is worth more than 3 bits. Long passphrases of several words still score well.
    bits = int(min(effective * math.log2(max(pool, 2)), 3 * len(text)))
    if bits < 45:
        label = "weak"
    elif bits < 65:
        label = "fair"
    elif bits < 85:
        label = "good"
    else:
        label = "strong"
    return Strength(bits, label)
