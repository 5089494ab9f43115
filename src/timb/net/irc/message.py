"""IRC messages (RFC 1459/2812 framing with IRCv3 message tags): parse and serialize, pure.

Grammar (https://modern.ircdocs.horse/#message-format, IRCv3 message-tags)::

    ['@' <tags> SPACE] [':' <source> SPACE] <command> <parameters> <crlf>

Limits we enforce: the part after the tags is at most 512 bytes with its CR LF (`MAX_LINE`),
the tag section at most 8191 bytes (`MAX_TAGS`, the IRCv3 limit for what a server sends).
What we serialize can never carry CR, LF or NUL (no line injection) and is refused when it is
longer than the limit; a line we receive that breaks the grammar raises `MalformedLine`, whose
text never quotes the line (it may hold a message body).

Text is UTF-8; bytes that are not (legacy clients) are replaced by U+FFFD rather than refused,
so a peer on an old client cannot make its messages vanish.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from timb.net.irc.errors import MalformedLine, UnsendableMessage

MAX_LINE = 512  #: bytes after the tags, CR LF included
MAX_TAGS = 8191  #: bytes of the tag section a server may send, '@' and the space included
MAX_RECEIVED = MAX_LINE + MAX_TAGS

_COMMAND = re.compile(r"[A-Za-z]+|[0-9]{3}")
_TAG_KEY = re.compile(r"\+?(?:[A-Za-z0-9.-]+/)?[A-Za-z0-9-]+")
_FORBIDDEN = ("\r", "\n", "\0")
_UNESCAPE = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
_ESCAPE = {";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"}


@dataclass(frozen=True, slots=True)
class Message:
    """One IRC message. ``params`` hold the trailing parameter last, without its ':'.

    ``tags`` maps each IRCv3 tag key to its unescaped value ('' for a key without a value).
    The repr leaves the parameters out: they may hold a message body.
    """

    command: str
    params: tuple[str, ...] = field(default=(), repr=False)
    source: str | None = None
    tags: tuple[tuple[str, str], ...] = ()

    def tag(self, key: str) -> str | None:
        for k, v in self.tags:
            if k == key:
                return v
        return None

    @property
    def nick(self) -> str | None:
        """The nickname part of ``source`` (``nick!user@host``), or the server name."""
        if self.source is None:
            return None
        return self.source.split("!", 1)[0].split("@", 1)[0]


def parse(line: bytes) -> Message:
    """Parse one received line (with or without its CR LF).

    Raises:
        MalformedLine: too long, a NUL, no command, a bad command or tag.
    """
    line = line.rstrip(b"\r\n")
    if len(line) + 2 > MAX_RECEIVED:
        raise MalformedLine("a line longer than IRC allows")
    if b"\0" in line or b"\r" in line or b"\n" in line:
        raise MalformedLine("a line with NUL, CR or LF inside")
    text = line.decode("utf-8", errors="replace")
    tags: tuple[tuple[str, str], ...] = ()
    if text.startswith("@"):
        raw_tags, _, text = text[1:].partition(" ")
        if len(raw_tags.encode()) + 2 > MAX_TAGS:
            raise MalformedLine("a tag section longer than IRCv3 allows")
        tags = _parse_tags(raw_tags)
        text = text.lstrip(" ")
    if len(text.encode()) + 2 > MAX_LINE:
        raise MalformedLine("a line longer than 512 bytes")
    source = None
    if text.startswith(":"):
        source, _, text = text[1:].partition(" ")
        if not source:
            raise MalformedLine("an empty source")
        text = text.lstrip(" ")
    command, params = _split_params(text)
    if not _COMMAND.fullmatch(command):
        raise MalformedLine("not an IRC command")
    return Message(command.upper(), params, source, tags)


def _split_params(text: str) -> tuple[str, tuple[str, ...]]:
    head, sep, trailing = text.partition(" :")
    if head.startswith(":"):  # no command at all, only a trailing parameter
        raise MalformedLine("a line without a command")
    words = [w for w in head.split(" ") if w]
    if not words:
        raise MalformedLine("a line without a command")
    params = words[1:]
    if sep:
        params.append(trailing)
    return words[0], tuple(params)


def _parse_tags(raw: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for item in raw.split(";"):
        if not item:
            continue
        key, _, value = item.partition("=")
        if not _TAG_KEY.fullmatch(key):
            raise MalformedLine("a malformed message tag")
        out.append((key, unescape_tag(value)))
    return tuple(out)


def unescape_tag(value: str) -> str:
    out: list[str] = []
    chars = iter(value)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, "")
        out.append(_UNESCAPE.get(nxt, nxt))  # "\x" is "x"; a lone trailing "\" is dropped
    return "".join(out)


def escape_tag(value: str) -> str:
    return "".join(_ESCAPE.get(ch, ch) for ch in value)


def serialize(msg: Message) -> bytes:
    """The wire form of ``msg``, CR LF included.

    Raises:
        UnsendableMessage: CR, LF or NUL anywhere; an empty, spaced or ':'-led middle
            parameter; a bad command or tag key; more than 512 bytes after the tags.
    """
    if not _COMMAND.fullmatch(msg.command):
        raise UnsendableMessage("not an IRC command")
    parts = [msg.command]
    for i, param in enumerate(msg.params):
        _check_text(param)
        last = i == len(msg.params) - 1
        # The last of several parameters always gets its ':' (the text of PRIVMSG, USER's
        # realname), so a message's length never depends on whether it holds a space.
        if last and (len(msg.params) > 1 or not param or " " in param or param.startswith(":")):
            parts.append(":" + param)
        elif not param or " " in param or param.startswith(":"):
            raise UnsendableMessage("only the last parameter may be empty or hold a space")
        else:
            parts.append(param)
    if msg.source is not None:
        _check_text(msg.source)
        if not msg.source or " " in msg.source:
            raise UnsendableMessage("a bad source")
        parts.insert(0, ":" + msg.source)
    body = " ".join(parts).encode() + b"\r\n"
    if len(body) > MAX_LINE:
        raise UnsendableMessage(f"the line is {len(body)} bytes; IRC allows {MAX_LINE}")
    return _serialize_tags(msg.tags) + body


def _serialize_tags(tags: tuple[tuple[str, str], ...]) -> bytes:
    if not tags:
        return b""
    items = []
    for key, value in tags:
        if not _TAG_KEY.fullmatch(key):
            raise UnsendableMessage("a bad tag key")
        if "\0" in value:  # CR and LF are escaped; NUL has no escape
            raise UnsendableMessage("NUL cannot be sent in a tag")
        items.append(f"{key}={escape_tag(value)}" if value else key)
    return b"@" + ";".join(items).encode() + b" "


def _check_text(text: str) -> None:
    if any(ch in text for ch in _FORBIDDEN):
        raise UnsendableMessage("CR, LF and NUL cannot be sent (they would inject a line)")
