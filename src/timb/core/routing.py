"""The per-contact state of `timb.core.conversations` and how an incoming OTR message finds its
conversation (routing by instance tag and message type; docs/core.md, "Routing by instance tag").

Pure: no I/O, no clock. A contact has one `Session` per remote instance we have a private
conversation with, plus at most one unbound "master" that starts AKEs and meets unknown instances.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from timb.common.ids import Fingerprint
from timb.core.events import OtrState
from timb.core.otr_header import Header, Kind, MessageType
from timb.otr import Conversation, Policy


@dataclass(eq=False, slots=True)
class Session:
    """One OTR conversation; `bound` once an AKE told us the remote instance it talks to.
    ``unconfirmed``: ids of messages sent in it and not yet DELIVERED, in sending order."""

    conv: Conversation
    unconfirmed: list[str] = field(default_factory=list)
    suspect: bool = False
    bound: bool = False
    awaiting: bool = False  # sent a query or D-H commit and waits for the answer
    ack_due: bool = False


@dataclass(slots=True)
class ContactState:
    name: str
    policy: Policy
    sessions: dict[int, Session] = field(default_factory=dict)
    master: Session | None = None  # unbound: starts AKEs, meets unknown instances
    current: Session | None = None
    queue: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # PENDING, not for the current key: the user decides
    known: set[Fingerprint] = field(default_factory=set)  # keys of this run's sessions
    ake_activity: float | None = None  # last AKE message sent or received; None: no AKE under way
    ake_retries: int = 0
    unavailable_reported: bool = False
    ake_route: dict[int, Session] = field(default_factory=dict)
    fragments: dict[int, Session] = field(default_factory=dict)  # by sender tag
    shown_state: OtrState = OtrState.NOT_PRIVATE


def requires_encryption(policy: Policy) -> bool:
    return Policy.REQUIRE_ENCRYPTION in policy


def otr_policy(policy: Policy) -> Policy:
    """The policy for an OTR conversation: the core alone starts AKEs after an OTR error (once,
    however many errors arrive), so the conversations do not (ERROR_START_AKE)."""
    return policy & ~Policy.ERROR_START_AKE


class Lost(enum.Enum):
    LOST_SESSION = "a Data Message for an instance of us that no longer exists"


@dataclass(frozen=True, slots=True)
class RouteContext:
    """What routing needs from the owner: our tag, the master (made on demand), and whether an
    AKE with the contact is under way."""

    instance_tag: int
    master: Callable[[], Session]
    mid_ake: Callable[[], bool]


def route(c: ContactState, h: Header, ctx: RouteContext) -> Session | Lost | None:
    """The session for a message; None: drop it; LOST_SESSION: a Data Message for another
    instance of us (we lost the session the peer still holds: re-key). Nothing read here
    confirms anything: the header is not authenticated."""
    if h.kind in (Kind.QUERY, Kind.TAGGED, Kind.ERROR, Kind.PLAIN):
        return _route_unencoded(c, h, ctx)
    if h.receiver not in (0, ctx.instance_tag):
        # For another instance of us: the peer still holds a session with us that we lost.
        return Lost.LOST_SESSION if h.type == MessageType.DATA else None
    if h.kind is Kind.FRAGMENT and not h.first_fragment:
        found = c.fragments.get(h.sender)
        return found if found is not None else c.sessions.get(h.sender) or ctx.master()
    session = _route_encoded(c, h, ctx)
    if h.kind is Kind.FRAGMENT:
        c.fragments[h.sender] = session
    return session


def _route_unencoded(c: ContactState, h: Header, ctx: RouteContext) -> Session | None:
    if h.kind is Kind.QUERY and ctx.mid_ake():
        # An AKE with this contact is under way and answers this query too. Restarting it
        # (the spec's answer to a query) would cross it and can leave both sides waiting for
        # each other. A stalled AKE stops counting after AKE_TIMEOUT.
        return None
    if h.kind in (Kind.QUERY, Kind.TAGGED):
        # The peer asks for an AKE; it may be a new instance of them, so the unbound
        # conversation answers (its D-H Commit carries receiver tag 0).
        return ctx.master()
    return c.current or ctx.master()  # an OTR error or plain text


def _route_encoded(c: ContactState, h: Header, ctx: RouteContext) -> Session:
    known = c.sessions.get(h.sender)
    master = c.master
    if h.type == MessageType.DH_COMMIT:
        chosen = master if master is not None and master.awaiting else known or ctx.master()
    elif h.type == MessageType.DH_KEY:  # the answer to a commit: to whoever sent one
        waiting = [s for s in (master, known) if s is not None and s.awaiting]
        chosen = waiting[0] if waiting else known or ctx.master()
    elif h.type in (MessageType.REVEAL_SIGNATURE, MessageType.SIGNATURE):
        chosen = c.ake_route.get(h.sender) or known or ctx.master()
    else:
        chosen = known or ctx.master()
    if h.type in (MessageType.DH_COMMIT, MessageType.DH_KEY):
        c.ake_route[h.sender] = chosen
    return chosen
