"""Fuzz `timb.otr.keyfiles`: libotr's otr.private_key and otr.fingerprints files, as a user might
import them from another client (damaged, truncated, or crafted).

Inputs are arbitrary bytes, or mutations of genuine files (a key file in libgcrypt's layout, with
two accounts, and a fingerprints file with and without trust columns).

Checked: `parse_private_keys` and `parse_fingerprints` raise nothing but `KeyFileError` (with a
line number >= 1); whatever parses round-trips: serialising and parsing again gives the same
entries (so an import followed by an export never silently changes a key or a trust decision).
"""

from __future__ import annotations

import sys

from fuzzlib import Provider, check, instrumented, mutate, run

with instrumented():
    from tests.unit.otr_link import ALICE_KEY, BOB_KEY

    from timb.otr.keyfiles import (
        FingerprintEntry,
        KeyFileError,
        PrivateKeyEntry,
        parse_fingerprints,
        parse_private_keys,
        serialize_fingerprints,
        serialize_private_keys,
    )

KEYS = serialize_private_keys(
    [
        PrivateKeyEntry.from_numbers("alice@example.org", "prpl-jabber", ALICE_KEY.numbers()),
        PrivateKeyEntry.from_numbers('bob \u00e9 "q" (x)', "prpl-irc", BOB_KEY.numbers()),
    ]
).encode()
FINGERPRINTS = (
    "bob@example.org\talice@example.org\tprpl-jabber\t" + "ab" * 20 + "\tverified\n"
    "carol@example.org\talice@example.org\tprpl-jabber\t" + "CD" * 20 + "\t\n"
    "dave@example.org\talice@example.org\tprpl-irc\t" + "0f" * 20 + "\n"
    "\n"
    "eve\u00e9@example.org\tbob\tprpl-jabber\t" + "12" * 20 + "\tsmp\r\n"
).encode()


def _check_keys(raw: bytes | str) -> None:
    try:
        entries = parse_private_keys(raw)
    except KeyFileError as exc:
        check(exc.line >= 1, f"KeyFileError with line {exc.line}")
        return
    again = parse_private_keys(serialize_private_keys(entries))
    check(
        [(e.account, e.protocol, e.p, e.q, e.g, e.y, e.x_value) for e in again]
        == [(e.account, e.protocol, e.p, e.q, e.g, e.y, e.x_value) for e in entries],
        "a private key file does not round-trip",
    )


def _check_fingerprints(raw: bytes | str) -> None:
    try:
        entries = parse_fingerprints(raw)
    except KeyFileError as exc:
        check(exc.line >= 1, f"KeyFileError with line {exc.line}")
        return
    # Whatever parsed can be written back (a trust word with tabs included) and reads the same.
    text = serialize_fingerprints(entries)
    again = parse_fingerprints(text)

    def key(e: FingerprintEntry) -> tuple[str, str, str, str, str]:
        # A missing trust column is written as an empty one (libotr does the same).
        return (e.username, e.account, e.protocol, e.fingerprint.hex, e.trust or "")

    check([key(e) for e in again] == [key(e) for e in entries], "a fingerprints file does not round-trip")


def test_one_input(data: bytes) -> None:
    p = Provider(data)
    which = p.number(0, 1)
    mode = p.number(0, 2)
    if mode == 0:
        raw: bytes | str = p.rest()
    elif mode == 1:
        raw = mutate(p, KEYS if which == 0 else FINGERPRINTS)
    else:
        raw = mutate(p, KEYS if which == 0 else FINGERPRINTS).decode("utf-8", errors="replace")
    if which == 0:
        _check_keys(raw)
    else:
        _check_fingerprints(raw)


if __name__ == "__main__":
    run(test_one_input, sys.argv)
