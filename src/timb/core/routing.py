"""The per-contact state of `timb.core.conversations`, on top of `timb.otr.instances` (which
routes each incoming message to the conversation of its remote instance), and the helpers the
rules share: the outgoing last-line check, who starts an AKE, the state shown to the user.

Pure: no I/O; time only through the injected clock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from timb.common.clock import Clock
from timb.common.ids import Fingerprint
from timb.common.random import Random
from timb.common.secret import Secret
from timb.core.delivery import Deliveries
from timb.core.events import (
    CoreEvent,
    ErrorEvent,
    MessageState,
    OtrState,
    OtrStateChanged,
    OtrUnavailable,
)
from timb.core.seen_ids import KEPT_IDS
from timb.otr import AuthState, Conversation, Policy, PolicyViolation, PrivateKey
from timb.otr.instances import Instance, Instances, Kind, is_ake, peek
from timb.otr.wire import DATA, SIGNATURE, is_encoded_message

# An AKE that got no answer in this time is reported (the contact may be offline or not speak OTR)
# and started again from scratch, at most AKE_RETRIES times in a row.
AKE_TIMEOUT = 60.0
AKE_RETRIES = 3
# A TIMB peer acknowledges at its next tick: no answer to `_ask_timb` within this means libotr.
ASK_TIMEOUT = 20.0
# Messages followed per contact until the peer confirms them. A TIMB peer keeps the ids of the
# newest KEPT_IDS it showed across its restarts, so what we re-send must not be more than that (a
# server that keeps the acknowledgements would make it show the oldest again); and the texts of
# what a server never lets be confirmed must not pile up in memory. Older ones stay SENT, untracked.
MAX_UNCONFIRMED = KEPT_IDS
# Addresses that are not the user's contacts (anyone can send us OTR messages) kept per account;
# beyond this the oldest idle one is forgotten (`strangers_evicted` counts them).
MAX_STRANGERS = 100


@dataclass(eq=False, slots=True)
class Session(Instance):
    """One OTR conversation and what the core tracks in it. ``unconfirmed``: ids of messages
    sent in it and not yet DELIVERED, in sending order."""

    unconfirmed: list[str] = field(default_factory=list)
    suspect: bool = False
    ack_due: bool = False
    timb: bool = False  # the peer sends TIMB records: DELIVERED only by its acknowledgements
    acks_due: list[bytes] = field(default_factory=list)  # ids of its messages we decrypted
    repeated: bool = False  # the Data Message being read repeats one already shown
    reading: bytes | None = None  # its id, remembered only once it showed something
    # Unconfirmed messages and a silent peer: at this time an empty Data Message probes it (a
    # restarted peer then gets Data for its dead instance and re-keys, so ours are re-sent).
    probe_at: float | None = None
    probes: int = 0
    plain_peer: bool = False  # it wrote a text without a TIMB record: a libotr client
    asked: bool = False  # we sent it an id of nothing, so that a TIMB peer shows itself (`_ask_timb`)
    # Unconfirmed messages sent again because the peer acknowledged a later one (`_resend_skipped`):
    # once each, so a peer that keeps acknowledging later ones cannot make us send them in a loop.
    gap_resent: set[str] = field(default_factory=set)


@dataclass(eq=False, slots=True)
class ContactState:
    name: str
    policy: Policy
    instances: Instances[Session]
    queue: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # PENDING, not for the current key: the user decides
    # PENDING, kept by a run that had SENT them to a peer not yet known to be TIMB: they go again
    # once this run's session shows a TIMB record (a libotr peer would show them twice).
    unsure: list[str] = field(default_factory=list)
    ask_deadline: float | None = None  # asked the peer what it is: the queue waits until then
    known: set[Fingerprint] = field(default_factory=set)  # keys of this run's sessions
    ake_activity: float | None = None  # last AKE message sent or received; None: no AKE under way
    ake_retries: int = 0
    unavailable_reported: bool = False
    shown_state: OtrState = OtrState.NOT_PRIVATE
    shown_fingerprint: Fingerprint | None = None
    shown_version: int | None = None
    last_version: dict[Fingerprint, int] = field(default_factory=dict)  # per key: newest version
    seen_ids: dict[bytes, None] = field(default_factory=dict)  # the peer's message ids, bounded
    # The peer writes to an instance of us that is gone (we restarted): our AKE must not give up
    # on its first time-out even with nothing of ours to send, or what the peer sent waits for ever.
    lost_session: bool = False

    @property
    def current(self) -> Session | None:
        return self.instances.current

    def private(self) -> Session | None:
        """The current session if it is encrypted."""
        current = self.instances.current
        return current if current is not None and current.conv.encrypted else None


def requires_encryption(policy: Policy) -> bool:
    return Policy.REQUIRE_ENCRYPTION in policy


def otr_policy(policy: Policy) -> Policy:
    """The policy for an OTR conversation: the core alone starts AKEs after an OTR error (once,
    however many errors arrive), so the conversations do not (ERROR_START_AKE)."""
    return policy & ~Policy.ERROR_START_AKE


class ConversationsBase:
    """State and shared helpers of `Conversations` (see there for the arguments)."""

    def __init__(
        self,
        account: str,
        key: PrivateKey,
        *,
        instance_tag: int,
        clock: Clock,
        rng: Random,
        is_verified: Callable[[str, Fingerprint], bool],
        is_distrusted: Callable[[str, Fingerprint], bool],
        policy: Policy,
        max_fragment_size: int | None,
        our_name: str,
        is_contact: Callable[[str], bool],
    ) -> None:
        self.account = account
        self._is_contact = is_contact
        self._strangers: dict[str, None] = {}  # oldest first
        self.strangers_evicted = 0
        self._our_name = our_name
        self.instance_tag = instance_tag
        self._key = key
        self._clock = clock
        self._rng = rng
        self._is_verified = is_verified
        self._is_distrusted = is_distrusted
        self._default_policy = policy
        self._max_fragment_size = max_fragment_size
        self._contacts: dict[str, ContactState] = {}
        self._outbox: list[tuple[str, str]] = []
        # Messages whose wires are in _outbox: (id, first sending, encrypted, tracked). SENT only
        # once `data_to_send` hands them on: "sent" must not be said of what a crash still loses.
        self._leaving: list[tuple[str, bool, bool, bool]] = []
        self._events: deque[CoreEvent] = deque()
        self._messages = Deliveries(account, self._emit)

    def _new_contact(self, contact: str) -> ContactState:
        def new_session() -> Session:
            conv = Conversation(
                self._key,
                otr_policy(c.policy),
                self._max_fragment_size,
                clock=self._clock,
                rng=self._rng,
                instance_tag=self.instance_tag,
                our_name=self._our_name,
                timb_records=True,
            )
            return Session(conv)

        c = ContactState(contact, self._default_policy, Instances(new_session, self.instance_tag))
        return c

    def _contact(self, contact: str) -> ContactState:
        c = self._contacts.get(contact)
        if c is None:
            c = self._contacts[contact] = self._new_contact(contact)
            if not self._is_contact(contact):
                self._strangers[contact] = None
                if len(self._strangers) > MAX_STRANGERS:
                    self._evict_stranger(keep=contact)
        return c

    def _evict_stranger(self, keep: str) -> None:
        """Forget the oldest stranger with nothing of ours waiting (else the oldest at all: its
        messages fail). Bounded memory wins over a stranger's state."""

        def idle(name: str) -> bool:
            c = self._contacts[name]
            waiting = c.queue or c.held or c.unsure
            return not (waiting or any(s.unconfirmed for s in c.instances.children.values()))

        candidates = [n for n in self._strangers if n != keep]
        victim = next((n for n in candidates if idle(n)), candidates[0])
        c = self._contacts.pop(victim)
        del self._strangers[victim]
        unconfirmed = [m for s in c.instances.children.values() for m in s.unconfirmed]
        self._messages.fail([*c.queue, *c.held, *c.unsure, *unconfirmed])
        self.strangers_evicted += 1

    def accepted(self, contact: str) -> None:
        """The user made ``contact`` a contact: its state is no longer a stranger's."""
        self._strangers.pop(contact, None)

    # -- queries and SMP -------------------------------------------------------------------------

    def message_state(self, msg_id: str) -> MessageState:
        """Raises: KeyError for an unknown id."""
        return self._messages[msg_id].state

    def pending(self, contact: str) -> list[str]:
        return list(self._contact(contact).queue)

    def otr_state(self, contact: str) -> OtrState:
        return self._contact(contact).shown_state

    def protocol_version(self, contact: str) -> int | None:
        """The OTR version of the contact's private session, if any."""
        c = self._contacts.get(contact)
        private = c.private() if c is not None else None
        return private.conv.protocol_version if private is not None else None

    def their_fingerprint(self, contact: str) -> Fingerprint | None:
        c = self._contacts.get(contact)
        private = c.private() if c is not None else None
        return private.conv.their_fingerprint if private is not None else None

    def smp_start(self, contact: str, secret: Secret[str], question: str | None = None) -> None:
        """Verify the contact's identity with a shared secret (SMP), optionally as the answer to
        ``question``. Raises: PolicyViolation when there is no private session."""
        c, session = self._private_session(contact)
        session.conv.smp_start(secret, question)
        self._drain(c, session)

    def smp_respond(self, contact: str, secret: Secret[str]) -> None:
        """Answer the contact's SMP request. Raises: PolicyViolation, LocalError (no request)."""
        c, session = self._private_session(contact)
        session.conv.smp_respond(secret)
        self._drain(c, session)

    def smp_abort(self, contact: str) -> None:
        c, session = self._private_session(contact)
        session.conv.smp_abort()
        self._drain(c, session)

    def _private_session(self, contact: str) -> tuple[ContactState, Session]:
        c = self._contact(contact)
        session = c.private()
        if session is None:
            raise PolicyViolation("identity verification needs a private conversation")
        return c, session

    def peer_online(self, contact: str) -> None:
        """The contact came online: a good moment to try again if messages wait."""
        c = self._contacts.get(contact)
        if c is not None and c.queue:
            c.ake_retries = 0
            self._flush(c)

    def refresh_trust(self, contact: str) -> None:
        """Re-evaluate verified/unverified after the trust store changed."""
        self._update_state(self._contact(contact))

    # -- written for a key -----------------------------------------------------------------------

    def _may_go(self, c: ContactState, msg_id: str, fingerprint: Fingerprint) -> bool:
        """Whether a message may go to (or be carried into) the key ``fingerprint``: the key it
        was written for, a key the user verified, or any key for one written when none was known."""
        written_for = self._messages[msg_id].written_for
        return not written_for or fingerprint in written_for or self._is_verified(c.name, fingerprint)

    def _readmit_held(self, c: ContactState) -> None:
        """Held messages go back to the queue once the session has a key they may go to (the
        one they were written for came back, or the user verified the new one)."""
        private = c.private()
        fingerprint = private.conv.their_fingerprint if private is not None else None
        if fingerprint is None or not c.held:
            return
        back = [m for m in c.held if self._may_go(c, m, fingerprint)]
        c.held = [m for m in c.held if m not in back]
        c.queue[:0] = back

    # -- the last line ---------------------------------------------------------------------------

    def _queue_wire(self, c: ContactState, session: Session, wire: str, *, needs_otr: bool = False) -> bool:
        """Pass one wire string on; False: refused. ``needs_otr``: it carries a message typed
        while encryption was required (or an acknowledgement), so only a whole OTR encoded
        message (or fragment of one) may carry it, whatever the policy is now."""
        h = peek(wire)
        if (needs_otr and not is_encoded_message(wire)) or (
            requires_encryption(c.policy) and h.kind in (Kind.PLAIN, Kind.TAGGED)
        ):
            # The OTR layer must never do this; if it ever does, the text stays here. (Judged by
            # the OTR parser, not a "?OTR" prefix: a user's text may begin with one.)
            self._emit(ErrorEvent(f"{c.name}: refused to send a message that was not OTR-encoded"))
            return False
        c.instances.sent(session, h)
        if h.kind is Kind.QUERY or (is_ake(h) and h.type != SIGNATURE):
            c.ake_activity = self._clock.now()  # (a Signature is sent once we are already secure)
        elif h.type == DATA and not session.acks_due:
            # Anything we send tells a libotr peer we are alive; a TIMB peer waits for the ids
            # (an OTR heartbeat carries none).
            session.ack_due = False
        self._outbox.append((c.name, wire))
        return True

    # -- AKEs ------------------------------------------------------------------------------------

    def _ake_live(self, c: ContactState) -> bool:
        """An AKE is under way: we asked, or AKE messages flowed, within AKE_TIMEOUT."""
        return c.ake_activity is not None and self._clock.now() - c.ake_activity <= AKE_TIMEOUT

    def _mid_ake(self, c: ContactState) -> bool:
        """Some conversation with the contact is inside an AKE (sent or answered a commit)."""
        none = AuthState.AUTHSTATE_NONE
        return self._ake_live(c) and any(s.conv.auth_state is not none for s in c.instances.all())

    def _start_ake(self, c: ContactState, *, force: bool = False) -> None:
        if not force and (self._ake_live(c) or (c.current is not None and c.current.conv.finished)):
            # One AKE at a time: a burst of triggers must not flood the peer. After the peer
            # ended the session only the user restarts it (`start`).
            return
        if not (Policy.ALLOW_V2 in c.policy or Policy.ALLOW_V3 in c.policy):
            self._unavailable(c, "OTR is disabled for this contact (policy never)")
            return
        c.ake_activity = self._clock.now()
        master = c.instances.get_master()
        master.conv.start()
        self._drain(c, master)

    def _drain(self, c: ContactState, session: Session) -> None:
        raise NotImplementedError

    def _flush(self, c: ContactState) -> None:
        raise NotImplementedError

    # -- what the user sees ----------------------------------------------------------------------

    def _track(self, c: ContactState, session: Session, msg_id: str) -> None:
        """Follow ``msg_id``, just sent in ``session``, until confirmed: at most MAX_UNCONFIRMED
        per contact, the oldest (in sending order) let go."""
        session.unconfirmed.append(msg_id)
        followed = [(m, s) for s in c.instances.children.values() for m in s.unconfirmed]
        if len(followed) <= MAX_UNCONFIRMED:
            return
        followed.sort(key=lambda pair: self._messages.position(pair[0]))
        for old, owner in followed[: len(followed) - MAX_UNCONFIRMED]:
            owner.unconfirmed.remove(old)
            self._messages.untrack(old)

    def _verified(self, contact: str, session: Session) -> bool:
        fingerprint = session.conv.their_fingerprint
        return fingerprint is not None and self._is_verified(contact, fingerprint)

    def _distrusted(self, c: ContactState, session: Session) -> bool:
        fingerprint = session.conv.their_fingerprint
        return fingerprint is not None and self._is_distrusted(c.name, fingerprint)

    def _update_state(self, c: ContactState) -> None:
        session = c.current
        fingerprint = version = None
        if session is not None and session.conv.encrypted:
            verified = self._verified(c.name, session)
            state = OtrState.PRIVATE_VERIFIED if verified else OtrState.PRIVATE_UNVERIFIED
            fingerprint = session.conv.their_fingerprint
            version = session.conv.protocol_version
        elif session is not None and session.conv.finished:
            state = OtrState.FINISHED
        else:
            state = OtrState.NOT_PRIVATE
        # A new key in the same state (private, unverified) is a change too: the trust keeper's
        # KeyChanged (loud) depends on hearing of it; so is a new version (it keeps the best).
        shown = (c.shown_state, c.shown_fingerprint, c.shown_version)
        if (state, fingerprint, version) != shown:
            c.shown_state, c.shown_fingerprint, c.shown_version = state, fingerprint, version
            self._emit(OtrStateChanged(self.account, c.name, state, fingerprint, version))

    def _unavailable(self, c: ContactState, reason: str) -> None:
        if not c.unavailable_reported:
            c.unavailable_reported = True
            self._emit(OtrUnavailable(self.account, c.name, reason))

    def _emit(self, event: CoreEvent) -> None:
        self._events.append(event)
