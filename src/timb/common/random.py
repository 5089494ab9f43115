"""Randomness, passed in so that protocol cores are deterministic under test."""

from __future__ import annotations

import hashlib
import secrets
from typing import Protocol


class Random(Protocol):
    def randbytes(self, n: int) -> bytes:
        """n bytes from a cryptographically secure source."""
        ...


class SystemRandom:
    def randbytes(self, n: int) -> bytes:
        return secrets.token_bytes(n)


class DeterministicRandom:
    """SHA-256 in counter mode over a seed. For tests only: never for real keys."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._counter = 0

    def randbytes(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            self._counter += 1
            out += hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
        return bytes(out[:n])
