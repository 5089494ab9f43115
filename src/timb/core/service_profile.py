"""The profile commands of `TimbService`: create, unlock, passphrase, profile-wide settings."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from timb.common.secret import Secret
from timb.core.accounts import AccountError, Accounts
from timb.core.errors import InvalidRequest, ProfileError
from timb.core.profile import Profile
from timb.core.service_base import POLICIES, TRUST_SECTION, ServiceBase
from timb.core.storage.vault import StorageError, VaultExists, VaultNotFound, WrongPassphrase
from timb.core.trust import TrustStore, TrustStoreError


class ProfileCommands(ServiceBase):
    def profile_exists(self) -> bool:
        return Profile.exists(self.profile_dir)

    async def create_profile(self, passphrase: Secret[str]) -> None:
        """Raises: ProfileError (one is unlocked, exists, unusable directory, empty passphrase)."""
        if self._profile is not None:
            raise ProfileError("a profile is already unlocked")
        try:
            profile = await asyncio.to_thread(Profile.create, passphrase, self.profile_dir, random=self._rng)
        except VaultExists:
            raise ProfileError(f"a profile exists already in {self.profile_dir}") from None
        except (StorageError, ValueError) as exc:
            raise ProfileError(str(exc)) from None
        self._profile = profile
        self._accounts = Accounts()
        self._trust = TrustStore()

    async def unlock_profile(self, passphrase: Secret[str]) -> None:
        """Raises: ProfileError (no profile, wrong passphrase, damaged, in use)."""
        if self._profile is not None:
            raise ProfileError("a profile is already unlocked")
        try:
            profile = await asyncio.to_thread(Profile.unlock, passphrase, self.profile_dir, random=self._rng)
        except WrongPassphrase:
            raise ProfileError("wrong passphrase") from None
        except VaultNotFound:
            raise ProfileError(f"no profile in {self.profile_dir}: create one first") from None
        except StorageError as exc:
            raise ProfileError(str(exc)) from None
        try:
            self._accounts = Accounts.from_section(profile.vault.section("accounts"))
            trust = profile.vault.section(TRUST_SECTION)
            self._trust = TrustStore.from_dict(trust) if trust else TrustStore()
        except (AccountError, TrustStoreError) as exc:
            profile.close()
            raise ProfileError(f"the profile is damaged: {exc}") from None
        self._profile = profile
        for account in self._accounts:
            self._runtime_for(account)
        everyone = profile.settings.auto_connect
        for account in self._accounts:
            if everyone or account.auto_connect:
                await self.connect(account.id)

    async def change_passphrase(self, old: Secret[str], new: Secret[str]) -> None:
        """Re-encrypt the profile with a new passphrase. Raises: ProfileError (wrong old one)."""
        profile = self._require_profile()
        try:
            async with self._save_lock:
                await asyncio.to_thread(profile.change_passphrase, old, new)
        except WrongPassphrase:
            raise ProfileError("wrong passphrase") from None
        except (StorageError, ValueError) as exc:
            raise ProfileError(str(exc)) from None

    # -- settings (profile-wide) ------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """``{"history": bool, "otr_policy": str, "auto_connect": bool, "tor": {...}}``.

        history: the default for conversations without their own setting (off by default);
        otr_policy: the default for contacts without their own; auto_connect: connect every
        account at unlock (else only accounts marked auto_connect); tor: how this service
        reaches tor (mode "managed", "attach" or "none"; chosen when the service starts).

        Raises: ProfileError (no profile unlocked).
        """
        current = self._require_profile().settings
        return {
            "history": current.history,
            "otr_policy": current.otr_policy,
            "auto_connect": current.auto_connect,
            "tor": self._tor_settings.describe(),
        }

    async def set_settings(
        self,
        *,
        history: bool | None = None,
        otr_policy: str | None = None,
        auto_connect: bool | None = None,
    ) -> None:
        """Change the profile-wide settings given (None: unchanged). A new default OTR policy
        applies at once to every contact without its own.

        Raises: ProfileError (none unlocked, cannot save), InvalidRequest (unknown policy).
        """
        profile = self._require_profile()
        if otr_policy is not None and otr_policy not in POLICIES:
            raise InvalidRequest(f"policy must be one of {', '.join(POLICIES)}")
        current = profile.settings
        updated = replace(
            current,
            history=current.history if history is None else history,
            otr_policy=current.otr_policy if otr_policy is None else otr_policy,
            auto_connect=current.auto_connect if auto_connect is None else auto_connect,
        )
        try:
            async with self._save_lock:
                await asyncio.to_thread(profile.set_settings, updated)
        except StorageError as exc:
            raise ProfileError(f"could not save the profile: {exc}") from None
        for runtime in self._runtimes.values():
            for contact in self._contacts(runtime.account.id):
                runtime.conversations.set_policy(contact, POLICIES[profile.otr_policy_for(contact)])
            self._pump(runtime)
