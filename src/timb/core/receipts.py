"""TIMB's records, the probes, and what a restart must remember: the half of `Conversations`
that makes DELIVERED mean *that* message was read and lets a chat survive crashes at either end.

* A TIMB peer names each message and acknowledges each one it decrypted (`timb.otr.tlv.TimbRecord`
  in a Padding TLV): `_timb_record`, `_read_id`, `_owe_acks`.
* A silent peer with unconfirmed messages is probed (`_probe_if_due`).
* The profile keeps the messages not yet delivered (`timb.core.outbox`) and the ids of the
  messages shown (`timb.core.seen_ids`): `outbox_section` / `restore_outbox` / `resume`,
  `seen_section` / `restore_seen`.

docs/core.md ("Delivered, and the re-send rule", "Kept across restarts") gives the rules. Pure.
"""

from __future__ import annotations

from timb.core.events import MessageState
from timb.core.outbox import KeptMessage, outbox_section, parse_outbox
from timb.core.routing import AKE_RETRIES, AKE_TIMEOUT, ASK_TIMEOUT, ContactState, ConversationsBase, Session
from timb.core.seen_ids import parse_seen, seen_section
from timb.otr.tlv import MAX_ACKS, TimbRecord


class Receipts(ConversationsBase):
    """State and rules of `Conversations` for receipts and restarts (see the module docstring)."""

    seen_changed = False  # a new id of a contact's message was shown: the service saves soon

    def seen_section(self) -> dict[str, list[str]]:
        """The contacts' message ids shown, for the profile (not strangers': their state is
        bounded in memory only). Clears `seen_changed`."""
        self.seen_changed = False
        return seen_section((c.name, c.seen_ids) for c in self._contacts.values() if self._is_contact(c.name))

    def outbox_section(self) -> list[dict[str, object]]:
        """What the profile keeps of the messages not yet DELIVERED (`timb.core.outbox`), in
        typing order: every PENDING one; every SENT one a TIMB peer has not acknowledged; and,
        marked *unsure*, every SENT one in a session whose peer has not yet shown what it is
        (no TIMB record, no text without one) and every one a previous run kept so."""
        kept = []
        for msg in self._messages.undelivered():
            c = self._contacts.get(msg.contact)
            if c is None:
                continue
            sessions = [s for s in c.instances.children.values() if msg.id in s.unconfirmed]
            if msg.state is MessageState.SENT:
                if any(s.timb for s in sessions):
                    unsure = False
                elif any(not s.plain_peer for s in sessions):
                    unsure = True
                else:
                    continue  # a libotr peer would show it twice
            else:
                unsure = msg.id in c.unsure
            kept.append(KeptMessage(msg.id, msg.contact, msg.text, msg.needs_otr, msg.written_for, unsure))
        return outbox_section(kept)

    def restore_outbox(self, section: object) -> None:
        """The messages a previous run kept: PENDING again, in their order, written for the same
        keys (so they go only where they could have gone then). They leave at `resume`; an
        unsure one only once this run's session shows a TIMB peer (`_release_unsure`)."""
        for kept in parse_outbox(section):
            if kept.id in self._messages:
                continue
            c = self._contact(kept.contact)
            self._messages.add(
                kept.id,
                kept.contact,
                kept.text.reveal(),
                needs_otr=kept.needs_otr,
                written_for=kept.written_for,
            )
            (c.unsure if kept.unsure else c.queue).append(kept.id)

    def resume(self) -> None:
        """The network is back (or there for the first time): send again what a TIMB peer did
        not acknowledge (the server may have lost what was in flight when the link went), then
        what waits, starting the AKEs it needs (the time-outs may have given up meanwhile); ask
        the peer of unsure messages what it is."""
        for c in list(self._contacts.values()):
            for session in list(c.instances.children.values()):
                self._retransmit(c, session)
            if c.queue or c.unsure:
                c.ake_retries = 0
                private = c.private()
                if private is not None:
                    private.asked = False  # (the server may have dropped the first question)
                self._flush(c)

    def _settle_unsure(self, c: ContactState, session: Session) -> None:
        """The current private session, and unsure messages first in line: a TIMB peer gets them
        again (`_release_unsure`); a libotr one does not (`_unsure_are_sent`); one not known yet is
        asked (`_ask_timb`), and the queue waits."""
        if session.timb:
            self._release_unsure(c)
        elif session.plain_peer:
            self._unsure_are_sent(c)
        else:
            self._ask_timb(c, session)

    def _ask_timb(self, c: ContactState, session: Session) -> None:
        """Unsure messages wait for this session: send an empty Data Message whose record names
        an id of nothing. A TIMB peer acknowledges it (its record releases them); a libotr client
        shows nothing (an empty message is a heartbeat to it). Once per session."""
        if not c.unsure or session.asked or not session.conv.encrypted:
            return
        session.asked = True
        c.ask_deadline = self._clock.now() + ASK_TIMEOUT
        session.conv.send("", TimbRecord(self._rng.randbytes(8), tuple(session.acks_due)))
        session.acks_due = []
        for wire in session.conv.data_to_send():
            self._queue_wire(c, session, wire, needs_otr=True)

    def _release_unsure(self, c: ContactState) -> None:
        """The current session's peer is TIMB: it shows an id once, so the unsure messages go
        again, first (the written-for rule of `_send_in` still holds them for another key)."""
        c.queue[:0] = c.unsure
        c.unsure = []
        c.ask_deadline = None
        self._flush(c)

    def _plain_peer(self, c: ContactState, session: Session) -> None:
        """The peer wrote a text without a TIMB record: a libotr client, which cannot recognise a
        copy. The unsure messages may have been shown: they are SENT, never sent again."""
        session.plain_peer = True
        if session is c.current:
            self._unsure_are_sent(c)

    def _ask_timed_out(self, c: ContactState, now: float) -> None:
        """No TIMB record within ASK_TIMEOUT of the question: taken for a libotr peer (a TIMB one
        answers at its next tick). At worst an unsure message is not sent again: SENT, not lost
        from sight, and nothing is shown twice."""
        if c.ask_deadline is not None and now >= c.ask_deadline:
            self._unsure_are_sent(c)

    def _unsure_are_sent(self, c: ContactState) -> None:
        """The unsure messages may have been shown: SENT for good; what waited behind them goes."""
        for msg_id in c.unsure:
            self._messages.set_state(self._messages[msg_id], MessageState.SENT)
        c.unsure = []
        c.ask_deadline = None
        self._flush(c)

    def restore_seen(self, section: dict[str, object]) -> None:
        """The ids a previous run saved (`seen_section`), for the user's contacts."""
        for name, seen in parse_seen(section).items():
            if self._is_contact(name):
                c = self._contact(name)
                c.seen_ids = {**seen, **c.seen_ids}

    def _probe_if_due(self, c: ContactState, session: Session, now: float) -> None:
        """Messages unconfirmed for AKE_TIMEOUT and nothing heard: send an empty Data Message
        (with the acknowledgements owed), at most AKE_RETRIES times until the peer answers. A
        peer that restarted gets Data for its dead instance and re-keys (`Lost.LOST_SESSION`)."""
        if session.probe_at is None or now < session.probe_at:
            return
        usable = session.unconfirmed and session.conv.encrypted and not self._distrusted(c, session)
        if not usable or session.probes >= AKE_RETRIES:
            session.probe_at = None
            return
        session.probes += 1
        session.probe_at = now + AKE_TIMEOUT
        if not self._retransmit(c, session):
            session.ack_due = True  # a libotr peer: the empty Data Message poll sends is the probe

    def _retransmit(self, c: ContactState, session: Session) -> bool:
        """Send a TIMB peer again, in the same session, the messages it has not acknowledged
        (in their order, with their ids: it shows each once and acknowledges it again). Only
        into the key they went to, never a suspect or distrusted session (a re-key decides
        those). A libotr peer would show them twice: False, nothing sent."""
        fingerprint = session.conv.their_fingerprint
        if not (session.timb and session.conv.encrypted and fingerprint is not None):
            return False
        if session.suspect or self._distrusted(c, session):
            return False
        return self._send_again(c, session, session.unconfirmed)

    def _send_again(self, c: ContactState, session: Session, msg_ids: list[str]) -> bool:
        """Send ``msg_ids`` (unconfirmed in ``session``, in their order) again into it, those
        written for its key only, each with its id; False if none was."""
        fingerprint = session.conv.their_fingerprint
        again = [m for m in msg_ids if fingerprint in self._messages[m].written_for]
        for msg_id in again:
            record = TimbRecord(bytes.fromhex(msg_id), tuple(session.acks_due))
            session.acks_due = []
            session.conv.send(self._messages[msg_id].text.reveal(), record)
        for wire in session.conv.data_to_send():
            self._queue_wire(c, session, wire, needs_otr=True)
        return bool(again)

    def _resend_skipped(self, c: ContactState, session: Session, acked: set[str]) -> None:
        """The peer acknowledged, in this session, a message sent after some it has not: those
        were lost on the way (a server restarting drops what it holds), and the next reconnect
        or a minute of silence (the probe) may be far off while the chat goes on. They go again
        at once, once each, under the rules of `_retransmit`; the peer shows each once. (A lost
        acknowledgement looks the same: the peer then acknowledges again and shows nothing.)"""
        positions = [i for i, m in enumerate(session.unconfirmed) if m in acked]
        if not positions:
            return
        skipped = [m for m in session.unconfirmed[: positions[-1]] if m not in acked]
        session.gap_resent &= set(session.unconfirmed)  # (bounded by what is unconfirmed)
        fresh = [m for m in skipped if m not in session.gap_resent]
        fingerprint = session.conv.their_fingerprint
        if not fresh or fingerprint is None or not session.conv.encrypted:
            return
        if session.suspect or self._distrusted(c, session):
            return  # a re-key decides those (`_retransmit`)
        session.gap_resent.update(fresh)
        self._send_again(c, session, fresh)

    def _timb_record(self, c: ContactState, session: Session, record: TimbRecord) -> None:
        """A TIMB peer: it names each message it sends and acknowledges each one it decrypted,
        so DELIVERED means *that* message was read, and a re-sent one is shown once."""
        session.timb = True
        session.repeated = False
        if record.message_id is not None:
            self._read_id(c, session, record.message_id)
        acked = {i.hex() for i in record.acks}
        fingerprint = session.conv.their_fingerprint
        if session.conv.their_fingerprint is not None:
            self._resend_skipped(c, session, acked)
        for s in c.instances.children.values():  # an ack may come after a re-key
            if s.conv.their_fingerprint == fingerprint:
                self._messages.confirm_ids(s.unconfirmed, acked)
        waiting = [m for m in c.queue if self._messages[m].written_for == {fingerprint}]
        self._messages.confirm_ids(waiting, acked)  # read after all: not sent again
        c.queue = [m for m in c.queue if m in waiting or self._messages[m].written_for != {fingerprint}]

    def _read_id(self, c: ContactState, session: Session, message_id: bytes) -> None:
        """The id of the Data Message being read: shown once, acknowledged every time. It is
        remembered when its text is shown (`_received`): one that shows nothing must not push
        out the ids of messages shown (the server's own key can send empty ones by the hundred)."""
        session.repeated = message_id in c.seen_ids
        session.reading = None if session.repeated else message_id
        self._owe_acks(session, [message_id])

    @staticmethod
    def _owe_acks(session: Session, ids: list[bytes]) -> None:
        """Owe the peer acknowledgements of ``ids``. A record holds MAX_ACKS ids: a full one goes
        at once (an empty Data Message), so no id is ever dropped -- a message whose id fell out
        would stay "sent" at the peer, and be sent again after a crash."""
        session.acks_due = [*session.acks_due, *ids]
        session.ack_due = session.ack_due or bool(ids)
        while len(session.acks_due) >= MAX_ACKS and session.conv.encrypted:
            session.conv.send("", TimbRecord(acks=tuple(session.acks_due[:MAX_ACKS])))
            session.acks_due = session.acks_due[MAX_ACKS:]
        session.acks_due = session.acks_due[-MAX_ACKS:]  # only a session that cannot send is cut
