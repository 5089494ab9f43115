"""Typed events the core gives to user interfaces (the TUI, ``timb jsonrpc``).

Every event is a frozen, slotted dataclass; consumers ``match`` on the type. Accounts are named by
their id (a short string chosen at creation), contacts by their bare address as text. Events never
carry passphrases, passwords or keys; only `MessageReceived` carries message text, and only to the
UI that asked for it (the core never logs it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from timb.common.ids import Fingerprint
from timb.core.file_events import FileEvent
from timb.core.onion_events import OnionEvent


class MessageState(enum.Enum):
    """Where an outgoing message is.

    PENDING: held by the core (no private session yet, or waiting to be re-sent after a re-key);
    never on the network in any form. SENT: handed to the network encrypted. DELIVERED: the peer
    has since sent something readable in the same session (OTR has no receipts; this is the
    core's inference, see docs/core.md). FAILED: will not be sent (account or contact removed).
    """

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


class OtrState(enum.Enum):
    """The privacy of a conversation as a user sees it."""

    NOT_PRIVATE = "not private"
    PRIVATE_UNVERIFIED = "private unverified"
    PRIVATE_VERIFIED = "private verified"
    FINISHED = "finished"


class ConnectionState(enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    FAILED = "failed"


class TrustLevel(enum.Enum):
    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    DISTRUSTED = "distrusted"


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """A message from a contact. ``encrypted`` is False for plaintext that arrived outside OTR
    (shown with a warning); ``verified`` is True only if the sender's fingerprint is verified."""

    account: str
    contact: str
    text: str = field(repr=False)  # never in a log or crash report
    encrypted: bool
    verified: bool


@dataclass(frozen=True, slots=True)
class MessageSent:
    """An outgoing message left for the first time, and how: ``encrypted`` is False only for
    one typed while the contact's policy did not require encryption and no session was private.
    For the history (recorded when it went out, not when it was typed); UIs follow
    `MessageStateChanged` instead."""

    account: str
    contact: str
    id: str
    text: str = field(repr=False)  # never in a log or crash report
    encrypted: bool


@dataclass(frozen=True, slots=True)
class MessageStateChanged:
    """An outgoing message (``id`` as returned by send) changed state. A message can go
    SENT -> PENDING again when the core re-sends it after the peer lost its session."""

    id: str
    state: MessageState
    account: str = ""
    contact: str = ""


@dataclass(frozen=True, slots=True)
class OtrStateChanged:
    """``protocol_version``: the OTR version of the private session (2 or 3), None when not
    private. Version 2 has no instance tags: show it."""

    account: str
    contact: str
    state: OtrState
    fingerprint: Fingerprint | None = None
    protocol_version: int | None = None


@dataclass(frozen=True, slots=True)
class ProtocolDowngraded:
    """LOUD: a contact who had version ``previous`` sessions with this key now has a session of
    an older ``version``. Version 2 must keep working (libotr-only clients speak it), but a man
    in the middle can strip "3" from a Query Message to get a session without instance tags."""

    account: str
    contact: str
    fingerprint: Fingerprint
    version: int
    previous: int


@dataclass(frozen=True, slots=True)
class OtrUnavailable:
    """The contact does not (or not now) speak OTR: it answered in plaintext or an AKE got no
    answer in time. Pending messages stay pending; nothing is sent in plaintext."""

    account: str
    contact: str
    reason: str


@dataclass(frozen=True, slots=True)
class SmpRequested:
    """The contact started identity verification (SMP); answer with the shared secret, or the
    answer to ``question`` if there is one."""

    account: str
    contact: str
    question: str | None = field(repr=False)


class SmpOutcome(enum.Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the secrets differ
    ABORTED = "aborted"
    CHEATED = "cheated"  # a malformed step or a proof that did not verify


@dataclass(frozen=True, slots=True)
class SmpFinished:
    """Identity verification ended. ``verified`` is True only when it proved the contact's key to
    us (we asked, or shared a secret without a question): answering someone else's question
    proves nothing about them, so it does not verify them (as libotr)."""

    account: str
    contact: str
    outcome: SmpOutcome
    verified: bool
    fingerprint: Fingerprint | None = None
    # True when this failed or cheated check took an earlier verification of the key away (as
    # libotr's set_smp_trust(.., 0)): a failed check may be a man in the middle. UIs say so loudly.
    unverified: bool = False


@dataclass(frozen=True, slots=True)
class TrustChanged:
    account: str
    contact: str
    fingerprint: Fingerprint
    trust: TrustLevel


@dataclass(frozen=True, slots=True)
class KeyChanged:
    """LOUD: a known contact now presents a fingerprint we have not seen for them before.
    Either they have a new key, or someone is in the middle. UIs must make the user look."""

    account: str
    contact: str
    old: tuple[Fingerprint, ...]
    new: Fingerprint


@dataclass(frozen=True, slots=True)
class HeldForKeyChange:
    """LOUD: messages written for some keys (``written_for``: the session's key when the user
    typed or first sent them; typed before any session, the contact's known keys) were not sent
    because the contact's session now has another key (``offered``). They stay PENDING until
    the user releases them to that key (`release_held`) or discards them (`discard_held`).
    Either the contact has a new key, or someone is in the middle."""

    account: str
    contact: str
    ids: tuple[str, ...]
    written_for: tuple[Fingerprint, ...]
    offered: Fingerprint


@dataclass(frozen=True, slots=True)
class ConnectionStateChanged:
    account: str
    state: ConnectionState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TorBootstrap:
    progress: int
    tag: str
    summary: str


@dataclass(frozen=True, slots=True)
class TorStalled:
    """Bootstrap made no new phase for the stall time-out (`timb.tor.stall`): where it stands
    (``progress``, ``tag``: pluggable-transport stages included, e.g. ``conn_done_pt``), why
    (``reason``: a `StallReason` name), ``message`` for the user and ``advice``: what to offer
    (bridges, another transport). Nothing was reconfigured and nothing fell back to direct."""

    progress: int
    tag: str
    reason: str
    message: str
    advice: str


@dataclass(frozen=True, slots=True)
class TorFailed:
    """Tor could not be reached or started (accounts cannot connect until the service restarts
    with working tor settings). ``message`` is tor's own explanation, safe to show."""

    message: str


@dataclass(frozen=True, slots=True)
class PresenceChanged:
    """A contact's presence as shown: "offline", "available", or XMPP's away/chat/dnd/xa."""

    account: str
    contact: str
    presence: str


@dataclass(frozen=True, slots=True)
class SubscriptionRequested:
    """Someone asks to see our presence; answer with approve_subscription or deny_subscription.
    Nothing is approved automatically, and blocked addresses are refused without asking."""

    account: str
    contact: str


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """Something went wrong outside any command (a command's own failure is raised to its caller).
    ``account`` and ``contact`` name what it concerns when it concerns one ("" otherwise)."""

    message: str
    account: str = ""
    contact: str = ""


# -- IRC channels: plaintext by nature, never touched by OTR (core/service/channels.py) ---------------


@dataclass(frozen=True, slots=True)
class ChannelJoined:
    """We are in ``channel``. ``banner`` is the permanent NOT PRIVATE text a UI must show."""

    account: str
    channel: str
    banner: str


@dataclass(frozen=True, slots=True)
class ChannelLeft:
    """We left ``channel`` (``kicked_by``: someone removed us)."""

    account: str
    channel: str
    kicked_by: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelMessageReceived:
    """A message in a channel: plaintext, read by everyone there and the server. ``own``: the
    server echoed our own message."""

    account: str
    channel: str
    sender: str
    text: str = field(repr=False)
    own: bool = False
    action: bool = False


@dataclass(frozen=True, slots=True)
class ChannelTopicChanged:
    account: str
    channel: str
    topic: str | None = field(repr=False)
    setter: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelMembersChanged:
    """Who is in ``channel`` now (as far as the server told us)."""

    account: str
    channel: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChannelFailed:
    """The server refused a channel command (banned, invite only, no such channel, ...)."""

    account: str
    channel: str
    reason: str


# What a channel view receives (every UI routes these to its channels screen; also usable with
# isinstance).
ChannelEvent = (
    ChannelJoined
    | ChannelLeft
    | ChannelMessageReceived
    | ChannelTopicChanged
    | ChannelMembersChanged
    | ChannelFailed
)

CoreEvent = (
    MessageReceived
    | MessageSent
    | MessageStateChanged
    | OtrStateChanged
    | OtrUnavailable
    | SmpRequested
    | SmpFinished
    | TrustChanged
    | KeyChanged
    | HeldForKeyChange
    | ProtocolDowngraded
    | ConnectionStateChanged
    | TorBootstrap
    | TorStalled
    | TorFailed
    | PresenceChanged
    | SubscriptionRequested
    | ErrorEvent
    | ChannelJoined
    | ChannelLeft
    | ChannelMessageReceived
    | ChannelTopicChanged
    | ChannelMembersChanged
    | ChannelFailed
    | OnionEvent
    | FileEvent
)
