"""The network adapter protocol: what the core sees of XMPP (and later IRC, onion peers).

An adapter is one account's connection to one chat network. The core drives it with coroutines
(`connect`, `send_message`, roster operations) and reads what happens from **one async iterator**,
`events()`: typed, frozen events the core ``match``-es on. We chose an iterator over a callback so
that an error inside the adapter (a failed handler, a fatal protocol error) is *raised* in the task
that owns the adapter, from ``async for``, instead of vanishing inside a network library's
callback machinery. Exactly one consumer reads the events; nothing is dropped while nobody reads
(the queue is unbounded, so the core must keep reading while it uses the adapter).

Adapters never dial and never resolve a name: every TCP stream comes from a `Dialer`
(`timb.tor`'s client, whose ``open_socket`` sends the host name to tor inside SOCKS5).

Errors: the tree is drawn once, in `timb.net.errors` (re-exported here).

Messages never carry passwords or message bodies.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from timb.common.ids import Jid
from timb.net.errors import (
    AdapterCrashed,
    AuthError,
    ConnectError,
    NetError,
    NotConnectedError,
    RemoteError,
    TlsError,
)

# The errors are re-exported: adapters and core import them from here.
__all__ = [
    "Adapter",
    "AdapterCrashed",
    "AuthError",
    "ConnectError",
    "ConnectionState",
    "ConnectionStateChanged",
    "Dialer",
    "ErrorEvent",
    "MessageAcked",
    "MessageFailed",
    "MessageIn",
    "NetError",
    "NetEvent",
    "NotConnectedError",
    "PresenceChanged",
    "RemoteError",
    "RosterChanged",
    "RosterItem",
    "Subscription",
    "SubscriptionRequest",
    "TlsError",
]

# --- the dialer -------------------------------------------------------------------------------


class Dialer(Protocol):
    """The one door to the network that adapters may use (implemented by ``timb.tor``'s client)."""

    async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
        """A connected, non-blocking TCP socket to ``host:port`` through tor.

        ``host`` is sent to tor as a name (SOCKS5 ATYP domain), never resolved locally.
        ``isolation`` keeps streams of different accounts on different circuits.
        The result is typed ``object`` because only ``timb.tor`` may import ``socket``; adapters
        hand it to asyncio unchanged.

        Raises:
            timb.tor.errors.TorError (or OSError): the stream could not be opened.
        """
        ...


# --- events -----------------------------------------------------------------------------------


class ConnectionState(enum.Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ConnectionStateChanged:
    """The session changed state.

    ``resumed`` is true when CONNECTED came from a stream resumption (XEP-0198): the server kept
    our session, nothing was lost. ``reason`` says why for DISCONNECTED and FAILED. ``error`` is
    set with FAILED: the fatal error (TlsError, AuthError) that ended the adapter's retries.
    """

    state: ConnectionState
    reason: str | None = None
    resumed: bool = False
    error: NetError | None = None


@dataclass(frozen=True, slots=True)
class MessageIn:
    """A 1:1 chat message arrived. ``body`` is left out of ``repr`` so it never reaches a log."""

    sender: Jid
    body: str = field(repr=False)
    id: str | None = None
    thread: str | None = None


@dataclass(frozen=True, slots=True)
class MessageAcked:
    """The server confirmed it received our message ``id`` (XEP-0198 acks; only when enabled)."""

    id: str


@dataclass(frozen=True, slots=True)
class MessageFailed:
    """A message we sent came back as an error (e.g. the recipient does not exist)."""

    id: str | None
    peer: Jid
    condition: str


@dataclass(frozen=True, slots=True)
class PresenceChanged:
    """A contact's resource came online or went offline. ``show`` is away/chat/dnd/xa or None."""

    jid: Jid
    available: bool
    show: str | None = None


class Subscription(enum.Enum):
    """RFC 6121 roster subscription states."""

    NONE = "none"
    TO = "to"
    FROM = "from"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class RosterItem:
    jid: Jid
    name: str | None
    subscription: Subscription
    pending_out: bool = False


@dataclass(frozen=True, slots=True)
class RosterChanged:
    """The roster as it is now (the whole roster, not a delta)."""

    items: tuple[RosterItem, ...]


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    """``sender`` asks to see our presence. Nothing is approved automatically."""

    sender: Jid


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """A non-fatal error the core may want to show (a malformed stanza we dropped, ...)."""

    error: NetError


NetEvent = (
    ConnectionStateChanged
    | MessageIn
    | MessageAcked
    | MessageFailed
    | PresenceChanged
    | RosterChanged
    | SubscriptionRequest
    | ErrorEvent
)


# --- the adapter ------------------------------------------------------------------------------


class Adapter(ABC):
    """One account's connection. All methods run on the event loop that runs the adapter."""

    @abstractmethod
    async def connect(self) -> None:
        """Open the session and return once it can carry messages.

        After a session existed, a lost connection is re-established in the background with
        backoff (reported as ConnectionStateChanged events); fatal errors end that.

        Raises:
            ConnectError: the server could not be reached (first attempt: no retries).
            TlsError: the certificate is not trusted or does not match the pin.
            AuthError: wrong credentials.
        """

    @abstractmethod
    async def disconnect(self) -> None:
        """Close the session cleanly and stop reconnecting. Idempotent."""

    @abstractmethod
    async def send_message(self, to: Jid, body: str) -> str:
        """Send a 1:1 chat message; returns its id.

        Raises:
            NotConnectedError: no session right now (the core keeps the message and retries).
        """

    @abstractmethod
    async def roster(self) -> tuple[RosterItem, ...]:
        """Fetch the roster from the server. Raises NotConnectedError, RemoteError."""

    @abstractmethod
    async def add_contact(self, jid: Jid, name: str | None = None) -> None:
        """Add ``jid`` to the roster and ask to see its presence. Raises NotConnectedError, RemoteError."""

    @abstractmethod
    async def remove_contact(self, jid: Jid) -> None:
        """Remove ``jid`` from the roster (and both subscriptions). Raises NotConnectedError, RemoteError."""

    @abstractmethod
    async def approve_subscription(self, jid: Jid) -> None:
        """Let ``jid`` see our presence (answer a SubscriptionRequest). Raises NotConnectedError."""

    @abstractmethod
    async def deny_subscription(self, jid: Jid) -> None:
        """Refuse a SubscriptionRequest. Raises NotConnectedError."""

    @abstractmethod
    def events(self) -> AsyncIterator[NetEvent]:
        """The adapter's events, in order, for exactly one consumer.

        Raises (from the iteration):
            AdapterCrashed: a protocol handler failed; the adapter is aborted.
        """
