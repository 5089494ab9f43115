"""The history log format (pure: bytes and keys in, entries out; the file I/O is in `history`).

Keys, from the vault's history master key (32 random bytes) and the log's salt (16 random bytes,
new each time a log starts, kept in the vault beside the log's record count)::

    tag        HMAC-SHA256(master, "conversation" || 0 || conversation)[:16]   (file name: tag.hex())
    file key   HMAC-SHA256(master, "record key" || 0 || tag || salt)

Logs written before salts existed have none (an empty salt) and keep working. Because the salt
is forgotten when a log is deleted, a copy of the deleted file put back later no longer opens.

A log file is ``MAGIC || tag`` followed by frames ``u32 length || nonce(12) || AES-256-GCM``. Each
record's AAD is ``"TIMB-history-v1" || 0 || tag || u64 index``, so a record authenticates only at
its own position in its own conversation: reordered, moved or altered records fail.

Record plaintext: ``u8 version || u8 direction || u8 flags || f64 timestamp || u32 n || body[n]``,
zero-padded to a multiple of 64 bytes so the file size tells message lengths only roughly. Flags:
1 encrypted, 2 verified, 4 the body was cut to `MAX_BODY` bytes when it was recorded.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import math
import struct
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from timb.common.secret import Secret
from timb.core.storage.errors import HistoryCorrupted

MAGIC: Final = b"TIMBHST\x00"
TAG_LEN: Final = 16
SALT_LEN: Final = 16
NONCE_LEN: Final = 12
GCM_TAG_LEN: Final = 16
RECORD_VERSION: Final = 1
PAD_BLOCK: Final = 64
MAX_BODY: Final = 1024 * 1024
MAX_FRAME: Final = NONCE_LEN + GCM_TAG_LEN + 15 + MAX_BODY + PAD_BLOCK
_AAD_LABEL: Final = b"TIMB-history-v1\x00"
_RECORD: Final = struct.Struct(">BBBdI")
_FLAG_ENCRYPTED: Final = 1
_FLAG_VERIFIED: Final = 2
_FLAG_TRUNCATED: Final = 4
_KNOWN_FLAGS: Final = _FLAG_ENCRYPTED | _FLAG_VERIFIED | _FLAG_TRUNCATED


class Direction(enum.Enum):
    INCOMING = 1
    OUTGOING = 2


@dataclass(frozen=True, slots=True)
class Truncated:
    """The body did not fit a record: only its first `kept` of `original` UTF-8 bytes are kept.
    The caller turns this into a notice; the sizes say nothing about the text."""

    original: int
    kept: int


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One message as shown in a conversation. `truncated`: the body was cut when recorded.

    Raises ValueError for a non-finite timestamp or a body over MAX_BODY bytes; `fitted` builds an
    entry from any body without raising for its size.
    """

    direction: Direction
    timestamp: float
    body: Secret[str]
    encrypted: bool
    verified: bool
    truncated: bool = False

    def __post_init__(self) -> None:
        if not math.isfinite(self.timestamp):
            raise ValueError("timestamp must be finite")
        if len(_utf8(self.body.reveal())) > MAX_BODY:
            raise ValueError("message body too large for history")

    @classmethod
    def fitted(
        cls, direction: Direction, timestamp: float, body: Secret[str], *, encrypted: bool, verified: bool
    ) -> tuple[HistoryEntry, Truncated | None]:
        """An entry for `body`, cut to MAX_BODY bytes (at a character boundary) if it is longer.

        A peer decides how long its messages are; recording one must never fail for that.

        Raises:
            ValueError: `timestamp` is not finite.
        """
        raw = _utf8(body.reveal())
        if len(raw) <= MAX_BODY:
            return cls(direction, timestamp, body, encrypted, verified), None
        end = MAX_BODY
        while raw[end] & 0xC0 == 0x80:  # not inside a character: back to its first byte
            end -= 1
        kept = raw[:end].decode("utf-8", "surrogatepass")
        entry = cls(direction, timestamp, Secret(kept), encrypted, verified, truncated=True)
        return entry, Truncated(len(raw), end)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


# -- keys --------------------------------------------------------------------------------------


def conversation_tag(master: Secret[bytes], conversation: str) -> bytes:
    """The log's tag (its file name), the same for the life of the master key."""
    name = conversation.encode("utf-8", "surrogatepass")
    return hmac.new(master.reveal(), b"conversation\x00" + name, hashlib.sha256).digest()[:TAG_LEN]


def file_key(master: Secret[bytes], tag: bytes, salt: bytes) -> Secret[bytes]:
    """The key of one generation of a log (`salt` empty for logs from before salts)."""
    return Secret(hmac.new(master.reveal(), b"record key\x00" + tag + salt, hashlib.sha256).digest())


# -- records -----------------------------------------------------------------------------------


def file_header(tag: bytes) -> bytes:
    return MAGIC + tag


def aad(tag: bytes, index: int) -> bytes:
    return _AAD_LABEL + tag + index.to_bytes(8, "big")


def encode_record(key: bytes, tag: bytes, index: int, entry: HistoryEntry, nonce: bytes) -> bytes:
    """One frame for record number `index` (from 0) of the log `tag`."""
    body = _utf8(entry.body.reveal())
    flags = (
        (_FLAG_ENCRYPTED if entry.encrypted else 0)
        | (_FLAG_VERIFIED if entry.verified else 0)
        | (_FLAG_TRUNCATED if entry.truncated else 0)
    )
    plain = _RECORD.pack(RECORD_VERSION, entry.direction.value, flags, entry.timestamp, len(body)) + body
    plain += bytes(-len(plain) % PAD_BLOCK)
    sealed = nonce + AESGCM(key).encrypt(nonce, plain, aad(tag, index))
    return len(sealed).to_bytes(4, "big") + sealed


def _decode_plain(plain: bytes) -> HistoryEntry:
    try:
        version, direction, flags, timestamp, n = _RECORD.unpack_from(plain)
        body = plain[_RECORD.size : _RECORD.size + n].decode("utf-8", "surrogatepass")
        known = not flags & ~_KNOWN_FLAGS
        well_formed = version == RECORD_VERSION and _RECORD.size + n <= len(plain) and known
        if well_formed:
            return HistoryEntry(
                Direction(direction),
                timestamp,
                Secret(body),
                encrypted=bool(flags & _FLAG_ENCRYPTED),
                verified=bool(flags & _FLAG_VERIFIED),
                truncated=bool(flags & _FLAG_TRUNCATED),
            )
    except (ValueError, struct.error) as e:
        raise HistoryCorrupted("a history record has an unknown format") from e
    # Authenticated yet malformed: written by a different format version, not by an attacker.
    raise HistoryCorrupted("a history record has an unknown format")


def decode_log(key: bytes, tag: bytes, data: bytes, committed: int) -> tuple[list[HistoryEntry], int]:
    """Decrypt a whole log; return its entries and the offset where the good records end.

    The first `committed` records must all be present and authentic; after them, decoding stops
    quietly at the first incomplete or unauthenticated frame (a torn append).

    Raises:
        HistoryCorrupted: wrong header, or a committed record is missing, moved or altered.
    """
    header = file_header(tag)
    if len(data) < len(header):
        if committed == 0 and header.startswith(data):
            return [], 0  # a crash while the file was being created
        raise HistoryCorrupted("a history log is truncated")
    if data[: len(header)] != header:
        raise HistoryCorrupted("a history log has the wrong header (moved from another conversation?)")
    entries: list[HistoryEntry] = []
    offset = len(header)
    cipher = AESGCM(key)
    while True:
        index = len(entries)
        frame = _next_frame(data, offset)
        plain = None if frame is None else _open_frame(cipher, tag, index, frame)
        if frame is None or plain is None:
            if index < committed:
                raise HistoryCorrupted(f"history record {index} is missing, out of place or altered")
            return entries, offset
        entries.append(_decode_plain(plain))
        offset += 4 + len(frame)


def _next_frame(data: bytes, offset: int) -> bytes | None:
    if offset + 4 > len(data):
        return None
    size = int.from_bytes(data[offset : offset + 4], "big")
    if not NONCE_LEN + GCM_TAG_LEN <= size <= MAX_FRAME or offset + 4 + size > len(data):
        return None
    return data[offset + 4 : offset + 4 + size]


def _open_frame(cipher: AESGCM, tag: bytes, index: int, frame: bytes) -> bytes | None:
    try:
        return cipher.decrypt(frame[:NONCE_LEN], frame[NONCE_LEN:], aad(tag, index))
    except InvalidTag:
        return None


__all__ = [
    "MAGIC",
    "MAX_BODY",
    "MAX_FRAME",
    "NONCE_LEN",
    "SALT_LEN",
    "TAG_LEN",
    "Direction",
    "HistoryEntry",
    "Truncated",
    "aad",
    "conversation_tag",
    "decode_log",
    "encode_record",
    "file_header",
    "file_key",
]
