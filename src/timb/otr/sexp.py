"""S-expressions as libgcrypt reads and writes them (the syntax of libotr's otr.private_key).

Reading accepts what libgcrypt's parser accepts: tokens, "quoted strings" with C escapes,
#hex#, |base64| and length-prefixed verbatim strings (``3:abc``), nested at most 16 deep.
Writing produces libgcrypt's "advanced" format. Pure: bytes in, values out.

Raises `KeyFileError` (with the 1-based line) for anything that does not parse.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from timb.otr.errors import KeyFileError

__all__ = ["Atom", "Lexer", "SexpList", "atom_text", "int_bytes", "mpi_hex", "read_one"]


@dataclass(frozen=True, slots=True)
class Atom:
    value: bytes
    line: int


@dataclass(frozen=True, slots=True)
class SexpList:
    items: list[Atom | SexpList]
    line: int

    def head(self) -> bytes | None:
        first = self.items[0] if self.items else None
        return first.value if isinstance(first, Atom) else None

    def find(self, name: bytes) -> SexpList | None:
        for item in self.items[1:]:
            if isinstance(item, SexpList) and item.head() == name:
                return item
        return None


_TOKEN_CHARS = re.compile(rb"[A-Za-z0-9\-./_:*+=]+")
_VERBATIM = re.compile(rb"([0-9]{1,9}):")
# A key file nests four deep; anything much deeper is not one (and must not exhaust the stack).
_MAX_DEPTH = 16
_WRITE_TOKEN = re.compile(r"[A-Za-z\-./_:*+=][A-Za-z0-9\-./_:*+=]*")
_ESCAPES = {
    ord("b"): b"\b",
    ord("t"): b"\t",
    ord("v"): b"\v",
    ord("n"): b"\n",
    ord("f"): b"\f",
    ord("r"): b"\r",
    ord('"'): b'"',
    ord("'"): b"'",
    ord("\\"): b"\\",
}


class Lexer:
    """S-expression reader for what libgcrypt's parser accepts (see the module docstring)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.line = 1

    def fail(self, message: str) -> KeyFileError:
        return KeyFileError(self.line, message)

    def skip_space(self) -> None:
        while self.pos < len(self.data) and self.data[self.pos] in b" \t\r\n\f\v":
            self.line += self.data[self.pos] == 0x0A
            self.pos += 1

    def read_expression(self) -> SexpList:
        self.skip_space()
        if self.pos >= len(self.data) or self.data[self.pos] != ord("("):
            raise self.fail("expected '('")
        return self._read_list(depth=1)

    def _read_list(self, depth: int) -> SexpList:
        if depth > _MAX_DEPTH:
            raise self.fail("lists are nested too deeply")
        result = SexpList([], self.line)
        self.pos += 1  # "("
        while True:
            self.skip_space()
            if self.pos >= len(self.data):
                raise self.fail(f"the list opened on line {result.line} is never closed")
            char = self.data[self.pos]
            if char == ord(")"):
                self.pos += 1
                return result
            if char == ord("("):
                result.items.append(self._read_list(depth + 1))
            else:
                result.items.append(self._read_atom())

    def _read_atom(self) -> Atom:
        line = self.line
        char = self.data[self.pos]
        if char == ord('"'):
            return Atom(self._read_quoted(), line)
        if char in b"#|":
            return Atom(self._read_delimited(chr(char)), line)
        verbatim = _VERBATIM.match(self.data, self.pos)
        if verbatim is not None:
            length = int(verbatim.group(1))
            self.pos = verbatim.end()
            value = self.data[self.pos : self.pos + length]
            if len(value) != length:
                raise KeyFileError(line, "verbatim string runs past the end")
            self.pos += length
            self.line += value.count(b"\n")
            return Atom(value, line)
        match = _TOKEN_CHARS.match(self.data, self.pos)
        if match is None:
            raise self.fail(f"unexpected character {chr(char)!r}")
        self.pos = match.end()
        return Atom(match.group(), line)

    def _read_delimited(self, delimiter: str) -> bytes:
        end = self.data.find(delimiter.encode(), self.pos + 1)
        if end < 0:
            raise self.fail(f"unterminated {delimiter}...{delimiter} string")
        body = self.data[self.pos + 1 : end]
        self.pos = end + 1
        start_line = self.line
        self.line += body.count(b"\n")
        text = re.sub(rb"\s", b"", body)
        try:
            if delimiter == "#":
                return bytes.fromhex(text.decode("ascii"))
            return base64.b64decode(text, validate=True)
        except (ValueError, UnicodeDecodeError) as exc:
            raise KeyFileError(start_line, f"bad {delimiter}...{delimiter} string") from exc

    def _read_quoted(self) -> bytes:
        start_line = self.line
        out = bytearray()
        self.pos += 1
        data = self.data
        while self.pos < len(data):
            char = data[self.pos]
            self.pos += 1
            if char == ord('"'):
                return bytes(out)
            if char == 0x0A:
                self.line += 1
            if char != ord("\\"):
                out.append(char)
                continue
            out += self._read_escape()
        raise KeyFileError(start_line, "unterminated quoted string")

    def _read_escape(self) -> bytes:
        data = self.data
        if self.pos >= len(data):
            raise self.fail("unterminated quoted string")
        char = data[self.pos]
        self.pos += 1
        if char in _ESCAPES:
            return _ESCAPES[char]
        if char in b"\r\n":  # a backslash-newline continues the string
            self.line += char == 0x0A
            if data[self.pos : self.pos + 1] in (b"\n", b"\r") and data[self.pos] != char:
                self.line += data[self.pos] == 0x0A
                self.pos += 1
            return b""
        if char == ord("x") and re.fullmatch(rb"[0-9A-Fa-f]{2}", data[self.pos : self.pos + 2]):
            self.pos += 2
            return bytes([int(data[self.pos - 2 : self.pos], 16)])
        if re.fullmatch(rb"[0-7]{3}", data[self.pos - 1 : self.pos + 2]):
            self.pos += 2
            value = int(data[self.pos - 3 : self.pos], 8)
            if value <= 0xFF:
                return bytes([value])
        raise self.fail("bad escape in quoted string")


def read_one(data: bytes, *, what: str = "expression") -> SexpList:
    """The one list expression that makes up `data` (surrounding white space allowed).

    Raises:
        KeyFileError: `data` is not exactly one well-formed list.
    """
    lexer = Lexer(data)
    root = lexer.read_expression()
    lexer.skip_space()
    if lexer.pos != len(data):
        raise lexer.fail(f"unexpected data after the {what}")
    return root


def int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def atom_text(value: str) -> str:
    """How libgcrypt's advanced format prints a string: a token, a quoted string, or hex."""
    if _WRITE_TOKEN.fullmatch(value):
        return value
    if all(0x20 <= ord(c) < 0x7F for c in value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "#" + value.encode("utf-8").hex().upper() + "#"


def mpi_hex(value: int) -> str:
    # libgcrypt prints MPIs signed: a leading 00 byte when the top bit is set.
    raw = int_bytes(value) or b"\0"
    if raw[0] & 0x80:
        raw = b"\0" + raw
    return "#" + raw.hex().upper() + "#"
