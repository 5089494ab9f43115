"""Reading an OTR message's routing facts without decrypting anything.

`peek` tells a query, an error, whitespace-tagged or plain text, an encoded message or a fragment
apart and reads the message type and the sender and receiver instance tags (Protocol-v3, "Data
types" and "Fragmentation"): what `timb.core.conversations` needs to pick the conversation of the
right remote instance. Malformed input never raises; unknown parts read as None/0.
"""

from __future__ import annotations

import base64
import binascii
import enum
from dataclasses import dataclass

_WHITESPACE_TAG_BASE = " \t  \t\t\t\t \t \t \t  "


class Kind(enum.Enum):
    QUERY = "query"
    ERROR = "error"
    ENCODED = "encoded"
    FRAGMENT = "fragment"
    TAGGED = "tagged"  # plaintext carrying the OTR whitespace tag
    PLAIN = "plain"


class MessageType(enum.IntEnum):
    """Protocol-v3 message types."""

    DH_COMMIT = 0x02
    DATA = 0x03
    DH_KEY = 0x0A
    REVEAL_SIGNATURE = 0x11
    SIGNATURE = 0x12


@dataclass(frozen=True, slots=True)
class Header:
    """What routing needs from a wire message, read without decrypting anything.

    For a Data Message (whole, or the first fragment of one) the key ids are read too:
    ``sender_keyid + 1`` is the id of the sender's next D-H key, which the message announces;
    ``recipient_keyid`` is the newest key of ours the sender knew when it wrote the message.
    """

    kind: Kind
    type: int | None = None
    sender: int = 0  # 0: no instance tags (v2, or an unencoded message)
    receiver: int = 0
    first_fragment: bool = False
    last_fragment: bool = False
    sender_keyid: int | None = None
    recipient_keyid: int | None = None


def _peek_encoded(b64: str) -> Header:
    """The header of an encoded message from its first 28 base64 characters (21 bytes)."""
    head = b64[:28]
    try:
        raw = base64.b64decode(head[: len(head) // 4 * 4])
    except (binascii.Error, ValueError):
        return Header(Kind.ENCODED)
    if len(raw) < 3:
        return Header(Kind.ENCODED)
    version, mtype = int.from_bytes(raw[:2], "big"), raw[2]
    sender = receiver = 0
    body = raw[3:]
    if version == 3:
        if len(raw) < 11:
            return Header(Kind.ENCODED, mtype)
        sender, receiver = int.from_bytes(raw[3:7], "big"), int.from_bytes(raw[7:11], "big")
        body = raw[11:]
    if mtype == MessageType.DATA and len(body) >= 9:  # flags, sender keyid, recipient keyid
        keyids = int.from_bytes(body[1:5], "big"), int.from_bytes(body[5:9], "big")
        return Header(
            Kind.ENCODED, mtype, sender, receiver, sender_keyid=keyids[0], recipient_keyid=keyids[1]
        )
    return Header(Kind.ENCODED, mtype, sender, receiver)


def peek(wire: str) -> Header:
    """Classify a wire message and read its OTR header."""
    if wire.startswith("?OTR Error:"):
        return Header(Kind.ERROR)
    if wire.startswith(("?OTR?", "?OTRv")):
        return Header(Kind.QUERY)
    if wire.startswith("?OTR:"):
        return _peek_encoded(wire[5:])
    if wire.startswith(("?OTR|", "?OTR,")):
        return _peek_fragment(wire)
    if _WHITESPACE_TAG_BASE in wire:
        return Header(Kind.TAGGED)
    return Header(Kind.PLAIN)


def _peek_fragment(wire: str) -> Header:
    # Protocol-v3 "Fragmentation": ?OTR|sender|receiver,k,n,piece,  (v2: ?OTR,k,n,piece,)
    sender = receiver = 0
    rest = wire[5:]
    if wire[4] == "|":
        tags, _, rest = rest.partition(",")
        sender_hex, _, receiver_hex = tags.partition("|")
        if not (_is_ascii_hex(sender_hex) and _is_ascii_hex(receiver_hex)):
            return Header(Kind.FRAGMENT)
        sender, receiver = int(sender_hex, 16), int(receiver_hex, 16)
    parts = rest.split(",", 3)
    # ASCII digits only: str.isdigit() also accepts "²", which int() then refuses (a peer's
    # message must never raise here).
    if len(parts) < 4 or not (_is_ascii_decimal(parts[0]) and _is_ascii_decimal(parts[1])):
        return Header(Kind.FRAGMENT, None, sender, receiver)
    k, n = int(parts[0]), int(parts[1])
    inner = _peek_encoded(parts[2][5:]) if k == 1 and parts[2].startswith("?OTR:") else Header(Kind.ENCODED)
    return Header(
        Kind.FRAGMENT,
        inner.type,
        sender,
        receiver,
        k == 1,
        k == n,
        inner.sender_keyid,
        inner.recipient_keyid,
    )


def _is_ascii_decimal(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _is_ascii_hex(text: str) -> bool:
    return bool(text) and text.isascii() and all(ch in "0123456789abcdefABCDEF" for ch in text)
