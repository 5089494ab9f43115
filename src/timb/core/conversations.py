"""Conversations: the one owner of the rule "no plaintext when encryption is required".

`Conversations` is a sans-I/O core for one account (one OTR key, one instance tag). It keeps one
OTR `Conversation` per (contact, remote instance tag), routes each incoming wire message by its
OTR header, holds the user's messages until a private session exists, and re-keys and re-sends by
itself when the peer lost its session. Wire messages go in through `receive`, ``(contact, wire)``
pairs come out of `data_to_send`, typed core events out of `next_event`. Time only through the
injected clock: `poll` (about once a second) sends acknowledgements and reports AKE time-outs.

The rules (docs/core.md says why):

* Hold: a user's message is handed to an OTR conversation only when that conversation is
  encrypted (or the user set the contact's policy to not require encryption). Until then it is
  PENDING and exists nowhere but here. With a policy that requires encryption every wire string we
  emit must start with ``?OTR``; anything else is dropped and reported (defence in depth).
* Delivered: OTR has no receipts. A message sent in a session is DELIVERED once a readable Data
  Message (text, heartbeat or our empty acknowledgement) arrives from the peer in that session
  naming, as its recipient key id, at least the key our message announced (so a message that
  crossed ours does not confirm it). A session that received text acknowledges it with an empty
  Data Message at the next `poll` unless it sent something in between.
* Resend: when a new private session begins and an old one is suspect -- the peer's instance tag
  changed (it restarted), it reported an OTR error, or the server bounced a message -- every
  message of the old session not yet DELIVERED is sent again, in order, in the new session. A
  refresh of a healthy session re-sends nothing (its unconfirmed messages carry over).
* Trust: nothing is sent under a key the user distrusted (held, with `OtrUnavailable`).
* Re-key: the core alone sends Query Messages (its OTR conversations run without
  ERROR_START_AKE): when the peer sends data for another instance of us (we restarted), when the
  peer reports an OTR error (once, however many errors arrive), when a held message waits, and
  when a stalled AKE times out (from a fresh conversation, AKE_RETRIES times). While an AKE is
  under way no new one is started and an incoming query is not allowed to restart it: crossing
  AKEs can leave both sides waiting for each other.

Parts: where each outgoing message is (and the Delivered/Resend bookkeeping) is
`timb.core.delivery`; the per-contact state and the routing of incoming messages are
`timb.core.routing`; this module drives the OTR conversations and applies the rules.

Errors: a wrong call raises `KeyError` (unknown message id), `LocalError` (a text OTR cannot
carry) or `PolicyViolation` (SMP without a private session); remote trouble is an event, never an
exception.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection

from timb.common.clock import Clock
from timb.common.ids import Fingerprint
from timb.common.random import Random
from timb.common.secret import Secret
from timb.core.delivery import Deliveries
from timb.core.events import (
    CoreEvent,
    ErrorEvent,
    HeldForKeyChange,
    MessageReceived,
    MessageState,
    OtrState,
    OtrStateChanged,
    OtrUnavailable,
    SmpFinished,
    SmpOutcome,
    SmpRequested,
)
from timb.core.otr_header import Kind, MessageType, peek
from timb.core.routing import (
    ContactState,
    Lost,
    RouteContext,
    Session,
    otr_policy,
    requires_encryption,
    route,
)
from timb.otr import AuthState, Conversation, LocalError, Policy, PolicyViolation, PrivateKey
from timb.otr import events as otr

# An AKE that got no answer in this time is reported (the contact may be offline or not speak OTR)
# and started again from scratch, at most AKE_RETRIES times in a row.
AKE_TIMEOUT = 60.0
AKE_RETRIES = 3
_AUTH_NONE = AuthState.AUTHSTATE_NONE
_AKE_TYPES = frozenset(
    {MessageType.DH_COMMIT, MessageType.DH_KEY, MessageType.REVEAL_SIGNATURE, MessageType.SIGNATURE}
)


class Conversations:
    """All OTR conversations of one account.

    Args:
        account: the account id, copied into every event.
        key: the account's long-term OTR key.
        instance_tag: our instance tag (>= 0x100), shared by all our conversations.
        is_verified: ``(contact, fingerprint) -> bool``, from the trust store.
        is_distrusted: ``(contact, fingerprint) -> bool``: the user marked this key as not the
            contact's; nothing is sent to it (messages stay PENDING, `OtrUnavailable` says why).
        known_keys: ``contact -> fingerprints``: the contact's keys the user has seen (the trust
            store, without distrusted ones). A message typed before any session is written for
            these (or for the first session's key when there are none).
        policy: the default policy (ALWAYS); `set_policy` overrides it per contact.
    """

    def __init__(
        self,
        account: str,
        key: PrivateKey,
        *,
        instance_tag: int,
        clock: Clock,
        rng: Random,
        is_verified: Callable[[str, Fingerprint], bool] = lambda _c, _f: False,
        is_distrusted: Callable[[str, Fingerprint], bool] = lambda _c, _f: False,
        known_keys: Callable[[str], Collection[Fingerprint]] = lambda _c: (),
        policy: Policy = Policy.ALWAYS,
        max_fragment_size: int | None = None,
    ) -> None:
        self.account = account
        self.instance_tag = instance_tag
        self._key = key
        self._clock = clock
        self._rng = rng
        self._is_verified = is_verified
        self._is_distrusted = is_distrusted
        self._known_keys = known_keys
        self._default_policy = policy
        self._max_fragment_size = max_fragment_size
        self._contacts: dict[str, ContactState] = {}
        self._outbox: list[tuple[str, str]] = []
        self._events: deque[CoreEvent] = deque()
        self._messages = Deliveries(account, self._emit)

    # -- commands -------------------------------------------------------------------------------

    def set_policy(self, contact: str, policy: Policy) -> None:
        """Override the policy for one contact. Messages typed while encryption was required stay
        encrypted-only even if the policy is lowered later. A policy without OTR ("never") ends
        the private sessions first, so the badge says "not private" before anything is sent."""
        c = self._contact(contact)
        if not (Policy.ALLOW_V2 in policy or Policy.ALLOW_V3 in policy):
            self.end(contact)
        c.policy = policy
        for session in [*c.sessions.values(), *([c.master] if c.master else [])]:
            session.conv.policy = otr_policy(policy)

    def send(self, contact: str, text: str) -> str:
        """Queue ``text`` for ``contact``; returns the message id. It stays PENDING until it goes
        out encrypted (or, only if the contact's policy does not require encryption, as the
        OTR layer sends it).

        Raises: LocalError: the text contains NUL (OTR cannot carry it: the rest would be read as
        TLVs). Checked here, not when the held message goes out inside `receive`.
        """
        if "\x00" in text:
            raise LocalError("message text must not contain NUL")
        c = self._contact(contact)
        msg_id = self._rng.randbytes(8).hex()
        current = c.current.conv.their_fingerprint if c.current and c.current.conv.encrypted else None
        written_for = frozenset({current} if current else {*self._known_keys(contact), *c.known})
        self._messages.add(
            msg_id, contact, text, needs_otr=requires_encryption(c.policy), written_for=written_for
        )
        c.queue.append(msg_id)
        c.ake_retries = 0
        self._flush(c)
        return msg_id

    def start(self, contact: str) -> None:
        """Start (or refresh) OTR with ``contact``."""
        self._start_ake(self._contact(contact), force=True)

    def end(self, contact: str) -> None:
        """End the private sessions with ``contact`` (the peer is told, as OTR says)."""
        c = self._contact(contact)
        for session in list(c.sessions.values()):
            session.conv.end()
            self._drain(c, session)
        c.ake_activity = None
        self._update_state(c)

    def fail_pending(self, contact: str) -> None:
        """Give up on every message still held for ``contact``: they become FAILED."""
        c = self._contact(contact)
        self._messages.fail([*c.queue, *c.held])
        c.queue.clear()
        c.held.clear()

    def held(self, contact: str) -> list[str]:
        """Messages held for a key change (`HeldForKeyChange`), oldest first."""
        c = self._contacts.get(contact)
        return list(c.held) if c is not None else []

    def release_held(self, contact: str, fingerprint: Fingerprint) -> None:
        """The user's decision: send the held messages to the key ``fingerprint``, which must be
        the key of the contact's private session now (so a key that changed again since the
        user looked is not the one that gets them).

        Raises: PolicyViolation: the session is not private with this key.
        """
        c = self._contact(contact)
        session = c.current
        if session is None or not session.conv.encrypted or session.conv.their_fingerprint != fingerprint:
            raise PolicyViolation("the contact's private session does not have this key")
        for msg_id in c.held:
            self._messages[msg_id].written_for = frozenset({fingerprint})
        c.queue[:0], c.held = c.held, []
        self._flush(c)

    def discard_held(self, contact: str) -> None:
        """The user's decision: the held messages are never sent (FAILED)."""
        c = self._contact(contact)
        self._messages.fail(c.held)
        c.held.clear()

    def message_state(self, msg_id: str) -> MessageState:
        """Raises: KeyError for an unknown id."""
        return self._messages[msg_id].state

    def pending(self, contact: str) -> list[str]:
        return list(self._contact(contact).queue)

    def otr_state(self, contact: str) -> OtrState:
        return self._contact(contact).shown_state

    def their_fingerprint(self, contact: str) -> Fingerprint | None:
        c = self._contacts.get(contact)
        if c is None or c.current is None or not c.current.conv.encrypted:
            return None
        return c.current.conv.their_fingerprint

    def smp_start(self, contact: str, secret: Secret[str], question: str | None = None) -> None:
        """Verify the contact's identity with a shared secret (SMP), optionally as the answer to
        ``question``. Raises: PolicyViolation when there is no private session."""
        session = self._private_session(contact)
        session.conv.smp_start(secret, question)
        self._drain(self._contact(contact), session)

    def smp_respond(self, contact: str, secret: Secret[str]) -> None:
        """Answer the contact's SMP request. Raises: PolicyViolation, LocalError (no request)."""
        session = self._private_session(contact)
        session.conv.smp_respond(secret)
        self._drain(self._contact(contact), session)

    def smp_abort(self, contact: str) -> None:
        session = self._private_session(contact)
        session.conv.smp_abort()
        self._drain(self._contact(contact), session)

    def _private_session(self, contact: str) -> Session:
        session = self._contact(contact).current
        if session is None or not session.conv.encrypted:
            raise PolicyViolation("identity verification needs a private conversation")
        return session

    def delivery_failed(self, contact: str) -> None:
        """The network bounced a message to ``contact``: whatever is not DELIVERED may be lost.
        The sessions become suspect (re-sent after the next AKE) and an AKE is started."""
        c = self._contact(contact)
        for session in c.sessions.values():
            if session.unconfirmed:
                session.suspect = True
        self._start_ake(c)

    def refresh_trust(self, contact: str) -> None:
        """Re-evaluate verified/unverified after the trust store changed."""
        self._update_state(self._contact(contact))

    def poll(self) -> None:
        """Send due acknowledgements; report AKEs unanswered for AKE_TIMEOUT seconds."""
        now = self._clock.now()
        for c in self._contacts.values():
            for session in c.sessions.values():
                if session.ack_due and session.conv.encrypted:
                    session.conv.send("")  # an empty Data Message: the peer shows nothing
                    session.ack_due = False
                    for wire in session.conv.data_to_send():
                        self._queue_wire(c, session, wire, needs_otr=True)
                    self._drain(c, session)
            if c.ake_activity is not None and now - c.ake_activity > AKE_TIMEOUT and c.queue:
                self._ake_timed_out(c)

    def _ake_timed_out(self, c: ContactState) -> None:
        self._unavailable(c, f"no answer to the OTR request within {int(AKE_TIMEOUT)} s")
        c.ake_activity = None
        if c.ake_retries >= AKE_RETRIES:
            return  # the next send, start or message from the contact tries again
        # An AKE can stall for good when commits cross with a third one in flight (a restarted
        # peer): begin again from a fresh conversation, a bounded number of times.
        c.ake_retries += 1
        c.master = None
        self._start_ake(c, force=True)

    # -- the network side -----------------------------------------------------------------------

    def receive(self, contact: str, wire: str) -> None:
        """One message from ``contact`` as the network delivered it."""
        c = self._contact(contact)
        header = peek(wire)
        ctx = RouteContext(self.instance_tag, lambda: self._master(c), lambda: self._mid_ake(c))
        session = route(c, header, ctx)
        if session is Lost.LOST_SESSION:
            self._start_ake(c)
            return
        if session is None:
            return
        if header.type in _AKE_TYPES:
            c.ake_activity = self._clock.now()
        session.conv.receive(wire)
        self._drain(c, session)

    def data_to_send(self) -> list[tuple[str, str]]:
        """``(contact, wire)`` pairs for the network, in order."""
        out, self._outbox = self._outbox, []
        return out

    def next_event(self) -> CoreEvent | None:
        return self._events.popleft() if self._events else None

    def _master(self, c: ContactState) -> Session:
        if c.master is None:
            conv = Conversation(
                self._key,
                otr_policy(c.policy),
                self._max_fragment_size,
                clock=self._clock,
                rng=self._rng,
                instance_tag=self.instance_tag,
            )
            c.master = Session(conv)
        return c.master

    # -- what the OTR conversations say ---------------------------------------------------------

    def _drain(self, c: ContactState, session: Session) -> None:
        while (event := session.conv.next_event()) is not None:
            self._on_otr_event(c, session, event)
        for wire in session.conv.data_to_send():
            self._queue_wire(c, session, wire)
        self._update_state(c)

    def _queue_wire(self, c: ContactState, session: Session, wire: str, *, needs_otr: bool = False) -> bool:
        """Pass one wire string on; False: refused. ``needs_otr``: it carries a message typed
        while encryption was required (or an acknowledgement), so only an OTR encoded message
        may carry it, whatever the policy is now."""
        h = peek(wire)
        if (needs_otr and h.kind not in (Kind.ENCODED, Kind.FRAGMENT)) or (
            requires_encryption(c.policy) and h.kind in (Kind.PLAIN, Kind.TAGGED)
        ):
            # The OTR layer must never do this; if it ever does, the text stays here. (Judged by
            # the OTR header, not a "?OTR" prefix: a user's text may begin with one.)
            self._emit(ErrorEvent(f"{c.name}: refused to send a message that was not OTR-encoded"))
            return False
        if h.kind is Kind.QUERY or h.type == MessageType.DH_COMMIT:
            session.awaiting = True
        if h.kind is Kind.QUERY or (h.type in _AKE_TYPES and h.type != MessageType.SIGNATURE):
            c.ake_activity = self._clock.now()  # (a Signature is sent once we are already secure)
        elif h.type == MessageType.DATA:
            session.ack_due = False  # anything we send tells the peer we are alive
        self._outbox.append((c.name, wire))
        return True

    def _on_otr_event(self, c: ContactState, session: Session, event: otr.Event) -> None:
        match event:
            case otr.GoneSecure():
                self._gone_secure(c, session)
            case otr.MessageReceived(text=text, encrypted=encrypted):
                self._received(c, session, text, encrypted)
            case otr.DataMessageAuthenticated(recipient_keyid=keyid) if session.bound:
                # Only a message that decrypted and passed its MAC says the peer is alive and
                # reads what we send; its key id is the authenticated one (issue 9, item 4).
                session.suspect = False
                self._messages.confirm(session.unconfirmed, keyid)
            case otr.PeerError():
                # Something we sent was lost: re-key (once, however many errors came) and re-send.
                session.suspect = True
                self._start_ake(c)
            case otr.SessionFinished() | otr.GoneInsecure():
                pass  # state is shown by _update_state; held messages wait for a new AKE
            case otr.SmpQuestion(question=question):
                self._emit(SmpRequested(self.account, c.name, question))
            case otr.SmpSucceeded() | otr.SmpFailed() | otr.SmpAborted() | otr.SmpCheated():
                self._smp_finished(c, session, event)
            case _:
                pass  # SMP progress and the extra symmetric key: nothing for the user yet

    def _smp_finished(
        self,
        c: ContactState,
        session: Session,
        event: otr.SmpSucceeded | otr.SmpFailed | otr.SmpAborted | otr.SmpCheated,
    ) -> None:
        verified = isinstance(event, otr.SmpSucceeded) and event.verifies_peer
        outcome = {
            otr.SmpSucceeded: SmpOutcome.SUCCEEDED,
            otr.SmpFailed: SmpOutcome.FAILED,
            otr.SmpAborted: SmpOutcome.ABORTED,
            otr.SmpCheated: SmpOutcome.CHEATED,
        }[type(event)]
        fingerprint = session.conv.their_fingerprint
        self._emit(SmpFinished(self.account, c.name, outcome, verified, fingerprint))

    def _received(self, c: ContactState, session: Session, text: str, encrypted: bool) -> None:
        verified = False
        if encrypted:
            session.ack_due = True
            if session.bound:
                c.current = session
            verified = self._verified(c.name, session)
        elif c.queue and requires_encryption(c.policy):
            self._unavailable(c, "the contact answered without OTR")
        self._emit(MessageReceived(self.account, c.name, text, encrypted, verified))

    def _gone_secure(self, c: ContactState, session: Session) -> None:
        tag = session.conv.their_instance_tag
        resend: list[str] = []
        carried: list[str] = []  # sent under keys now gone, to the same live instance
        if session.suspect:  # re-keyed in place after the peer reported trouble
            resend.extend(session.unconfirmed)
        else:
            carried.extend(session.unconfirmed)
        session.unconfirmed.clear()
        session.awaiting = session.suspect = False
        if not session.bound:
            session.bound = True
            if c.master is session:
                c.master = None
        replaced = c.sessions.get(tag)
        for old in [s for s in c.sessions.values() if s is not session]:
            # The same instance re-keyed: re-send only if it was in trouble. Another instance:
            # the peer moved on (restart), so whatever it did not confirm is re-sent.
            if old.suspect or old is not replaced:
                resend.extend(old.unconfirmed)
            else:
                carried.extend(old.unconfirmed)
                session.ack_due = session.ack_due or old.ack_due
            old.unconfirmed.clear()
        # Carried only to the key they were written for (the server may have re-keyed bob's own
        # instance with its key): the others go back to the queue, where _flush holds them.
        fingerprint = session.conv.their_fingerprint
        assert fingerprint is not None
        stays = [m for m in carried if self._may_go(c, m, fingerprint)]
        resend.extend(m for m in carried if m not in stays)
        session.unconfirmed[:0] = self._messages.carry_over(stays)
        c.known.add(fingerprint)
        c.sessions[tag] = session
        c.current = session
        c.ake_activity = None
        c.ake_retries = 0
        c.unavailable_reported = False
        c.queue[:0] = self._messages.requeue(resend)
        self._flush(c)

    # -- sending --------------------------------------------------------------------------------

    def _flush(self, c: ContactState) -> None:
        self._readmit_held(c)
        if not c.queue:
            return
        if c.current is not None and c.current.conv.finished:
            # Protocol-v3: "inform the user that the message cannot be sent at this time";
            # nothing leaves, under any policy, until the user ends or restarts the session.
            self._unavailable(c, "the contact ended the private conversation: go private again to send")
            return
        session = c.current
        if session is not None and session.conv.encrypted and self._distrusted(c, session):
            self._unavailable(c, "the contact's key in this session is distrusted: nothing is sent")
            return
        if session is not None and session.conv.encrypted and not session.suspect:
            self._send_in(c, session)
        elif requires_encryption(c.policy) or self._messages[c.queue[0]].needs_otr:
            self._start_ake(c)
        else:
            self._send_unprotected(c, session or self._master(c))

    def _send_in(self, c: ContactState, session: Session) -> None:
        """Send the queue in a private session: each message only if written for its key."""
        fingerprint = session.conv.their_fingerprint
        assert fingerprint is not None
        held: list[str] = []
        for msg_id in list(c.queue):
            msg = self._messages[msg_id]
            c.queue.remove(msg_id)
            if not self._may_go(c, msg_id, fingerprint):
                held.append(msg_id)
                continue
            msg.written_for = frozenset({fingerprint})
            announced = session.conv.send(msg.text.reveal())
            if msg.announced is None:
                msg.announced = announced  # the key this message announces
            wires = session.conv.data_to_send()
            if not all([self._queue_wire(c, session, w, needs_otr=msg.needs_otr) for w in wires]):
                c.queue.insert(0, msg_id)  # never went out: stays PENDING, and the run stops
                break
            session.unconfirmed.append(msg.id)
            self._messages.sent(msg)
        self._drain(c, session)
        if held:
            c.held.extend(held)
            written_for = {k for m in held for k in self._messages[m].written_for}
            self._emit(HeldForKeyChange(self.account, c.name, tuple(held), tuple(written_for), fingerprint))

    def _may_go(self, c: ContactState, msg_id: str, fingerprint: Fingerprint) -> bool:
        """Whether a message may go to (or be confirmed by) the key ``fingerprint``: the key it
        was written for, a key the user verified, or any key for one written when none was known."""
        written_for = self._messages[msg_id].written_for
        return not written_for or fingerprint in written_for or self._is_verified(c.name, fingerprint)

    def _readmit_held(self, c: ContactState) -> None:
        """Held messages go back to the queue once the session has a key they may go to (the
        one they were written for came back, or the user verified the new one)."""
        session = c.current
        fingerprint = session.conv.their_fingerprint if session and session.conv.encrypted else None
        if fingerprint is None or not c.held:
            return
        back = [m for m in c.held if self._may_go(c, m, fingerprint)]
        c.held = [m for m in c.held if m not in back]
        c.queue[:0] = back

    def _send_unprotected(self, c: ContactState, target: Session) -> None:
        # Only for messages typed while the user had set this contact's policy to not require
        # encryption: the OTR layer decides what goes out (plaintext, perhaps whitespace-tagged).
        # A held message that needs OTR stops the run, so the order is kept.
        while c.queue and not self._messages[c.queue[0]].needs_otr:
            msg = self._messages[c.queue.pop(0)]
            target.conv.send(msg.text.reveal())
            self._messages.set_state(msg, MessageState.SENT)  # not tracked: no OTR, no receipt
        self._drain(c, target)
        if c.queue:
            self._start_ake(c)

    def _ake_live(self, c: ContactState) -> bool:
        """An AKE is under way: we asked, or AKE messages flowed, within AKE_TIMEOUT."""
        return c.ake_activity is not None and self._clock.now() - c.ake_activity <= AKE_TIMEOUT

    def _mid_ake(self, c: ContactState) -> bool:
        """Some conversation with the contact is inside an AKE (sent or answered a commit)."""
        sessions = [*c.sessions.values(), *([c.master] if c.master else [])]
        return self._ake_live(c) and any(s.conv.auth_state is not _AUTH_NONE for s in sessions)

    def _start_ake(self, c: ContactState, *, force: bool = False) -> None:
        now = self._clock.now()
        if not force and (self._ake_live(c) or (c.current is not None and c.current.conv.finished)):
            # One AKE at a time: a burst of triggers must not flood the peer. After the peer
            # ended the session only the user restarts it (`start`).
            return
        if not (Policy.ALLOW_V2 in c.policy or Policy.ALLOW_V3 in c.policy):
            self._unavailable(c, "OTR is disabled for this contact (policy never)")
            return
        c.ake_activity = now
        master = self._master(c)
        master.conv.start()
        self._drain(c, master)

    # -- helpers --------------------------------------------------------------------------------

    def _contact(self, contact: str) -> ContactState:
        c = self._contacts.get(contact)
        if c is None:
            c = self._contacts[contact] = ContactState(contact, self._default_policy)
        return c

    def _distrusted(self, c: ContactState, session: Session) -> bool:
        fingerprint = session.conv.their_fingerprint
        return fingerprint is not None and self._is_distrusted(c.name, fingerprint)

    def peer_online(self, contact: str) -> None:
        """The contact came online: a good moment to try again if messages wait."""
        c = self._contacts.get(contact)
        if c is not None and c.queue:
            c.ake_retries = 0
            self._flush(c)

    def refresh_trust_and_flush(self, contact: str) -> None:
        """After the trust store changed: re-evaluate the state and send what may now go."""
        c = self._contact(contact)
        self._update_state(c)
        self._flush(c)

    def _verified(self, contact: str, session: Session) -> bool:
        fingerprint = session.conv.their_fingerprint
        return fingerprint is not None and self._is_verified(contact, fingerprint)

    def _update_state(self, c: ContactState) -> None:
        session = c.current
        fingerprint = None
        if session is not None and session.conv.encrypted:
            verified = self._verified(c.name, session)
            state = OtrState.PRIVATE_VERIFIED if verified else OtrState.PRIVATE_UNVERIFIED
            fingerprint = session.conv.their_fingerprint
        elif session is not None and session.conv.finished:
            state = OtrState.FINISHED
        else:
            state = OtrState.NOT_PRIVATE
        if state is not c.shown_state:
            c.shown_state = state
            self._emit(OtrStateChanged(self.account, c.name, state, fingerprint))

    def _unavailable(self, c: ContactState, reason: str) -> None:
        if not c.unavailable_reported:
            c.unavailable_reported = True
            self._emit(OtrUnavailable(self.account, c.name, reason))

    def _emit(self, event: CoreEvent) -> None:
        self._events.append(event)
