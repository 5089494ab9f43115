"""The storage layer's errors (the tree is drawn in `timb.core.storage`).

Messages never carry a passphrase, a key or a document's contents: only paths and what went wrong.
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


__all__ = [
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
