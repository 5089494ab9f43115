"""Private files for the profile: ownership and mode checks, atomic writes, fsync, the profile lock.

Everything here refuses to follow symlinks and refuses paths that belong to another user; files are
forced to 0600 and directories to 0700. A write goes to a temp file in the same directory
(``.<name>.<random hex>.tmp``), is fsynced and renamed over the target, then the directory is
fsynced, so readers see the old or the new file and never a mix. The profile lock is an exclusive
``flock`` on a lock file that holds the owner's pid (only a hint for the error message).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from timb.common.random import Random
from timb.core.storage.errors import InsecureProfile, ProfileInUse, StorageIOError, VaultCorrupted

MAX_FILE: Final = 64 * 1024 * 1024
TMP_SUFFIX: Final = ".tmp"


def secure_directory(directory: Path) -> None:
    """Refuse a directory owned by someone else; make ours 0700.

    Raises:
        InsecureProfile: not a directory, or owned by another user.
        StorageIOError: stat or chmod failed.
    """
    try:
        st = os.stat(directory)
        if not stat.S_ISDIR(st.st_mode):
            raise InsecureProfile(f"{directory} is not a directory")
        if st.st_uid != os.geteuid():
            raise InsecureProfile(
                f"{directory} belongs to another user (uid {st.st_uid}); refusing to use it"
            )
        if stat.S_IMODE(st.st_mode) != 0o700:
            os.chmod(directory, 0o700)
    except OSError as e:
        raise StorageIOError(f"cannot secure {directory}: {e.strerror}") from e


def _check_fd(fd: int, path: Path) -> None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise InsecureProfile(f"{path} is not a regular file")
    if st.st_uid != os.geteuid():
        raise InsecureProfile(f"{path} belongs to another user (uid {st.st_uid}); refusing to use it")
    if stat.S_IMODE(st.st_mode) != 0o600:
        os.fchmod(fd, 0o600)


def _open_private(path: Path, flags: int) -> int:
    """Open without following symlinks, check ownership, force 0600. Raises: InsecureProfile."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as e:
        if os.path.islink(path):
            raise InsecureProfile(f"{path} is a symbolic link; refusing to follow it") from e
        raise
    try:
        _check_fd(fd, path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def fix_mode(path: Path) -> None:
    """Check `path` as `read_private_file` does and force 0600; a missing file is fine.

    Raises:
        InsecureProfile: a symlink, not a regular file, or owned by another user.
        StorageIOError: the check failed.
    """
    try:
        os.close(_open_private(path, os.O_RDONLY))
    except FileNotFoundError:
        pass
    except OSError as e:
        raise StorageIOError(f"cannot secure {path}: {e.strerror}") from e


def read_private_file(path: Path, max_size: int = MAX_FILE) -> bytes | None:
    """The file's bytes, or None if it does not exist. Fixes its mode to 0600.

    Raises:
        InsecureProfile: a symlink, not a regular file, or owned by another user.
        VaultCorrupted: larger than `max_size`.
        StorageIOError: the read failed.
    """
    try:
        fd = _open_private(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise StorageIOError(f"cannot open {path}: {e.strerror}") from e
    try:
        with os.fdopen(fd, "rb") as f:
            blob = f.read(max_size + 1)
    except OSError as e:
        raise StorageIOError(f"cannot read {path}: {e.strerror}") from e
    if len(blob) > max_size:
        raise VaultCorrupted(f"{path} is implausibly large")
    return blob


def fsync_directory(directory: Path) -> None:
    """Make a rename or unlink in `directory` durable. Raises: OSError."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(directory: Path, name: str, data: bytes, random: Random) -> None:
    """Replace `directory/name` with `data`: temp file (0600) in the same directory, write, fsync,
    rename over, fsync the directory. Readers see the old or the new file, never a mix.

    Raises:
        OSError: the file system refused; the temp file is removed and the target is unchanged.
    """
    tmp = directory / f".{name}.{random.randbytes(8).hex()}{TMP_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, directory / name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_directory(directory)


def remove_leftover_temps(directory: Path, names: Iterable[str]) -> None:
    """Remove the temp files `atomic_write` left for `names` in a crash: they hold either garbage
    or an unrenamed copy, never the truth.

    Raises:
        StorageIOError: a leftover could not be removed.
    """
    for name in names:
        for leftover in directory.glob(f".{name}.*{TMP_SUFFIX}"):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass
            except OSError as e:
                raise StorageIOError(f"cannot remove the leftover {leftover}: {e.strerror}") from e


def acquire_lock(path: Path) -> int:
    """Take the exclusive lock on the profile's lock file `path` (created 0600); return its
    descriptor, which holds the lock until `release_lock`.

    Raises:
        ProfileInUse: another process holds the lock.
        InsecureProfile: the lock file is a symlink, not a regular file, or another user's.
        StorageIOError: the file system refused.
    """
    directory = path.parent
    try:
        fd = _open_private(path, os.O_RDWR | os.O_CREAT)
    except OSError as e:
        raise StorageIOError(f"cannot open the profile lock {path}: {e.strerror}") from e
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as e:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        os.close(fd)
        who = f" (process {holder})" if holder.isdigit() else ""
        raise ProfileInUse(f"the profile {directory} is open in another TIMB{who}") from e
    except OSError as e:
        os.close(fd)
        raise StorageIOError(f"cannot lock the profile {path}: {e.strerror}") from e
    try:
        # The pid is only a hint for the error message above; the flock is what excludes.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError as e:
        os.close(fd)
        raise StorageIOError(f"cannot write the profile lock {path}: {e.strerror}") from e
    return fd


def release_lock(fd: int) -> None:
    """Release and close a descriptor from `acquire_lock` (the pid hint is cleared first)."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
    os.close(fd)  # closing the last descriptor releases the flock


__all__ = [
    "MAX_FILE",
    "TMP_SUFFIX",
    "acquire_lock",
    "atomic_write",
    "fix_mode",
    "fsync_directory",
    "read_private_file",
    "release_lock",
    "remove_leftover_temps",
    "secure_directory",
]
