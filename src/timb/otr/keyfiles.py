"""libotr's key and fingerprint files, parsed and written as text (the caller does the file I/O).

Two formats, as libotr 4.1 (privkey.c) reads and writes them, so that people can bring their
identity and their verified contacts from Pidgin, Adium or Tor Messenger, and take them back:

* ``otr.private_key``: one S-expression, written by libgcrypt's ``gcry_sexp_sprint`` in the
  "advanced" format::

      (privkeys
       (account
      (name "alice@example.org")
      (protocol prpl-jabber)
      (private-key
       (dsa
        (p #00FC...#)
        (q #...#) (g #...#) (y #...#) (x #...#)))))

* ``otr.fingerprints``: one line per known fingerprint,
  ``username TAB accountname TAB protocol TAB 40-hex-fingerprint [TAB trust]``, where username is
  the contact, and trust is empty (not verified), or any non-empty word libotr and its
  applications use for verified ("verified" when done by hand, "smp" after SMP).

Every problem raises `KeyFileError` with the 1-based line number where it was found.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from timb.common.ids import Fingerprint
from timb.common.secret import Secret
from timb.otr.encoding import encode_mpi
from timb.otr.errors import KeyFileError
from timb.otr.modexp import powmod

if TYPE_CHECKING:
    from timb.otr.keys import PrivateKey

__all__ = [
    "FingerprintEntry",
    "KeyFileError",
    "PrivateKeyEntry",
    "parse_fingerprints",
    "parse_private_keys",
    "serialize_fingerprints",
    "serialize_private_keys",
]


# ---- values ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrivateKeyEntry:
    """One account's DSA key. `x` is the private part and never appears in a repr."""

    account: str
    protocol: str
    p: int
    q: int
    g: int
    y: int
    x: Secret[bytes]

    @property
    def x_value(self) -> int:
        return int.from_bytes(self.x.reveal(), "big")

    def fingerprint(self) -> Fingerprint:
        """SHA-1 of the public key's MPIs p, q, g, y (the OTR encoding without its type SHORT)."""
        data = b"".join(encode_mpi(v) for v in (self.p, self.q, self.g, self.y))
        return Fingerprint(hashlib.sha1(data).digest())  # noqa: S324 - OTR's fingerprint is SHA-1

    def to_private_key(self) -> PrivateKey:
        """The key as `timb.otr.keys.PrivateKey`."""
        from timb.otr.keys import PrivateKey  # noqa: PLC0415 - keys is optional for parsing

        return PrivateKey.from_numbers(self.p, self.q, self.g, self.y, self.x_value)

    @classmethod
    def from_numbers(
        cls, account: str, protocol: str, numbers: tuple[int, int, int, int, int]
    ) -> PrivateKeyEntry:
        """From (p, q, g, y, x), e.g. `PrivateKey.numbers()`.

        Raises:
            ValueError: the numbers are not a valid DSA key.
        """
        p, q, g, y, x = numbers
        problem = _dsa_problem(p, q, g, y, x)
        if problem:
            raise ValueError(problem)
        return cls(account, protocol, p, q, g, y, Secret(_int_bytes(x)))


@dataclass(frozen=True, slots=True)
class FingerprintEntry:
    """One line of otr.fingerprints. `trust` is None when the line has no trust column."""

    username: str  # the contact
    account: str
    protocol: str
    fingerprint: Fingerprint
    trust: str | None = ""

    @property
    def is_trusted(self) -> bool:
        # libotr (otrl_context_is_fingerprint_trusted): any non-empty trust string is trusted.
        return bool(self.trust)


# ---- the private key file ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Atom:
    value: bytes
    line: int


@dataclass(frozen=True, slots=True)
class _List:
    items: list[_Atom | _List]
    line: int

    def head(self) -> bytes | None:
        first = self.items[0] if self.items else None
        return first.value if isinstance(first, _Atom) else None

    def find(self, name: bytes) -> _List | None:
        for item in self.items[1:]:
            if isinstance(item, _List) and item.head() == name:
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


class _Lexer:
    """S-expression reader for what libgcrypt's parser accepts: tokens, "quoted strings",
    #hex#, |base64| and length-prefixed verbatim strings (``3:abc``)."""

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

    def read_expression(self) -> _List:
        self.skip_space()
        if self.pos >= len(self.data) or self.data[self.pos] != ord("("):
            raise self.fail("expected '('")
        return self._read_list(depth=1)

    def _read_list(self, depth: int) -> _List:
        if depth > _MAX_DEPTH:
            raise self.fail("lists are nested too deeply")
        result = _List([], self.line)
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

    def _read_atom(self) -> _Atom:
        line = self.line
        char = self.data[self.pos]
        if char == ord('"'):
            return _Atom(self._read_quoted(), line)
        if char in b"#|":
            return _Atom(self._read_delimited(chr(char)), line)
        verbatim = _VERBATIM.match(self.data, self.pos)
        if verbatim is not None:
            length = int(verbatim.group(1))
            self.pos = verbatim.end()
            value = self.data[self.pos : self.pos + length]
            if len(value) != length:
                raise KeyFileError(line, "verbatim string runs past the end")
            self.pos += length
            self.line += value.count(b"\n")
            return _Atom(value, line)
        match = _TOKEN_CHARS.match(self.data, self.pos)
        if match is None:
            raise self.fail(f"unexpected character {chr(char)!r}")
        self.pos = match.end()
        return _Atom(match.group(), line)

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


def parse_private_keys(text: str | bytes) -> list[PrivateKeyEntry]:
    """Parse an otr.private_key file.

    Raises:
        KeyFileError: the file is not a libotr key file, or a key in it is not a valid DSA key.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    lexer = _Lexer(data)
    root = lexer.read_expression()
    lexer.skip_space()
    if lexer.pos != len(data):
        raise lexer.fail("unexpected data after the (privkeys ...) expression")
    if root.head() != b"privkeys":
        raise KeyFileError(root.line, "the file does not start with (privkeys")
    entries = []
    for item in root.items[1:]:
        if not isinstance(item, _List) or item.head() != b"account":
            raise KeyFileError(item.line, "expected (account ...)")
        entries.append(_account(item))
    return entries


def _account(account: _List) -> PrivateKeyEntry:
    name = _text_of(account, b"name")
    protocol = _text_of(account, b"protocol")
    private_key = account.find(b"private-key")
    if private_key is None:
        raise KeyFileError(account.line, "account has no (private-key ...)")
    dsa = private_key.find(b"dsa")
    if dsa is None:
        raise KeyFileError(private_key.line, "private key is not (dsa ...)")
    p, q, g, y, x = (_number_of(dsa, part) for part in (b"p", b"q", b"g", b"y", b"x"))
    problem = _dsa_problem(p, q, g, y, x)
    if problem:
        raise KeyFileError(dsa.line, problem)
    return PrivateKeyEntry(name, protocol, p, q, g, y, Secret(_int_bytes(x)))


def _value_of(parent: _List, name: bytes) -> _Atom:
    found = parent.find(name)
    if found is None:
        raise KeyFileError(parent.line, f"missing ({name.decode()} ...)")
    if len(found.items) != 2 or not isinstance(found.items[1], _Atom):
        raise KeyFileError(found.line, f"({name.decode()} ...) must hold one value")
    return found.items[1]


def _text_of(parent: _List, name: bytes) -> str:
    atom = _value_of(parent, name)
    try:
        text = atom.value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KeyFileError(atom.line, f"{name.decode()} is not UTF-8") from exc
    if not text:
        raise KeyFileError(atom.line, f"{name.decode()} is empty")
    return text


def _number_of(parent: _List, name: bytes) -> int:
    return int.from_bytes(_value_of(parent, name).value, "big")


# FIPS 186 sizes: OTR signatures are two 20-byte halves, so q has 160 bits.
_Q_BITS = 160
_P_MIN_BITS = 1024
_P_MAX_BITS = 3072
_MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53)


def _dsa_problem(p: int, q: int, g: int, y: int, x: int) -> str | None:
    """What is wrong with (p, q, g, y, x) as a DSA key for OTR, or None."""
    problem = None
    if not _P_MIN_BITS <= p.bit_length() <= _P_MAX_BITS:
        problem = f"DSA p has {p.bit_length()} bits"
    elif q.bit_length() != _Q_BITS:
        problem = f"DSA q has {q.bit_length()} bits, OTR needs 160"
    elif (p - 1) % q:
        problem = "DSA q does not divide p-1"
    elif not (_probably_prime(q) and _probably_prime(p)):
        problem = "DSA p or q is not prime"
    elif not 1 < g < p or powmod(g, q, p) != 1:
        problem = "DSA g does not generate the order-q subgroup"
    elif not 0 < x < q:
        problem = "DSA x is out of range"
    elif not 1 < y < p or powmod(g, x, p) != y:
        problem = "DSA y does not match x (y != g^x mod p)"
    return problem


def _probably_prime(n: int) -> bool:
    """Miller-Rabin with fixed bases: this checks a file for damage, not an adversary's prime."""
    if n < 2 or n % 2 == 0:
        return n == 2
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for base in _MR_BASES:
        if base % n == 0:
            continue
        value = powmod(base, d, n)
        if value in (1, n - 1):
            continue
        for _ in range(s - 1):
            value = powmod(value, 2, n)
            if value == n - 1:
                break
        else:
            return False
    return True


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def _atom_text(value: str) -> str:
    """How libgcrypt's advanced format prints a string: a token, a quoted string, or hex."""
    if _WRITE_TOKEN.fullmatch(value):
        return value
    if all(0x20 <= ord(c) < 0x7F for c in value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "#" + value.encode("utf-8").hex().upper() + "#"


def _mpi_hex(value: int) -> str:
    # libgcrypt prints MPIs signed: a leading 00 byte when the top bit is set.
    raw = _int_bytes(value) or b"\0"
    if raw[0] & 0x80:
        raw = b"\0" + raw
    return "#" + raw.hex().upper() + "#"


def serialize_private_keys(entries: list[PrivateKeyEntry]) -> str:
    """The otr.private_key text for `entries`, laid out as libotr writes it."""
    out = ["(privkeys\n"]
    for entry in entries:
        numbers = (("p", entry.p), ("q", entry.q), ("g", entry.g), ("y", entry.y), ("x", entry.x_value))
        out.append(" (account\n")
        out.append(f"(name {_atom_text(entry.account)})\n")
        out.append(f"(protocol {_atom_text(entry.protocol)})\n")
        out.append("(private-key \n (dsa \n")
        out.extend(f"  ({name} {_mpi_hex(value)})\n" for name, value in numbers)
        out.append("  )\n )\n )\n")
    out.append(")\n")
    return "".join(out)


# ---- the fingerprints file ---------------------------------------------------------------------

_HEX40 = re.compile(r"[0-9A-Fa-f]{40}")


def parse_fingerprints(text: str | bytes) -> list[FingerprintEntry]:
    """Parse an otr.fingerprints file. Blank lines are skipped.

    Raises:
        KeyFileError: a line lacks a field, has an empty name, or a fingerprint that is not
            40 hex digits, or the file is not UTF-8.
    """
    entries = []
    for number, raw in enumerate(_lines(text), start=1):
        if not raw.strip():
            continue
        fields = raw.split("\t", 4)
        # libotr ends the last field at the first CR (or LF); a CR anywhere else is damage.
        fields[-1] = fields[-1].split("\r", 1)[0]
        if len(fields) < 4:
            raise KeyFileError(number, "expected username, account, protocol and fingerprint, tab-separated")
        username, account, protocol, hex_fingerprint = fields[:4]
        if not (username and account and protocol):
            raise KeyFileError(number, "username, account and protocol must not be empty")
        if "\r" in username + account + protocol:
            raise KeyFileError(number, "stray carriage return")
        if not _HEX40.fullmatch(hex_fingerprint):
            raise KeyFileError(number, "the fingerprint must be 40 hex digits")
        trust = fields[4] if len(fields) == 5 else None
        fingerprint = Fingerprint(bytes.fromhex(hex_fingerprint))
        entries.append(FingerprintEntry(username, account, protocol, fingerprint, trust))
    return entries


def _lines(text: str | bytes) -> list[str]:
    if isinstance(text, str):
        return text.split("\n")
    lines = []
    for number, raw in enumerate(text.split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise KeyFileError(number, "the line is not UTF-8") from exc
    return lines


def serialize_fingerprints(entries: list[FingerprintEntry]) -> str:
    """The otr.fingerprints text, as libotr writes it (lower-case hex, trust always present).

    The trust field is the last on its line, so it may carry tabs (the parser keeps the rest of
    the line there): whatever parsed is written back as it was.

    Raises:
        ValueError: a field contains a line break, or a field before the trust field a tab,
            which the format cannot carry.
    """
    out = []
    for entry in entries:
        names = (entry.username, entry.account, entry.protocol)
        trust = entry.trust or ""
        if any(ch in field for field in names for ch in "\t\r\n") or any(ch in trust for ch in "\r\n"):
            raise ValueError("fingerprint file fields cannot contain tabs or line breaks")
        out.append("\t".join((*names, entry.fingerprint.hex, trust)) + "\n")
    return "".join(out)
