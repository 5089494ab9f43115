"""The profile vault: one file in the profile directory, encrypted with the user's passphrase.

File layout (integers big-endian)::

    magic        8   b"TIMBVLT\\0"
    version      2   FORMAT_VERSION
    header_len   2
    header       n   JSON: {"kdf": {"name": ..., params...}, "salt": base64}
    check       32   HMAC-SHA256(check_key, aad): tells a wrong passphrase from a damaged file
    nonce       12   random, fresh on every write
    ciphertext   *   AES-256-GCM(enc_key, nonce, padded JSON document, aad)
    digest      32   SHA-256 of everything above: finds damage before any KDF work is spent

    aad = magic || version || header_len || header
    enc_key || check_key = KDF(NFC(passphrase), salt, params)   (64 bytes)

Later format versions must keep the magic and version first and the SHA-256 trailer last, so an
older TIMB can say "made by a newer version" (`UnsupportedVault`) rather than "damaged".

The KDF name and parameters live in the authenticated header so they can be raised later
(``change_passphrase(..., kdf=...)``). The digest is unkeyed: it catches accidental damage and any
tampering by someone who did not recompute it; tampering by someone who did is caught by the
check (header) or by GCM (body). Every write is atomic and the previous version is kept as a
backup; an exclusive ``flock`` on ``vault.lock`` keeps a second TIMB process out of the profile.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import stat
import struct
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Final, TypeAlias

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from timb.common.random import Random, SystemRandom
from timb.common.secret import Secret

JsonValue: TypeAlias = dict[str, "JsonValue"] | list["JsonValue"] | str | int | float | bool | None
JsonObject: TypeAlias = dict[str, JsonValue]

VAULT_NAME: Final = "vault.timb"
BACKUP_NAME: Final = "vault.timb.bak"
LOCK_NAME: Final = "vault.lock"
MAGIC: Final = b"TIMBVLT\x00"
FORMAT_VERSION: Final = 1
SALT_LEN: Final = 16
NONCE_LEN: Final = 12
CHECK_LEN: Final = 32
DIGEST_LEN: Final = 32
PAD_BLOCK: Final = 1024  # the file size tells only the content size rounded up to this
MAX_FILE: Final = 64 * 1024 * 1024
_PREFIX: Final = struct.Struct(">8sHH")
_TMP_SUFFIX: Final = ".tmp"

# -- errors (the tree is drawn in timb.core.storage) ---------------------------------------------


class StorageError(Exception):
    """Base of every storage error."""


class WrongPassphrase(StorageError):
    """The passphrase does not open this vault."""


class VaultCorrupted(StorageError):
    """The vault file is damaged or was tampered with; it has been left as it was."""


class UnsupportedVault(StorageError):
    """A newer vault format, or a KDF this machine's `cryptography` does not provide."""


class VaultNotFound(StorageError):
    """There is no vault in the directory."""


class VaultExists(StorageError):
    """`create` found a vault already there; it was not touched."""


class VaultLocked(StorageError):
    """The vault was used after `lock()`."""


class ProfileInUse(StorageError):
    """Another TIMB process holds the profile lock."""


class InsecureProfile(StorageError):
    """A profile path belongs to another user, is a symlink, or is not what it should be."""


class StorageIOError(StorageError):
    """The file system refused a read or write (the `__cause__` is the OSError)."""


# -- key derivation ----------------------------------------------------------------------------

_MAX_KDF_MEMORY: Final = 4 * 1024 * 1024 * 1024  # a crafted header must not make us allocate more


@dataclass(frozen=True, slots=True)
class Argon2idParams:
    """Argon2id (RFC 9106). `memory_cost` in KiB. Raises ValueError when out of range."""

    memory_cost: int
    iterations: int
    lanes: int
    name: ClassVar[str] = "argon2id"

    def __post_init__(self) -> None:
        if not (1 <= self.lanes <= 64 and 1 <= self.iterations <= 64):
            raise ValueError("argon2id iterations and lanes must be in 1..64")
        if not 8 * self.lanes <= self.memory_cost <= _MAX_KDF_MEMORY // 1024:
            raise ValueError("argon2id memory_cost out of range")

    def derive(self, secret: bytes, salt: bytes, length: int) -> bytes:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id  # noqa: PLC0415  (optional)

        kdf = Argon2id(
            salt=salt,
            length=length,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_cost,
        )
        return kdf.derive(secret)

    def to_json(self) -> dict[str, JsonValue]:
        return {"name": self.name, "m": self.memory_cost, "t": self.iterations, "p": self.lanes}


@dataclass(frozen=True, slots=True)
class ScryptParams:
    """scrypt (RFC 7914) with n = 2**log2_n. Raises ValueError when out of range."""

    log2_n: int
    r: int
    p: int
    name: ClassVar[str] = "scrypt"

    def __post_init__(self) -> None:
        if not (1 <= self.log2_n <= 24 and 1 <= self.r <= 64 and 1 <= self.p <= 16):
            raise ValueError("scrypt parameters out of range")
        if 128 * self.r * (1 << self.log2_n) > _MAX_KDF_MEMORY:
            raise ValueError("scrypt parameters need too much memory")

    def derive(self, secret: bytes, salt: bytes, length: int) -> bytes:
        return Scrypt(salt=salt, length=length, n=1 << self.log2_n, r=self.r, p=self.p).derive(secret)

    def to_json(self) -> dict[str, JsonValue]:
        return {"name": self.name, "log2_n": self.log2_n, "r": self.r, "p": self.p}


KdfParams: TypeAlias = Argon2idParams | ScryptParams

# Measured on the development machine (2 shared cores): Argon2id 0.40 s, scrypt 0.35 s.
DEFAULT_ARGON2ID: Final = Argon2idParams(memory_cost=128 * 1024, iterations=6, lanes=4)
DEFAULT_SCRYPT: Final = ScryptParams(log2_n=17, r=8, p=1)


@cache
def argon2id_available() -> bool:
    """True if this `cryptography` (and the OpenSSL under it) provides Argon2id."""
    try:
        Argon2idParams(memory_cost=8, iterations=1, lanes=1).derive(b"x", b"timb-probe-salt!", 32)
    except (ImportError, UnsupportedAlgorithm):
        return False
    return True


def default_kdf_params() -> KdfParams:
    """Argon2id where available, else scrypt."""
    return DEFAULT_ARGON2ID if argon2id_available() else DEFAULT_SCRYPT


def kdf_from_json(doc: Mapping[str, JsonValue]) -> KdfParams:
    """Parse the header's KDF entry.

    Raises:
        VaultCorrupted: malformed or out-of-range parameters.
        UnsupportedVault: an unknown KDF, or Argon2id on a machine without it.
    """
    name = doc.get("name")
    try:
        if name == Argon2idParams.name:
            if not argon2id_available():
                raise UnsupportedVault("this vault uses Argon2id, which this cryptography library lacks")
            return Argon2idParams(_int(doc, "m"), _int(doc, "t"), _int(doc, "p"))
        if name == ScryptParams.name:
            return ScryptParams(_int(doc, "log2_n"), _int(doc, "r"), _int(doc, "p"))
    except (ValueError, TypeError) as e:
        raise VaultCorrupted(f"the vault header has invalid KDF parameters: {e}") from e
    raise UnsupportedVault(f"unknown key derivation function {name!r}")


def _int(doc: Mapping[str, JsonValue], key: str) -> int:
    value = doc.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{key} must be an integer")
    return value


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
        keys: tuple[Secret[bytes], Secret[bytes]],
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
        secret = _passphrase_bytes(passphrase)
        directory = Path(directory)
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as e:
            raise StorageIOError(f"cannot create profile directory {directory}: {e.strerror}") from e
        _ensure_empty_or_profile(directory)
        secure_directory(directory)
        lock_fd = _acquire_lock(directory)
        try:
            _ensure_no_vault(directory)
            _remove_leftover_temps(directory)
            header = _encode_header(params, rnd.randbytes(SALT_LEN))
            keys = _derive(params, secret, _header_salt(header))
        except BaseException:
            _release_lock(lock_fd)
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
        lock_fd = _acquire_lock(directory)
        try:
            _remove_leftover_temps(directory)
            blob = _read_vault_file(directory, from_backup)
            for other in (VAULT_NAME, BACKUP_NAME):
                _fix_mode(directory / other)
            kdf, header, keys, data = _decrypt(blob, _passphrase_bytes(passphrase))
        except BaseException:
            _release_lock(lock_fd)
            raise
        rnd = random if random is not None else SystemRandom()
        return cls(directory, lock_fd=lock_fd, kdf=kdf, header=header, keys=keys, data=data, random=rnd)

    @staticmethod
    def exists(directory: Path) -> bool:
        """True if `directory` holds a vault (or at least its backup)."""
        return (Path(directory) / VAULT_NAME).exists() or (Path(directory) / BACKUP_NAME).exists()

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
            blob = _encrypt(self._header, self._enc_key, self._check_key, plain, self._random)
            self._write(blob)

    def _write(self, blob: bytes) -> None:
        try:
            current = read_private_file(self._directory / VAULT_NAME)
            if current is not None and _intact(current):
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
        _enc, check = _derive(self._kdf, _passphrase_bytes(old), _header_salt(self._header))
        if not hmac.compare_digest(check.reveal(), self._check_key.reveal()):
            raise WrongPassphrase("the current passphrase is wrong")
        params = kdf if kdf is not None else self._kdf
        header = _encode_header(params, self._random.randbytes(SALT_LEN))
        keys = _derive(params, _passphrase_bytes(new), _header_salt(header))
        with self._write_lock:
            self._switch_keys(params, header, keys)

    def _switch_keys(
        self, params: KdfParams, header: bytes, keys: tuple[Secret[bytes], Secret[bytes]]
    ) -> None:
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
            _release_lock(self._lock_fd)
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


# -- the file format ---------------------------------------------------------------------------


def _ensure_empty_or_profile(directory: Path) -> None:
    try:
        names = set(os.listdir(directory))
    except NotADirectoryError as e:
        raise InsecureProfile(f"{directory} is not a directory") from e
    except OSError as e:
        raise StorageIOError(f"cannot list {directory}: {e.strerror}") from e
    ours = {VAULT_NAME, BACKUP_NAME, LOCK_NAME}
    foreign = [
        n for n in names if n not in ours and not (n.startswith(".vault.") and n.endswith(_TMP_SUFFIX))
    ]
    if foreign:
        raise InsecureProfile(
            f"{directory} is not empty and is not a TIMB profile; use a new or empty directory"
        )


def _ensure_no_vault(directory: Path) -> None:
    if Vault.exists(directory):
        raise VaultExists(f"{directory} already holds a vault; unlock it instead")


def _read_vault_file(directory: Path, from_backup: bool) -> bytes:
    blob = read_private_file(directory / (BACKUP_NAME if from_backup else VAULT_NAME))
    if blob is not None:
        return blob
    if from_backup:
        raise VaultNotFound(f"no backup vault in {directory}")
    if (directory / BACKUP_NAME).exists():
        raise VaultNotFound(f"no vault in {directory}, but a backup exists: unlock it with from_backup")
    raise VaultNotFound(f"no vault in {directory}")


def _passphrase_bytes(passphrase: Secret[str]) -> Secret[bytes]:
    # NFC so that the same passphrase typed through different input methods opens the vault.
    text = unicodedata.normalize("NFC", passphrase.reveal())
    if not text:
        raise ValueError("the passphrase must not be empty")
    return Secret(text.encode("utf-8"))


def _encode_header(kdf: KdfParams, salt: bytes) -> bytes:
    header = {"kdf": kdf.to_json(), "salt": base64.b64encode(salt).decode()}
    body = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    return _PREFIX.pack(MAGIC, FORMAT_VERSION, len(body)) + body


def _header_salt(header: bytes) -> bytes:
    return _parse_header(header)[1]


def _parse_header(header: bytes) -> tuple[KdfParams, bytes]:
    try:
        doc = json.loads(header[_PREFIX.size :])
        salt = base64.b64decode(doc["salt"], validate=True)
        kdf_doc = doc["kdf"]
    except (ValueError, KeyError, TypeError) as e:
        raise VaultCorrupted("the vault header is damaged") from e
    if not isinstance(kdf_doc, dict) or not SALT_LEN <= len(salt) <= 64:
        raise VaultCorrupted("the vault header is damaged")
    return kdf_from_json(kdf_doc), salt


def _derive(kdf: KdfParams, secret: Secret[bytes], salt: bytes) -> tuple[Secret[bytes], Secret[bytes]]:
    out = kdf.derive(secret.reveal(), salt, 64)
    return Secret(out[:32]), Secret(out[32:])


def _check_tag(check_key: Secret[bytes], aad: bytes) -> bytes:
    return hmac.new(check_key.reveal(), b"timb vault check\x00" + aad, hashlib.sha256).digest()


def _encrypt(
    header: bytes, enc_key: Secret[bytes], check_key: Secret[bytes], plain: bytes, random: Random
) -> bytes:
    padded_len = -(-(4 + len(plain)) // PAD_BLOCK) * PAD_BLOCK
    padded = struct.pack(">I", len(plain)) + plain + bytes(padded_len - 4 - len(plain))
    nonce = random.randbytes(NONCE_LEN)
    body = header + _check_tag(check_key, header) + nonce
    body += AESGCM(enc_key.reveal()).encrypt(nonce, padded, header)
    return body + hashlib.sha256(body).digest()


def _intact(blob: bytes) -> bool:
    """Magic and digest hold (no key needed)."""
    if len(blob) < _PREFIX.size + CHECK_LEN + NONCE_LEN + 16 + DIGEST_LEN or blob[:8] != MAGIC:
        return False
    return hmac.compare_digest(hashlib.sha256(blob[:-DIGEST_LEN]).digest(), blob[-DIGEST_LEN:])


def _decrypt(
    blob: bytes, secret: Secret[bytes]
) -> tuple[KdfParams, bytes, tuple[Secret[bytes], Secret[bytes]], JsonObject]:
    if not _intact(blob):
        raise VaultCorrupted("the vault file is damaged or was modified (integrity check failed)")
    _magic, version, header_len = _PREFIX.unpack_from(blob)
    if version != FORMAT_VERSION:
        raise UnsupportedVault(f"vault format {version} is not supported (this TIMB reads {FORMAT_VERSION})")
    end = _PREFIX.size + header_len
    if end + CHECK_LEN + NONCE_LEN + 16 > len(blob) - DIGEST_LEN:
        raise VaultCorrupted("the vault header is damaged")
    header = blob[:end]
    kdf, salt = _parse_header(header)
    keys = _derive(kdf, secret, salt)
    if not hmac.compare_digest(_check_tag(keys[1], header), blob[end : end + CHECK_LEN]):
        raise WrongPassphrase("wrong passphrase for this profile")
    nonce = blob[end + CHECK_LEN : end + CHECK_LEN + NONCE_LEN]
    try:
        padded = AESGCM(keys[0].reveal()).decrypt(
            nonce, blob[end + CHECK_LEN + NONCE_LEN : -DIGEST_LEN], header
        )
    except InvalidTag as e:
        raise VaultCorrupted("the vault contents fail authentication (tampered with)") from e
    length = int.from_bytes(padded[:4], "big")
    if len(padded) < 4 or 4 + length > len(padded):
        raise VaultCorrupted("the vault contents are malformed")
    try:
        data = json.loads(padded[4 : 4 + length])
    except ValueError as e:
        raise VaultCorrupted("the vault contents do not parse") from e
    if not isinstance(data, dict):
        raise VaultCorrupted("the vault contents are not a JSON object")
    return kdf, header, keys, data


# -- files, permissions, the lock --------------------------------------------------------------


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


def _fix_mode(path: Path) -> None:
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
    tmp = directory / f".{name}.{random.randbytes(8).hex()}{_TMP_SUFFIX}"
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


def _remove_leftover_temps(directory: Path) -> None:
    """Temp files left by a crash hold either garbage or an unrenamed copy: never the truth."""
    for name in (VAULT_NAME, BACKUP_NAME):
        for leftover in directory.glob(f".{name}.*{_TMP_SUFFIX}"):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass
            except OSError as e:
                raise StorageIOError(f"cannot remove the leftover {leftover}: {e.strerror}") from e


def _acquire_lock(directory: Path) -> int:
    path = directory / LOCK_NAME
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


def _release_lock(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
    os.close(fd)  # closing the last descriptor releases the flock


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
