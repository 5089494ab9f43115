"""Message history: OFF by default, and when on, an encrypted append-only log per conversation.

Nothing about a message reaches the disk unless `enabled(conversation)` says so (the profile's
setting or a per-contact override): no file, no directory, no vault change.

This module is the file I/O; the record format and the keys are in `history_format`. When on,
the vault (section ``"history"``) holds the master key and, per log, the conversation, its salt
and its number of committed records, so cutting records off the end is detected. Records past
that count (a crash after the append, before the vault save) are accepted if they authenticate;
an unauthenticated tail past it is a torn write, ignored and cut on the next append.

A log starts with a fresh salt, saved in the vault before its first record is written. Deleting
a log forgets its salt (vault first, then the file): a copy of the old file put back is never
read again, and the next record starts the log over on top of it. A file the vault does not list
(put back, or left by a crash in a delete) reads as empty.

Deleting a log removes the file; on SSDs and journaling or copy-on-write file systems the old
blocks may survive (docs/storage.md).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from timb.common.random import Random, SystemRandom
from timb.common.secret import Secret
from timb.core.storage.errors import HistoryCorrupted, HistoryError
from timb.core.storage.history_format import (
    MAGIC,
    MAX_BODY,
    NONCE_LEN,
    SALT_LEN,
    Direction,
    HistoryEntry,
    Truncated,
    conversation_tag,
    decode_log,
    encode_record,
    file_header,
    file_key,
)
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
MAX_LOG: Final = 1024 * 1024 * 1024


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
        tag = conversation_tag(master, conversation)
        path = self._directory / f"{tag.hex()}.log"
        self._ensure_directory()
        fresh = self._logs().get(tag.hex()) is None or not os.path.lexists(path)
        if fresh:
            self._start_log(tag, conversation)
        key = file_key(master, tag, self._salt(tag))
        try:
            self._append(path, tag, key, entry, fresh=fresh)
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise InsecureProfile(f"{path} is a symbolic link; refusing to follow it") from e
            raise StorageIOError(f"cannot write history: {e.strerror}") from e
        log = self._logs()[tag.hex()]
        assert isinstance(log, dict)  # _salt() checked it
        log["count"] = self._cursors[tag].next_index
        self._vault.save()

    def _start_log(self, tag: bytes, conversation: str) -> None:
        """A new generation of the log: a fresh salt, saved before any record uses it.

        Whatever file lies there (a deleted log put back, a log whose file was lost) is not ours
        any more and is overwritten by the first append.
        """
        salt = self._random.randbytes(SALT_LEN)
        self._logs()[tag.hex()] = {"conversation": conversation, "count": 0, "salt": salt.hex()}
        self._cursors.pop(tag, None)
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
        tag = conversation_tag(master, conversation)
        if self._logs().get(tag.hex()) is None:
            return []  # a file the vault does not list is a deleted log put back: never read it
        key = file_key(master, tag, self._salt(tag))
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
        tag = conversation_tag(master, conversation)
        # The vault first: once the salt is forgotten, the file (or any copy of it) can never be
        # read again, so a crash before the unlink leaves only unreadable bytes behind.
        self._cursors.pop(tag, None)
        if self._logs().pop(tag.hex(), None) is not None:
            self._vault.save()
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._directory / f"{tag.hex()}.log")
            if self._directory.exists():
                fsync_directory(self._directory)
        except OSError as e:
            raise StorageIOError(f"cannot delete history: {e.strerror}") from e

    def delete_all(self) -> None:
        """Remove every log, including any the vault does not list (left by a crash before the
        first save). Raises: VaultLocked, StorageIOError."""
        with self._lock:
            self._delete_all()

    def _delete_all(self) -> None:
        self._cursors.clear()
        if self._logs():  # the vault first, as in `_delete`
            self._logs().clear()
            self._vault.save()
        try:
            for leftover in self._directory.glob("*.log"):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            if self._directory.exists():
                fsync_directory(self._directory)
        except OSError as e:
            raise StorageIOError(f"cannot delete history: {e.strerror}") from e

    # -- internals -----------------------------------------------------------------------------

    def _section(self) -> JsonObject:
        return self._vault.section(SECTION)

    def _logs(self) -> JsonObject:
        logs = self._section().setdefault("logs", {})
        if not isinstance(logs, dict):
            raise HistoryCorrupted("the vault's history index is damaged")
        return logs

    def _salt(self, tag: bytes) -> bytes:
        """The salt of the log's current generation (empty for a log from before salts)."""
        entry = self._logs().get(tag.hex())
        if not isinstance(entry, dict):
            raise HistoryCorrupted("the vault's history index is damaged")
        encoded = entry.get("salt", "")
        try:
            salt = bytes.fromhex(encoded) if isinstance(encoded, str) else None
        except ValueError:
            salt = None
        if salt is None or len(salt) not in (0, SALT_LEN):
            raise HistoryCorrupted("the vault's history index is damaged")
        return salt

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

    def _append(
        self, path: Path, tag: bytes, key: Secret[bytes], entry: HistoryEntry, *, fresh: bool
    ) -> None:
        created = not os.path.lexists(path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            _check_owned(fd, path)
            cursor = self._cursors[tag] = _Cursor(0, 0) if fresh else self._cursor(fd, tag, key)
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
    "MAGIC",
    "MAX_BODY",
    "Direction",
    "History",
    "HistoryCorrupted",
    "HistoryEntry",
    "HistoryError",
    "Truncated",
    "decode_log",
    "encode_record",
    "file_header",
]
