"""The profile vault: one file in the profile directory, encrypted with the user's passphrase.

`Vault` is the unlocked vault: an opaque JSON document, the keys to write it back, and the
profile lock. The pieces it is made of live in their own modules and are re-exported here:

* `timb.core.storage.errors` — the StorageError tree (drawn there);
* `timb.core.storage.kdf` — Argon2id / scrypt parameters and the passphrase KDF;
* `timb.core.storage.vault_format` — the file layout (header, check value, AES-256-GCM, digest);
* `timb.core.storage.files` — private files: atomic writes, fsync, permissions, the lock file;
* `timb.core.storage.vault_files` — the vault's file names in the profile directory.

The KDF name and parameters live in the authenticated header so they can be raised later
(``change_passphrase(..., kdf=...)``). Every write is atomic and the previous version is kept as
a backup; an exclusive ``flock`` on ``vault.lock`` keeps a second TIMB process out of the profile.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Final

from timb.common.random import Random, SystemRandom
from timb.common.secret import Secret
from timb.core.storage.errors import (
    InsecureProfile,
    ProfileInUse,
    StorageError,
    StorageIOError,
    UnsupportedVault,
    VaultCorrupted,
    VaultExists,
    VaultLocked,
    VaultNotFound,
    WrongPassphrase,
)
from timb.core.storage.files import (
    acquire_lock,
    atomic_write,
    fix_mode,
    fsync_directory,
    read_private_file,
    release_lock,
    remove_leftover_temps,
    secure_directory,
)
from timb.core.storage.kdf import (
    DEFAULT_ARGON2ID,
    DEFAULT_SCRYPT,
    Argon2idParams,
    KdfParams,
    ScryptParams,
    argon2id_available,
    default_kdf_params,
    passphrase_bytes,
)
from timb.core.storage.vault_files import (
    BACKUP_NAME,
    LOCK_NAME,
    VAULT_NAME,
    ensure_empty_or_profile,
    ensure_no_vault,
    read_vault_file,
    vault_exists,
)
from timb.core.storage.vault_format import (
    SALT_LEN,
    JsonObject,
    JsonValue,
    Keys,
    decrypt,
    derive_keys,
    encode_header,
    encrypt,
    header_salt,
    intact,
)

_FILES: Final = (VAULT_NAME, BACKUP_NAME)


class Vault:
    """An unlocked vault: an opaque JSON document plus the keys to write it back.

    Callers own the sections (``section("otr")``, ``section("trust")``...). Changes stay in memory
    until ``save()``. ``lock()`` drops the keys and the document and releases the profile lock;
    Python cannot promise the bytes are wiped from memory (docs/storage.md).
    """

    __slots__ = (
        "_check_key",
        "_data",
        "_directory",
        "_enc_key",
        "_header",
        "_kdf",
        "_lock_fd",
        "_random",
        "_write_lock",
    )

    def __init__(
        self,
        directory: Path,
        *,
        lock_fd: int,
        kdf: KdfParams,
        header: bytes,
        keys: Keys,
        data: JsonObject,
        random: Random,
    ) -> None:
        """Internal: use `Vault.create` or `Vault.unlock`."""
        self._directory = directory
        self._lock_fd: int | None = lock_fd
        self._kdf = kdf
        self._header = header
        self._enc_key: Secret[bytes] | None = keys[0]
        self._check_key: Secret[bytes] | None = keys[1]
        self._data: JsonObject | None = data
        self._random = random
        # The flock keeps other processes out; this keeps two threads of this one (a service
        # saving from a worker thread) from interleaving the backup rotation and the rename.
        self._write_lock = threading.RLock()

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        directory: Path,
        passphrase: Secret[str],
        *,
        kdf: KdfParams | None = None,
        data: Mapping[str, JsonValue] | None = None,
        random: Random | None = None,
    ) -> Vault:
        """Create a new vault in `directory` (made 0700 if missing) and write it.

        Raises:
            ValueError: the passphrase is empty.
            VaultExists: the directory already holds a vault.
            ProfileInUse: another process holds the profile lock.
            InsecureProfile: the directory belongs to another user, is not a directory, or holds
                other files (a profile gets a directory of its own: it is made 0700).
            StorageIOError: the file system refused.
        """
        rnd = random if random is not None else SystemRandom()
        params = kdf if kdf is not None else default_kdf_params()
        secret = passphrase_bytes(passphrase)
        directory = Path(directory)
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as e:
            raise StorageIOError(f"cannot create profile directory {directory}: {e.strerror}") from e
        ensure_empty_or_profile(directory)
        secure_directory(directory)
        lock_fd = acquire_lock(directory / LOCK_NAME)
        try:
            ensure_no_vault(directory)
            remove_leftover_temps(directory, _FILES)
            header = encode_header(params, rnd.randbytes(SALT_LEN))
            keys = derive_keys(params, secret, header_salt(header))
        except BaseException:
            release_lock(lock_fd)
            raise
        # From here the vault owns the lock descriptor: only vault.lock() may close it.
        vault = cls(
            directory,
            lock_fd=lock_fd,
            kdf=params,
            header=header,
            keys=keys,
            data=dict(data or {}),
            random=rnd,
        )
        try:
            vault.save()
        except BaseException:
            vault.lock()
            raise
        return vault

    @classmethod
    def unlock(
        cls,
        directory: Path,
        passphrase: Secret[str],
        *,
        from_backup: bool = False,
        random: Random | None = None,
    ) -> Vault:
        """Open the vault in `directory` with `passphrase`; hold the profile lock until `lock()`.

        With ``from_backup=True`` the previous version is read instead (for when the current one
        is damaged); the next `save()` then replaces the damaged file and keeps the backup.

        Raises:
            VaultNotFound: there is no vault (or no backup) in the directory.
            WrongPassphrase: the passphrase does not open this vault.
            VaultCorrupted: the file is damaged or was tampered with (it is left untouched).
            UnsupportedVault: a newer format, or a KDF this machine's cryptography lacks.
            ProfileInUse: another process holds the profile lock.
            InsecureProfile: the directory or a file belongs to another user, or is a symlink.
            StorageIOError: the file system refused.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise VaultNotFound(f"no profile directory at {directory}")
        secure_directory(directory)
        lock_fd = acquire_lock(directory / LOCK_NAME)
        try:
            remove_leftover_temps(directory, _FILES)
            blob = read_vault_file(directory, from_backup)
            for other in _FILES:
                fix_mode(directory / other)
            kdf, header, keys, data = decrypt(blob, passphrase_bytes(passphrase))
        except BaseException:
            release_lock(lock_fd)
            raise
        rnd = random if random is not None else SystemRandom()
        return cls(directory, lock_fd=lock_fd, kdf=kdf, header=header, keys=keys, data=data, random=rnd)

    @staticmethod
    def exists(directory: Path) -> bool:
        """True if `directory` holds a vault (or at least its backup)."""
        return vault_exists(Path(directory))

    # -- contents ------------------------------------------------------------------------------

    @property
    def directory(self) -> Path:
        return self._directory

    @property
    def kdf_params(self) -> KdfParams:
        return self._kdf

    @property
    def is_locked(self) -> bool:
        return self._data is None

    @property
    def data(self) -> JsonObject:
        """The live document. Raises: VaultLocked."""
        if self._data is None:
            raise VaultLocked("the vault is locked")
        return self._data

    def section(self, name: str) -> JsonObject:
        """The live dict stored under `name`, created empty if missing.

        Raises:
            VaultLocked: after `lock()`.
            VaultCorrupted: `name` holds something other than a JSON object.
        """
        value = self.data.setdefault(name, {})
        if not isinstance(value, dict):
            raise VaultCorrupted(f"vault section {name!r} is not an object")
        return value

    def set_section(self, name: str, value: JsonObject) -> None:
        """Replace section `name` (in memory; call `save()`). Raises: VaultLocked."""
        self.data[name] = value

    def delete_section(self, name: str) -> None:
        """Remove section `name` if present (in memory). Raises: VaultLocked."""
        self.data.pop(name, None)

    # -- writing -------------------------------------------------------------------------------

    def save(self) -> None:
        """Encrypt the document with a fresh nonce and replace the file atomically.

        The current file, if intact, first becomes the backup; a damaged one is never rotated
        over a good backup. A crash at any point leaves a vault that opens (old or new version).

        Raises:
            VaultLocked: after `lock()`.
            TypeError, ValueError: the document is not JSON-serialisable.
            StorageIOError: the file system refused (the previous file is unchanged).
        """
        if self._data is None or self._enc_key is None or self._check_key is None:
            raise VaultLocked("the vault is locked")
        # Snapshot and write under one lock, so a later snapshot is never overwritten by an earlier.
        with self._write_lock:
            plain = json.dumps(self._data, separators=(",", ":"), allow_nan=False).encode()
            blob = encrypt(self._header, self._enc_key, self._check_key, plain, self._random)
            self._write(blob)

    def _write(self, blob: bytes) -> None:
        try:
            current = read_private_file(self._directory / VAULT_NAME)
            if current is not None and intact(current):
                atomic_write(self._directory, BACKUP_NAME, current, self._random)
            atomic_write(self._directory, VAULT_NAME, blob, self._random)
        except OSError as e:
            raise StorageIOError(f"cannot write the vault in {self._directory}: {e.strerror}") from e

    def change_passphrase(self, old: Secret[str], new: Secret[str], *, kdf: KdfParams | None = None) -> None:
        """Re-encrypt under `new` with a fresh salt (and `kdf` parameters, if given), then save.

        The backup is replaced too, so no copy under `old` stays in the directory (see
        docs/storage.md on what deletion cannot promise).

        Raises:
            VaultLocked: after `lock()`.
            WrongPassphrase: `old` is not the current passphrase (nothing changes).
            ValueError: `new` is empty.
            StorageIOError: the file system refused. The message says whether the passphrase was
                changed: if the new vault reached the disk, it was, and this object follows it.
        """
        if self._check_key is None or self._enc_key is None:
            raise VaultLocked("the vault is locked")
        _enc, check = derive_keys(self._kdf, passphrase_bytes(old), header_salt(self._header))
        if not hmac.compare_digest(check.reveal(), self._check_key.reveal()):
            raise WrongPassphrase("the current passphrase is wrong")
        params = kdf if kdf is not None else self._kdf
        header = encode_header(params, self._random.randbytes(SALT_LEN))
        keys = derive_keys(params, passphrase_bytes(new), header_salt(header))
        with self._write_lock:
            self._switch_keys(params, header, keys)

    def _switch_keys(self, params: KdfParams, header: bytes, keys: Keys) -> None:
        previous = (self._kdf, self._header, self._enc_key, self._check_key)
        self._kdf, self._header, self._enc_key, self._check_key = params, header, keys[0], keys[1]
        try:
            self.save()
        except BaseException as e:
            if self._on_disk_header() != header:
                self._kdf, self._header, self._enc_key, self._check_key = previous
                raise
            # The new vault was renamed into place and a later step failed: the change happened.
            if isinstance(e, StorageError):
                msg = f"the passphrase was changed, but the write did not complete: {e}"
                raise StorageIOError(msg) from e
            raise
        try:
            # The backup still holds the previous version under the old passphrase: replace it.
            atomic_write(self._directory, BACKUP_NAME, self._read_main(), self._random)
        except OSError as e:
            raise StorageIOError(
                f"the passphrase was changed, but the old backup could not be replaced: {e.strerror}"
            ) from e

    def _read_main(self) -> bytes:
        blob = read_private_file(self._directory / VAULT_NAME)
        if blob is None:
            raise VaultNotFound(f"the vault in {self._directory} disappeared")
        return blob

    def _on_disk_header(self) -> bytes | None:
        try:
            blob = self._read_main()
        except StorageError:
            return None
        return blob[: len(self._header)]

    def lock(self) -> None:
        """Drop the keys and the document and release the profile lock. Idempotent."""
        self._data = None
        self._enc_key = None
        self._check_key = None
        if self._lock_fd is not None:
            release_lock(self._lock_fd)
            self._lock_fd = None

    def __del__(self) -> None:
        # A vault dropped without lock() must not keep the profile locked for the process's life.
        if getattr(self, "_lock_fd", None) is not None:
            self.lock()

    def __enter__(self) -> Vault:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.lock()

    def __repr__(self) -> str:
        state = "locked" if self.is_locked else "unlocked"
        return f"<Vault {self._directory} {state}>"


__all__ = [
    "BACKUP_NAME",
    "DEFAULT_ARGON2ID",
    "DEFAULT_SCRYPT",
    "LOCK_NAME",
    "VAULT_NAME",
    "Argon2idParams",
    "InsecureProfile",
    "JsonObject",
    "JsonValue",
    "KdfParams",
    "ProfileInUse",
    "ScryptParams",
    "StorageError",
    "StorageIOError",
    "UnsupportedVault",
    "Vault",
    "VaultCorrupted",
    "VaultExists",
    "VaultLocked",
    "VaultNotFound",
    "WrongPassphrase",
    "argon2id_available",
    "atomic_write",
    "default_kdf_params",
    "fsync_directory",
    "read_private_file",
    "secure_directory",
]
