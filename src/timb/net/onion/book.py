"""The adapter's view of contacts (what to dial, whom to refuse) and the request limits. Pure."""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from timb.common.ids import OnionAddress
from timb.net.onion.messages import Status


class ContactState(enum.Enum):
    ALLOWED = "allowed"  # a contact: dial it, take its connections
    REQUESTING = "requesting"  # we sent a request: dial it, ask again on each connection
    BLOCKED = "blocked"  # refuse its requests
    REJECTED = "rejected"  # it refused us (or answered Error): do not dial


@dataclass(slots=True)
class BookEntry:
    state: ContactState
    nickname: str = ""  # ours, sent with a request
    message: str = ""


class RequestLimiter:
    """At most ``limit`` contact requests from strangers in any ``window`` seconds."""

    __slots__ = ("_limit", "_times", "_window")

    def __init__(self, limit: int = 10, window: float = 60.0) -> None:
        self._limit, self._window = limit, window
        self._times: deque[float] = deque()

    def allow(self, now: float) -> bool:
        while self._times and now - self._times[0] >= self._window:
            self._times.popleft()
        if len(self._times) >= self._limit:
            return False
        self._times.append(now)
        return True


class ContactBook:
    """Who is who, for one identity (the core service persists it)."""

    def __init__(self) -> None:
        self._entries: dict[OnionAddress, BookEntry] = {}

    def get(self, peer: OnionAddress) -> ContactState | None:
        entry = self._entries.get(peer)
        return None if entry is None else entry.state

    def entry(self, peer: OnionAddress) -> BookEntry | None:
        return self._entries.get(peer)

    def set(self, peer: OnionAddress, state: ContactState, nickname: str = "", message: str = "") -> None:
        self._entries[peer] = BookEntry(state, nickname, message)

    def forget(self, peer: OnionAddress) -> None:
        self._entries.pop(peer, None)

    def to_dial(self) -> list[OnionAddress]:
        return [a for a, e in self._entries.items() if e.state in _DIALLED]

    def wants_connection(self, peer: OnionAddress) -> bool:
        return self.get(peer) in _DIALLED

    def is_contact(self, peer: OnionAddress) -> bool:
        """Whether we tell an authenticated client that we know it (Ricochet: KnownContact)."""
        return self.get(peer) is ContactState.ALLOWED

    def screen(self, peer: OnionAddress) -> Status:
        """The immediate answer to ``peer``'s request: a contact's or one we asked is taken (as
        Ricochet does), a blocked one refused, anyone else asks the user."""
        match self.get(peer):
            case ContactState.ALLOWED | ContactState.REQUESTING:
                return Status.Accepted
            case ContactState.BLOCKED:
                return Status.Rejected
            case _:
                return Status.Pending


_DIALLED = {ContactState.ALLOWED, ContactState.REQUESTING}
