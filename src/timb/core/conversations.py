"""Conversations: the one owner of the rule "no plaintext when encryption is required".

`Conversations` is a sans-I/O core for one account (one OTR key, one instance tag). Per contact it
keeps the OTR conversations of `timb.otr.instances` (one per remote instance, libotr's master and
child contexts), holds the user's messages until a private session exists, and re-keys and
re-sends by itself when the peer lost its session. Wire messages go in through `receive`,
``(contact, wire)`` pairs come out of `data_to_send`, typed core events out of `next_event`. Time
only through the injected clock: `poll` (about once a second) sends acknowledgements and reports
AKE time-outs. docs/core.md gives each rule and why; in short:

* Hold: a message goes to an OTR conversation only when it is encrypted (or the user set the
  contact's policy to not require encryption when typing it). A message typed under such a policy
  leaves only as a whole OTR encoded message, whatever the policy is later; MSGSTATE_FINISHED
  sends nothing until the user starts or ends the session.
* Written for a key: a message goes, is re-sent or carried only to the key it was written for
  (the session's when typed or first sent; typed before any session, the contact's known keys,
  or any if none is known) or to a verified key. Otherwise it is held (`HeldForKeyChange`) until
  the user releases it to the new key or discards it.
* Delivered: only by an authenticated Data Message of the peer (`DataMessageAuthenticated`):
  its recipient key id is at least the key our message announced (`timb.core.delivery`).
* Resend: a new private session re-sends what an old suspect one did not confirm (the peer
  restarted, reported an OTR error, or the server bounced a message), in order.
* Trust: nothing is sent under a key the user distrusted (held, with `OtrUnavailable`).
* Re-key: the core alone sends Query Messages; one AKE at a time (docs/core.md, "Who starts").

TIMB's records, the probes and what the profile keeps across restarts are `timb.core.receipts`
(the base class).

Errors: a wrong call raises `KeyError` (unknown message id), `LocalError` (a text OTR cannot
carry) or `PolicyViolation` (SMP without a private session, a release to a key not offered);
remote trouble is an event, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from timb.common.clock import Clock
from timb.common.ids import Fingerprint
from timb.common.random import Random
from timb.core.events import (
    CoreEvent,
    HeldForKeyChange,
    MessageReceived,
    MessageSent,
    MessageState,
    ProtocolDowngraded,
    SmpFinished,
    SmpOutcome,
    SmpRequested,
)
from timb.core.receipts import Receipts
from timb.core.routing import (
    AKE_RETRIES,
    AKE_TIMEOUT,
    MAX_STRANGERS,
    ContactState,
    Session,
    otr_policy,
    requires_encryption,
)
from timb.core.seen_ids import remember
from timb.otr import LocalError, Policy, PolicyViolation, PrivateKey
from timb.otr import events as otr
from timb.otr.instances import Lost, is_ake, peek
from timb.otr.tlv import TimbRecord

__all__ = ["AKE_RETRIES", "AKE_TIMEOUT", "MAX_STRANGERS", "Conversations"]

_SMP_OUTCOMES = {
    otr.SmpSucceeded: SmpOutcome.SUCCEEDED,
    otr.SmpFailed: SmpOutcome.FAILED,
    otr.SmpAborted: SmpOutcome.ABORTED,
    otr.SmpCheated: SmpOutcome.CHEATED,
}


class Conversations(Receipts):
    """All OTR conversations of one account.

    Args:
        account: the account id, copied into every event.
        key: the account's long-term OTR key.
        instance_tag: our instance tag (>= 0x100), shared by all our conversations.
        is_verified: ``(contact, fingerprint) -> bool``, from the trust store.
        is_distrusted: ``(contact, fingerprint) -> bool``: the user marked this key as not the
            contact's; nothing is sent to it (messages stay PENDING, `OtrUnavailable` says why).
        best_version: ``(contact, fingerprint) -> version``: the newest OTR version an earlier
            run's session with this key spoke (the trust store), so a downgrade after our
            restart is still `ProtocolDowngraded`.
        known_keys: ``contact -> fingerprints``: the contact's keys the user has seen (the trust
            store, without distrusted ones). A message typed before any session is written for
            these (or for the first session's key when there are none).
        policy: the default policy (ALWAYS); `set_policy` overrides it per contact.
        our_name: the account's address, named in our Query Messages as libotr clients do.
        is_contact: ``contact -> bool``: the user's contacts; the state of other addresses is
            bounded (MAX_STRANGERS, the oldest idle one forgotten; `strangers_evicted`).
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
        best_version: Callable[[str, Fingerprint], int | None] = lambda _c, _f: None,
        policy: Policy = Policy.ALWAYS,
        max_fragment_size: int | None = None,
        our_name: str = "",
        is_contact: Callable[[str], bool] = lambda _c: False,
    ) -> None:
        super().__init__(
            account,
            key,
            instance_tag=instance_tag,
            clock=clock,
            rng=rng,
            is_verified=is_verified,
            is_distrusted=is_distrusted,
            policy=policy,
            max_fragment_size=max_fragment_size,
            our_name=our_name,
            is_contact=is_contact,
        )
        self._known_keys = known_keys
        self._best_version = best_version
        self.seen_changed = False  # a new id of a contact's message: the service saves soon

    # -- commands -------------------------------------------------------------------------------

    def set_policy(self, contact: str, policy: Policy) -> None:
        """Override the policy for one contact. Messages typed while encryption was required stay
        encrypted-only even if the policy is lowered later. A policy without OTR ("never") ends
        the private sessions first, so the badge says "not private" before anything is sent."""
        c = self._contact(contact)
        if not (Policy.ALLOW_V2 in policy or Policy.ALLOW_V3 in policy):
            self.end(contact)
        c.policy = policy
        for session in c.instances.all():
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
        private = c.private()
        current = private.conv.their_fingerprint if private else None
        # Typed before any session: the keys the user accepted (the trust store), or, when it
        # knows none yet, this run's session keys. Never a key that only came with a key-change
        # notice (it is in c.known, not among the accepted ones).
        accepted = frozenset(self._known_keys(contact))
        written_for = frozenset({current}) if current else accepted or frozenset(c.known)
        needs_otr = requires_encryption(c.policy)
        self._messages.add(msg_id, contact, text, needs_otr=needs_otr, written_for=written_for)
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
        for session in list(c.instances.children.values()):
            session.conv.end()
            self._drain(c, session)
        c.ake_activity = None
        self._update_state(c)

    def fail_pending(self, contact: str) -> None:
        """Give up on every message not yet delivered to ``contact`` (waiting, held, or sent and
        unconfirmed: the contact was removed or blocked, or our key replaced): they become
        FAILED, so nothing is re-sent, in this run or the next (the outbox keeps none)."""
        c = self._contacts.get(contact)
        if c is None:
            return
        unconfirmed = [m for s in c.instances.children.values() for m in s.unconfirmed]
        self._messages.fail([*c.queue, *c.held, *c.unsure, *unconfirmed])
        c.queue.clear()
        c.held.clear()
        c.unsure.clear()
        for s in c.instances.children.values():
            s.unconfirmed.clear()

    def held(self, contact: str) -> list[str]:
        """Messages held for a key change (`HeldForKeyChange`), oldest first."""
        c = self._contacts.get(contact)
        return list(c.held) if c is not None else []

    def held_keys(self, contact: str) -> tuple[frozenset[Fingerprint], Fingerprint | None]:
        """For the held messages: the keys they were written for, and the key of the contact's
        private session now (the one `release_held` would send them to), if any."""
        c = self._contacts.get(contact)
        if c is None:
            return frozenset(), None
        written_for = frozenset(k for m in c.held for k in self._messages[m].written_for)
        private = c.private()
        return written_for, private.conv.their_fingerprint if private is not None else None

    def release_held(self, contact: str, fingerprint: Fingerprint) -> None:
        """The user's decision: send the held messages to the key ``fingerprint``, which must be
        the key of the contact's private session now (so a key that changed again since the
        user looked is not the one that gets them).

        Raises: PolicyViolation: the session is not private with this key.
        """
        c = self._contacts.get(contact)
        private = c.private() if c is not None else None
        if c is None or private is None or private.conv.their_fingerprint != fingerprint:
            raise PolicyViolation("the contact's private session does not have this key")
        for msg_id in c.held:
            self._messages[msg_id].written_for = frozenset({fingerprint})
        c.queue[:0], c.held = c.held, []
        self._flush(c)

    def discard_held(self, contact: str) -> None:
        """The user's decision: the held messages are never sent (FAILED)."""
        c = self._contacts.get(contact)
        if c is None:
            return  # nothing held (and no state made for an address we never talked to)
        self._messages.fail(c.held)
        c.held.clear()

    def delivery_failed(self, contact: str) -> None:
        """The network bounced a message to ``contact``: whatever is not DELIVERED may be lost.
        The sessions become suspect (re-sent after the next AKE) and an AKE is started."""
        c = self._contact(contact)
        for session in c.instances.children.values():
            if session.unconfirmed:
                session.suspect = True
        self._start_ake(c)

    def refresh_trust_and_flush(self, contact: str) -> None:
        """After the trust store changed: re-evaluate the state and send what may now go."""
        c = self._contact(contact)
        self._update_state(c)
        self._flush(c)

    def poll(self) -> None:
        """Send due acknowledgements; report AKEs unanswered for AKE_TIMEOUT seconds."""
        now = self._clock.now()
        for c in self._contacts.values():
            self._ask_timed_out(c, now)
            for session in c.instances.children.values():
                self._probe_if_due(c, session, now)
                if session.ack_due and session.conv.encrypted:
                    # An empty Data Message (the peer shows nothing) with our acknowledgements.
                    session.conv.send("", TimbRecord(acks=tuple(session.acks_due)))
                    session.ack_due = False
                    session.acks_due = []
                    for wire in session.conv.data_to_send():
                        self._queue_wire(c, session, wire, needs_otr=True)
                    self._drain(c, session)
            stalled = c.ake_activity is not None and now - c.ake_activity > AKE_TIMEOUT
            if stalled and (c.queue or c.lost_session):
                self._ake_timed_out(c)
            elif not self._ake_live(c):
                c.instances.forget_routes()  # expiry: routes by sender tag outlive no AKE

    def _ake_timed_out(self, c: ContactState) -> None:
        if c.queue:
            self._unavailable(c, f"no answer to the OTR request within {int(AKE_TIMEOUT)} s")
        c.ake_activity = None
        if c.ake_retries >= AKE_RETRIES:
            return  # the next send, start or message from the contact tries again
        # An AKE can stall for good when commits cross with a third one in flight (a restarted
        # peer): begin again from a fresh conversation, a bounded number of times.
        c.ake_retries += 1
        c.instances.drop_master()
        self._start_ake(c, force=True)

    # -- the network side -----------------------------------------------------------------------

    def receive(self, contact: str, wire: str) -> None:
        """One message from ``contact`` as the network delivered it."""
        c = self._contact(contact)
        envelope = peek(wire)
        session = c.instances.route(envelope, mid_ake=self._mid_ake(c))
        if session is Lost.LOST_SESSION:
            held = c.instances.children.get(envelope.sender)
            if held is not None and held.conv.encrypted:
                # That instance of the peer keyed with this one of us already: the message is
                # stale (in flight before the re-key, or replayed by the server) or for our
                # other device. Re-keying again would only make it re-send (libotr ignores these).
                return
            c.lost_session = True
            self._start_ake(c)
            return
        if session is None:
            return
        if is_ake(envelope):
            c.ake_activity = self._clock.now()
        session.conv.receive(wire)
        self._drain(c, session)
        if c.unsure and session is c.current and (session.timb or session.plain_peer):
            self._flush(c)  # the peer showed what it is (`_settle_unsure`)

    def data_to_send(self) -> list[tuple[str, str]]:
        """``(contact, wire)`` pairs for the network, in order. The messages they carry are
        SENT from now on (`MessageSent` for each one's first sending)."""
        out, self._outbox = self._outbox, []
        leaving, self._leaving = self._leaving, []
        for msg_id, first, encrypted, tracked in leaving:
            msg = self._messages[msg_id]
            if msg.state is not MessageState.PENDING:
                continue  # failed (or confirmed) meanwhile
            if tracked:
                self._messages.set_state(msg, MessageState.SENT)
            if first:
                self._emit(MessageSent(self.account, msg.contact, msg.id, msg.text.reveal(), encrypted))
            if not tracked:
                self._messages.set_state(msg, MessageState.SENT)
        return out

    def next_event(self) -> CoreEvent | None:
        return self._events.popleft() if self._events else None

    # -- what the OTR conversations say ---------------------------------------------------------

    def _drain(self, c: ContactState, session: Session) -> None:
        while (event := session.conv.next_event()) is not None:
            self._on_otr_event(c, session, event)
        for wire in session.conv.data_to_send():
            self._queue_wire(c, session, wire)
        self._update_state(c)

    def _on_otr_event(self, c: ContactState, session: Session, event: otr.Event) -> None:
        match event:
            case otr.GoneSecure():
                self._gone_secure(c, session)
            case otr.MessageReceived(text=text, encrypted=encrypted):
                self._received(c, session, text, encrypted)
            case otr.DataMessageAuthenticated() if not session.bound:
                session.repeated = False  # (only _timb_record may say this message repeats one)
                session.reading = None
            case otr.DataMessageAuthenticated(recipient_keyid=keyid, timb=record):
                # Only a message that decrypted and passed its MAC says the peer is alive and
                # reads what we send; its key id is the authenticated one (issue 9, item 4).
                session.suspect = False
                session.repeated = False  # each message is judged by its own record
                session.reading = None
                waiting = len(session.unconfirmed)
                if record is not None:
                    self._timb_record(c, session, record)
                elif not session.timb:
                    self._messages.confirm(session.unconfirmed, keyid)  # libotr: by key ids
                if not session.unconfirmed:
                    session.probe_at = None
                elif len(session.unconfirmed) < waiting:
                    # Progress: probe again only if the peer stays silent on the rest. (An answer
                    # that confirms nothing does not reset the count: else a server that drops
                    # one message gets a probe a minute for ever.)
                    session.probe_at, session.probes = self._clock.now() + AKE_TIMEOUT, 0
            case otr.PeerError():
                # Something we sent was lost: re-key (once, however many errors came) and re-send.
                session.suspect = True
                self._start_ake(c)
            case otr.SmpQuestion(question=question):
                self._emit(SmpRequested(self.account, c.name, question))
            case otr.SmpSucceeded() | otr.SmpFailed() | otr.SmpAborted() | otr.SmpCheated():
                verified = isinstance(event, otr.SmpSucceeded) and event.verifies_peer
                fingerprint = session.conv.their_fingerprint
                outcome = _SMP_OUTCOMES[type(event)]
                self._emit(SmpFinished(self.account, c.name, outcome, verified, fingerprint))
            case _:
                pass  # state changes are shown by _update_state; SMP progress: nothing yet

    def _received(self, c: ContactState, session: Session, text: str, encrypted: bool) -> None:
        verified = False
        if encrypted and session.repeated:
            session.repeated = False  # a re-sent message we had shown already: acknowledged again
            return
        if encrypted:
            if not session.timb:
                self._plain_peer(c, session)
            if session.reading is not None:
                remember(c.seen_ids, session.reading)
                self.seen_changed = self.seen_changed or self._is_contact(c.name)
                session.reading = None
            session.ack_due = session.ack_due or not session.timb  # a TIMB peer: by its ids
            if session.bound:
                c.instances.current = session
            verified = self._verified(c.name, session)
        elif c.queue and requires_encryption(c.policy):
            self._unavailable(c, "the contact answered without OTR")
        self._emit(MessageReceived(self.account, c.name, text, encrypted, verified))

    def _gone_secure(self, c: ContactState, session: Session) -> None:
        fingerprint = session.conv.their_fingerprint
        assert fingerprint is not None
        resend: list[str] = []
        carried: list[str] = []  # sent under keys now gone, to the same live instance
        plain: list[str] = []  # re-sent to a libotr peer, which may show them again
        # Re-keyed in place after the peer reported trouble: re-send; a healthy refresh: carry,
        # except to a TIMB peer: it shows each id once, so it gets them again in the new session,
        # where one that crossed the re-key (unreadable there) comes before the later ones.
        replaced = c.instances.children.get(session.conv.their_instance_tag)
        # (judged by this instance alone: another one's records, a second device or the server's
        # own key, say nothing of whether this peer shows an id once)
        timb = session.timb or (replaced is not None and replaced.timb)
        (resend if session.suspect or timb else carried).extend(session.unconfirmed)
        if session.suspect and not timb:
            plain.extend(session.unconfirmed)
        session.unconfirmed.clear()
        session.suspect = False
        for old in [s for s in c.instances.children.values() if s is not session]:
            # The same instance re-keyed: re-send only if it was in trouble (or is TIMB).
            # Another instance: the peer moved on (restart), so whatever it did not confirm is
            # re-sent -- except from a libotr session of another key with no sign of trouble: it
            # is alive as far as we know (the server's own key as a new instance kills nothing),
            # and showed them, perhaps; it confirms them when it writes.
            if (
                old is not replaced
                and not (old.suspect or old.timb)
                and old.conv.their_fingerprint != fingerprint
            ):
                continue
            if old.suspect or old is not replaced or old.timb:
                resend.extend(old.unconfirmed)
                if not old.timb:
                    plain.extend(old.unconfirmed)
            else:
                carried.extend(old.unconfirmed)
                session.ack_due = session.ack_due or old.ack_due
            old.unconfirmed.clear()
            if old.conv.their_fingerprint == fingerprint:  # what we read there is still owed
                owed, old.acks_due, session.acks_due = [*old.acks_due, *session.acks_due], [], []
                self._owe_acks(session, owed)
        c.instances.bind(session)
        # Carried only to the key they were written for (the server may have re-keyed bob's own
        # instance with its key): the others go back to the queue, where _flush holds them.
        stays = [m for m in carried if self._may_go(c, m, fingerprint)]
        resend.extend(m for m in carried if m not in stays)
        session.unconfirmed[:0] = self._messages.carry_over(stays)
        c.known.add(fingerprint)
        self._note_version(c, fingerprint, session.conv.protocol_version)
        c.ake_activity = None
        c.ake_retries = 0
        c.unavailable_reported = False
        c.lost_session = False
        # A libotr peer gets a message again at most once: the server forges bounces and OTR
        # errors at will, and each re-send may be shown (once lost twice, it stays SENT).
        again = [m for m in plain if self._messages[m].resent_to_libotr]
        for msg_id in again:
            self._messages.untrack(msg_id)
        for msg_id in plain:
            self._messages[msg_id].resent_to_libotr = True
        c.queue[:0] = self._messages.requeue([m for m in resend if m not in again])
        self._flush(c)

    def _note_version(self, c: ContactState, fingerprint: Fingerprint, version: int | None) -> None:
        if version is None:
            return
        earlier = [v for v in (c.last_version.get(fingerprint), self._best_version(c.name, fingerprint)) if v]
        previous = max(earlier) if earlier else None
        if previous is not None and version < previous:
            self._emit(ProtocolDowngraded(self.account, c.name, fingerprint, version, previous))
        c.last_version[fingerprint] = max(version, previous or 0)

    # -- sending --------------------------------------------------------------------------------

    def _flush(self, c: ContactState) -> None:
        self._readmit_held(c)
        if not (c.queue or c.unsure):
            return
        session = c.current
        if session is not None and session.conv.finished:
            # Protocol-v3: "inform the user that the message cannot be sent at this time";
            # nothing leaves, under any policy, until the user ends or restarts the session.
            self._unavailable(c, "the contact ended the private conversation: go private again to send")
        elif session is not None and session.conv.encrypted and self._distrusted(c, session):
            self._unavailable(c, "the contact's key in this session is distrusted: nothing is sent")
        elif session is not None and session.conv.encrypted and not session.suspect:
            if c.unsure:
                # A previous run's unsure messages come first, once the peer shows what it is:
                # what was typed since waits behind them (order), at most ASK_TIMEOUT.
                self._settle_unsure(c, session)
                return
            self._send_in(c, session)
        elif requires_encryption(c.policy) or not c.queue or self._messages[c.queue[0]].needs_otr:
            self._start_ake(c)
        else:
            self._send_unprotected(c, session or c.instances.get_master())

    def _send_in(self, c: ContactState, session: Session) -> None:
        """Send the queue in a private session: each message only if written for its key."""
        fingerprint = session.conv.their_fingerprint
        assert fingerprint is not None
        held: list[str] = []
        for msg_id in list(c.queue):
            msg = self._messages[msg_id]
            c.queue.remove(msg_id)
            # Written for a key now (held for one, or going under it): from here on this message
            # leaves only encrypted, whatever the policy, in this run or the next (outbox).
            msg.needs_otr = True
            if not self._may_go(c, msg_id, fingerprint):
                held.append(msg_id)
                continue
            msg.written_for = frozenset({fingerprint})
            record = TimbRecord(bytes.fromhex(msg.id), tuple(session.acks_due))
            session.acks_due = []
            announced = session.conv.send(msg.text.reveal(), record)
            if msg.announced is None:
                msg.announced = announced  # the key this message announces
            wires = session.conv.data_to_send()
            if not all([self._queue_wire(c, session, w, needs_otr=msg.needs_otr) for w in wires]):
                c.queue.insert(0, msg_id)  # never went out: stays PENDING, and the run stops
                break
            self._leaving.append((msg.id, self._messages.place(msg), True, True))
            self._track(c, session, msg.id)
            if session.probe_at is None:
                session.probe_at, session.probes = self._clock.now() + AKE_TIMEOUT, 0
        self._drain(c, session)
        if held:
            c.held.extend(held)
            written_for = tuple({k for m in held for k in self._messages[m].written_for})
            self._emit(HeldForKeyChange(self.account, c.name, tuple(held), written_for, fingerprint))

    def _send_unprotected(self, c: ContactState, target: Session) -> None:
        # Only for messages typed while the user had set this contact's policy to not require
        # encryption: the OTR layer decides what goes out (plaintext, perhaps whitespace-tagged).
        # A held message that needs OTR stops the run, so the order is kept.
        while c.queue and not self._messages[c.queue[0]].needs_otr:
            msg = self._messages[c.queue.pop(0)]
            encrypted = target.conv.encrypted  # (suspect but still private: it goes encrypted)
            target.conv.send(msg.text.reveal())
            self._leaving.append((msg.id, True, encrypted, False))  # not tracked: no receipt
        self._drain(c, target)
        if c.queue:
            self._start_ake(c)
