"""A TIMB profile: one directory, one passphrase-encrypted vault, opt-in history.

The profile holds the vault (OTR keys, accounts, onion keys, trust store: sections owned by their
modules) and the user's settings, with safe defaults: history off, OTR policy "always", no
automatic connection. No network, no UI. See docs/storage.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final

import platformdirs

from timb.common.random import Random
from timb.common.secret import Secret
from timb.core.storage.history import HISTORY_DIR, History
from timb.core.storage.vault import (
    BACKUP_NAME,
    LOCK_NAME,
    VAULT_NAME,
    JsonObject,
    KdfParams,
    Vault,
    VaultCorrupted,
    secure_directory,
)

SETTINGS_SECTION: Final = "settings"
OTR_POLICIES: Final = ("always", "opportunistic", "manual", "never")
DEFAULT_OTR_POLICY: Final = "always"
_HISTORY_OVERRIDES: Final = "history_overrides"
_OTR_OVERRIDES: Final = "otr_policy_overrides"


@dataclass(frozen=True, slots=True)
class Settings:
    """Profile-wide settings. The defaults are the safe choice. Raises ValueError for an unknown
    OTR policy name."""

    history: bool = False
    otr_policy: str = DEFAULT_OTR_POLICY
    auto_connect: bool = False

    def __post_init__(self) -> None:
        if self.otr_policy not in OTR_POLICIES:
            raise ValueError(f"unknown OTR policy {self.otr_policy!r}; expected one of {OTR_POLICIES}")


@dataclass(frozen=True, slots=True)
class ProfilePaths:
    """Where a profile keeps its files (only `root` need exist before `Profile.create`)."""

    root: Path
    vault: Path
    backup: Path
    lock: Path
    history: Path

    @classmethod
    def of(cls, root: Path) -> ProfilePaths:
        root = Path(root)
        return cls(root, root / VAULT_NAME, root / BACKUP_NAME, root / LOCK_NAME, root / HISTORY_DIR)


class Profile:
    """An unlocked profile. Use as a context manager, or call `close()` when done."""

    __slots__ = ("_history", "_paths", "_vault")

    def __init__(self, vault: Vault, *, random: Random | None = None) -> None:
        """Wrap an unlocked vault; prefer `Profile.create` / `Profile.unlock`.

        Raises: InsecureProfile, StorageIOError (the history directory cannot be secured).
        """
        self._vault = vault
        self._paths = ProfilePaths.of(vault.directory)
        if self._paths.history.is_dir():
            secure_directory(self._paths.history)
        self._history = History(vault, self._paths.history, self.history_enabled_for, random=random)

    @staticmethod
    def default_directory() -> Path:
        """The per-user data directory for TIMB (platformdirs)."""
        return Path(platformdirs.user_data_dir("timb", appauthor=False))

    @staticmethod
    def exists(directory: Path | None = None) -> bool:
        """True if the directory (default: `default_directory()`) holds a profile."""
        return Vault.exists(directory if directory is not None else Profile.default_directory())

    @classmethod
    def create(
        cls,
        passphrase: Secret[str],
        directory: Path | None = None,
        *,
        kdf: KdfParams | None = None,
        random: Random | None = None,
    ) -> Profile:
        """Create a profile with default settings.

        Raises:
            ValueError: the passphrase is empty.
            VaultExists, ProfileInUse, InsecureProfile, StorageIOError: see `Vault.create`.
        """
        root = directory if directory is not None else cls.default_directory()
        defaults: JsonObject = {SETTINGS_SECTION: _settings_to_json(Settings())}
        return cls._wrap(Vault.create(root, passphrase, kdf=kdf, data=defaults, random=random), random)

    @classmethod
    def unlock(
        cls,
        passphrase: Secret[str],
        directory: Path | None = None,
        *,
        from_backup: bool = False,
        random: Random | None = None,
    ) -> Profile:
        """Unlock an existing profile.

        Raises:
            WrongPassphrase, VaultCorrupted, VaultNotFound, UnsupportedVault, ProfileInUse,
            InsecureProfile, StorageIOError: see `Vault.unlock` (and `__init__`).
        """
        root = directory if directory is not None else cls.default_directory()
        vault = Vault.unlock(root, passphrase, from_backup=from_backup, random=random)
        return cls._wrap(vault, random)

    @classmethod
    def _wrap(cls, vault: Vault, random: Random | None) -> Profile:
        try:
            return cls(vault, random=random)
        except BaseException:
            vault.lock()
            raise

    # -- what it holds -------------------------------------------------------------------------

    @property
    def paths(self) -> ProfilePaths:
        return self._paths

    @property
    def directory(self) -> Path:
        return self._paths.root

    @property
    def vault(self) -> Vault:
        return self._vault

    @property
    def history(self) -> History:
        return self._history

    @property
    def settings(self) -> Settings:
        """The stored settings; a missing or unreadable value reads as its safe default.

        Raises: VaultLocked.
        """
        doc = self._settings_doc()
        default = Settings()
        policy = doc.get("otr_policy")
        return Settings(
            history=doc.get("history") is True,
            otr_policy=policy if isinstance(policy, str) and policy in OTR_POLICIES else default.otr_policy,
            auto_connect=doc.get("auto_connect") is True,
        )

    def set_settings(self, settings: Settings) -> None:
        """Store `settings` and save the vault (keys this version does not know are kept).
        Change one field with ``set_settings(dataclasses.replace(profile.settings, history=True))``.

        Raises: VaultLocked, StorageIOError.
        """
        self._settings_doc().update(_settings_to_json(settings))
        self._vault.save()

    # -- per-conversation overrides ------------------------------------------------------------

    def history_enabled_for(self, conversation: str) -> bool:
        """The contact's override if any, else the profile setting (off by default).

        Raises: VaultLocked.
        """
        override = self._overrides(_HISTORY_OVERRIDES).get(conversation)
        return override if isinstance(override, bool) else self.settings.history

    def set_history_override(self, conversation: str, enabled: bool | None) -> None:
        """Turn history on/off for one conversation, or back to the profile setting (None).
        Existing logs are kept either way: delete them with `history.delete`.

        Raises: VaultLocked, StorageIOError.
        """
        self._set_override(_HISTORY_OVERRIDES, conversation, enabled)

    def otr_policy_for(self, contact: str) -> str:
        """The contact's OTR policy override if any, else the profile's. Raises: VaultLocked."""
        override = self._overrides(_OTR_OVERRIDES).get(contact)
        return (
            override if isinstance(override, str) and override in OTR_POLICIES else self.settings.otr_policy
        )

    def set_otr_policy_override(self, contact: str, policy: str | None) -> None:
        """Set one contact's OTR policy, or back to the profile's (None).

        Raises: ValueError (unknown policy), VaultLocked, StorageIOError.
        """
        if policy is not None and policy not in OTR_POLICIES:
            raise ValueError(f"unknown OTR policy {policy!r}; expected one of {OTR_POLICIES}")
        self._set_override(_OTR_OVERRIDES, contact, policy)

    # -- lifetime ------------------------------------------------------------------------------

    def change_passphrase(self, old: Secret[str], new: Secret[str], *, kdf: KdfParams | None = None) -> None:
        """See `Vault.change_passphrase`. Raises: WrongPassphrase, ValueError, StorageIOError."""
        self._vault.change_passphrase(old, new, kdf=kdf)

    def close(self) -> None:
        """Lock the vault (drop keys and contents) and release the profile. Idempotent."""
        self._vault.lock()

    @property
    def is_closed(self) -> bool:
        return self._vault.is_locked

    def __enter__(self) -> Profile:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Profile {self._paths.root} {'closed' if self.is_closed else 'open'}>"

    # -- internals -----------------------------------------------------------------------------

    def _settings_doc(self) -> JsonObject:
        return self._vault.section(SETTINGS_SECTION)

    def _overrides(self, key: str) -> JsonObject:
        value = self._settings_doc().setdefault(key, {})
        if not isinstance(value, dict):
            raise VaultCorrupted(f"the profile setting {key!r} is damaged")
        return value

    def _set_override(self, key: str, name: str, value: bool | str | None) -> None:
        overrides = self._overrides(key)
        if value is None:
            if overrides.pop(name, None) is None:
                return
        else:
            overrides[name] = value
        self._vault.save()


def _settings_to_json(settings: Settings) -> JsonObject:
    return {
        "history": settings.history,
        "otr_policy": settings.otr_policy,
        "auto_connect": settings.auto_connect,
    }


__all__ = ["DEFAULT_OTR_POLICY", "OTR_POLICIES", "Profile", "ProfilePaths", "Settings"]
