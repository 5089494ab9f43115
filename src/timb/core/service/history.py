"""History for the service: off unless the user turned it on for a conversation.

A thin part over `timb.core.recorder.HistoryRecorder`: it knows the session (whose lock every
vault write holds) and where background writes run (the service's task group).
"""

from __future__ import annotations

from collections.abc import Callable

from timb.common.clock import Clock
from timb.core.errors import Unavailable
from timb.core.events import CoreEvent, MessageReceived, MessageSent
from timb.core.recorder import HistoryRecorder
from timb.core.service.results import HistoryDirection, HistoryItem
from timb.core.service.runtime import Spawn
from timb.core.service.session import ProfileSession
from timb.core.storage.history import Direction


class HistoryPart:
    """Records and reads the history of the session's profile."""

    def __init__(self, session: ProfileSession, clock: Clock, emit: Callable[[CoreEvent], None]) -> None:
        self._session = session
        self._clock = clock
        self._emit = emit
        self._spawn: Spawn | None = None

    def run_in(self, spawn: Spawn | None) -> None:
        """Where history writes run (the service's task group)."""
        self._spawn = spawn

    def recorder(self) -> HistoryRecorder:
        """Raises: ProfileError (none unlocked), Unavailable (the service is not running)."""
        profile = self._session.require()
        if self._spawn is None:
            raise Unavailable("the service is not running (use it with 'async with')")
        return HistoryRecorder(profile, self._session.lock, self._clock, self._spawn, self._emit)

    def remember(
        self, account_id: str, contact: str, direction: Direction, event: MessageReceived | MessageSent | str
    ) -> None:
        """Record a message if history is on for its conversation (off by default)."""
        if self._session.is_open and self._spawn is not None:
            self.recorder().remember(account_id, contact, direction, event)

    async def set(self, account_id: str, contact: str, enabled: bool | None) -> None:
        await self.recorder().set(account_id, contact, enabled)

    async def read(self, account_id: str, contact: str) -> list[HistoryItem]:
        """The recorded messages, oldest first. Raises: ProfileError (damaged log, storage)."""
        return [
            HistoryItem(
                HistoryDirection(record["direction"]),
                float(record["timestamp"]),
                str(record["text"]),
                bool(record["encrypted"]),
                bool(record["verified"]),
            )
            for record in await self.recorder().read(account_id, contact)
        ]

    async def delete(self, account_id: str, contact: str) -> None:
        await self.recorder().delete(account_id, contact)
