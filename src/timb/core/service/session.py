"""The profile session: the unlocked vault, its settings, and when it is written.

One part, one job: everything that reaches the disk through the vault goes through here, under
one lock, so that a background save, a settings change and a history write never interleave.
The other parts keep their state in memory and register a *section provider* (`keep`): each save
writes every provider's current section first, so nothing is saved half-updated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from timb.common.random import Random
from timb.common.secret import Secret
from timb.core.errors import InvalidRequest, ProfileError
from timb.core.events import CoreEvent, ErrorEvent
from timb.core.profile import Profile, Settings
from timb.core.service.checks import require_unicode
from timb.core.service.translate import translated
from timb.core.storage.vault import VaultExists, VaultNotFound
from timb.otr import Policy

POLICIES: dict[str, Policy] = {
    "always": Policy.ALWAYS,
    "opportunistic": Policy.OPPORTUNISTIC,
    "manual": Policy.MANUAL,
    "never": Policy.NEVER,
}

Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]


def check_policy(policy: str) -> Policy:
    """Raises: InvalidRequest (not one of `POLICIES`)."""
    if policy not in POLICIES:
        raise InvalidRequest(f"policy must be one of {', '.join(POLICIES)}")
    return POLICIES[policy]


def _check_passphrase(passphrase: Secret[str]) -> None:
    """Raises: ProfileError (empty, or not valid Unicode)."""
    if not passphrase.reveal():
        raise ProfileError("the passphrase must not be empty")
    require_unicode(passphrase.reveal(), "the passphrase", ProfileError)


class ProfileSession:
    """The profile of one service: at most one unlocked at a time."""

    def __init__(self, directory: Path, rng: Random, emit: Callable[[CoreEvent], None]) -> None:
        self.directory = Path(directory)
        self.lock = asyncio.Lock()  # every vault or history write holds it
        self._rng = rng
        self._emit = emit
        self._profile: Profile | None = None
        self._providers: dict[str, Callable[[], dict[str, Any]]] = {}
        self._spawn: Spawn | None = None
        self._save_waiting = False  # a background save is on its way and has not read the state yet
        self.unsaved = False  # the last background save failed: what it held is in memory only

    def keep(self, section: str, provider: Callable[[], dict[str, Any]]) -> None:
        """Write ``provider()`` as vault section ``section`` at every save."""
        self._providers[section] = provider

    def run_in(self, spawn: Spawn | None) -> None:
        """Where background saves run (the service's task group; None once it is gone)."""
        self._spawn = spawn

    @property
    def is_open(self) -> bool:
        return self._profile is not None

    def require(self) -> Profile:
        """Raises: ProfileError (none unlocked)."""
        if self._profile is None:
            raise ProfileError("no profile is unlocked: unlock or create one first")
        return self._profile

    def section(self, name: str) -> dict[str, Any]:
        """The live vault section ``name`` (created empty). Raises: ProfileError."""
        with translated():
            return self.require().vault.section(name)

    # -- opening and closing --------------------------------------------------------------------

    async def create(self, passphrase: Secret[str]) -> Profile:
        """Raises: ProfileError (one is unlocked, exists, unusable directory, empty passphrase)."""
        self._refuse_second()
        _check_passphrase(passphrase)
        with translated(wording={VaultExists: f"a profile exists already in {self.directory}"}):
            profile = await asyncio.to_thread(Profile.create, passphrase, self.directory, random=self._rng)
        self._profile = profile
        return profile

    async def unlock(self, passphrase: Secret[str]) -> Profile:
        """Raises: ProfileError (no profile, wrong passphrase, damaged, in use)."""
        self._refuse_second()
        require_unicode(passphrase.reveal(), "the passphrase", ProfileError)
        with translated(wording={VaultNotFound: f"no profile in {self.directory}: create one first"}):
            profile = await asyncio.to_thread(Profile.unlock, passphrase, self.directory, random=self._rng)
        self._profile = profile
        return profile

    def _refuse_second(self) -> None:
        if self._profile is not None:
            raise ProfileError("a profile is already unlocked")

    def abandon(self) -> None:
        """Lock a profile that turned out unusable right after unlocking (nothing is saved)."""
        profile, self._profile = self._profile, None
        if profile is not None:
            profile.close()

    async def close(self) -> None:
        """Lock the profile once pending writes are done (idempotent)."""
        if self._profile is not None:
            async with self.lock:
                self._profile.close()
            self._profile = None

    # -- writing ----------------------------------------------------------------------------------

    async def save(self) -> None:
        """Write every kept section and the vault. Raises: ProfileError (none unlocked, disk)."""
        profile = self.require()
        async with self.lock:
            self._save_waiting = False  # what changes from now on needs another save
            with translated("could not save the profile: "):
                for name, provider in self._providers.items():
                    profile.vault.set_section(name, provider())
                await asyncio.to_thread(profile.vault.save)

    def save_soon(self) -> None:
        """Save in the background. A failure is an ErrorEvent: an exception in a task of the
        service's group would cancel every connection with it. Calls before that save has read
        the state share it (a burst of messages is one save, not one each)."""
        if self._spawn is not None and self._profile is not None and not self._save_waiting:
            self._save_waiting = True
            self._spawn(self._save_reporting())

    async def _save_reporting(self) -> None:
        try:
            await self.save()
        except ProfileError as exc:  # the disk refused, or the profile was locked meanwhile
            if not self.unsaved:  # said once; `retry_unsaved` tries again quietly
                self._emit(ErrorEvent(str(exc)))
            self.unsaved = self._profile is not None
        else:
            self.unsaved = False
        finally:
            self._save_waiting = False  # (at worst one save more, never one less)

    def retry_unsaved(self) -> None:
        """After a failed background save: try again (the service's tick calls this)."""
        if self.unsaved:
            self.save_soon()

    async def change_passphrase(self, old: Secret[str], new: Secret[str]) -> None:
        """Raises: ProfileError (none unlocked, wrong old passphrase, empty new one, disk)."""
        profile = self.require()
        require_unicode(old.reveal(), "the passphrase", ProfileError)
        _check_passphrase(new)
        async with self.lock:
            with translated():
                await asyncio.to_thread(profile.change_passphrase, old, new)

    # -- settings -----------------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """Raises: ProfileError (none unlocked)."""
        return self.require().settings

    async def update_settings(
        self, *, history: bool | None, otr_policy: str | None, auto_connect: bool | None
    ) -> None:
        """Change the settings given (None: unchanged). Raises: ProfileError, InvalidRequest."""
        profile = self.require()
        if otr_policy is not None:
            check_policy(otr_policy)
        current = profile.settings
        updated = replace(
            current,
            history=current.history if history is None else history,
            otr_policy=current.otr_policy if otr_policy is None else otr_policy,
            auto_connect=current.auto_connect if auto_connect is None else auto_connect,
        )
        async with self.lock:
            with translated("could not save the profile: "):
                await asyncio.to_thread(profile.set_settings, updated)

    def policy_for(self, contact: str) -> Policy:
        """The effective OTR policy of a contact (its own, else the profile's)."""
        return POLICIES[self.require().otr_policy_for(contact)]

    def policy_name_for(self, contact: str) -> str:
        return self.require().otr_policy_for(contact)

    async def set_policy_override(self, contact: str, policy: str | None) -> None:
        """A contact's own policy (None: the profile's). Raises: ProfileError, InvalidRequest."""
        profile = self.require()
        if policy is not None:
            check_policy(policy)
        async with self.lock:
            with translated():
                await asyncio.to_thread(profile.set_otr_policy_override, contact, policy)
