"""libotr's key and fingerprint files, parsed and written as text (the caller does the file I/O).

Two formats, as libotr 4.1 (privkey.c) reads and writes them, so that people can bring their
identity and their verified contacts from Pidgin, Adium or Tor Messenger, and take them back:

* ``otr.private_key``: one S-expression (`timb.otr.sexp`), written by libgcrypt's
  ``gcry_sexp_sprint`` in the "advanced" format::

      (privkeys
       (account
      (name "alice@example.org")
      (protocol prpl-jabber)
      (private-key
       (dsa
        (p #00FC...#)
        (q #...#) (g #...#) (y #...#) (x #...#)))))

  Each key is checked as a DSA key OTR can use (`timb.otr.dsa_params`).
* ``otr.fingerprints``: tab-separated lines, in `timb.otr.fingerprint_file` (re-exported here).

Every problem raises `KeyFileError` with the 1-based line number where it was found.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from timb.common.ids import Fingerprint
from timb.common.secret import Secret
from timb.otr.dsa_params import dsa_problem
from timb.otr.encoding import encode_mpi
from timb.otr.errors import KeyFileError
from timb.otr.fingerprint_file import FingerprintEntry, parse_fingerprints, serialize_fingerprints
from timb.otr.sexp import Atom, SexpList, atom_text, int_bytes, mpi_hex, read_one

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
        problem = dsa_problem(p, q, g, y, x)
        if problem:
            raise ValueError(problem)
        return cls(account, protocol, p, q, g, y, Secret(int_bytes(x)))


def parse_private_keys(text: str | bytes) -> list[PrivateKeyEntry]:
    """Parse an otr.private_key file.

    Raises:
        KeyFileError: the file is not a libotr key file, or a key in it is not a valid DSA key.
    """
    root = read_one(text.encode("utf-8") if isinstance(text, str) else text, what="(privkeys ...) expression")
    if root.head() != b"privkeys":
        raise KeyFileError(root.line, "the file does not start with (privkeys")
    entries = []
    for item in root.items[1:]:
        if not isinstance(item, SexpList) or item.head() != b"account":
            raise KeyFileError(item.line, "expected (account ...)")
        entries.append(_account(item))
    return entries


def _account(account: SexpList) -> PrivateKeyEntry:
    name = _text_of(account, b"name")
    protocol = _text_of(account, b"protocol")
    private_key = account.find(b"private-key")
    if private_key is None:
        raise KeyFileError(account.line, "account has no (private-key ...)")
    dsa = private_key.find(b"dsa")
    if dsa is None:
        raise KeyFileError(private_key.line, "private key is not (dsa ...)")
    p, q, g, y, x = (_number_of(dsa, part) for part in (b"p", b"q", b"g", b"y", b"x"))
    problem = dsa_problem(p, q, g, y, x)
    if problem:
        raise KeyFileError(dsa.line, problem)
    return PrivateKeyEntry(name, protocol, p, q, g, y, Secret(int_bytes(x)))


def _value_of(parent: SexpList, name: bytes) -> Atom:
    found = parent.find(name)
    if found is None:
        raise KeyFileError(parent.line, f"missing ({name.decode()} ...)")
    if len(found.items) != 2 or not isinstance(found.items[1], Atom):
        raise KeyFileError(found.line, f"({name.decode()} ...) must hold one value")
    return found.items[1]


def _text_of(parent: SexpList, name: bytes) -> str:
    atom = _value_of(parent, name)
    try:
        text = atom.value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KeyFileError(atom.line, f"{name.decode()} is not UTF-8") from exc
    if not text:
        raise KeyFileError(atom.line, f"{name.decode()} is empty")
    return text


def _number_of(parent: SexpList, name: bytes) -> int:
    return int.from_bytes(_value_of(parent, name).value, "big")


def serialize_private_keys(entries: list[PrivateKeyEntry]) -> str:
    """The otr.private_key text for `entries`, laid out as libotr writes it."""
    out = ["(privkeys\n"]
    for entry in entries:
        numbers = (("p", entry.p), ("q", entry.q), ("g", entry.g), ("y", entry.y), ("x", entry.x_value))
        out.append(" (account\n")
        out.append(f"(name {atom_text(entry.account)})\n")
        out.append(f"(protocol {atom_text(entry.protocol)})\n")
        out.append("(private-key \n (dsa \n")
        out.extend(f"  ({name} {mpi_hex(value)})\n" for name, value in numbers)
        out.append("  )\n )\n )\n")
    out.append(")\n")
    return "".join(out)
