"""What a `Conversation` tells its owner: frozen, slotted values; consumers ``match`` on the type.

The SMP events are defined in `timb.otr.smp` and re-exported here.

Texts travel as plain `str` here because the owner must display them; the owner keeps them out
of logs (docs/architecture.md rule 7).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from timb.common.ids import Fingerprint
from timb.common.secret import Secret
from timb.otr.smp import (
    SmpAborted,
    SmpCheated,
    SmpFailed,
    SmpProgress,
    SmpQuestion,
    SmpSucceeded,
)
from timb.otr.tlv import TimbRecord, Tlv


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """A message for the user. ``encrypted=False`` means it arrived in the clear: warn the user."""

    text: str = field(repr=False)
    encrypted: bool


@dataclass(frozen=True, slots=True)
class DataMessageAuthenticated:
    """A Data Message decrypted and passed its MAC (text, heartbeat or TLVs only). The facts come
    from the authenticated message: ``recipient_keyid`` is the newest key of ours the peer knew
    when it wrote it; ``tlvs`` are the records of types this layer does not handle itself (for
    example a later extension's); ``timb``: its TIMB record (message id, acknowledgements), None
    from a peer that sends none (libotr). A message that did not decrypt produces no such event,
    whatever its header says."""

    recipient_keyid: int
    tlvs: tuple[Tlv, ...] = ()
    timb: TimbRecord | None = None


@dataclass(frozen=True, slots=True)
class GoneSecure:
    """The AKE completed: the conversation is MSGSTATE_ENCRYPTED with this peer key.

    ``refreshed`` is True when an encrypted session was replaced by a new AKE (libotr's
    "still secure" when the key is the same). Whether the fingerprint is trusted is core's business.
    """

    their_fingerprint: Fingerprint
    ssid: bytes
    protocol_version: int
    refreshed: bool = False


@dataclass(frozen=True, slots=True)
class GoneInsecure:
    """We ended the private conversation (`Conversation.end`): back to MSGSTATE_PLAINTEXT."""


@dataclass(frozen=True, slots=True)
class SessionFinished:
    """The peer ended the private conversation (Disconnected TLV): MSGSTATE_FINISHED.

    Nothing more can be sent until the user calls `end()` (then plaintext) or `start()` (new AKE).
    """


@dataclass(frozen=True, slots=True)
class UnreadableMessage:
    """An encrypted Data Message we could not read (wrong keys, bad MAC, replay, no session)."""


@dataclass(frozen=True, slots=True)
class MalformedMessageReceived:
    """An OTR message that did not parse. ``reason`` is ours, never the peer's text."""

    reason: str


@dataclass(frozen=True, slots=True)
class PeerError:
    """The peer sent an OTR Error Message ("?OTR Error:"); ``text`` is what followed."""

    text: str


@dataclass(frozen=True, slots=True)
class ExtraSymmetricKeyReceived:
    """The peer sent TLV 8: it will use the extra symmetric key for ``use`` (``data`` is use-specific)."""

    use: int
    data: bytes
    key: Secret[bytes]


@dataclass(frozen=True, slots=True)
class MessageHeld:
    """`send` kept a message until the session is encrypted (the policy requires encryption)."""

    pending: int


Event = (
    MessageReceived
    | DataMessageAuthenticated
    | GoneSecure
    | GoneInsecure
    | SessionFinished
    | UnreadableMessage
    | MalformedMessageReceived
    | PeerError
    | ExtraSymmetricKeyReceived
    | MessageHeld
    | SmpQuestion
    | SmpProgress
    | SmpSucceeded
    | SmpFailed
    | SmpAborted
    | SmpCheated
)

__all__ = [
    "DataMessageAuthenticated",
    "Event",
    "ExtraSymmetricKeyReceived",
    "GoneInsecure",
    "GoneSecure",
    "MalformedMessageReceived",
    "MessageHeld",
    "MessageReceived",
    "PeerError",
    "SessionFinished",
    "SmpAborted",
    "SmpCheated",
    "SmpFailed",
    "SmpProgress",
    "SmpQuestion",
    "SmpSucceeded",
    "UnreadableMessage",
]
