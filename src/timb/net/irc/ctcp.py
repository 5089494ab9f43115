"""CTCP (``\\x01COMMAND args\\x01`` inside PRIVMSG/NOTICE) and what we refuse to answer. Pure.

Privacy choice: **silence**. VERSION, TIME, USERINFO, CLIENTINFO, SOURCE, FINGER and every other
query get no reply at all, not a fixed generic one: a generic answer still marks the asker's
target as "a TIMB user" (nobody else answers ``VERSION`` with that string), and TIME would give
the user's time zone. Many clients and bouncers do not answer CTCP either, so silence is the
common case. PING is answered only when the account enables it (it confirms that the user is
online and measures their latency). ACTION (``/me``) is a message, not a query.

DCC (``DCC SEND``, ``DCC CHAT``, ...) asks the client to open a direct TCP connection, around
Tor, to an address the peer chose: it would reveal the user's IP address. It is never accepted;
`classify` marks it so the adapter can tell the user why.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

DELIM = "\x01"
MAX_PING_TOKEN = 64  #: a PING reply echoes at most this many characters


class CtcpKind(enum.Enum):
    ACTION = "action"
    PING = "ping"
    DCC = "dcc"
    QUERY = "query"  # anything else: VERSION, TIME, ... (never answered)


@dataclass(frozen=True, slots=True)
class Ctcp:
    kind: CtcpKind
    command: str
    argument: str = field(default="", repr=False)


def classify(text: str) -> Ctcp | None:
    """The CTCP in a PRIVMSG/NOTICE text, or None for a plain message.

    A missing closing ``\\x01`` is accepted (many clients omit it). The command is upper-cased
    and cut to 32 characters (it ends up in events shown to the user).
    """
    if not text.startswith(DELIM):
        return None
    inner = text[1:]
    if inner.endswith(DELIM):
        inner = inner[:-1]
    command, _, argument = inner.partition(" ")
    command = command.upper()[:32]
    if command == "ACTION":
        return Ctcp(CtcpKind.ACTION, command, argument)
    if command == "PING":
        return Ctcp(CtcpKind.PING, command, argument)
    if command == "DCC":
        return Ctcp(CtcpKind.DCC, command, argument)
    return Ctcp(CtcpKind.QUERY, command, argument)


def dcc_type(argument: str) -> str:
    """``SEND``/``CHAT``/... from a DCC argument, for the user's notice (cut, upper-cased)."""
    return (argument.split(" ", 1)[0] or "?").upper()[:16]


def ping_reply(argument: str) -> str | None:
    """The NOTICE text answering a CTCP PING, or None when its token is unsafe to echo."""
    token = argument[:MAX_PING_TOKEN]
    if not token or not all(ch.isascii() and ch.isprintable() for ch in token):
        return None
    return f"{DELIM}PING {token}{DELIM}"


def action(text: str) -> str:
    """A ``/me`` line as CTCP ACTION."""
    return f"{DELIM}ACTION {text}{DELIM}"
