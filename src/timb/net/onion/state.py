"""The state of one Ricochet v3 connection and its output helpers (see `connection`)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from timb.common.ids import OnionAddress
from timb.common.random import Random
from timb.net.onion import chat, framing
from timb.net.onion import messages as m
from timb.net.onion.errors import (
    OnionError,
    OnionUsageError,
)
from timb.net.onion.events import (
    BecameContact,
    ConnectionClosed,
    ConnectionEvent,
    MessageReceived,
    MessageUndelivered,
)
from timb.net.onion.identity import OnionIdentity

UNKNOWN_PURPOSE_TIMEOUT = 15.0
KEEPALIVE_INTERVAL = 60.0
KEEPALIVE_TIMEOUT = 30.0
MAX_CHANNELS = 16
MAX_EVENTS = 1024
MAX_UNACKED = 4096  # sent messages remembered for a replacement connection


class Role(enum.Enum):
    CLIENT = "client"  # we dialled
    SERVER = "server"  # the peer dialled our onion service


class State(enum.Enum):
    AWAITING_VERSION = "awaiting-version"
    OPEN = "open"
    CLOSED = "closed"


class Purpose(enum.Enum):
    UNKNOWN = "unknown"
    CONTACT_REQUEST = "contact-request"
    KNOWN_CONTACT = "known-contact"


class Direction(enum.Enum):
    INBOUND = "inbound"  # the peer opened it
    OUTBOUND = "outbound"


@dataclass(slots=True)
class Channel:
    ident: int
    kind: str
    direction: Direction
    opened: bool = False
    cookie: bytes = b""
    queued: list[m.ChatMessage] = field(default_factory=list)  # waiting for the channel to open
    unacked: dict[int, m.ChatMessage] = field(default_factory=dict)  # sent, no ChatAcknowledge yet
    rejoiner: chat.Rejoiner = field(default_factory=chat.Rejoiner)


def refuse(request: m.OpenChannel, error: m.CommonError) -> m.ChannelResult:
    return m.ChannelResult(request.channel_identifier, False, error)


class ConnectionState:
    """Fields and output of `OnionConnection` (split out to keep each module readable)."""

    def __init__(
        self,
        role: Role,
        identity: OnionIdentity,
        *,
        now: float,
        random: Random,
        peer: OnionAddress | None = None,
        is_contact: Callable[[OnionAddress], bool] = lambda _a: False,
        screen_request: Callable[[OnionAddress], m.Status] = lambda _a: m.Status.Pending,
        keepalive_interval: float = KEEPALIVE_INTERVAL,
        keepalive_timeout: float = KEEPALIVE_TIMEOUT,
    ) -> None:
        if role is Role.CLIENT and peer is None:
            raise OnionUsageError("the dialling side must know the address it dials")
        self.role = role
        self.identity = identity
        self.peer = peer  # the server's address, or the client's once authenticated
        self.state = State.AWAITING_VERSION
        self.purpose = Purpose.UNKNOWN
        self.authenticated = False
        self.known_to_peer = False
        self.opened_at = now
        self.contact_since: float | None = None
        self._random = random
        self._is_contact = is_contact
        self._screen_request = screen_request
        self._keepalive_interval = keepalive_interval
        self._keepalive_timeout = keepalive_timeout
        self._last_received = now
        self._ping_sent_at: float | None = None
        self.keepalive_replies = 0  # KeepAlive answers received (libtego answers, never asks)
        self._hello = bytearray()
        self._reader = framing.PacketReader()
        self._out = bytearray()
        self._events: list[ConnectionEvent] = []
        self._channels: dict[int, Channel] = {}
        self._next_channel = 1 if role is Role.CLIENT else 2
        self._next_message_id = int.from_bytes(random.randbytes(4), "big")
        self._request_channel: int | None = None
        if role is Role.CLIENT:
            self._out += framing.client_hello()

    @property
    def is_open(self) -> bool:
        """Past version negotiation and not closed."""
        return self.state is State.OPEN

    @property
    def closed(self) -> bool:
        return self.state is State.CLOSED

    # ---- internals: output ----

    def _send(self, channel: int, data: bytes) -> None:
        self._out += framing.encode_packet(channel, data)

    def _control(self, msg: m.ControlMessage) -> None:
        self._send(0, m.encode_control(msg))

    def _emit(self, event: ConnectionEvent) -> None:
        if len(self._events) >= MAX_EVENTS:  # an adapter that stopped reading: fail closed
            self._close(OnionUsageError("event queue full"))
            return
        self._events.append(event)

    def _close(self, error: OnionError | None) -> None:
        if self.state is State.CLOSED:
            return
        self.state = State.CLOSED
        for ch in self._channels.values():
            for msg in ch.queued:
                self._events.append(MessageUndelivered(msg.message_id))
        self._channels.clear()
        self._events.append(ConnectionClosed(error))

    def _close_channel(self, ch: Channel) -> None:
        self._channels.pop(ch.ident, None)
        self._send(ch.ident, b"")
        if ch.kind == m.CHANNEL_FILE_TRANSFER:
            self._file_channel_gone(ch)
        for msg in ch.queued:
            self._emit(MessageUndelivered(msg.message_id))
        done = ch.rejoiner.flush()
        if done is not None:
            self._emit(MessageReceived(done[0], done[1]))

    def _file_channel_gone(self, ch: Channel) -> None:
        """A file-transfer channel closed or was refused (the file layer ends its transfers)."""

    def _open_outbound(self, kind: str) -> Channel:
        ident = self._next_channel
        while ident in self._channels:
            ident += 2
        if ident > 0xFFFF or len(self._channels) >= MAX_CHANNELS:
            raise OnionUsageError("no channel id left on this connection")
        self._next_channel = ident + 2
        ch = Channel(ident, kind, Direction.OUTBOUND)
        self._channels[ident] = ch
        return ch

    def _outbound_chat(self) -> Channel:
        for ch in self._channels.values():
            if ch.kind == m.CHANNEL_CHAT and ch.direction is Direction.OUTBOUND:
                return ch
        ch = self._open_outbound(m.CHANNEL_CHAT)
        self._control(m.OpenChannel(ch.ident, ch.kind))
        return ch

    def _become_contact(self, now: float) -> None:
        self.purpose = Purpose.KNOWN_CONTACT
        self.contact_since = now
        self._emit(BecameContact())

    def _answer_request(self, status: m.Status, now: float | None) -> None:
        ch = self._channels.get(self._request_channel) if self._request_channel is not None else None
        if self.role is not Role.SERVER or ch is None or self.state is not State.OPEN:
            raise OnionUsageError("no pending contact request on this connection")
        self._send(ch.ident, m.encode_response(status))
        self._close_channel(ch)
        self._request_channel = None
        if status is m.Status.Accepted and now is not None:
            self._become_contact(now)
        else:
            self._close(None)
