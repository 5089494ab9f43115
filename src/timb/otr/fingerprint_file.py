"""libotr's otr.fingerprints file, parsed and written as text (the caller does the file I/O).

One line per known fingerprint, as libotr 4.1 (privkey.c) reads and writes it:
``username TAB accountname TAB protocol TAB 40-hex-fingerprint [TAB trust]``, where username is
the contact, and trust is empty (not verified), or any non-empty word libotr and its
applications use for verified ("verified" when done by hand, "smp" after SMP).

Every problem raises `KeyFileError` with the 1-based line number where it was found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from timb.common.ids import Fingerprint
from timb.otr.errors import KeyFileError

__all__ = ["FingerprintEntry", "parse_fingerprints", "serialize_fingerprints"]


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
