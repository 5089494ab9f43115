"""The ids of a TIMB peer's messages this client has shown, kept across its restarts.

A TIMB peer names each message inside the encrypted channel (`timb.otr.tlv.TimbRecord`) and, when
we come back as a new OTR instance, re-sends whatever we had not acknowledged. A client that
showed a message and died before its acknowledgement reached the peer would show it again in its
next run (issue 14's finding 3, tests/unit/test_findings_resend_duplicate.py). So the ids shown
go into the profile (`seen_section`, saved by the service as soon as one is new) and the next run
reads them back (`parse_seen`): a re-sent copy is then acknowledged, not shown.

What remains is the time one vault save takes (milliseconds, instead of the time until the
acknowledgement reached the peer): a client killed inside it shows that message again. The
acknowledgement does not wait for the save: once it reached the peer nothing is re-sent, and a
message held back until its id is saved would be lost if the client died in between.

What the vault keeps is the newest `KEPT_IDS` ids per contact: random numbers, no text, no time.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from timb.otr.tlv import MESSAGE_ID_LENGTH

SEEN_IDS = 1024  # the peer's message ids remembered per contact in memory, to show a re-sent one once
KEPT_IDS = 256  # of those, kept in the profile per contact: more than a peer re-sends after a crash


def remember(seen: dict[bytes, None], message_id: bytes) -> None:
    """Add ``message_id`` to a contact's seen ids, the oldest forgotten beyond SEEN_IDS."""
    seen[message_id] = None
    if len(seen) > SEEN_IDS:
        del seen[next(iter(seen))]


def seen_section(contacts: Iterable[tuple[str, dict[bytes, None]]]) -> dict[str, list[str]]:
    """The profile's section: per contact, its newest KEPT_IDS ids in hex, oldest first."""
    return {name: [i.hex() for i in list(seen)[-KEPT_IDS:]] for name, seen in contacts if seen}


def parse_seen(section: Mapping[str, object]) -> dict[str, dict[bytes, None]]:
    """Read `seen_section`'s output back. The vault is authenticated, so anything malformed is
    our own damage: that entry is skipped (the worst outcome is a message shown twice)."""
    out: dict[str, dict[bytes, None]] = {}
    for name, ids in section.items():
        if not isinstance(ids, list):
            continue
        good = [bytes.fromhex(i) for i in ids[-KEPT_IDS:] if isinstance(i, str) and _is_id(i)]
        if good:
            out[name] = dict.fromkeys(good)
    return out


def _is_id(text: str) -> bool:
    return len(text) == 2 * MESSAGE_ID_LENGTH and all(ch in "0123456789abcdef" for ch in text)
