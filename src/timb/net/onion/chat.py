"""Splitting texts longer than Ricochet's 2000 UTF-16 units into ordered parts, and rejoining
TIMB's parts on arrival (bounded)."""

from __future__ import annotations

from timb.net.onion.errors import OnionUsageError
from timb.net.onion.messages import MESSAGE_MAX_UNITS

# A rejoined text may grow to this many UTF-16 units; beyond it, what arrived is delivered as
# one text and the rest starts a new one (memory stays bounded whatever a peer sends).
MAX_JOINED_UNITS = 64 * MESSAGE_MAX_UNITS
MAX_TEXT_UNITS = MAX_JOINED_UNITS


def split_text(text: str, limit: int = MESSAGE_MAX_UNITS) -> list[str]:
    """``text`` cut into parts of at most ``limit`` UTF-16 units, never inside a surrogate pair.

    Raises:
        OnionUsageError: empty text, or longer than MAX_TEXT_UNITS, or a NUL.
    """
    if not text:
        raise OnionUsageError("a chat text cannot be empty")
    if "\x00" in text:
        raise OnionUsageError("a chat text cannot hold NUL")
    parts: list[str] = []
    start, units, total = 0, 0, 0
    for i, c in enumerate(text):
        width = 2 if ord(c) > 0xFFFF else 1
        if units + width > limit:
            parts.append(text[start:i])
            start, units = i, 0
        units += width
        total += width
    if total > MAX_TEXT_UNITS:
        raise OnionUsageError(f"a chat text is at most {MAX_TEXT_UNITS} UTF-16 units")
    parts.append(text[start:])
    return parts


class Rejoiner:
    """Collects parts marked "more follows" until the last one."""

    __slots__ = ("_ids", "_parts", "_units")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._ids: list[int] = []
        self._units = 0

    def add(self, message_id: int, text: str, units: int, more: bool) -> tuple[tuple[int, ...], str] | None:
        """The whole text and its ids once complete, else None."""
        self._parts.append(text)
        self._ids.append(message_id)
        self._units += units
        if more and self._units < MAX_JOINED_UNITS:
            return None
        done = tuple(self._ids), "".join(self._parts)
        self._parts, self._ids, self._units = [], [], 0
        return done

    def flush(self) -> tuple[tuple[int, ...], str] | None:
        """What arrived of an unfinished text (the channel closed before its last part)."""
        if not self._parts:
            return None
        done = tuple(self._ids), "".join(self._parts)
        self._parts, self._ids, self._units = [], [], 0
        return done
