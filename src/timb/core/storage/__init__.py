"""Encrypted storage: the profile vault and (opt-in) history. See docs/storage.md.

Modules: `vault` (the `Vault` class; re-exports the rest), `vault_format` (the file layout),
`kdf` (passphrase key derivation), `files` (private files, atomic writes, the profile lock),
`errors` (the tree below, except the history errors, which live in `history`).

Error tree::

    StorageError
     ├── WrongPassphrase       the passphrase does not open this vault
     ├── VaultCorrupted        the vault is damaged or was tampered with (left untouched)
     ├── UnsupportedVault      a newer format, or a KDF this machine's cryptography lacks
     ├── VaultNotFound         no vault in the directory
     ├── VaultExists           create() found a vault already there
     ├── VaultLocked           the vault was used after lock()
     ├── ProfileInUse          another TIMB process holds the profile lock
     ├── InsecureProfile       a profile path belongs to another user or is a symlink
     ├── StorageIOError        the file system refused (the OSError is the __cause__)
     └── HistoryError
          └── HistoryCorrupted a log was truncated, reordered, moved or damaged
"""

from timb.core.storage.history import (
    Direction,
    History,
    HistoryCorrupted,
    HistoryEntry,
    HistoryError,
)
from timb.core.storage.vault import (
    Argon2idParams,
    InsecureProfile,
    JsonObject,
    JsonValue,
    KdfParams,
    ProfileInUse,
    ScryptParams,
    StorageError,
    StorageIOError,
    UnsupportedVault,
    Vault,
    VaultCorrupted,
    VaultExists,
    VaultLocked,
    VaultNotFound,
    WrongPassphrase,
    default_kdf_params,
)

__all__ = [
    "Argon2idParams",
    "Direction",
    "History",
    "HistoryCorrupted",
    "HistoryEntry",
    "HistoryError",
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
    "default_kdf_params",
]
