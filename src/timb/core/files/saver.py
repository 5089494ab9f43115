"""Saving an accepted incoming file: a temporary name until its size and hash are checked.

The contract (issue 15): saved 0600 in the folder the user chose; the size cap the user set
is checked before anything is written; the hash is checked before the file gets its final
name, so a partial or corrupted file is never under the final name; an existing file is never
overwritten (a new name instead); the file is never opened for the user.

All operations go through a descriptor of the folder (`dir_fd`), so a folder swapped for a
symbolic link mid-transfer cannot redirect the writes. Blocking file I/O: run it in a thread.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from types import TracebackType

from timb.core.files.errors import FileIntegrityError, FileTooLarge, FileTransferError
from timb.core.files.names import candidate_names, sanitise_name

PARTIAL_PREFIX = ".timb-partial-"
DEFAULT_ALGORITHM = "sha3_512"  # the hash Ricochet Refresh's FileHeader carries


class IncomingFile:
    """One accepted incoming file of a declared `size` and `digest`, written chunk by chunk.

    Raises (from the constructor):
        FileTooLarge: `size` is over `cap`.
        FileTransferError: the folder is not a directory, or cannot be written.
    """

    def __init__(
        self,
        folder: Path,
        offered_name: str,
        size: int,
        digest: bytes,
        *,
        cap: int,
        algorithm: str = DEFAULT_ALGORITHM,
    ) -> None:
        if size < 0 or size > cap:
            raise FileTooLarge(f"the file is {size} bytes, over the cap of {cap} bytes")
        self.name = sanitise_name(offered_name)
        self.folder = folder
        self.size = size
        self.received = 0
        self._digest = digest
        self._hash = hashlib.new(algorithm)
        self._partial = PARTIAL_PREFIX + secrets.token_hex(8)
        self._done = False
        try:
            self._dir = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise FileTransferError(f"the folder cannot be used: {exc.strerror}") from None
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            self._fd: int | None = os.open(self._partial, flags, 0o600, dir_fd=self._dir)
        except OSError as exc:
            os.close(self._dir)
            raise FileTransferError(f"the folder cannot be written: {exc.strerror}") from None
        os.fchmod(self._fd, 0o600)  # whatever the umask

    def write(self, chunk: bytes) -> None:
        """Append `chunk`.

        Raises:
            FileIntegrityError: more bytes than the sender declared (the partial file is removed).
        """
        if self._fd is None:
            raise FileTransferError("the file is closed")
        if self.received + len(chunk) > self.size:
            self.abort()
            raise FileIntegrityError("the sender sent more bytes than it declared")
        self._hash.update(chunk)
        view = memoryview(chunk)
        while view:
            view = view[os.write(self._fd, view) :]
        self.received += len(chunk)

    def finish(self) -> Path:
        """Check size and hash, then give the file its final (new, unused) name.

        Raises:
            FileIntegrityError: wrong size or hash; nothing is left in the folder.
            FileTransferError: no free name, or the folder failed.
        """
        if self._fd is None:
            raise FileTransferError("the file is closed")
        complete = self.received == self.size
        if not complete or not hmac.compare_digest(self._hash.digest(), self._digest):
            self.abort()
            raise FileIntegrityError("the file does not match the hash its sender declared")
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        try:
            final = self._link_final()
        finally:
            self._remove_partial()
        self._done = True
        return self.folder / final

    def abort(self) -> None:
        """Remove the partial file (idempotent; a finished file is kept)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if not self._done:
            self._remove_partial()

    def _link_final(self) -> str:
        for candidate in candidate_names(self.name):
            try:
                # link() never replaces an existing name, unlike rename(): atomic no-clobber.
                os.link(self._partial, candidate, src_dir_fd=self._dir, dst_dir_fd=self._dir)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
                    raise FileTransferError(f"the file cannot be saved: {exc.strerror}") from None
                if self._exists(candidate):  # a filesystem without hard links (FAT)
                    continue
                os.rename(self._partial, candidate, src_dir_fd=self._dir, dst_dir_fd=self._dir)
            return candidate
        raise FileTransferError("no free name for the file in the folder")

    def _exists(self, name: str) -> bool:
        try:
            os.stat(name, dir_fd=self._dir, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    def _remove_partial(self) -> None:
        if self._dir < 0:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._partial, dir_fd=self._dir)
        os.close(self._dir)
        self._dir = -1

    def __enter__(self) -> IncomingFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()

    def __repr__(self) -> str:
        return f"IncomingFile(size={self.size}, received={self.received})"
