"""OTR messages on the wire: recognising a received string, and the binary encoded messages.

Protocol-v3, "Encoded messages": "construct the ASCII string consisting of the five bytes '?OTR:',
followed by the base-64 encoding of the binary form of the message, followed by the byte '.'".
Every encoded message starts with the protocol version (SHORT) and the message type (BYTE); version 3
then has the sender and receiver instance tags (INT each), version 2 has none.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass, field
from typing import NamedTuple

from timb.otr.encoding import Reader, encode_data, encode_mpi
from timb.otr.errors import MalformedMessage

PREFIX = "?OTR"
ENCODED_PREFIX = "?OTR:"
ERROR_PREFIX = "?OTR Error:"

# Message types (Protocol-v3).
DH_COMMIT = 0x02
DATA = 0x03
DH_KEY = 0x0A
REVEAL_SIGNATURE = 0x11
SIGNATURE = 0x12

FLAG_IGNORE_UNREADABLE = 0x01
_U32 = struct.Struct(">I")
_FLAGS_KEYIDS = struct.Struct(">BII")
MAC_LENGTH = 20
SUPPORTED_VERSIONS = frozenset({2, 3})

# Protocol-v3, "Tagged plaintext messages".
WHITESPACE_BASE = " \t  \t\t\t\t \t \t \t  "
WHITESPACE_VERSION_TAGS = {1: " \t \t  \t ", 2: "  \t\t  \t ", 3: "  \t\t  \t\t"}


class Header(NamedTuple):
    """The common header. A NamedTuple rather than a frozen dataclass: it is built for every
    received message, and tuple construction is several times cheaper."""

    version: int
    message_type: int
    sender_tag: int = 0  # version 3 only
    receiver_tag: int = 0  # version 3 only

    def encode(self) -> bytes:
        if self.version == 3:
            return struct.pack(">HBII", 3, self.message_type, self.sender_tag, self.receiver_tag)
        return struct.pack(">HB", self.version, self.message_type)


@dataclass(frozen=True, slots=True)
class DHCommit:
    header: Header
    encrypted_gx: bytes
    hashed_gx: bytes

    def encode(self) -> bytes:
        return self.header.encode() + encode_data(self.encrypted_gx) + encode_data(self.hashed_gx)


@dataclass(frozen=True, slots=True)
class DHKey:
    header: Header
    gy: int

    def encode(self) -> bytes:
        return self.header.encode() + encode_mpi(self.gy)


@dataclass(frozen=True, slots=True)
class RevealSignature:
    header: Header
    revealed_key: bytes
    encrypted_signature: bytes
    mac: bytes

    def encode(self) -> bytes:
        body = encode_data(self.revealed_key) + encode_data(self.encrypted_signature) + self.mac
        return self.header.encode() + body


@dataclass(frozen=True, slots=True)
class Signature:
    header: Header
    encrypted_signature: bytes
    mac: bytes

    def encode(self) -> bytes:
        return self.header.encode() + encode_data(self.encrypted_signature) + self.mac


class DataMessage(NamedTuple):
    """A received Data Message. ``authenticated`` is the span the MAC covers (version .. message).

    A NamedTuple for the same reason as `Header`: this is the hot path."""

    header: Header
    flags: int
    sender_keyid: int
    recipient_keyid: int
    next_dh: int
    ctr: bytes
    encrypted: bytes
    mac: bytes
    old_mac_keys: bytes
    authenticated: bytes


EncodedMessage = DHCommit | DHKey | RevealSignature | Signature | DataMessage


def encode_data_message_body(  # noqa: PLR0917 - the fields in wire order
    header: bytes,
    flags: int,
    sender_keyid: int,
    recipient_keyid: int,
    next_dh_mpi: bytes,
    ctr: bytes,
    encrypted: bytes,
) -> bytes:
    """The MAC'd part of a Data Message: "everything from the Protocol version to the end of the
    encrypted message"."""
    keyids = _FLAGS_KEYIDS.pack(flags, sender_keyid, recipient_keyid)
    return b"".join((header, keyids, next_dh_mpi, ctr, _U32.pack(len(encrypted)), encrypted))


def armor(binary: bytes) -> str:
    """The "?OTR:<base64>." form of a binary message."""
    return ENCODED_PREFIX + base64.b64encode(binary).decode("ascii") + "."


def dearmor(text: str) -> bytes:
    """The binary form of the encoded message that starts at text's "?OTR:".

    Like libotr, the message ends at the first "." (or the end of the text) and anything before
    "?OTR:" is ignored. Line breaks some networks insert are tolerated.

    Raises:
        MalformedMessage: no "?OTR:", or the base-64 is invalid.
    """
    start = text.find(ENCODED_PREFIX)
    if start < 0:
        raise MalformedMessage("not an encoded OTR message")
    start += len(ENCODED_PREFIX)
    end = text.find(".", start)
    payload = text[start:] if end < 0 else text[start:end]
    if "\n" in payload or "\r" in payload or " " in payload:
        payload = "".join(payload.split())
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedMessage("invalid base-64 in an OTR message") from exc


def read_header(reader: Reader) -> Header:
    """Raises: MalformedMessage for an unsupported version or a truncated header."""
    version = reader.uint16()
    if version not in SUPPORTED_VERSIONS:
        raise MalformedMessage("unsupported OTR protocol version")
    message_type = reader.uint8()
    if version == 3:
        return Header(3, message_type, reader.uint32(), reader.uint32())
    return Header(version, message_type)


def parse_encoded(binary: bytes) -> EncodedMessage:
    """Parse the binary form of an encoded message.

    Raises:
        MalformedMessage: unknown type, truncation, trailing bytes or a field out of bounds.
    """
    if binary[2:3] == b"\x03":
        return parse_data_message(binary)
    reader = Reader(binary)
    header = read_header(reader)
    kind = header.message_type
    message: EncodedMessage
    if kind == DH_COMMIT:
        message = DHCommit(header, reader.data(), reader.data())
        if len(message.hashed_gx) != 32:
            raise MalformedMessage("hashed gx is not a SHA-256 value")
    elif kind == DH_KEY:
        message = DHKey(header, reader.mpi())
    elif kind == REVEAL_SIGNATURE:
        message = RevealSignature(header, reader.data(), reader.data(), reader.take(MAC_LENGTH))
        if len(message.revealed_key) != 16:
            raise MalformedMessage("the revealed key is not an AES-128 key")
    elif kind == SIGNATURE:
        message = Signature(header, reader.data(), reader.take(MAC_LENGTH))
    else:
        raise MalformedMessage("unknown OTR message type")
    reader.expect_end()
    return message


_V3_DATA_HEAD = struct.Struct(">HBIIBII")  # version, type, sender tag, receiver tag, flags, keyids
_V2_DATA_HEAD = struct.Struct(">HBBII")


def parse_data_message(binary: bytes) -> DataMessage:
    """The Data Message fast path (the hot one): struct offsets instead of a Reader.

    Raises:
        MalformedMessage: truncated, trailing bytes, or a length field out of bounds.
    """
    try:
        if binary[:2] == b"\x00\x03":
            _, kind, sender_tag, receiver_tag, flags, sender_keyid, recipient_keyid = (
                _V3_DATA_HEAD.unpack_from(binary)
            )
            header = Header(3, kind, sender_tag, receiver_tag)
            pos = _V3_DATA_HEAD.size
        else:
            version, kind, flags, sender_keyid, recipient_keyid = _V2_DATA_HEAD.unpack_from(binary)
            header = Header(version, kind)
            pos = _V2_DATA_HEAD.size
        size = _U32.unpack_from(binary, pos)[0]
        pos += 4
        next_dh = int.from_bytes(binary[pos : pos + size], "big")
        pos += size
        ctr = binary[pos : pos + 8]
        pos += 8
        size = _U32.unpack_from(binary, pos)[0]
        pos += 4
        encrypted = binary[pos : pos + size]
        pos += size
        authenticated_end = pos
        mac = binary[pos : pos + MAC_LENGTH]
        pos += MAC_LENGTH
        size = _U32.unpack_from(binary, pos)[0]
        pos += 4
        old_mac_keys = binary[pos : pos + size]
        pos += size
    except struct.error as exc:
        raise MalformedMessage("message is truncated") from exc
    if pos != len(binary) or len(old_mac_keys) != size or len(mac) != MAC_LENGTH:
        raise MalformedMessage("data message is truncated or has trailing bytes")
    if header.version not in SUPPORTED_VERSIONS or kind != DATA:
        raise MalformedMessage("not a data message")
    return DataMessage(
        header,
        flags,
        sender_keyid,
        recipient_keyid,
        next_dh,
        ctr,
        encrypted,
        mac,
        old_mac_keys,
        binary[:authenticated_end],
    )


def data_message_flags(binary: bytes) -> int:
    """The flags of a Data Message that may not parse fully (to honour IGNORE_UNREADABLE)."""
    if len(binary) < 3 or binary[2] != DATA:
        return 0
    offset = 11 if binary[:2] == b"\x00\x03" else 3
    return binary[offset] if len(binary) > offset else 0


# --- unencoded messages --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryMessage:
    versions: frozenset[int]


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    text: str


@dataclass(frozen=True, slots=True)
class Plaintext:
    """A non-OTR message; ``tag_versions`` is what a whitespace tag offered (empty: no tag)."""

    text: str = field(repr=False)
    tag_versions: frozenset[int] = frozenset()
    tagged: bool = False


def parse_query(text: str, start: int) -> QueryMessage:
    """Read the versions of a Query Message at ``text[start:]`` ("?OTR?", "?OTRv23?", "?OTR?v2?").

    Protocol-v3: '"?" means version 1; "v" followed by the byte identifiers ... followed by "?"'.
    """
    pos = start + len(PREFIX)
    versions: set[int] = set()
    if text.startswith("?", pos):
        versions.add(1)
        pos += 1
    if text.startswith("v", pos):
        end = text.find("?", pos + 1)
        identifiers = text[pos + 1 :] if end < 0 else text[pos + 1 : end]
        versions.update(int(c) for c in identifiers if c in "23")
    return QueryMessage(frozenset(versions))


# libotr 4.1.1, proto.c (otrl_proto_default_query_msg): the text every libotr client sends, so
# that neither the server nor a contact without OTR can tell a TIMB user from a Pidgin one.
_LIBOTR_QUERY = (
    "{tag}\n<b>{name}</b> has requested an "
    '<a href="https://otr.cypherpunks.ca/">Off-the-Record private conversation</a>.  '
    "However, you do not have a plugin to support that.\n"
    'See <a href="https://otr.cypherpunks.ca/">https://otr.cypherpunks.ca/</a> for more information.'
)


def query_message(versions: frozenset[int], our_name: str = "") -> str:
    """A Query Message offering `versions`: libotr's own text, naming us as ``our_name`` (the
    account's address, as libotr clients do); with no name, the bare tag (as libotr sends when
    the text does not fit)."""
    tag = "?OTRv" + "".join(str(v) for v in sorted(versions)) + "?"
    return _LIBOTR_QUERY.format(tag=tag, name=our_name) if our_name else tag


def whitespace_tag(versions: frozenset[int]) -> str:
    return WHITESPACE_BASE + "".join(WHITESPACE_VERSION_TAGS[v] for v in sorted(versions))


def parse_plaintext(text: str) -> Plaintext:
    """Find and strip a whitespace tag (it "may occur anywhere in the message")."""
    start = text.find(WHITESPACE_BASE)
    if start < 0:
        return Plaintext(text)
    end = start + len(WHITESPACE_BASE)
    versions: set[int] = set()
    while True:
        group = text[end : end + 8]
        if len(group) != 8 or group.strip(" \t"):
            break
        for version, version_tag in WHITESPACE_VERSION_TAGS.items():
            if group == version_tag:
                versions.add(version)
        end += 8
    return Plaintext(text[:start] + text[end:], frozenset(versions), tagged=True)


UnencodedMessage = QueryMessage | ErrorMessage | Plaintext


def classify_unencoded(text: str) -> UnencodedMessage | None:
    """Query, Error or plaintext; None when the text holds an encoded message ("?OTR:")."""
    start = text.find(PREFIX)
    if start >= 0:
        if text.startswith(ENCODED_PREFIX, start):
            return None
        if text.startswith(ERROR_PREFIX, start):
            return ErrorMessage(text[start + len(ERROR_PREFIX) :].strip())
        if text.startswith(("?OTR?", "?OTRv"), start):
            return parse_query(text, start)
    return parse_plaintext(text)


# What TIMB itself emits for a Data Message: "?OTR:", base-64, "." -- or one fragment of that.
_WHOLE_ENCODED = re.compile(r"\?OTR:[A-Za-z0-9+/]+={0,2}\.", re.ASCII)
_WHOLE_FRAGMENT = re.compile(
    r"\?OTR(?:\|[0-9a-fA-F]{8}\|[0-9a-fA-F]{8})?,\d{5},\d{5},[A-Za-z0-9+/=?:.]+,", re.ASCII
)


def is_encoded_message(text: str) -> bool:
    """The whole string is one encoded OTR message or one fragment of one, and nothing else
    (no text around it): the last-line check for what must leave encrypted."""
    return bool(_WHOLE_ENCODED.fullmatch(text) or _WHOLE_FRAGMENT.fullmatch(text))
