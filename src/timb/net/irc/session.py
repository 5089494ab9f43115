"""`IrcSession`: the sans-I/O IRC client (h11-style: bytes in, events and bytes out). Pure.

``receive(line)`` takes one line from the server; ``next_event()`` gives what happened;
``data_to_send()`` gives the lines to write, each with an *urgent* flag (PONG, QUIT: they
jump the flood queue). Commands (`privmsg`, `join`, ...) validate and queue lines; they raise
`UnsendableMessage` (local misuse) or `NotConnectedError` (not registered yet). A received line
that is not IRC raises `MalformedLine` and changes nothing.

On the wire we say as little as possible: fixed generic username and realname (never the OS
user's), empty PART and QUIT messages, no CTCP answers (see `ctcp`), only the capabilities in
`caps.WANTED`. A nickname taken during registration (433/436) is retried as ``nick_``,
``nick__``, then ``nick`` with a number, cut to NICKLEN.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from timb.common.secret import Secret
from timb.net.irc import ctcp
from timb.net.irc.caps import CapNegotiation, CapState
from timb.net.irc.errors import MalformedLine, NotConnectedError, RemoteError, UnsendableMessage
from timb.net.irc.events import (
    ChannelMessage,
    CommandFailed,
    CtcpIgnored,
    DccRefused,
    IrcEvent,
    Joined,
    MessageEchoed,
    Names,
    NickChanged,
    Parted,
    PrivateMessage,
    Registered,
    ServerClosing,
    ServerNotice,
    SessionFailed,
    TopicChanged,
    UserQuit,
)
from timb.net.irc.limits import ServerLimits, max_payload
from timb.net.irc.message import Message, parse, serialize
from timb.net.irc.sasl import SaslMechanism

GENERIC_USERNAME = "user"
GENERIC_REALNAME = "user"
_NICK_TRIES = 8
_MAX_NAMES = 20_000  #: nicks collected for one NAMES reply
_MAX_PENDING_NAMES = 64  #: channels with a NAMES reply in progress
_REASON = 300
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z")


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """``password``: the server password (PASS), not the SASL one."""

    nick: str
    sasl: SaslMechanism | None = None
    tls: bool = True
    password: Secret[str] | None = field(default=None, repr=False)
    answer_ctcp_ping: bool = False


class IrcSession:
    """One registration and what follows it (a new connection needs a new session)."""

    def __init__(self, config: SessionConfig) -> None:
        self.config = config
        self.nick = config.nick
        self.limits = ServerLimits()
        self.registered = False
        self.failed = False  # a SessionFailed was emitted: nothing more is accepted
        self._caps = CapNegotiation(config.sasl, tls=config.tls)
        self._nick_try = 0
        self._events: deque[IrcEvent] = deque()
        self._out: list[tuple[bytes, bool]] = []
        self._names: dict[str, list[str]] = {}
        self._handlers: dict[str, Callable[[Message], None]] = {
            "PING": self._on_ping,
            "ERROR": self._on_error,
            "001": self._on_welcome,
            "005": self._on_isupport,
            "421": self._on_unknown_command,
            "432": self._on_bad_nick,
            "433": self._on_nick_in_use,
            "436": self._on_nick_in_use,
            "PRIVMSG": self._on_privmsg,
            "NOTICE": self._on_privmsg,
            "JOIN": self._on_join,
            "PART": self._on_part,
            "KICK": self._on_kick,
            "QUIT": self._on_quit,
            "NICK": self._on_nick,
            "TOPIC": self._on_topic,
            "331": self._on_topic_reply,
            "332": self._on_topic_reply,
            "353": self._on_names_reply,
            "366": self._on_end_of_names,
        }

    # --- the sans-I/O interface ---------------------------------------------------------------

    def start(self) -> None:
        """Queue the registration: CAP LS 302, PASS, NICK, USER."""
        for msg in self._caps.start():
            self._send(msg)
        if self.config.password is not None:
            self._send(Message("PASS", (self.config.password.reveal(),)))
        self._send(Message("NICK", (self.nick,)))
        self._send(Message("USER", (GENERIC_USERNAME, "0", "*", GENERIC_REALNAME)))

    def receive(self, line: bytes) -> None:
        """Raises: MalformedLine (nothing changed)."""
        msg = parse(line)
        if self.failed:
            return
        if msg.command in {"CAP", "AUTHENTICATE", "900", "903", "902", "904", "905", "906", "907", "908"}:
            self._negotiate(msg)
            return
        handler = self._handlers.get(msg.command)
        if handler is not None:
            handler(msg)
        elif msg.command.isdigit() and 400 <= int(msg.command) < 600:
            self._on_error_numeric(msg)

    def next_event(self) -> IrcEvent | None:
        return self._events.popleft() if self._events else None

    def data_to_send(self) -> list[tuple[bytes, bool]]:
        out, self._out = self._out, []
        return out

    # --- commands -------------------------------------------------------------------------------

    def privmsg(self, target: str, text: str, *, notice: bool = False) -> None:
        """Queue one message line. Raises: NotConnectedError, UnsendableMessage (too long,
        CR/LF/NUL, a bad target)."""
        self._require_registered()
        self._check_target(target)
        self._send(Message("NOTICE" if notice else "PRIVMSG", (target, text)))

    def max_payload(self, target: str) -> int:
        """Bytes of text that fit in one PRIVMSG to ``target`` after the server's prefix."""
        return max_payload(target, self.limits)

    def join(self, channel: str, key: Secret[str] | None = None) -> None:
        self._require_registered()
        self._check_channel(channel)
        self._send(Message("JOIN", (channel,) if key is None else (channel, key.reveal())))

    def part(self, channel: str) -> None:
        """PART without a message (a part message is a fingerprint and may leak)."""
        self._require_registered()
        self._check_channel(channel)
        self._send(Message("PART", (channel,)))

    def topic(self, channel: str, text: str | None = None) -> None:
        """Ask for the topic (``text`` None) or set it."""
        self._require_registered()
        self._check_channel(channel)
        self._send(Message("TOPIC", (channel,) if text is None else (channel, text)))

    def names(self, channel: str) -> None:
        self._require_registered()
        self._check_channel(channel)
        self._send(Message("NAMES", (channel,)))

    def change_nick(self, nick: str) -> None:
        self._require_registered()
        self._check_target(nick)
        self._send(Message("NICK", (nick,)))

    def quit(self) -> None:
        """QUIT without a message (urgent: it jumps the flood queue)."""
        self._send(Message("QUIT"), urgent=True)

    # --- helpers --------------------------------------------------------------------------------

    def _send(self, msg: Message, *, urgent: bool = False) -> None:
        self._out.append((serialize(msg), urgent))

    def _emit(self, event: IrcEvent) -> None:
        if isinstance(event, SessionFailed):
            self.failed = True
        self._events.append(event)

    def _require_registered(self) -> None:
        if not self.registered:
            raise NotConnectedError("the IRC session is not registered yet")

    def _check_target(self, target: str) -> None:
        if not target or any(ch in target for ch in " ,*?!@\x01\r\n\0") or target.startswith(":"):
            raise UnsendableMessage("not a nickname or channel")

    def _check_channel(self, channel: str) -> None:
        self._check_target(channel)
        if not self.limits.is_channel(channel):
            raise UnsendableMessage("not a channel name")

    def _is_me(self, nick: str | None) -> bool:
        return nick is not None and self.limits.fold(nick) == self.limits.fold(self.nick)

    # --- negotiation and registration ------------------------------------------------------

    def _negotiate(self, msg: Message) -> None:
        for reply in self._caps.receive(msg):
            self._send(reply)
        self._check_caps_failed()

    def _check_caps_failed(self) -> None:
        if self._caps.error is not None:
            error, self._caps.error = self._caps.error, None
            self._emit(SessionFailed(error))
            self.quit()

    def _on_unknown_command(self, msg: Message) -> None:
        if len(msg.params) >= 2 and msg.params[1].upper() == "CAP" and self._caps.state is not CapState.DONE:
            self._caps.no_cap_support()
            self._check_caps_failed()
        else:
            self._on_error_numeric(msg)

    def _on_welcome(self, msg: Message) -> None:
        if self._caps.state is not CapState.DONE:
            self._caps.no_cap_support()
            self._check_caps_failed()
        if self.failed:
            return
        if msg.params and self.limits.is_nick(msg.params[0]):
            self.nick = msg.params[0]
        self.registered = True
        self._emit(Registered(self.nick, self._caps.enabled, self._caps.account))

    def _on_isupport(self, msg: Message) -> None:
        self.limits = self.limits.with_isupport(msg.params[1:-1])

    def _on_bad_nick(self, msg: Message) -> None:
        if self.registered:
            self._on_error_numeric(msg)
            return
        self._emit(SessionFailed(RemoteError("erroneous-nickname", "the server refused the nickname")))
        self.quit()

    def _on_nick_in_use(self, msg: Message) -> None:
        if self.registered:
            self._on_error_numeric(msg)
            return
        self._nick_try += 1
        if self._nick_try > _NICK_TRIES:
            self._emit(SessionFailed(RemoteError("nickname-in-use", "every nickname tried is taken")))
            self.quit()
            return
        self.nick = next_nick(self.config.nick, self._nick_try, self.limits.nicklen)
        self._send(Message("NICK", (self.nick,)))

    def _on_ping(self, msg: Message) -> None:
        self._send(Message("PONG", msg.params[-1:] if msg.params else ("",)), urgent=True)

    def _on_error(self, msg: Message) -> None:
        self._emit(ServerClosing(_cut(msg.params[-1] if msg.params else "")))

    def _on_error_numeric(self, msg: Message) -> None:
        target = msg.params[1] if len(msg.params) >= 3 else None
        self._emit(CommandFailed(msg.command, target, _cut(msg.params[-1] if msg.params else "")))

    # --- messages --------------------------------------------------------------------------

    def _on_privmsg(self, msg: Message) -> None:
        """A PRIVMSG/NOTICE is private only when addressed to our current nick; one to a channel
        (``#room``, or ``@#room`` for its operators) is a channel line; anything else (another
        nick, a mask) is not for us and dropped. Raises: MalformedLine (a sender that is no nick)."""
        if len(msg.params) < 2 or msg.nick is None:
            return
        target, text = msg.params[0], msg.params[1]
        sender = msg.nick
        if "!" not in (msg.source or "") or target == "*":
            self._emit(ServerNotice(sender, _cut(text)))
            return
        if not self.limits.is_nick(sender):
            raise MalformedLine("a message from a source that is not a nickname")
        channel = self.limits.channel_of(target)
        if self._is_me(sender):  # never a conversation with ourselves (a server could forge it)
            if "echo-message" in self._caps.enabled:
                self._emit(MessageEchoed(target))
            return
        if channel is None and not self._is_me(target):
            return
        self._on_text(msg, sender, channel, target[: len(target) - len(channel)] if channel else "")

    def _on_text(self, msg: Message, sender: str, channel: str | None, status: str) -> None:
        text, notice = msg.params[1], msg.command == "NOTICE"
        query = ctcp.classify(text)
        action = False
        if query is not None:
            if query.kind is not ctcp.CtcpKind.ACTION:
                self._on_ctcp(sender, query, notice)
                return
            text, action = query.argument, True
        stamp = _server_time(msg) if "server-time" in self._caps.enabled else None
        if channel is not None:
            self._emit(ChannelMessage(channel, sender, text, notice, action, stamp, status))
        else:
            self._emit(PrivateMessage(sender, text, notice, action, stamp))

    def _on_ctcp(self, sender: str, query: ctcp.Ctcp, notice: bool) -> None:
        if notice:  # a CTCP reply or a query in a NOTICE: never answered (RFC 1459 NOTICE rule)
            return
        if query.kind is ctcp.CtcpKind.DCC:
            self._emit(DccRefused(sender, ctcp.dcc_type(query.argument)))
            return
        reply = ctcp.ping_reply(query.argument) if query.kind is ctcp.CtcpKind.PING else None
        answered = reply is not None and self.config.answer_ctcp_ping and self.registered
        if answered and reply is not None:
            self._send(Message("NOTICE", (sender, reply)))
        self._emit(CtcpIgnored(sender, query.command, answered=answered))

    # --- channels ---------------------------------------------------------------------------

    def _on_join(self, msg: Message) -> None:
        if msg.params and msg.nick is not None:
            self._emit(Joined(msg.params[0], msg.nick, self._is_me(msg.nick)))

    def _on_part(self, msg: Message) -> None:
        if msg.params and msg.nick is not None:
            self._emit(Parted(msg.params[0], msg.nick, self._is_me(msg.nick)))

    def _on_kick(self, msg: Message) -> None:
        if len(msg.params) >= 2:
            victim = msg.params[1]
            self._emit(Parted(msg.params[0], victim, self._is_me(victim), kicked_by=msg.nick or "?"))

    def _on_quit(self, msg: Message) -> None:
        if msg.nick is not None:
            self._emit(UserQuit(msg.nick))

    def _on_nick(self, msg: Message) -> None:
        """Our nick changes only by the server's word (never by our own request alone); a new
        nick that is no nick (a channel, a mask, empty) changes nothing. Raises: MalformedLine."""
        if not msg.params or msg.nick is None:
            return
        new = msg.params[0]
        if not self.limits.is_nick(new) or not self.limits.is_nick(msg.nick):
            raise MalformedLine("a nick change to or from something that is not a nickname")
        me = self._is_me(msg.nick)
        if me:
            self.nick = new
        self._emit(NickChanged(msg.nick, new, me))

    def _on_topic(self, msg: Message) -> None:
        if len(msg.params) >= 2:
            self._emit(TopicChanged(msg.params[0], msg.params[1] or None, msg.nick))

    def _on_topic_reply(self, msg: Message) -> None:
        if len(msg.params) >= 2:
            topic = msg.params[2] if msg.command == "332" and len(msg.params) >= 3 else None
            self._emit(TopicChanged(msg.params[1], topic or None))

    def _on_names_reply(self, msg: Message) -> None:
        if len(msg.params) < 4:
            return
        channel = self.limits.fold(msg.params[2])
        if channel not in self._names and len(self._names) >= _MAX_PENDING_NAMES:
            return
        nicks = self._names.setdefault(channel, [])
        for entry in msg.params[3].split():
            if len(nicks) < _MAX_NAMES:
                nicks.append(entry.lstrip("~&@%+!."))

    def _on_end_of_names(self, msg: Message) -> None:
        if len(msg.params) >= 2:
            nicks = self._names.pop(self.limits.fold(msg.params[1]), [])
            self._emit(Names(msg.params[1], tuple(n for n in nicks if n)))


def next_nick(base: str, attempt: int, nicklen: int) -> str:
    """The ``attempt``-th alternative to a taken ``base`` nickname, at most ``nicklen`` long."""
    suffix = "_" * attempt if attempt <= 2 else str(attempt)
    return base[: max(1, nicklen - len(suffix))] + suffix


def _server_time(msg: Message) -> str | None:
    """The IRCv3 ``time`` tag when it looks like one (``2026-12-03T17:30:00.000Z``): a server's
    junk there never reaches the user."""
    stamp = msg.tag("time")
    return stamp if stamp is not None and _TIME.fullmatch(stamp) else None


def _cut(text: str) -> str:
    return text[:_REASON]
