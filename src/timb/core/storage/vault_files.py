"""The vault's files in the profile directory: their names, and what must (not) be there.

A profile directory holds only the vault, its backup, the lock file and the vault's own
temporary files (plus `history/`, which the profile adds once history is on); anything else means
it is not a TIMB profile, and TIMB will not make one there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from timb.core.storage.errors import InsecureProfile, StorageIOError, VaultExists, VaultNotFound
from timb.core.storage.files import TMP_SUFFIX, read_private_file

VAULT_NAME: Final = "vault.timb"
BACKUP_NAME: Final = "vault.timb.bak"
LOCK_NAME: Final = "vault.lock"


def vault_exists(directory: Path) -> bool:
    """True if `directory` holds a vault (or at least its backup)."""
    return (directory / VAULT_NAME).exists() or (directory / BACKUP_NAME).exists()


def ensure_empty_or_profile(directory: Path) -> None:
    try:
        names = set(os.listdir(directory))
    except NotADirectoryError as e:
        raise InsecureProfile(f"{directory} is not a directory") from e
    except OSError as e:
        raise StorageIOError(f"cannot list {directory}: {e.strerror}") from e
    ours = {VAULT_NAME, BACKUP_NAME, LOCK_NAME}
    foreign = [n for n in names if n not in ours and not (n.startswith(".vault.") and n.endswith(TMP_SUFFIX))]
    if foreign:
        raise InsecureProfile(
            f"{directory} is not empty and is not a TIMB profile; use a new or empty directory"
        )


def ensure_no_vault(directory: Path) -> None:
    if vault_exists(directory):
        raise VaultExists(f"{directory} already holds a vault; unlock it instead")


def read_vault_file(directory: Path, from_backup: bool) -> bytes:
    blob = read_private_file(directory / (BACKUP_NAME if from_backup else VAULT_NAME))
    if blob is not None:
        return blob
    if from_backup:
        raise VaultNotFound(f"no backup vault in {directory}")
    if (directory / BACKUP_NAME).exists():
        raise VaultNotFound(f"no vault in {directory}, but a backup exists: unlock it with from_backup")
    raise VaultNotFound(f"no vault in {directory}")


__all__ = [
    "BACKUP_NAME",
    "LOCK_NAME",
    "VAULT_NAME",
    "ensure_empty_or_profile",
    "ensure_no_vault",
    "read_vault_file",
    "vault_exists",
]
