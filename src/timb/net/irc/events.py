"""Typed events of an IRC session (frozen, slotted). Bodies and topics stay out of reprs.

Nicknames and channel names are plain strings as the server spells them; compare them with
`ServerLimits.fold`. ``server_time`` is the IRCv3 ``time`` tag (ISO 8601) when negotiated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from timb.net.base import NetError


@dataclass(frozen=True, slots=True)
class Registered:
    """The server accepted us (001). ``caps``: the IRCv3 capabilities in effect."""

    nick: str
    caps: frozenset[str]
    account: str | None = None  # the SASL account we are logged in as


@dataclass(frozen=True, slots=True)
class PrivateMessage:
    """A PRIVMSG (or NOTICE, ``notice=True``) addressed to us."""

    sender: str
    body: str = field(repr=False)
    notice: bool = False
    action: bool = False
    server_time: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelMessage:
    """A message to a channel we are in. Plaintext by nature: the server and everyone there read it.
    ``status``: the STATUSMSG prefix (``@`` for ``PRIVMSG @#room``: sent to its operators only)."""

    channel: str
    sender: str
    body: str = field(repr=False)
    notice: bool = False
    action: bool = False
    server_time: str | None = None
    status: str = ""


@dataclass(frozen=True, slots=True)
class ServerNotice:
    """A NOTICE or PRIVMSG from the server itself (no ``nick!user@host``), or to ``*``: never a
    conversation with a person."""

    sender: str
    text: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class MessageEchoed:
    """The server relayed our own message back (IRCv3 echo-message): it was accepted."""

    target: str


@dataclass(frozen=True, slots=True)
class Joined:
    channel: str
    nick: str
    me: bool


@dataclass(frozen=True, slots=True)
class Parted:
    """``nick`` left ``channel`` (PART, or KICK with ``kicked_by``). The reason is left out."""

    channel: str
    nick: str
    me: bool
    kicked_by: str | None = None


@dataclass(frozen=True, slots=True)
class UserQuit:
    nick: str


@dataclass(frozen=True, slots=True)
class TopicChanged:
    """The topic (None: no topic). ``setter`` when someone changed it now."""

    channel: str
    topic: str | None = field(repr=False)
    setter: str | None = None


@dataclass(frozen=True, slots=True)
class Names:
    """Who is in ``channel`` (RPL_NAMREPLY lines up to RPL_ENDOFNAMES), prefixes stripped."""

    channel: str
    nicks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NickChanged:
    old: str
    new: str
    me: bool


@dataclass(frozen=True, slots=True)
class CtcpIgnored:
    """Someone sent a CTCP query (VERSION, TIME, ...); nothing was answered (see ctcp)."""

    sender: str
    command: str
    answered: bool = False


@dataclass(frozen=True, slots=True)
class DccRefused:
    """A DCC offer was refused: DCC would open a direct connection around Tor."""

    sender: str
    offer: str
    reason: str = "DCC connects directly, around Tor, and would reveal your IP address"


@dataclass(frozen=True, slots=True)
class CommandFailed:
    """The server answered a command with an error numeric (401 no such nick, 404, 47x, ...)."""

    code: str
    target: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class SessionFailed:
    """The session cannot go on (AuthError: SASL refused; RemoteError: nick refused; ...)."""

    error: NetError


@dataclass(frozen=True, slots=True)
class ServerClosing:
    """The server sent ERROR: it is closing the connection."""

    reason: str


IrcEvent = (
    Registered
    | PrivateMessage
    | ChannelMessage
    | ServerNotice
    | MessageEchoed
    | Joined
    | Parted
    | UserQuit
    | TopicChanged
    | Names
    | NickChanged
    | CtcpIgnored
    | DccRefused
    | CommandFailed
    | SessionFailed
    | ServerClosing
)
