"""Events of the onion adapter (`OnionPeer`), one per thing the core service shows the user.

Texts and nicknames are left out of ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from timb.common.ids import OnionAddress
from timb.net.onion.errors import OnionError
from timb.net.onion.events import FileEnd
from timb.net.onion.messages import Status


@dataclass(frozen=True, slots=True)
class ServiceOnline:
    """Our onion service's descriptor is published: contacts can reach us."""

    address: OnionAddress


@dataclass(frozen=True, slots=True)
class ContactRequest:
    """A stranger asks to become a contact. Nothing is accepted without the user."""

    peer: OnionAddress
    nickname: str = field(repr=False)
    message: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class RequestAnswered:
    """The answer to our contact request (Pending, Accepted, Rejected, Error)."""

    peer: OnionAddress
    status: Status


@dataclass(frozen=True, slots=True)
class ContactOnline:
    peer: OnionAddress


@dataclass(frozen=True, slots=True)
class ContactOffline:
    peer: OnionAddress


@dataclass(frozen=True, slots=True)
class MessageIn:
    peer: OnionAddress
    text: str = field(repr=False)
    message_ids: tuple[int, ...] = ()
    time_delta: int = 0


@dataclass(frozen=True, slots=True)
class MessageAcked:
    peer: OnionAddress
    message_id: int
    accepted: bool


@dataclass(frozen=True, slots=True)
class MessageNotDelivered:
    """Our message never went out (its channel was refused or the connection dropped first)."""

    peer: OnionAddress
    message_id: int


@dataclass(frozen=True, slots=True)
class PeerError:
    """A connection failed or a peer misbehaved (``peer`` None before it authenticated).
    Only that connection is affected."""

    peer: OnionAddress | None
    error: OnionError


@dataclass(frozen=True, slots=True)
class FileOffer:
    """A contact offers a file; answer with `accept_file` or `reject_file`. ``name`` is the
    sender's and untrusted."""

    peer: OnionAddress
    file_id: int
    size: int
    name: str = field(repr=False)
    file_hash: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class FileAccepted:
    """The contact accepted our offer: chunks are going."""

    peer: OnionAddress
    file_id: int


@dataclass(frozen=True, slots=True)
class FileMoved:
    """``done`` of ``size`` bytes acknowledged (ours) or written (theirs)."""

    peer: OnionAddress
    file_id: int
    outgoing: bool
    done: int
    size: int


@dataclass(frozen=True, slots=True)
class FileDone:
    """A transfer ended (once); see `timb.net.onion.events.FileEnded`."""

    peer: OnionAddress
    file_id: int
    outgoing: bool
    end: FileEnd
    by_peer: bool = False
    error: OnionError | None = None


PeerEvent = (
    ServiceOnline
    | ContactRequest
    | RequestAnswered
    | ContactOnline
    | ContactOffline
    | MessageIn
    | MessageAcked
    | MessageNotDelivered
    | PeerError
    | FileOffer
    | FileAccepted
    | FileMoved
    | FileDone
)
