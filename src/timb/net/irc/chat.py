"""`IrcChatAdapter`: the IRC adapter behind the core's `timb.net.base.Adapter` protocol.

The core's account runtime, its ordered outbox and its `Conversations` (the one owner of the
plaintext rule) speak `Adapter`: 1:1 messages addressed by `Jid`, typed `NetEvent`s. This wrapper
lets them drive private messages on IRC unchanged. A peer's nickname ``Bob`` on the server ``H``
is the contact ``bob@H`` (JIDs are lower-cased; IRC compares nicks case-insensitively too).
Channels are not 1:1 chat and never meet OTR: their commands (`join_channel`, `send_channel`, ...)
go straight to the wrapped `IrcAdapter` (``.irc``), and their events go to ``channel_sink`` (set by
the core's channel part, `timb.core.service.channels`), never into the core's 1:1 events.

What an `Adapter` needs that IRC does not have is explicit: there is no roster (``roster()`` is
empty, ``add_contact`` and subscription answers do nothing: anyone on the network can write to a
nick). A NOTICE is never a chat message (servers and bots use it; OTR uses PRIVMSG).

An OTR wire message (``?OTR``...) is never split across lines (a split fragment is destroyed):
one that does not fit in `IrcAdapter.fragment_size` raises `UnsendableMessage`; the core must
fragment to `fragment_size` (``Conversations(max_fragment_size=...)``). The OTR query's
explanation text has a line break, which IRC cannot carry: it is joined into one line. Other
text goes as one PRIVMSG per line, each split to the line limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from timb.common.errors import InvalidIdentifier
from timb.common.ids import Jid
from timb.net.base import (
    Adapter,
    ConnectionStateChanged,
    ErrorEvent,
    MessageFailed,
    MessageIn,
    NetEvent,
    RosterItem,
)
from timb.net.irc.adapter import IrcAdapter
from timb.net.irc.errors import MalformedLine, RemoteError, UnsendableMessage
from timb.net.irc.events import (
    ChannelMessage,
    CommandFailed,
    DccRefused,
    Joined,
    Names,
    NickChanged,
    Parted,
    PrivateMessage,
    Registered,
    TopicChanged,
    UserQuit,
)

_OTR_PREFIX = "?OTR"
_NO_SUCH_NICK = "401"
_MAX_TALKED = 1024
_CHANNEL_PREFIXES = "#&+!"  # RFC 2811 channel types: a target starting so is never a nick

_CHANNEL_EVENTS = (ChannelMessage, Joined, Parted, TopicChanged, Names, NickChanged, UserQuit)
ChannelEvent = (
    ChannelMessage | Joined | Parted | TopicChanged | Names | NickChanged | UserQuit | CommandFailed
)


class IrcChatAdapter(Adapter):
    """See the module docstring. ``irc`` is the wrapped adapter (channels, nick, fragment size)."""

    def __init__(self, irc: IrcAdapter, server: str) -> None:
        self.irc = irc
        self._server = server
        # Where channel events go (the core's channel part); None: they are dropped.
        self.channel_sink: Callable[[ChannelEvent], None] | None = None
        # Nicks (lower-cased) we exchanged private messages with, oldest first: their nick
        # changes are told to the user. Bounded: the oldest is forgotten.
        self._talked: dict[str, None] = {}

    def contact(self, nick: str) -> Jid:
        """The contact for a nickname. Raises: InvalidIdentifier (not a JID local part)."""
        return Jid(nick.lower(), self._server.lower(), None)

    def fragment_size(self, to: Jid) -> int:
        return self.irc.fragment_size(self._nick(to))

    async def connect(self) -> None:
        await self.irc.connect()

    async def disconnect(self) -> None:
        await self.irc.disconnect()

    async def send_message(self, to: Jid, body: str) -> str:
        """Raises: NotConnectedError; UnsendableMessage (an OTR message longer than one line,
        a contact on another server, CR/LF/NUL)."""
        nick = self._nick(to)
        self._talked_with(nick)
        if body.startswith(_OTR_PREFIX):
            # The OTR query's human explanation has a line break: one IRC line holds one line.
            body = " ".join(body.splitlines())
            if len(body.encode()) > self.irc.fragment_size(nick):
                raise UnsendableMessage("an OTR message longer than one IRC line: a split destroys it")
            return await self.irc.send_message(nick, body)
        msg_id = ""
        for line in body.splitlines() or [""]:  # IRC has no multi-line message: one per line
            msg_id = await self.irc.send_message(nick, line)
        return msg_id

    # -- channels: plaintext by nature, never through OTR -----------------------------------------

    @property
    def nick(self) -> str | None:
        """Our nick now (None: not registered)."""
        return self.irc.nick

    @staticmethod
    def is_channel(name: str) -> bool:
        return bool(name) and name[0] in _CHANNEL_PREFIXES

    def join_channel(self, channel: str) -> None:
        """Raises: NotConnectedError; UnsendableMessage (not a channel name, CR/LF/space)."""
        self.irc.join(self._channel(channel))

    def part_channel(self, channel: str) -> None:
        """Leave with an empty PART message. Raises: NotConnectedError, UnsendableMessage."""
        self.irc.part(self._channel(channel))

    def set_topic(self, channel: str, topic: str) -> None:
        """Raises: NotConnectedError, UnsendableMessage."""
        self.irc.topic(self._channel(channel), topic)

    def request_names(self, channel: str) -> None:
        """Raises: NotConnectedError, UnsendableMessage."""
        self.irc.names(self._channel(channel))

    async def send_channel(self, channel: str, text: str) -> str:
        """One PRIVMSG per line of ``text``, each split to the line limit. The caller (the core)
        decides whether it may leave. Raises: NotConnectedError, UnsendableMessage."""
        target = self._channel(channel)
        msg_id = ""
        for line in text.splitlines() or [""]:
            msg_id = await self.irc.send_message(target, line)
        return msg_id

    def _channel(self, channel: str) -> str:
        if not self.is_channel(channel):
            raise UnsendableMessage("not a channel name (channels start with # or &)")
        return channel

    async def roster(self) -> tuple[RosterItem, ...]:
        return ()

    async def add_contact(self, jid: Jid, name: str | None = None) -> None:
        self._nick(jid)

    async def remove_contact(self, jid: Jid) -> None:
        return None

    async def approve_subscription(self, jid: Jid) -> None:
        return None

    async def deny_subscription(self, jid: Jid) -> None:
        return None

    async def events(self) -> AsyncIterator[NetEvent]:
        async for event in self.irc.events():
            for notice in self._nick_notices(event):
                yield notice
            if self._to_channels(event):
                continue
            converted = self._convert(event)
            if converted is not None:
                yield converted

    def _to_channels(self, event: object) -> bool:
        """Pass a channel event to ``channel_sink``; True when the event was one."""
        if isinstance(event, CommandFailed):
            if not (event.target and self.is_channel(event.target)):
                return False
        elif not isinstance(event, _CHANNEL_EVENTS):
            return False
        if self.channel_sink is not None:
            self.channel_sink(event)
        return True

    def _convert(self, event: object) -> NetEvent | None:
        """The core's view of one IRC event (None: nothing the core's 1:1 chat needs)."""
        converted: NetEvent | None = None
        try:
            match event:
                case ConnectionStateChanged() | ErrorEvent():
                    converted = event
                case PrivateMessage(notice=False, action=False, sender=sender, body=body):
                    converted = MessageIn(self.contact(sender), body)
                    self._talked_with(sender)
                case CommandFailed(code=code, target=target) if code == _NO_SUCH_NICK and target:
                    converted = MessageFailed(None, self.contact(target), "irc-no-such-nick")
                case DccRefused(sender=sender, offer=offer, reason=reason):
                    # the user is told why (SessionFailed needs nothing: an ErrorEvent follows it)
                    text = f"{sender} offered DCC {offer}: {reason}"
                    converted = ErrorEvent(RemoteError("dcc-refused", text))
        except InvalidIdentifier:
            converted = ErrorEvent(MalformedLine("a nickname TIMB cannot address as a contact"))
        return converted

    def _talked_with(self, nick: str) -> None:
        key = nick.lower()
        self._talked.pop(key, None)
        self._talked[key] = None
        if len(self._talked) > _MAX_TALKED:
            del self._talked[next(iter(self._talked))]

    def _nick_notices(self, event: object) -> list[NetEvent]:
        """What the user is told about a nick change. A contact's conversation never moves to
        its new nick: OTR sessions and trust are per nick, and the old nick may be taken by
        someone else next. The new nick is a new contact (its own OTR session, a key to accept)."""
        if isinstance(event, Registered) and event.nick.lower() != self.irc.wanted_nick.lower():
            text = (
                f"{self.irc.wanted_nick} is taken on this server, you are {event.nick}: contacts "
                f"writing to {self.irc.wanted_nick} reach someone else or nobody"
            )
            return [ErrorEvent(RemoteError("irc-nick-taken", text))]
        if not isinstance(event, NickChanged):
            return []
        if event.me:
            text = f"your nick is now {event.new} (was {event.old}): contacts see a new nick"
            return [ErrorEvent(RemoteError("irc-own-nick-changed", text))]
        if event.old.lower() not in self._talked:
            return []
        text = (
            f"{event.old} is now known as {event.new}: TIMB treats {event.new} as a new contact "
            f"(OTR is per nick); {event.old} may be taken by someone else"
        )
        return [ErrorEvent(RemoteError("irc-nick-changed", text))]

    def _nick(self, jid: Jid) -> str:
        if jid.domain != self._server.lower() or not jid.local:
            raise UnsendableMessage("the contact is not on this IRC server")
        return jid.local
