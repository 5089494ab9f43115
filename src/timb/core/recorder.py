"""Message history for the service: off unless the user turned it on for a conversation.

`HistoryRecorder` decides, per message, whether anything touches the disk (the profile's
per-conversation switch, off by default) and writes through the profile's encrypted `History`
in worker threads, under the same lock as every other vault write so saves never interleave.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from timb.common.clock import Clock
from timb.common.secret import Secret
from timb.core.errors import ProfileError
from timb.core.events import CoreEvent, ErrorEvent, MessageReceived, MessageSent
from timb.core.profile import Profile
from timb.core.storage.history import Direction, History, HistoryEntry
from timb.core.storage.vault import StorageError


class HistoryRecorder:
    """History of one unlocked profile. ``spawn`` runs a coroutine in the owner's task group."""

    def __init__(
        self,
        profile: Profile,
        lock: asyncio.Lock,
        clock: Clock,
        spawn: Callable[[Coroutine[Any, Any, None]], object],
        emit: Callable[[CoreEvent], None],
    ) -> None:
        self._profile = profile
        self._lock = lock
        self._clock = clock
        self._spawn = spawn
        self._emit = emit

    def remember(
        self, account_id: str, contact: str, direction: Direction, event: MessageReceived | MessageSent | str
    ) -> None:
        """Record a message if (and only if) history is on for this conversation. An outgoing
        message is recorded when it went out (`MessageSent`), with how it went out."""
        conversation = History.conversation_id(account_id, contact)
        if self._profile.is_closed or not self._profile.history_enabled_for(conversation):
            return  # the default: nothing about the message touches the disk
        now = self._clock.now()
        if isinstance(event, MessageReceived):
            text, encrypted, verified = event.text, event.encrypted, event.verified
        elif isinstance(event, MessageSent):
            text, encrypted, verified = event.text, event.encrypted, False
        else:  # (older callers) an outgoing text: it leaves encrypted under a policy requiring it
            text, encrypted, verified = event, True, False
        # The peer decides how long a message is: an oversize one is cut, never an exception.
        entry, truncated = HistoryEntry.fitted(
            direction, now, Secret(text), encrypted=encrypted, verified=verified
        )
        if truncated is not None:
            self._emit(
                ErrorEvent(
                    f"history: a message with {contact} was too long to keep whole; "
                    f"{truncated.kept} of its {truncated.original} bytes were kept"
                )
            )
        self._spawn(self._record(conversation, entry))

    async def set(self, account_id: str, contact: str, enabled: bool | None) -> None:
        """On, off, or back to the profile's setting (None; off by default). Logs are kept."""
        conversation = History.conversation_id(account_id, contact)
        async with self._lock:
            await asyncio.to_thread(self._profile.set_history_override, conversation, enabled)

    async def read(self, account_id: str, contact: str) -> list[dict[str, Any]]:
        """The recorded messages, oldest first. Raises: ProfileError (damaged log, storage)."""
        conversation = History.conversation_id(account_id, contact)
        try:
            async with self._lock:
                entries = await asyncio.to_thread(self._profile.history.read, conversation)
        except StorageError as exc:
            raise ProfileError(f"history: {exc}") from None
        return [
            {
                "direction": "in" if e.direction is Direction.INCOMING else "out",
                "timestamp": e.timestamp,
                "text": e.body.reveal(),
                "encrypted": e.encrypted,
                "verified": e.verified,
            }
            for e in entries
        ]

    async def delete(self, account_id: str, contact: str) -> None:
        """Remove the conversation's log. Raises: ProfileError (storage)."""
        conversation = History.conversation_id(account_id, contact)
        try:
            async with self._lock:
                await asyncio.to_thread(self._profile.history.delete, conversation)
        except StorageError as exc:
            raise ProfileError(f"history: {exc}") from None

    async def _record(self, conversation: str, entry: HistoryEntry) -> None:
        async with self._lock:
            if self._profile.is_closed:
                return
            try:
                await asyncio.to_thread(self._profile.history.record, conversation, entry)
            except StorageError as exc:
                self._emit(ErrorEvent(f"history could not be written: {exc}"))
