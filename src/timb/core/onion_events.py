"""Typed events of the service's serverless onion chat (`timb.core.service.onion_part`).

An onion identity is named by its id (chosen at creation), a contact by its ``ricochet:<id>``
text. Only `OnionMessageReceived` and `OnionContactRequested` carry text a peer wrote, and
neither shows it in ``repr``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class OnionMessageState(enum.Enum):
    """Where an outgoing onion message is.

    WAITING: kept (encrypted, in the profile) until both sides are online: the UI says "waiting
    for <contact> to come online", never "sent". SENT: on an open connection to the contact, not
    acknowledged yet (it goes back to WAITING if that connection dies first). DELIVERED: the
    contact's client acknowledged every part. FAILED: refused by the contact, or its identity or
    contact was removed.
    """

    WAITING = "waiting"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OnionIdentityChanged:
    """An identity went online (its onion service is published) or offline, or was deleted
    (``expired`` when a burner's time ran out: its key is gone)."""

    identity: str
    online: bool
    deleted: bool = False
    expired: bool = False


@dataclass(frozen=True, slots=True)
class OnionContactRequested:
    """A stranger asks to become a contact: accept, reject or block it. Unverified until the
    user has compared its address out of band."""

    identity: str
    contact: str
    nickname: str = field(repr=False)
    message: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class OnionContactChanged:
    """A contact's standing changed (``status``: contact, requested, incoming, blocked,
    rejected), or ``verified`` did."""

    identity: str
    contact: str
    status: str
    verified: bool


@dataclass(frozen=True, slots=True)
class OnionPresenceChanged:
    """Presence is an open connection: ``online`` while one is."""

    identity: str
    contact: str
    online: bool


@dataclass(frozen=True, slots=True)
class OnionMessageReceived:
    identity: str
    contact: str
    text: str = field(repr=False)
    verified: bool


@dataclass(frozen=True, slots=True)
class OnionMessageStateChanged:
    id: str
    state: OnionMessageState
    identity: str
    contact: str


OnionEvent = (
    OnionIdentityChanged
    | OnionContactRequested
    | OnionContactChanged
    | OnionPresenceChanged
    | OnionMessageReceived
    | OnionMessageStateChanged
)
