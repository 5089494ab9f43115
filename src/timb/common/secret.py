"""Secret: a value that cannot print itself.

Keys, passphrases and message plaintext travel in a `Secret` so that a stray log line, repr or
traceback shows ``<redacted>`` instead of the value. Python cannot wipe memory reliably (strings are
immutable and may be copied by the interpreter); see docs/threat-model.md.
"""

from __future__ import annotations

import hmac
from typing import Generic, TypeVar

T = TypeVar("T", str, bytes)


class Secret(Generic[T]):
    """Holds a str or bytes; ``repr``/``str`` never reveal it. ``reveal()`` is the one way in."""

    __slots__ = ("_value",)
    _value: T

    def __init__(self, value: T) -> None:
        self._value = value

    def reveal(self) -> T:
        return self._value

    def __repr__(self) -> str:
        return "<redacted>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "<redacted>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        a, b = self._value, other._value
        if isinstance(a, str) and isinstance(b, str):
            return hmac.compare_digest(a.encode(), b.encode())
        if isinstance(a, bytes) and isinstance(b, bytes):
            return hmac.compare_digest(a, b)
        return False

    def __hash__(self) -> int:
        raise TypeError("Secret is not hashable")

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("Secret cannot be pickled")
