"""The user's messages not yet DELIVERED, kept in the profile so that a crash loses none of them.

Issue 14's finding 4: a message typed (or shown as sent) died with a killed client, because its
queue lived only in memory. `Conversations.outbox_section` writes, in the order they were typed,
every message still PENDING and every SENT one a TIMB peer has not acknowledged; the service keeps
that in the vault (section ``outbox``) and saves it soon after each change of state; the next run
gives it back to `Conversations.restore_outbox`, which queues the messages again as PENDING.

Safety first: a restored message keeps the keys it was written for (issue 9), so it goes only to
that key or a verified one, else it is held for the user like any other; and what needed OTR still
does. A message SENT to a libotr peer is not kept: that peer cannot recognise a copy (TIMB's ids
are ours), so sending it again would show it twice, and a libotr client confirms by key ids that
a new run cannot check. A TIMB peer shows a re-sent id once (`timb.core.seen_ids`). A message
SENT before the peer showed what it is is kept *unsure*: the next run sends it again only once its
session shows a TIMB record (`Receipts._ask_timb`, `_release_unsure`).

The vault is encrypted with the passphrase; a delivered or failed message leaves it at the next
save (the text of a delivered one is dropped from memory at once, as before).

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from timb.common.ids import Fingerprint
from timb.common.secret import Secret

MAX_KEPT = 1000  # per account: a profile is not a message store; beyond this the oldest are not kept


@dataclass(frozen=True, slots=True)
class KeptMessage:
    """One message as the profile keeps it."""

    id: str
    contact: str
    text: Secret[str]
    needs_otr: bool
    written_for: frozenset[Fingerprint]
    unsure: bool = False  # SENT to a peer not known to be TIMB: it goes again only to a TIMB one


def outbox_section(messages: Iterable[KeptMessage]) -> list[dict[str, object]]:
    """The vault section, oldest first (at most MAX_KEPT, the newest)."""
    kept = list(messages)[-MAX_KEPT:]
    return [_serialised(m) for m in kept]


def _serialised(m: KeptMessage) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": m.id,
        "contact": m.contact,
        "text": m.text.reveal(),
        "needs_otr": m.needs_otr,
        "written_for": sorted(f.hex for f in m.written_for),
    }
    if m.unsure:
        entry["unsure"] = True  # (absent otherwise: earlier profiles read the same)
    return entry


def parse_outbox(section: object) -> list[KeptMessage]:
    """Read `outbox_section`'s output back. The vault is authenticated, so an entry that is
    malformed is our own damage: it is skipped (never half-read: a message whose keys cannot be
    read is not sent anywhere)."""
    if not isinstance(section, list):
        return []
    out = []
    for entry in section[-MAX_KEPT:]:
        message = _entry(entry)
        if message is not None:
            out.append(message)
    return out


def _entry(entry: object) -> KeptMessage | None:
    if not isinstance(entry, Mapping):
        return None
    msg_id, contact, text = entry.get("id"), entry.get("contact"), entry.get("text")
    needs_otr, written_for = entry.get("needs_otr"), entry.get("written_for")
    unsure = entry.get("unsure", False)
    if not (isinstance(msg_id, str) and isinstance(contact, str) and isinstance(text, str)):
        return None
    if not (
        msg_id and contact and "\x00" not in text and isinstance(needs_otr, bool) and isinstance(unsure, bool)
    ):
        return None
    if not isinstance(written_for, list) or not all(isinstance(f, str) for f in written_for):
        return None
    try:
        keys = frozenset(Fingerprint.from_hex(f) for f in written_for)
    except ValueError:
        return None
    return KeptMessage(msg_id, contact, Secret(text), needs_otr, keys, unsure)
