"""Events of one Ricochet v3 connection (the sans-I/O core), for the adapter to ``match`` on.

Texts and nicknames are left out of ``repr`` so they never reach a log.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from timb.common.ids import OnionAddress
from timb.net.onion.errors import OnionError
from timb.net.onion.messages import CommonError, Status


@dataclass(frozen=True, slots=True)
class Authenticated:
    """Hidden-service authentication finished.

    On the dialling side ``peer`` is the service we dialled and ``known`` says whether it knows
    us as a contact (``Result.is_known_contact``). On the listening side ``peer`` is the proven
    identity of the dialling side and ``known`` says whether we told it that we know it.
    """

    peer: OnionAddress
    known: bool


@dataclass(frozen=True, slots=True)
class ContactRequestReceived:
    """A stranger asks to become a contact (listening side). Answer with `accept_request` or
    `reject_request`; until then the connection stays open."""

    peer: OnionAddress
    nickname: str = field(repr=False)
    message: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ContactRequestAnswered:
    """The listening side answered our request: Pending first, then Accepted, Rejected or Error."""

    status: Status


@dataclass(frozen=True, slots=True)
class BecameContact:
    """This connection now carries the contact (Ricochet's purpose "KnownContact")."""


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """A chat text (rejoined from TIMB's parts). ``message_ids`` are the parts' ids, in order."""

    message_ids: tuple[int, ...]
    text: str = field(repr=False)
    time_delta: int = 0


@dataclass(frozen=True, slots=True)
class MessageAcknowledged:
    """The peer's ChatAcknowledge for our ``message_id`` (``accepted`` False: it dropped it)."""

    message_id: int
    accepted: bool


@dataclass(frozen=True, slots=True)
class MessageUndelivered:
    """Our message never went out on an open channel (the channel was refused or closed first)."""

    message_id: int


@dataclass(frozen=True, slots=True)
class ChannelRefused:
    channel_type: str
    error: CommonError | None


@dataclass(frozen=True, slots=True)
class ProtocolViolation:
    """The peer sent something invalid that closed one channel, not the connection."""

    error: OnionError


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The connection is over. ``error`` is None for a close we asked for or an orderly EOF."""

    error: OnionError | None = None


class FileEnd(enum.Enum):
    """How a file transfer ended (libtego's tego_file_transfer_result_t, plus STALLED)."""

    COMPLETED = "completed"  # every byte arrived and (receiving side) the SHA3-512 matched
    REJECTED = "rejected"  # the receiver refused the offer
    CANCELLED = "cancelled"
    FAILED = "failed"  # the peer reported a failure or broke the transfer's rules
    BAD_HASH = "bad-hash"  # all bytes arrived but they are not what the header declared
    NETWORK_ERROR = "network-error"  # the channel or the connection went away
    FILESYSTEM_ERROR = "filesystem-error"  # our source or sink failed
    STALLED = "stalled"  # no chunk or acknowledgement for too long


@dataclass(frozen=True, slots=True)
class FileOffered:
    """The contact offers a file (``im.ricochet.file-transfer`` FileHeader): nothing is
    received before `accept_file`. ``name`` is the sender's, untrusted: sanitise it."""

    file_id: int
    size: int
    name: str = field(repr=False)
    file_hash: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class FileAnswered:
    """The receiver accepted our offer (chunks start) or refused it (see `FileEnded`)."""

    file_id: int
    accepted: bool


@dataclass(frozen=True, slots=True)
class FileProgress:
    """``done`` of ``size`` bytes moved: acknowledged (sending) or written (receiving)."""

    file_id: int
    outgoing: bool
    done: int
    size: int


@dataclass(frozen=True, slots=True)
class FileEnded:
    """A transfer is over, once. ``by_peer``: the peer ended it (refused, cancelled, failed);
    ``error``: what the peer did wrong, when it broke the rules."""

    file_id: int
    outgoing: bool
    end: FileEnd
    by_peer: bool = False
    error: OnionError | None = None


ConnectionEvent = (
    Authenticated
    | ContactRequestReceived
    | ContactRequestAnswered
    | BecameContact
    | MessageReceived
    | MessageAcknowledged
    | MessageUndelivered
    | ChannelRefused
    | ProtocolViolation
    | ConnectionClosed
    | FileOffered
    | FileAnswered
    | FileProgress
    | FileEnded
)
