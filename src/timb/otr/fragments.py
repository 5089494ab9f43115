"""Fragmentation (Protocol-v3, "Fragmentation"): splitting encoded messages for networks with a small
maximum message size, and reassembling received fragments with bounds on memory.

Sending uses libotr's format, with zero-padded fields:
version 3 ``?OTR|%08x|%08x,%05hu,%05hu,<piece>,``, version 2 ``?OTR,%05hu,%05hu,<piece>,``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from timb.otr.errors import LocalError
from timb.otr.instance_tags import is_for_us, is_valid_sender

V3_MARKER = "?OTR|"
V2_MARKER = "?OTR,"
_V3_OVERHEAD = len("?OTR|00000000|00000000,00000,00000,,")
_V2_OVERHEAD = len("?OTR,00000,00000,,")
_MAX_PIECES = 0xFFFF  # "k and n are unsigned short ints (2 bytes)"
# The fields "may have leading zeroes"; a piece is non-empty and holds no comma.
# ASCII digits only, as libotr's sscanf("%hu"): "\d" alone would also take other scripts' digits.
_V3 = re.compile(r"\?OTR\|([0-9a-fA-F]{1,8})\|([0-9a-fA-F]{1,8}),0*(\d{1,5}),0*(\d{1,5}),([^,]+),", re.ASCII)
_V2 = re.compile(r"\?OTR,0*(\d{1,5}),0*(\d{1,5}),([^,]+),", re.ASCII)

# Defaults for reassembly: an OTR message we would accept is far smaller than this.
DEFAULT_MAX_MESSAGE_CHARS = 1 << 20
DEFAULT_MAX_FRAGMENTS = 8192


def fragment(
    message: str, max_size: int | None, version: int, sender_tag: int, receiver_tag: int
) -> list[str]:
    """Split an encoded message into fragments of at most `max_size` characters (if it needs it).

    Raises:
        LocalError: `max_size` is too small to carry any piece, or would need more than 65535.
    """
    if max_size is None or len(message) <= max_size:
        return [message]
    overhead = _V3_OVERHEAD if version == 3 else _V2_OVERHEAD
    room = max_size - overhead
    if room < 1:
        raise LocalError("max_fragment_size is too small for OTR fragments")
    pieces = [message[i : i + room] for i in range(0, len(message), room)]
    n = len(pieces)
    if n > _MAX_PIECES:
        raise LocalError("message needs more than 65535 fragments")
    if version == 3:
        prefix = f"?OTR|{sender_tag:08x}|{receiver_tag:08x},"
        return [f"{prefix}{k:05d},{n:05d},{piece}," for k, piece in enumerate(pieces, 1)]
    return [f"?OTR,{k:05d},{n:05d},{piece}," for k, piece in enumerate(pieces, 1)]


def is_fragment(text: str) -> bool:
    """Protocol-v3: check for "?OTR|" (and v2's "?OTR,") "before checking for any of the other
    '?OTR:' markers"."""
    return V3_MARKER in text or V2_MARKER in text


class Outcome(enum.Enum):
    INCOMPLETE = "incomplete"  # stored (or discarded), nothing to process yet
    COMPLETE = "complete"
    DISCARDED = "discarded"  # illegal, not for us, or over the bounds


@dataclass(frozen=True, slots=True)
class Received:
    outcome: Outcome
    version: int = 0
    sender_tag: int = 0
    message: str = ""
    reason: str = ""


class Reassembler:
    """The spec's (K, N, F) state for one correspondent, bounded in count and size."""

    def __init__(
        self, max_chars: int = DEFAULT_MAX_MESSAGE_CHARS, max_fragments: int = DEFAULT_MAX_FRAGMENTS
    ) -> None:
        self._max_chars = max_chars
        self._max_fragments = max_fragments
        self.forget()

    def forget(self) -> None:
        """ "Forget any stored fragment you may have, store "" as F and store (0,0) as (K,N)." """
        if getattr(self, "_n", 1) == 0:
            return  # nothing stored (the common case: called for every unfragmented message)
        self._k = 0
        self._n = 0
        self._pieces: list[str] = []
        self._size = 0
        self._version = 0
        self._sender = 0

    def feed(  # noqa: PLR0911 - one return per rule of the spec
        self, text: str, our_tag: int, allowed_versions: frozenset[int]
    ) -> Received:
        """Take one received fragment (`is_fragment(text)` must hold)."""
        parsed = self._parse(text)
        if parsed is None:
            return Received(Outcome.DISCARDED, reason="unparsable fragment")
        version, sender, receiver, k, n, piece = parsed
        if version not in allowed_versions:
            return Received(Outcome.DISCARDED, reason="fragment of a version the policy does not allow")
        if version == 3 and not (is_valid_sender(sender) and is_for_us(receiver, our_tag, zero_allowed=True)):
            # "If the recipient's own instance tag does not match the listed receiver instance tag,
            # and the listed receiver instance tag is not zero, the recipient should discard".
            return Received(Outcome.DISCARDED, reason="fragment for another instance")
        if k == 0 or n == 0 or k > n or n > self._max_fragments:
            return Received(Outcome.DISCARDED, reason="illegal fragment numbers")
        same_stream = n == self._n and version == self._version and sender == self._sender
        if k == 1:
            self.forget()
        elif not (same_stream and k == self._k + 1):
            self.forget()  # out of order or a duplicate: "Otherwise: Forget any stored fragment"
            return Received(Outcome.INCOMPLETE)
        if self._size + len(piece) > self._max_chars:
            self.forget()
            return Received(Outcome.DISCARDED, reason="fragmented message too large")
        self._append(version, sender, k, n, piece)
        if self._n > 0 and self._k == self._n:
            message = "".join(self._pieces)
            self.forget()
            return Received(Outcome.COMPLETE, version, sender, message)
        return Received(Outcome.INCOMPLETE)

    def _append(self, version: int, sender: int, k: int, n: int, piece: str) -> None:
        self._pieces.append(piece)
        self._size += len(piece)
        self._k, self._n, self._version, self._sender = k, n, version, sender

    @staticmethod
    def _parse(text: str) -> tuple[int, int, int, int, int, str] | None:
        return parse_fragment(text)


def parse_fragment(text: str) -> tuple[int, int, int, int, int, str] | None:
    """``(version, sender tag, receiver tag, k, n, piece)`` of a fragment; None if it does not
    parse. Never raises."""
    start = text.find(V3_MARKER)
    if start >= 0:
        m3 = _V3.match(text, start)
        if m3 is None:
            return None
        sender, receiver = int(m3.group(1), 16), int(m3.group(2), 16)
        return 3, sender, receiver, int(m3.group(3)), int(m3.group(4)), m3.group(5)
    start = text.find(V2_MARKER)
    m2 = _V2.match(text, start) if start >= 0 else None
    if m2 is None:
        return None
    return 2, 0, 0, int(m2.group(1)), int(m2.group(2)), m2.group(3)
