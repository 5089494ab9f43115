"""Tor control-port replies: a pure, incremental parser and typed readers for what TIMB uses.

Grammar (control-spec.txt §2.3 "Replies from Tor to the controller")::

    Reply         = SyncReply / AsyncReply
    SyncReply     = *(MidReplyLine / DataReplyLine) EndReplyLine
    AsyncReply    = *(MidReplyLine / DataReplyLine) EndReplyLine     ; status code 6xx
    MidReplyLine  = StatusCode "-" ReplyLine
    DataReplyLine = StatusCode "+" ReplyLine CmdData
    EndReplyLine  = StatusCode SP ReplyLine
    CmdData       = *DataLine "." CRLF      ; leading "." of a data line is doubled ("dot-stuffing")

This module does no I/O: `ReplyParser.feed` takes bytes and returns complete `Reply` values.
Anything that does not follow the grammar raises `ControlProtocolError`; nothing else escapes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from timb.tor.errors import ControlError, TorError

# A line longer than this is not something tor sends to the commands TIMB issues; refusing it
# bounds the memory a misbehaving peer on the control port can make us hold.
MAX_LINE = 256 * 1024
MAX_REPLY = 16 * 1024 * 1024


class ControlProtocolError(TorError):
    """The control port sent something that is not a well-formed reply (or not the expected one)."""


@dataclass(frozen=True, slots=True)
class ReplyLine:
    """One line of a reply. ``data`` holds the dot-unstuffed CmdData of a ``+`` line, else None."""

    status: int
    divider: str  # "-" (mid), "+" (data follows) or " " (end)
    text: str
    data: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete reply: its mid/data lines and the end line, in order."""

    lines: tuple[ReplyLine, ...]

    @property
    def status(self) -> int:
        return self.lines[-1].status

    @property
    def message(self) -> str:
        return self.lines[-1].text

    @property
    def is_async(self) -> bool:
        """Asynchronous events carry status 650 (control-spec §4.1)."""
        return 600 <= self.status < 700

    @property
    def is_ok(self) -> bool:
        return 200 <= self.status < 300

    def raise_for_status(self) -> Reply:
        """Return self if the reply is 2xx.

        Raises:
            ControlError: 4xx/5xx (tor refused the command), with tor's code and text.
        """
        if not self.is_ok:
            bad = next((ln for ln in self.lines if not 200 <= ln.status < 300), self.lines[-1])
            raise ControlError(bad.status, bad.text)
        return self


@dataclass(slots=True)
class ReplyParser:
    """Incremental parser: feed it bytes in any chunking, get back complete replies."""

    _buffer: bytearray = field(default_factory=bytearray)
    _lines: list[ReplyLine] = field(default_factory=list)
    _data_head: tuple[int, str] | None = None  # status and text of the open "+" line
    _data_lines: list[str] = field(default_factory=list)
    _size: int = 0

    def feed(self, chunk: bytes) -> list[Reply]:
        """Consume ``chunk``; return every reply it completes, in order.

        Raises:
            ControlProtocolError: a line breaks the grammar or exceeds the size limits.
        """
        self._buffer += chunk
        replies: list[Reply] = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > MAX_LINE:
                    raise ControlProtocolError("control reply line too long")
                return replies
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if len(raw) > MAX_LINE:
                raise ControlProtocolError("control reply line too long")
            reply = self._line(raw.removesuffix(b"\r").decode("utf-8", errors="replace"))
            if reply is not None:
                replies.append(reply)

    @property
    def pending(self) -> bool:
        """True while a reply has started but not ended (bytes buffered or lines held)."""
        return bool(self._buffer or self._lines or self._data_head)

    def _line(self, line: str) -> Reply | None:
        self._size += len(line) + 2
        if self._size > MAX_REPLY:
            raise ControlProtocolError("control reply too large")
        if self._data_head is not None:
            self._data_line(line)
            return None
        if len(line) < 4 or not line[:3].isdigit() or not line[:3].isascii():
            raise ControlProtocolError(f"malformed control reply line: {line[:40]!r}")
        status, divider, text = int(line[:3]), line[3], line[4:]
        if status < 100:
            raise ControlProtocolError(f"invalid status code {line[:3]}")
        if divider == "+":
            self._data_head = (status, text)
            return None
        if divider == "-":
            self._lines.append(ReplyLine(status, divider, text))
            return None
        if divider != " ":
            raise ControlProtocolError(f"malformed control reply line: {line[:40]!r}")
        self._lines.append(ReplyLine(status, divider, text))
        reply = Reply(tuple(self._lines))
        self._lines = []
        self._size = 0
        return reply

    def _data_line(self, line: str) -> None:
        if line == ".":
            assert self._data_head is not None
            status, text = self._data_head
            self._lines.append(ReplyLine(status, "+", text, "\n".join(self._data_lines)))
            self._data_head = None
            self._data_lines = []
            return
        # Dot-unstuffing: a data line that begins with "." was sent with one more ".".
        self._data_lines.append(line[1:] if line.startswith(".") else line)


def parse_replies(raw: bytes) -> list[Reply]:
    """Parse a complete transcript (tests, canned replies).

    Raises:
        ControlProtocolError: malformed, or the transcript ends inside a reply.
    """
    parser = ReplyParser()
    replies = parser.feed(raw)
    if parser.pending:
        raise ControlProtocolError("control reply is truncated")
    return replies


# ---- tokens: positional words, KEY=VALUE and quoted strings (control-spec §2.1) ----

_OCTAL = re.compile(r"[0-7]{1,3}")
_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\", '"': b'"', "'": b"'"}


def unquote(text: str, start: int = 0) -> tuple[str, int]:
    """Read the QuotedString that begins at ``text[start]`` (a ``"``).

    Returns the unescaped value and the index just past the closing quote. C escapes (``\\n``,
    ``\\t``, ``\\r``, ``\\\\``, ``\\"``, octal ``\\ooo``) are decoded; octal bytes form a file-system
    string (tor escapes non-ASCII path bytes this way).

    Raises:
        ControlProtocolError: not a quoted string, unterminated, or a bad escape.
    """
    if start >= len(text) or text[start] != '"':
        raise ControlProtocolError("expected a quoted string")
    out = bytearray()
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return os.fsdecode(bytes(out)), i + 1
        if ch != "\\":
            out += ch.encode("utf-8", errors="surrogateescape")
            i += 1
            continue
        if i + 1 >= len(text):
            break
        nxt = text[i + 1]
        octal = _OCTAL.match(text, i + 1)
        if octal is not None:
            value = int(octal.group(), 8)
            if value > 255:
                raise ControlProtocolError("octal escape out of range")
            out.append(value)
            i = octal.end()
        elif nxt in _ESCAPES:
            out += _ESCAPES[nxt]
            i += 2
        else:
            raise ControlProtocolError(f"unknown escape \\{nxt} in quoted string")
    raise ControlProtocolError("unterminated quoted string")


@dataclass(frozen=True, slots=True)
class Arguments:
    """A reply line split into leading positional words and trailing KEY=VALUE pairs."""

    positional: tuple[str, ...]
    keywords: dict[str, str]

    def require(self, key: str) -> str:
        """The value of ``key``.

        Raises:
            ControlProtocolError: the key is missing.
        """
        try:
            return self.keywords[key]
        except KeyError:
            raise ControlProtocolError(f"reply lacks {key}=") from None


_KEY = re.compile(r"[A-Za-z0-9_]+")


def split_arguments(text: str) -> Arguments:
    """Split ``word word KEY=VALUE KEY="quoted value"`` into positional words and keywords.

    A word without ``=`` after the first keyword is kept as positional too (tor adds optional
    positional fields in new versions; they must not break older readers).

    Raises:
        ControlProtocolError: a quoted value is malformed.
    """
    positional: list[str] = []
    keywords: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        if text[i] == " ":
            i += 1
            continue
        key = _KEY.match(text, i)
        if key is not None and key.end() < n and text[key.end()] == "=":
            j = key.end() + 1
            if j < n and text[j] == '"':
                value, i = unquote(text, j)
            else:
                end = text.find(" ", j)
                end = n if end < 0 else end
                value, i = text[j:end], end
            keywords[key.group()] = value
            continue
        if text[i] == '"':
            word, i = unquote(text, i)
        else:
            end = text.find(" ", i)
            end = n if end < 0 else end
            word, i = text[i:end], end
        positional.append(word)
    return Arguments(tuple(positional), keywords)


# ---- typed readers for the replies TIMB uses ----


def parse_getinfo(reply: Reply) -> dict[str, str]:
    """``GETINFO`` → {key: value}; a multi-line value (``250+key=`` + data block) is joined by "\\n".

    Raises:
        ControlError: tor refused (e.g. ``552 Unrecognized key``).
        ControlProtocolError: a line is not ``key=value``.
    """
    reply.raise_for_status()
    values: dict[str, str] = {}
    for line in reply.lines[:-1]:
        key, eq, value = line.text.partition("=")
        if not eq or not key:
            raise ControlProtocolError(f"GETINFO line is not key=value: {line.text[:40]!r}")
        values[key] = line.data if line.data is not None else value
    if reply.lines[-1].text != "OK":  # tor may end with the last key on the end line
        key, eq, value = reply.lines[-1].text.partition("=")
        if not eq or not key:
            raise ControlProtocolError("GETINFO reply does not end with OK")
        values[key] = value
    return values


def parse_getconf(reply: Reply) -> dict[str, list[str]]:
    """``GETCONF`` → {key: [values]}; a key with no value (``250 Key``) maps to ``[]``.

    Raises:
        ControlError: tor refused (e.g. ``552 Unrecognized configuration key``).
    """
    reply.raise_for_status()
    values: dict[str, list[str]] = {}
    for line in reply.lines:
        key, eq, value = line.text.partition("=")
        entry = values.setdefault(key, [])
        if eq:
            entry.append(value)
    return values


@dataclass(frozen=True, slots=True)
class ProtocolInfo:
    """``PROTOCOLINFO 1`` (control-spec §3.21): how this tor wants us to authenticate."""

    auth_methods: frozenset[str]
    cookie_file: str | None
    tor_version: str | None


def parse_protocolinfo(reply: Reply) -> ProtocolInfo:
    """Read ``250-AUTH METHODS=... COOKIEFILE="..."`` and ``250-VERSION Tor="..."``.

    Raises:
        ControlError: tor refused the command.
        ControlProtocolError: no AUTH line, or malformed.
    """
    reply.raise_for_status()
    methods: frozenset[str] | None = None
    cookie: str | None = None
    version: str | None = None
    for line in reply.lines:
        word, _, rest = line.text.partition(" ")
        if word == "AUTH":
            args = split_arguments(rest)
            methods = frozenset(m for m in args.require("METHODS").split(",") if m)
            cookie = args.keywords.get("COOKIEFILE")
        elif word == "VERSION":
            version = split_arguments(rest).keywords.get("Tor")
    if methods is None:
        raise ControlProtocolError("PROTOCOLINFO reply has no AUTH line")
    return ProtocolInfo(methods, cookie, version)


@dataclass(frozen=True, slots=True)
class AuthChallenge:
    """``AUTHCHALLENGE SAFECOOKIE`` answer: tor's HMAC proof and its nonce (32 bytes each)."""

    server_hash: bytes
    server_nonce: bytes


def parse_authchallenge(reply: Reply) -> AuthChallenge:
    """Read ``250 AUTHCHALLENGE SERVERHASH=<64 hex> SERVERNONCE=<64 hex>``.

    Raises:
        ControlError: tor refused the command.
        ControlProtocolError: missing fields or not 32 bytes of hex each.
    """
    reply.raise_for_status()
    word, _, rest = reply.message.partition(" ")
    if word != "AUTHCHALLENGE":
        raise ControlProtocolError("not an AUTHCHALLENGE reply")
    args = split_arguments(rest)
    try:
        server_hash = bytes.fromhex(args.require("SERVERHASH"))
        server_nonce = bytes.fromhex(args.require("SERVERNONCE"))
    except ValueError:
        raise ControlProtocolError("AUTHCHALLENGE fields are not hex") from None
    if len(server_hash) != 32 or len(server_nonce) != 32:
        raise ControlProtocolError("AUTHCHALLENGE fields are not 32 bytes")
    return AuthChallenge(server_hash, server_nonce)


@dataclass(frozen=True, slots=True)
class AddOnionResult:
    """``ADD_ONION`` answer: the service id (address without ``.onion``) and, unless
    ``DiscardPK`` or an existing key was used, the new key as ``ED25519-V3:<base64>``."""

    service_id: str
    private_key: str | None


def parse_add_onion(reply: Reply) -> AddOnionResult:
    """Read ``250-ServiceID=...`` / ``250-PrivateKey=TYPE:BLOB`` / ``250 OK``.

    Raises:
        ControlError: tor refused (bad key, port in use, ...).
        ControlProtocolError: no ServiceID.
    """
    reply.raise_for_status()
    service_id: str | None = None
    private_key: str | None = None
    for line in reply.lines:
        key, _, value = line.text.partition("=")
        if key == "ServiceID":
            service_id = value
        elif key == "PrivateKey":
            private_key = value
    if not service_id:
        raise ControlProtocolError("ADD_ONION reply has no ServiceID")
    return AddOnionResult(service_id, private_key)
