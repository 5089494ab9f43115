"""The storage layer's errors: the one drawing of their tree (tests/architecture checks it).

Messages never carry a passphrase, a key or a document's contents: only paths and what went wrong.

Error tree::

    StorageError
     ├── WrongPassphrase         the passphrase does not open this vault
     ├── VaultCorrupted          the vault is damaged or was tampered with (left untouched)
     ├── UnsupportedVault        a newer format, or a KDF this machine's cryptography lacks
     ├── VaultNotFound           no vault in the directory
     ├── VaultExists             create() found a vault already there
     ├── VaultLocked             the vault was used after lock()
     ├── ProfileInUse            another TIMB process holds the profile lock
     ├── InsecureProfile         a profile path belongs to another user or is a symlink
     ├── StorageIOError          the file system refused (the OSError is the __cause__)
     └── HistoryError            base of the history errors
          └── HistoryCorrupted   a log was truncated, reordered, moved, damaged or restored
                                 after it was deleted
"""

from __future__ import annotations


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


class HistoryError(StorageError):
    """Base of the history errors."""


class HistoryCorrupted(HistoryError):
    """A log was truncated, reordered, moved between conversations, damaged, or restored after
    it was deleted."""


__all__ = [
    "HistoryCorrupted",
    "HistoryError",
    "InsecureProfile",
    "ProfileInUse",
    "StorageError",
    "StorageIOError",
    "UnsupportedVault",
    "VaultCorrupted",
    "VaultExists",
    "VaultLocked",
    "VaultNotFound",
    "WrongPassphrase",
]
