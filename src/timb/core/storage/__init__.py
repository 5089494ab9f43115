"""Encrypted storage: the profile vault and (opt-in) history. See docs/storage.md.

Modules: `vault` (the `Vault` class; re-exports the rest), `vault_format` (the file layout),
`history` (the history logs on disk), `history_format` (their records and keys),
`kdf` (passphrase key derivation), `files` (private files, atomic writes, the profile lock),
`errors` (the error tree, drawn there once).
"""

from timb.core.storage.history import (
    Direction,
    History,
    HistoryCorrupted,
    HistoryEntry,
    HistoryError,
    Truncated,
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
    "Truncated",
    "UnsupportedVault",
    "Vault",
    "VaultCorrupted",
    "VaultExists",
    "VaultLocked",
    "VaultNotFound",
    "WrongPassphrase",
    "default_kdf_params",
]
