"""What the onion part keeps in the profile (vault section ``onion``, encrypted with the rest of
the vault): the identities' seeds, their contacts and the messages waiting for a contact. Pure.

Bounds, whatever peers send: at most MAX_INCOMING requests waiting per identity, MAX_WAITING
messages waiting per identity, SEEN_KEPT message ids remembered per contact (so a text re-sent
after a restart of either side is shown once).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from timb.common.ids import OnionAddress
from timb.common.secret import Secret
from timb.net.onion.identity import SEED_LEN, OnionIdentity, contact_id

ONION_SECTION = "onion"
MAX_IDENTITIES = 32
MAX_CONTACTS = 1000
MAX_INCOMING = 64
MAX_WAITING = 1000
SEEN_KEPT = 256


class ContactStatus(enum.Enum):
    CONTACT = "contact"  # both sides agreed
    REQUESTED = "requested"  # we asked (the user entered its address)
    INCOMING = "incoming"  # it asked; waiting for the user
    BLOCKED = "blocked"  # the user blocked it
    REJECTED = "rejected"  # it refused our request


@dataclass(slots=True)
class OnionContact:
    address: OnionAddress
    status: ContactStatus
    verified: bool  # entered by the user, or compared by the user
    nickname: str = field(default="", repr=False)
    message: str = field(default="", repr=False)  # its request's text, or ours
    seen: list[int] = field(default_factory=list, repr=False)  # recent message ids received

    @property
    def name(self) -> str:
        return contact_id(self.address)


@dataclass(slots=True)
class WaitingMessage:
    """A message not acknowledged yet. ``wire_ids`` are its parts' ids once it went on a
    connection: it is re-sent with them, so the receiver can drop a repeat."""

    id: str
    contact: OnionAddress
    text: Secret[str]
    wire_ids: tuple[int, ...] = ()
    acked: set[int] = field(default_factory=set)
    on_wire: bool = False  # on the current connection (SENT), not waiting


@dataclass(slots=True)
class StoredIdentity:
    id: str
    seed: Secret[bytes]
    nickname: str
    expires: float | None  # a burner's end (clock seconds); None: kept until deleted
    contacts: dict[OnionAddress, OnionContact] = field(default_factory=dict)
    waiting: list[WaitingMessage] = field(default_factory=list)

    @property
    def address(self) -> OnionAddress:
        return OnionIdentity(self.seed).address

    def contacts_with(self, status: ContactStatus) -> Iterator[OnionContact]:
        return (c for c in self.contacts.values() if c.status is status)


def to_section(identities: dict[str, StoredIdentity], block_unknown: bool) -> dict[str, Any]:
    return {"block_unknown": block_unknown, "identities": [_identity_out(i) for i in identities.values()]}


def _identity_out(ident: StoredIdentity) -> dict[str, Any]:
    return {
        "id": ident.id,
        "seed": ident.seed.reveal().hex(),
        "nickname": ident.nickname,
        "expires": ident.expires,
        "contacts": [
            {
                "address": c.address.service_id,
                "status": c.status.value,
                "verified": c.verified,
                "nickname": c.nickname,
                "message": c.message,
                "seen": c.seen[-SEEN_KEPT:],
            }
            for c in ident.contacts.values()
        ],
        "waiting": [
            {
                "id": w.id,
                "contact": w.contact.service_id,
                "text": w.text.reveal(),
                "wire_ids": list(w.wire_ids),
                "acked": sorted(w.acked),
            }
            for w in ident.waiting
        ],
    }


def from_section(section: dict[str, Any]) -> tuple[dict[str, StoredIdentity], bool]:
    """Raises: ValueError (also InvalidIdentifier, a ValueError), KeyError, TypeError: damaged."""
    identities: dict[str, StoredIdentity] = {}
    for raw in section.get("identities", []):
        seed = bytes.fromhex(str(raw["seed"]))
        if len(seed) != SEED_LEN:
            raise ValueError("a stored onion seed is not 32 bytes")
        expires = raw.get("expires")
        ident = StoredIdentity(
            str(raw["id"]),
            Secret(seed),
            str(raw.get("nickname", "")),
            None if expires is None else float(expires),
        )
        for c in raw.get("contacts", []):
            addr = OnionAddress(str(c["address"]))
            ident.contacts[addr] = OnionContact(
                addr,
                ContactStatus(c["status"]),
                bool(c["verified"]),
                str(c.get("nickname", "")),
                str(c.get("message", "")),
                [int(x) for x in c.get("seen", [])][-SEEN_KEPT:],
            )
        for w in raw.get("waiting", []):
            ident.waiting.append(
                WaitingMessage(
                    str(w["id"]),
                    OnionAddress(str(w["contact"])),
                    Secret(str(w["text"])),
                    tuple(int(x) for x in w.get("wire_ids", [])),
                    {int(x) for x in w.get("acked", [])},
                )
            )
        identities[ident.id] = ident
    return identities, bool(section.get("block_unknown", False))
