"""The profile commands of `TimbService`: create, unlock, passphrase, settings."""

from __future__ import annotations

import asyncio

from timb.common.secret import Secret
from timb.core.accounts import AccountError, Accounts
from timb.core.errors import ProfileError
from timb.core.profile import Profile
from timb.core.service_base import TRUST_SECTION, ServiceBase
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
        for account in self._accounts:
            if account.auto_connect:
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
