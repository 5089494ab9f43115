"""`TimbService`: commands in, typed events out. What every UI holds instead of a network.

The service owns the profile (the vault), the accounts, one `Conversations` core per account
(the only place where the network meets OTR), the Tor client and the network adapters. Every
task it starts belongs to its `TaskGroup` (``async with TimbService(...) as service``): exceptions
are never swallowed. Expected trouble on the network (tor not ready, server unreachable, wrong
password) becomes `ConnectionStateChanged` and `ErrorEvent`; a bug ends the service loudly.

Commands raise only `ServiceError`s (the tree is drawn in `timb.core.errors`), so a UI needs
nothing else.

The commands are grouped by concept, one module each, over `ServiceBase` (shared state):
profile and settings (`service_profile`), accounts (`service_accounts`), contacts, presence and
blocking (`service_contacts`), messages, OTR, SMP and history (`service_messages`), libotr
import/export (`service_identity`); tor is `tor_link`. This module assembles them and owns
the lifetime and the network event pump.

Nothing about a message is written unless history is turned on for it (docs/core.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Self

from timb.core.errors import InvalidRequest, NotFound, ProfileError, ServiceError, Unavailable
from timb.core.events import CoreEvent, ErrorEvent
from timb.core.profile import Profile
from timb.core.service_accounts import AccountCommands
from timb.core.service_base import POLICIES, Runtime
from timb.core.service_contacts import ContactCommands
from timb.core.service_identity import IdentityCommands
from timb.core.service_messages import MessageCommands
from timb.core.service_profile import ProfileCommands
from timb.core.tor_link import TorSettings
from timb.net import base as net

__all__ = [
    "POLICIES",
    "InvalidRequest",
    "NotFound",
    "ProfileError",
    "ServiceError",
    "TimbService",
    "TorSettings",
    "Unavailable",
    "default_profile_dir",
]

POLL_INTERVAL = 1.0


def default_profile_dir() -> Path:
    """The per-user profile directory (platformdirs)."""
    return Profile.default_directory()


class TimbService(ProfileCommands, AccountCommands, ContactCommands, MessageCommands, IdentityCommands):
    """The service. Use ``async with TimbService(profile_dir) as service:``; commands are methods.

    Args:
        profile_dir: the profile directory (created by `create_profile`).
        tor: how to reach tor (attach to a control port, or a managed tor); None runs without
            tor (accounts cannot connect).
        adapter_factory: makes a network adapter for an account (tests pass fakes).
        clock, rng: injected for tests.
    """

    # -- lifetime -----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        self._background.append(self._group.create_task(self._poll_loop(), name="timb-poll"))
        if self._tor.wanted:
            self._background.append(self._group.create_task(self._tor.run(), name="timb-tor"))
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._shutdown()
        assert self._group is not None
        await self._group.__aexit__(et, exc, tb)

    async def close(self) -> None:
        """Disconnect everything and lock the profile (also done on leaving ``async with``)."""
        await self._shutdown()

    async def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        for runtime in list(self._runtimes.values()):
            await runtime.link.stop()
        await self._tor.close()
        if self._profile is not None:
            async with self._save_lock:
                self._profile.close()
            self._profile = None
        self._events.put_nowait(None)
        for task in self._background:
            task.cancel()

    async def events(self) -> AsyncIterator[CoreEvent]:
        """Every event, in order, for one consumer; ends when the service closes."""
        while (event := await self._events.get()) is not None:
            yield event

    def _on_net_event(self, runtime: Runtime, event: net.NetEvent) -> None:
        account_id = runtime.account.id
        match event:
            case net.MessageIn(sender=sender, body=body):
                if sender.local and not self._is_blocked(account_id, str(sender.bare)):
                    runtime.conversations.receive(str(sender.bare), body)
                    self._pump(runtime)
            case net.MessageFailed(peer=peer, condition=condition):
                self._emit(ErrorEvent(f"account {account_id}: message to {peer} failed: {condition}"))
                if peer.local:
                    runtime.conversations.delivery_failed(str(peer.bare))
                    self._pump(runtime)
            case net.ErrorEvent(error=error):
                self._emit(ErrorEvent(f"account {account_id}: {error}"))
            case net.PresenceChanged():
                self._on_presence(runtime, event)
            case net.RosterChanged(items=items):
                self._status_of(account_id).update_roster(items)
            case net.SubscriptionRequest(sender=sender) if sender.local:
                self._on_subscription_request(runtime, sender)
            case _:
                pass  # acks: OTR delivery is inferred from the conversation (docs/core.md)

    async def _poll_loop(self) -> None:
        while not self._closed:
            await asyncio.sleep(POLL_INTERVAL)
            for runtime in list(self._runtimes.values()):
                runtime.conversations.poll()
                self._pump(runtime)
