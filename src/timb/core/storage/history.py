"""Message history: OFF by default, and when on, an encrypted append-only log per conversation.

Nothing about a message reaches the disk unless `enabled(conversation)` says so (the profile's
setting or a per-contact override): no file, no directory, no vault change.

When on, the key material comes from the vault (section ``"history"``)::

    master     32 random bytes, created the first time anything is recorded
    tag        HMAC-SHA256(master, "conversation" || 0 || conversation)[:16]   (file name: tag.hex())
    file key   HMAC-SHA256(master, "record key" || 0 || tag)

A log file is ``MAGIC || tag`` followed by frames ``u32 length || nonce(12) || AES-256-GCM``. Each
record's AAD is ``"TIMB-history-v1" || 0 || tag || u64 index``, so a record authenticates only at its
own position in its own conversation: reordered, moved or altered records fail. The vault keeps
the number of committed records per log, so cutting records off the end is detected too. Records
past that count (a crash after the append, before the vault save) are accepted if they
authenticate; an unauthenticated tail past it is a torn write, ignored and cut on the next append.

Record plaintext: ``u8 version || u8 direction || u8 flags || f64 timestamp || u32 n || body[n]``,
zero-padded to a multiple of 64 bytes so the file size tells message lengths only roughly.

Deleting a log removes the file; on SSDs and journaling or copy-on-write file systems the old
blocks may survive (docs/storage.md).
"""

from __future__ import annotations

import contextlib
import enum
import errno
import hashlib
import hmac
import json
import math
import os
import stat
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from timb.common.random import Random, SystemRandom
from timb.common.secret import Secret
from timb.core.storage.errors import HistoryCorrupted, HistoryError
from timb.core.storage.vault import (
    InsecureProfile,
    JsonObject,
    StorageIOError,
    Vault,
    VaultCorrupted,
    fsync_directory,
    read_private_file,
    secure_directory,
)

HISTORY_DIR: Final = "history"
SECTION: Final = "history"
MAGIC: Final = b"TIMBHST\x00"
TAG_LEN: Final = 16
NONCE_LEN: Final = 12
GCM_TAG_LEN: Final = 16
RECORD_VERSION: Final = 1
PAD_BLOCK: Final = 64
MAX_BODY: Final = 1024 * 1024
MAX_FRAME: Final = NONCE_LEN + GCM_TAG_LEN + 15 + MAX_BODY + PAD_BLOCK
MAX_LOG: Final = 1024 * 1024 * 1024
_AAD_LABEL: Final = b"TIMB-history-v1\x00"
_RECORD: Final = struct.Struct(">BBBdI")
_FLAG_ENCRYPTED: Final = 1
_FLAG_VERIFIED: Final = 2


class Direction(enum.Enum):
    INCOMING = 1
    OUTGOING = 2


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One message as shown in a conversation. Raises ValueError for a non-finite timestamp or a
    body over MAX_BODY bytes."""

    direction: Direction
    timestamp: float
    body: Secret[str]
    encrypted: bool
    verified: bool

    def __post_init__(self) -> None:
        if not math.isfinite(self.timestamp):
            raise ValueError("timestamp must be finite")
        if len(self.body.reveal().encode("utf-8", "surrogatepass")) > MAX_BODY:
            raise ValueError("message body too large for history")


# -- the record format (pure) ------------------------------------------------------------------


def file_header(tag: bytes) -> bytes:
    return MAGIC + tag


def _aad(tag: bytes, index: int) -> bytes:
    return _AAD_LABEL + tag + index.to_bytes(8, "big")


def encode_record(key: bytes, tag: bytes, index: int, entry: HistoryEntry, nonce: bytes) -> bytes:
    """One frame for record number `index` (from 0) of the log `tag`."""
    body = entry.body.reveal().encode("utf-8", "surrogatepass")
    flags = (_FLAG_ENCRYPTED if entry.encrypted else 0) | (_FLAG_VERIFIED if entry.verified else 0)
    plain = _RECORD.pack(RECORD_VERSION, entry.direction.value, flags, entry.timestamp, len(body)) + body
    plain += bytes(-len(plain) % PAD_BLOCK)
    sealed = nonce + AESGCM(key).encrypt(nonce, plain, _aad(tag, index))
    return len(sealed).to_bytes(4, "big") + sealed


def _decode_plain(plain: bytes) -> HistoryEntry:
    try:
        version, direction, flags, timestamp, n = _RECORD.unpack_from(plain)
        body = plain[_RECORD.size : _RECORD.size + n].decode("utf-8", "surrogatepass")
        well_formed = version == RECORD_VERSION and _RECORD.size + n <= len(plain) and not flags & ~3
        if well_formed:
            return HistoryEntry(
                Direction(direction),
                timestamp,
                Secret(body),
                encrypted=bool(flags & _FLAG_ENCRYPTED),
                verified=bool(flags & _FLAG_VERIFIED),
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
        return cipher.decrypt(frame[:NONCE_LEN], frame[NONCE_LEN:], _aad(tag, index))
    except InvalidTag:
        return None


# -- the store ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Cursor:
    next_index: int
    end: int


class History:
    """Per-conversation encrypted logs under ``<profile>/history``, keyed from `vault`.

    `enabled(conversation)` decides, at every `record()`, whether anything is written. Reading and
    deleting work whatever the setting, so a user who turned history off can still see or erase
    what was kept before.
    """

    __slots__ = ("_cursors", "_directory", "_enabled", "_lock", "_random", "_vault")

    def __init__(
        self,
        vault: Vault,
        directory: Path,
        enabled: Callable[[str], bool],
        *,
        random: Random | None = None,
    ) -> None:
        self._vault = vault
        self._directory = Path(directory)
        self._enabled = enabled
        self._random = random if random is not None else SystemRandom()
        self._cursors: dict[bytes, _Cursor] = {}
        self._lock = threading.RLock()  # appends and deletes from worker threads stay in order

    @staticmethod
    def conversation_id(account: str, peer: str) -> str:
        """An unambiguous conversation name for (account, peer)."""
        return json.dumps([account, peer], separators=(",", ":"))

    @property
    def directory(self) -> Path:
        return self._directory

    def is_enabled(self, conversation: str) -> bool:
        return self._enabled(conversation)

    def record(self, conversation: str, entry: HistoryEntry) -> bool:
        """Append `entry` if history is on for `conversation`; return whether it was written.

        The record is fsynced before the vault's committed count is raised and saved.

        Raises:
            VaultLocked: the vault was locked.
            HistoryCorrupted: the existing log fails authentication (nothing is appended).
            InsecureProfile: the log or its directory belongs to another user or is a symlink.
            StorageIOError: the file system refused.
        """
        if not self._enabled(conversation):
            return False
        with self._lock:
            self._record(conversation, entry)
        return True

    def _record(self, conversation: str, entry: HistoryEntry) -> None:
        master = self._master_key() or self._new_master_key()
        tag, key = _derive(master, conversation)
        path = self._directory / f"{tag.hex()}.log"
        self._ensure_directory()
        try:
            self._append(path, tag, key, entry)
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise InsecureProfile(f"{path} is a symbolic link; refusing to follow it") from e
            raise StorageIOError(f"cannot write history: {e.strerror}") from e
        cursor = self._cursors[tag]
        self._logs()[tag.hex()] = {"conversation": conversation, "count": cursor.next_index}
        self._vault.save()

    def read(self, conversation: str) -> list[HistoryEntry]:
        """Every recorded entry of `conversation`, oldest first ([] if none).

        Raises:
            VaultLocked: the vault was locked.
            HistoryCorrupted: records were cut off, reordered, moved or altered.
            InsecureProfile, StorageIOError: as for `record`.
        """
        with self._lock:
            return self._read(conversation)

    def _read(self, conversation: str) -> list[HistoryEntry]:
        master = self._master_key()
        if master is None:
            return []
        tag, key = _derive(master, conversation)
        path = self._directory / f"{tag.hex()}.log"
        try:
            data = read_private_file(path, MAX_LOG)
        except VaultCorrupted as e:  # only raised for the size limit
            raise HistoryError(f"{path} is too large to read") from e
        if data is None:
            return []
        entries, _end = decode_log(key.reveal(), tag, data, self._committed(tag))
        return entries

    def conversations(self) -> list[str]:
        """The conversations with a log, as recorded in the vault. Raises: VaultLocked."""
        names = [entry.get("conversation") for entry in self._logs().values() if isinstance(entry, dict)]
        return sorted(name for name in names if isinstance(name, str))

    def delete(self, conversation: str) -> None:
        """Remove the log of `conversation` (not securely: see the module docstring).

        Raises:
            VaultLocked: the vault was locked.
            StorageIOError: the file system refused.
        """
        with self._lock:
            self._delete(conversation)

    def _delete(self, conversation: str) -> None:
        master = self._master_key()
        if master is None:
            return
        tag, _key = _derive(master, conversation)
        # File first, then the count: a crash in between leaves a count with no file, which
        # reads as empty; the reverse order would resurrect the deleted records.
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._directory / f"{tag.hex()}.log")
            if self._directory.exists():
                fsync_directory(self._directory)
        except OSError as e:
            raise StorageIOError(f"cannot delete history: {e.strerror}") from e
        self._cursors.pop(tag, None)
        if self._logs().pop(tag.hex(), None) is not None:
            self._vault.save()

    def delete_all(self) -> None:
        """Remove every log, including any the vault does not list (left by a crash before the
        first save). Raises: VaultLocked, StorageIOError."""
        with self._lock:
            self._delete_all()

    def _delete_all(self) -> None:
        for conversation in self.conversations():
            self._delete(conversation)
        try:
            for leftover in self._directory.glob("*.log"):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            if self._directory.exists():
                fsync_directory(self._directory)
        except OSError as e:
            raise StorageIOError(f"cannot delete history: {e.strerror}") from e
        self._cursors.clear()
        if self._logs():
            self._logs().clear()
            self._vault.save()

    # -- internals -----------------------------------------------------------------------------

    def _section(self) -> JsonObject:
        return self._vault.section(SECTION)

    def _logs(self) -> JsonObject:
        logs = self._section().setdefault("logs", {})
        if not isinstance(logs, dict):
            raise HistoryCorrupted("the vault's history index is damaged")
        return logs

    def _committed(self, tag: bytes) -> int:
        entry = self._logs().get(tag.hex())
        count = entry.get("count") if isinstance(entry, dict) else 0
        return count if isinstance(count, int) and count >= 0 else 0

    def _master_key(self) -> Secret[bytes] | None:
        encoded = self._section().get("key")
        if encoded is None:
            return None
        try:
            key = bytes.fromhex(encoded) if isinstance(encoded, str) else b""
        except ValueError:
            key = b""
        if len(key) != 32:
            raise HistoryCorrupted("the vault's history key is damaged")
        return Secret(key)

    def _new_master_key(self) -> Secret[bytes]:
        key = self._random.randbytes(32)
        self._section()["key"] = key.hex()
        self._vault.save()  # before any record exists that only this key can read
        return Secret(key)

    def _ensure_directory(self) -> None:
        try:
            self._directory.mkdir(mode=0o700, exist_ok=True)
        except OSError as e:
            raise StorageIOError(f"cannot create {self._directory}: {e.strerror}") from e
        secure_directory(self._directory)

    def _append(self, path: Path, tag: bytes, key: Secret[bytes], entry: HistoryEntry) -> None:
        created = not os.path.lexists(path)
        if created:
            # A log deleted by hand (or a crash between a delete and the vault save) starts over;
            # only a log that exists is held to the vault's count.
            self._logs().pop(tag.hex(), None)
            self._cursors.pop(tag, None)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            _check_owned(fd, path)
            cursor = self._cursor(fd, tag, key)
            frame = encode_record(
                key.reveal(), tag, cursor.next_index, entry, self._random.randbytes(NONCE_LEN)
            )
            if cursor.end == 0:
                frame = file_header(tag) + frame
            # Cut a torn tail left by a crash, then write where the good records end.
            os.ftruncate(fd, cursor.end)
            _pwrite_all(fd, frame, cursor.end)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_directory(self._directory)
        cursor.end += len(frame)
        cursor.next_index += 1

    def _cursor(self, fd: int, tag: bytes, key: Secret[bytes]) -> _Cursor:
        size = os.fstat(fd).st_size
        if size > MAX_LOG:
            raise HistoryError("this history log is too large to append to; delete it to start over")
        cursor = self._cursors.get(tag)
        if cursor is None or cursor.end != size:
            data = _pread_all(fd, size)
            entries, end = decode_log(key.reveal(), tag, data, self._committed(tag))
            cursor = self._cursors[tag] = _Cursor(len(entries), end)
        return cursor


def _derive(master: Secret[bytes], conversation: str) -> tuple[bytes, Secret[bytes]]:
    name = conversation.encode("utf-8", "surrogatepass")
    tag = hmac.new(master.reveal(), b"conversation\x00" + name, hashlib.sha256).digest()[:TAG_LEN]
    key = hmac.new(master.reveal(), b"record key\x00" + tag, hashlib.sha256).digest()
    return tag, Secret(key)


def _check_owned(fd: int, path: Path) -> None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise InsecureProfile(f"{path} is not a regular file")
    if st.st_uid != os.geteuid():
        raise InsecureProfile(f"{path} belongs to another user; refusing to write history there")
    if st.st_mode & 0o077:
        os.fchmod(fd, 0o600)


def _pread_all(fd: int, size: int) -> bytes:
    chunks, offset = [], 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


__all__ = [
    "Direction",
    "History",
    "HistoryCorrupted",
    "HistoryEntry",
    "HistoryError",
    "decode_log",
    "encode_record",
    "file_header",
]
