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


@dataclass(frozen=True, slots=True)
class OnionFileOffered:
    """A contact offers a file: `accept_file` (into a folder the user chose) or `reject_file`.
    ``name`` is already sanitised (no folders, no dot files, no control or bidi characters); it
    is what the file will be called, or ``name (1)`` etc. if that exists."""

    identity: str
    contact: str
    transfer: str
    name: str
    size: int
    verified: bool


@dataclass(frozen=True, slots=True)
class OnionFileChanged:
    """A transfer's state: ``offered`` (ours, waiting for the contact), ``running``,
    ``completed``, ``rejected``, ``cancelled`` or ``failed``. ``reason`` says why for the user;
    ``by_peer`` that the contact ended it; ``saved_as`` is the file's path once an incoming
    file is complete (its size and SHA3-512 checked); it is never opened."""

    identity: str
    contact: str
    transfer: str
    direction: str  # incoming, outgoing
    state: str
    reason: str = ""
    by_peer: bool = False
    saved_as: str = ""


@dataclass(frozen=True, slots=True)
class OnionFileProgress:
    identity: str
    contact: str
    transfer: str
    direction: str
    done: int
    size: int
    bytes_per_second: float
    seconds_remaining: float | None


OnionEvent = (
    OnionIdentityChanged
    | OnionContactRequested
    | OnionContactChanged
    | OnionPresenceChanged
    | OnionMessageReceived
    | OnionMessageStateChanged
    | OnionFileOffered
    | OnionFileChanged
    | OnionFileProgress
)
