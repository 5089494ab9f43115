"""Instance tags for one contact: libotr's master and child contexts, and how an incoming wire
message finds its `Conversation` (Protocol-v3, "Instance Tags").

A contact has one child per remote instance we completed an AKE with, plus at most one unbound
*master* that starts AKEs and meets unknown instances (its D-H Commit carries receiver tag 0).
`peek` classifies a wire string with this package's own parsers (`timb.otr.wire`,
`timb.otr.fragments`) without decrypting anything; `Instances.receive` routes it and feeds the
chosen conversation, and the owner drains that conversation (`data_to_send`, `next_event`).
Nothing read by `peek` is authenticated: it only chooses a conversation. What a message proves
comes from the conversation's events (`DataMessageAuthenticated`).

Pure: no I/O, no clock. Every per-sender table is bounded (a hostile server can invent any
number of sender instance tags): at most `MAX_INSTANCES` children and `MAX_ROUTES` pending
routes per contact, the oldest forgotten first.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from timb.otr import wire
from timb.otr.conversation import Conversation
from timb.otr.encoding import Reader
from timb.otr.errors import MalformedMessage
from timb.otr.fragments import is_fragment, parse_fragment

MAX_INSTANCES = 8  # remote instances of one contact kept at once (XMPP resources, restarts)
MAX_ROUTES = 16  # AKEs and fragmented messages under way, by sender tag, per contact


class Kind(enum.Enum):
    QUERY = "query"
    ERROR = "error"
    ENCODED = "encoded"
    FRAGMENT = "fragment"
    TAGGED = "tagged"  # plaintext carrying the OTR whitespace tag
    PLAIN = "plain"


@dataclass(frozen=True, slots=True)
class Envelope:
    """What routing reads from a wire message: unauthenticated, never a reason to trust it."""

    kind: Kind
    type: int | None = None  # the encoded message's type (of the first fragment's message)
    sender: int = 0  # 0: no instance tags (v2, or an unencoded message)
    receiver: int = 0
    first_fragment: bool = False
    last_fragment: bool = False


def peek(text: str) -> Envelope:
    """Classify a wire string and read its instance tags. Malformed input never raises."""
    if is_fragment(text):
        return _peek_fragment(text)
    unencoded = wire.classify_unencoded(text)
    match unencoded:
        case None:
            return _peek_encoded(text)
        case wire.QueryMessage():
            return Envelope(Kind.QUERY)
        case wire.ErrorMessage():
            return Envelope(Kind.ERROR)
        case wire.Plaintext(tagged=tagged):
            return Envelope(Kind.TAGGED if tagged else Kind.PLAIN)


def _peek_encoded(text: str) -> Envelope:
    start = text.find(wire.ENCODED_PREFIX) + len(wire.ENCODED_PREFIX)
    head = text[start : start + 16].partition(".")[0]  # 12 bytes: a v3 header is 11
    try:
        header = wire.read_header(Reader(wire.dearmor(wire.ENCODED_PREFIX + head[: len(head) // 4 * 4])))
    except MalformedMessage:
        return Envelope(Kind.ENCODED)
    return Envelope(Kind.ENCODED, header.message_type, header.sender_tag, header.receiver_tag)


def _peek_fragment(text: str) -> Envelope:
    parsed = parse_fragment(text)
    if parsed is None:
        return Envelope(Kind.FRAGMENT)
    _version, sender, receiver, k, n, piece = parsed
    inner = _peek_encoded(piece) if k == 1 and piece.startswith(wire.ENCODED_PREFIX) else None
    return Envelope(Kind.FRAGMENT, inner.type if inner else None, sender, receiver, k == 1, k == n)


class Lost(enum.Enum):
    LOST_SESSION = "a Data Message for an instance of us that no longer exists"


@dataclass(eq=False, slots=True)
class Instance:
    """One conversation with one remote instance; `bound` once an AKE told us which."""

    conv: Conversation
    bound: bool = False
    awaiting: bool = False  # sent a query or D-H commit and waits for the answer


I = TypeVar("I", bound=Instance)  # noqa: E741 - the owner's subclass of Instance

_AKE_TYPES = frozenset({wire.DH_COMMIT, wire.DH_KEY, wire.REVEAL_SIGNATURE, wire.SIGNATURE})


class Instances(Generic[I]):
    """The conversations with one contact, by remote instance tag.

    Args:
        new_instance: makes the master when one is needed (a fresh `Conversation` inside).
        our_tag: our instance tag.
    """

    def __init__(self, new_instance: Callable[[], I], our_tag: int) -> None:
        self._new = new_instance
        self._our_tag = our_tag
        self.children: dict[int, I] = {}
        self.master: I | None = None
        self.current: I | None = None
        self._ake_route: dict[int, I] = {}
        self._fragments: dict[int, I] = {}

    def all(self) -> Iterator[I]:
        yield from self.children.values()
        if self.master is not None:
            yield self.master

    def get_master(self) -> I:
        if self.master is None:
            self.master = self._new()
        return self.master

    def drop_master(self) -> None:
        self.master = None

    def receive(self, text: str, *, mid_ake: bool = False) -> I | Lost | None:
        """Route ``text`` and feed it to its conversation; returns the instance that took it
        (drain its conversation next). None: dropped; LOST_SESSION: see `route`."""
        chosen = self.route(peek(text), mid_ake=mid_ake)
        if isinstance(chosen, Instance):
            chosen.conv.receive(text)
        return chosen

    def bind(self, instance: I) -> list[I]:
        """An AKE completed in ``instance``: it becomes the child of its remote instance and the
        current one. Returns the children it replaced or pushed out (beyond MAX_INSTANCES)."""
        instance.bound = True
        instance.awaiting = False
        if self.master is instance:
            self.master = None
        tag = instance.conv.their_instance_tag
        gone = [c for t, c in self.children.items() if t == tag and c is not instance]
        self.children.pop(tag, None)
        self.children[tag] = instance  # the newest last
        while len(self.children) > MAX_INSTANCES:
            oldest = next(iter(self.children))
            gone.append(self.children.pop(oldest))
        self.current = instance
        for table in (self._ake_route, self._fragments):
            for t in [t for t, i in table.items() if i in gone]:
                del table[t]
        return gone

    def forget_routes(self) -> None:
        """Expire the routes by sender tag (the owner calls this once no AKE is under way: a
        route only matters while an AKE or a fragmented message is in flight)."""
        self._ake_route.clear()
        self._fragments.clear()

    def sent(self, instance: I, envelope: Envelope) -> None:
        """Note what ``instance`` sent: after a query or D-H commit it waits for the answer."""
        if envelope.kind is Kind.QUERY or envelope.type == wire.DH_COMMIT:
            instance.awaiting = True

    # -- routing (docs/core.md, "Routing by instance tag") ------------------------------------

    def route(self, h: Envelope, *, mid_ake: bool = False) -> I | Lost | None:
        """The instance for a message read as ``h``. None: drop it; LOST_SESSION: a Data
        Message for another instance of us (we lost the session the peer still holds: the
        owner re-keys). ``mid_ake``: an AKE with the contact is under way (a Query is dropped)."""
        if h.kind in (Kind.QUERY, Kind.TAGGED, Kind.ERROR, Kind.PLAIN):
            return self._route_unencoded(h, mid_ake)
        if h.receiver not in (0, self._our_tag):
            # For another instance of us: the peer still holds a session with us that we lost.
            return Lost.LOST_SESSION if h.type == wire.DATA else None
        if h.kind is Kind.FRAGMENT and not h.first_fragment:
            found = self._fragments.get(h.sender)
            return found if found is not None else self.children.get(h.sender) or self.get_master()
        chosen = self._route_encoded(h)
        if h.kind is Kind.FRAGMENT:
            _remember(self._fragments, h.sender, chosen)
        return chosen

    def _route_unencoded(self, h: Envelope, mid_ake: bool) -> I | None:
        if h.kind is Kind.QUERY and mid_ake:
            # An AKE with this contact is under way and answers this query too. Restarting it
            # (the spec's answer to a query) would cross it and can leave both sides waiting for
            # each other.
            return None
        if h.kind in (Kind.QUERY, Kind.TAGGED):
            # The peer asks for an AKE; it may be a new instance of them, so the unbound
            # conversation answers (its D-H Commit carries receiver tag 0).
            return self.get_master()
        return self.current or self.get_master()  # an OTR error or plain text

    def _route_encoded(self, h: Envelope) -> I:
        known = self.children.get(h.sender)
        master = self.master
        if h.type == wire.DH_COMMIT:
            chosen = master if master is not None and master.awaiting else known or self.get_master()
        elif h.type == wire.DH_KEY:  # the answer to a commit: to whoever sent one
            waiting = [s for s in (master, known) if s is not None and s.awaiting]
            chosen = waiting[0] if waiting else known or self.get_master()
        elif h.type in (wire.REVEAL_SIGNATURE, wire.SIGNATURE):
            chosen = self._ake_route.get(h.sender) or known or self.get_master()
        else:
            chosen = known or self.get_master()
        if h.type in (wire.DH_COMMIT, wire.DH_KEY):
            _remember(self._ake_route, h.sender, chosen)
        return chosen


def is_ake(envelope: Envelope) -> bool:
    return envelope.kind in (Kind.ENCODED, Kind.FRAGMENT) and envelope.type in _AKE_TYPES


def _remember(table: dict[int, I], tag: int, instance: I) -> None:
    table.pop(tag, None)
    table[tag] = instance
    while len(table) > MAX_ROUTES:
        del table[next(iter(table))]


__all__ = [
    "MAX_INSTANCES",
    "MAX_ROUTES",
    "Envelope",
    "Instance",
    "Instances",
    "Kind",
    "Lost",
    "is_ake",
    "peek",
]
