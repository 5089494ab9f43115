"""`Conversation`: one OTR conversation with one remote instance, sans-I/O (an h11-style facade).

The owner feeds what the network delivered to `receive`, what the user typed to `send`, and drains
`data_to_send()` (to the network) and `next_event()` (to the user). The message state machine
(MSGSTATE_PLAINTEXT / MSGSTATE_ENCRYPTED / MSGSTATE_FINISHED) follows Protocol-v3, "The protocol
state machine"; the authentication state machine is `timb.otr.ake`.

Contract:
* `receive` never raises: anything hostile or malformed becomes an event (and an OTR Error reply
  where the spec says so) and leaves the session as it was.
* No plaintext leak: when the policy has REQUIRE_ENCRYPTION, `send` outside MSGSTATE_ENCRYPTED holds
  the text, sends a Query Message, and sends the held texts encrypted, in order, once the AKE
  completes. In MSGSTATE_FINISHED `send` raises `PolicyViolation` whatever the policy (libotr refuses
  too): the user must `end()` (back to plaintext) or `start()` a new AKE.
* Instance tags: one Conversation talks to one remote instance at a time. An AKE begun by another
  sender instance (for example the peer's client restarted) is followed, as libotr's per-instance
  contexts would; the session then belongs to that instance. Data Messages from any other
  instance are unreadable; messages for another receiver instance are silently dropped, and so
  are our own messages reflected back. Version 2 has no instance tags.
* Every held message sends a Query Message (as libotr): an AKE stalled by a lost message restarts
  on the user's next message. Unreadable Data Messages draw an OTR Error; with ERROR_START_AKE
  the peer answers with a Query, so a desynchronised pair re-keys by itself.
* SMP (`smp_start`, `smp_respond`, `smp_abort`) runs `timb.otr.smp.SmpEngine`; its TLVs travel
  one per Data Message with an empty text and IGNORE_UNREADABLE, as libotr sends them.
"""

from __future__ import annotations

import enum
from collections import deque

from timb.common.clock import Clock, SystemClock
from timb.common.ids import Fingerprint
from timb.common.random import Random, SystemRandom
from timb.common.secret import Secret
from timb.otr import events as ev
from timb.otr import wire
from timb.otr.ake import AkeResult, AuthenticatedKeyExchange, AuthState
from timb.otr.data import DataSession, SessionKeys
from timb.otr.errors import DecryptionFailed, LocalError, MalformedMessage, PolicyViolation, RemoteError
from timb.otr.fragments import Outcome, Reassembler, fragment, is_fragment
from timb.otr.instance_tags import generate_instance_tag, is_for_us, is_valid_sender, validate_instance_tag
from timb.otr.keys import PrivateKey
from timb.otr.policy import Policy, allowed_versions, best_version
from timb.otr.smp import SmpEngine, smp_secret
from timb.otr.tlv import TimbRecord, Tlv, TlvType, decode_tlvs, encode_tlvs, read_timb_record

# libotr (message.c): HEARTBEAT_INTERVAL 60 seconds.
HEARTBEAT_INTERVAL = 60.0

# The texts libotr's applications send (pidgin-otr's otr_error_message).
ERROR_NOT_IN_PRIVATE = "You sent encrypted data to a peer who wasn't expecting it."
ERROR_UNREADABLE = "You transmitted an unreadable encrypted message."
ERROR_MALFORMED = "You transmitted a malformed data message."


_HANDLED_TLVS = frozenset(TlvType)


class MessageState(enum.Enum):
    MSGSTATE_PLAINTEXT = "plaintext"
    MSGSTATE_ENCRYPTED = "encrypted"
    MSGSTATE_FINISHED = "finished"


class Conversation:
    """An OTR conversation with one correspondent (see the module docstring for the contract)."""

    def __init__(
        self,
        key: PrivateKey,
        policy: Policy = Policy.ALWAYS,
        max_fragment_size: int | None = None,
        *,
        clock: Clock | None = None,
        rng: Random | None = None,
        instance_tag: int | None = None,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        our_name: str = "",
        timb_records: bool = False,
    ) -> None:
        """``our_name``: our address, named in the Query Message as libotr does (empty: the
        bare query tag). ``timb_records``: every Data Message without other TLVs carries a TIMB
        record (`timb.otr.tlv.TimbRecord`; heartbeats an empty one), so a TIMB peer knows it
        may rely on our acknowledgements. Raises: LocalError for an invalid instance tag or
        fragment size."""
        if max_fragment_size is not None and max_fragment_size < 64:
            raise LocalError("max_fragment_size is too small for OTR (at least 64)")
        self._key = key
        self._policy = policy
        self._versions = allowed_versions(policy)
        self.max_fragment_size = max_fragment_size
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._rng: Random = rng if rng is not None else SystemRandom()
        tag = generate_instance_tag(self._rng) if instance_tag is None else instance_tag
        self.our_instance_tag = validate_instance_tag(tag)
        self._heartbeat_interval = heartbeat_interval
        self._our_name = our_name
        self._timb_records = timb_records
        self._ake = AuthenticatedKeyExchange(key, self._rng, self.our_instance_tag)
        self._smp = SmpEngine(self._rng)
        self._reassembler = Reassembler()
        self._session: DataSession | None = None
        self._state = MessageState.MSGSTATE_PLAINTEXT
        self._their_fingerprint: Fingerprint | None = None
        self._ssid: bytes | None = None
        self._sent_reveal_signature = False
        self._their_instance_tag = 0
        self._protocol_version: int | None = None
        self._outbox: list[str] = []
        self._events: deque[ev.Event] = deque()
        self._held: list[str] = []
        self._plaintext_received = False  # stops the whitespace tag (spec: "Tagged plaintext")
        self._last_sent: float | None = None

    # --- state --------------------------------------------------------------------------------

    @property
    def policy(self) -> Policy:
        return self._policy

    @policy.setter
    def policy(self, policy: Policy) -> None:
        """Policies may change at any time (spec: "on a global or per-correspondent basis")."""
        self._policy = policy
        self._versions = allowed_versions(policy)

    @property
    def state(self) -> MessageState:
        return self._state

    @property
    def auth_state(self) -> AuthState:
        return self._ake.state

    @property
    def their_fingerprint(self) -> Fingerprint | None:
        """The peer's key fingerprint of the current (or just finished) session."""
        return self._their_fingerprint

    @property
    def ssid(self) -> bytes | None:
        """The 8-byte secure session id of the current (or just finished) session."""
        return self._ssid

    def ssid_halves(self) -> tuple[str, str, int] | None:
        """The ssid as the spec says to show it: two 32-bit halves in "%08x" format, and which one
        (0 or 1) to display in bold -- the first if we sent the Reveal Signature Message."""
        if self._ssid is None:
            return None
        first, second = self._ssid[:4].hex(), self._ssid[4:].hex()
        return first, second, 0 if self._sent_reveal_signature else 1

    @property
    def their_instance_tag(self) -> int:
        """The peer's instance tag once an AKE has told us (0 until then, and always 0 in v2)."""
        return self._their_instance_tag

    @property
    def protocol_version(self) -> int | None:
        return self._protocol_version

    @property
    def encrypted(self) -> bool:
        """MSGSTATE_ENCRYPTED: what `send` sends now is encrypted."""
        return self._state is MessageState.MSGSTATE_ENCRYPTED

    @property
    def finished(self) -> bool:
        """MSGSTATE_FINISHED: the peer ended the session; `send` refuses until end() or start()."""
        return self._state is MessageState.MSGSTATE_FINISHED

    @property
    def held_messages(self) -> int:
        return len(self._held)

    # --- the outboxes ---------------------------------------------------------------------------

    def data_to_send(self) -> list[str]:
        """Wire messages for the peer, oldest first; the outbox is emptied."""
        out, self._outbox = self._outbox, []
        return out

    def next_event(self) -> ev.Event | None:
        return self._events.popleft() if self._events else None

    # --- user actions ---------------------------------------------------------------------------

    def send(self, text: str, record: TimbRecord | None = None) -> int | None:
        """Send the user's text as the message state and policy require; ``record``: the TIMB
        record its Data Message carries (only when encrypted now).

        Returns the id of our D-H key the Data Message announces (``sender_keyid + 1``): a reply
        naming it as its recipient key id was written after this message arrived. None when no
        Data Message went out (held, or plaintext).

        Raises:
            PolicyViolation: in MSGSTATE_FINISHED (the peer ended the session).
            LocalError: the text contains NUL (it would smuggle TLVs into a Data Message), or is
                too long for 65535 fragments of `max_fragment_size`.
        """
        if "\x00" in text:
            raise LocalError("message text must not contain NUL")
        versions = self._versions
        if self._state is MessageState.MSGSTATE_ENCRYPTED:
            # Before the policy: a policy lowered during a private session must not make text
            # typed now leave in the clear while the session (and the user's badge) is private.
            return self._send_data(text.encode("utf-8"), [record.tlv()] if record else None)[1]
        if not versions:
            self._outbox.append(text)
        elif self._state is MessageState.MSGSTATE_FINISHED:
            # "Inform the user that the message cannot be sent at this time."
            raise PolicyViolation("the peer ended the private conversation; end() or start() first")
        elif Policy.REQUIRE_ENCRYPTION in self.policy:
            # "Store the plaintext message for possible retransmission, and send a Query Message."
            self._held.append(text)
            self._events.append(ev.MessageHeld(len(self._held)))
            # A query with every held message, as libotr does: an AKE stuck because one of its
            # messages was lost (both sides waiting) restarts on the user's next message.
            self._send_query(versions)
        elif Policy.SEND_WHITESPACE_TAG in self.policy and not self._plaintext_received:
            self._outbox.append(text + wire.whitespace_tag(versions))
        else:
            self._outbox.append(text)
        return None

    def start(self) -> None:
        """ "User requests to start an OTR conversation": send a Query Message.

        Raises:
            PolicyViolation: the policy allows no OTR version.
        """
        versions = self._versions
        if not versions:
            raise PolicyViolation("the policy allows no OTR version")
        self._send_query(versions)

    def end(self) -> None:
        """ "User requests to end an OTR conversation" (sends the Disconnected TLV if encrypted)."""
        if self._state is MessageState.MSGSTATE_PLAINTEXT:
            return
        if self._state is MessageState.MSGSTATE_ENCRYPTED:
            self._send_data(b"", [Tlv(TlvType.DISCONNECTED)], wire.FLAG_IGNORE_UNREADABLE)
        self._drop_session()
        self._ake.clear()
        self._state = MessageState.MSGSTATE_PLAINTEXT
        self._plaintext_received = False
        self._their_fingerprint = None
        self._ssid = None
        self._events.append(ev.GoneInsecure())

    def extra_symmetric_key(self, use: int, data: bytes = b"") -> Secret[bytes]:
        """Tell the peer (TLV 8) we use the extra symmetric key for `use`; return the 32-byte key.

        Raises:
            PolicyViolation: not in MSGSTATE_ENCRYPTED.
            LocalError: `use` does not fit in 4 bytes, or `data` in the TLV.
        """
        self._require_session("the extra symmetric key")
        if not 0 <= use <= 0xFFFFFFFF or len(data) > 0xFFFF - 4:
            raise LocalError("TLV 8 holds a 4-byte use and at most 65531 bytes of data")
        tlv = Tlv(TlvType.EXTRA_SYMMETRIC_KEY, use.to_bytes(4, "big") + data)
        keys, _ = self._send_data(b"", [tlv], wire.FLAG_IGNORE_UNREADABLE)
        return Secret(keys.extra_symmetric_key())

    # --- the Socialist Millionaires' Protocol (timb.otr.smp) ----------------------------------

    def smp_start(
        self, secret: str | bytes | Secret[str] | Secret[bytes], question: str | None = None
    ) -> None:
        """Ask the peer to prove they know the same `secret` (optionally answering `question`).

        Raises:
            PolicyViolation: not in MSGSTATE_ENCRYPTED.
            LocalError: the question contains NUL or is too long.
        """
        session = self._require_session("SMP")
        ours = self._key.fingerprint().digest
        theirs = session.their_public_key.fingerprint().digest
        value = smp_secret(ours, theirs, session.ssid, _secret_bytes(secret))
        self._send_smp(self._smp.start(value, question))

    def smp_respond(self, secret: str | bytes | Secret[str] | Secret[bytes]) -> None:
        """Answer the peer's SMP request (after an `SmpQuestion` event) with our `secret`.

        Raises:
            PolicyViolation: not in MSGSTATE_ENCRYPTED.
            LocalError: no SMP request is waiting for an answer.
        """
        session = self._require_session("SMP")
        ours = self._key.fingerprint().digest
        theirs = session.their_public_key.fingerprint().digest
        value = smp_secret(theirs, ours, session.ssid, _secret_bytes(secret))
        self._send_smp(self._smp.respond(value))

    def smp_abort(self) -> None:
        """Abort SMP: "send a type 6 TLV (SMP abort) to the correspondent" (if we can)."""
        tlv = self._smp.abort()
        if self._session is not None and self._state is MessageState.MSGSTATE_ENCRYPTED:
            self._send_smp([tlv])

    @property
    def smp_in_progress(self) -> bool:
        return self._smp.in_progress

    def _send_smp(self, tlvs: list[Tlv]) -> None:
        # As libotr: an empty human part and IGNORE_UNREADABLE; one TLV per message, in order (an
        # abort and a restart in one message would be processed in the wrong order by libotr).
        for tlv in tlvs:
            self._send_data(b"", [tlv], wire.FLAG_IGNORE_UNREADABLE)

    def _require_session(self, what: str) -> DataSession:
        if self._session is None or self._state is not MessageState.MSGSTATE_ENCRYPTED:
            raise PolicyViolation(f"{what} needs an encrypted session")
        return self._session

    # --- receiving ------------------------------------------------------------------------------

    def receive(self, text: str) -> None:
        """Process one message from the network. Never raises (see the module contract)."""
        versions = self._versions
        if not versions:
            # "if not, then OTR is completely disabled, and no special handling ... at all."
            self._events.append(ev.MessageReceived(text, encrypted=False))
            return
        try:
            if is_fragment(text):
                got = self._reassembler.feed(text, self.our_instance_tag, versions)
                if got.outcome is not Outcome.COMPLETE:
                    return
                if is_fragment(got.message):
                    raise MalformedMessage("a fragment inside a fragment")
                text = got.message
            else:
                # "If you receive a non-OTR message, or an unfragmented message, forget any stored
                # fragment you may have".
                self._reassembler.forget()
            self._receive_whole(text, versions)
        except RemoteError as exc:
            self._events.append(ev.MalformedMessageReceived(str(exc)))

    def _receive_whole(self, text: str, versions: frozenset[int]) -> None:
        unencoded = wire.classify_unencoded(text)
        if unencoded is None:
            self._receive_encoded(text, versions)
        elif isinstance(unencoded, wire.QueryMessage):
            version = best_version(self.policy, unencoded.versions)
            if version is not None:
                self._start_ake(version)
        elif isinstance(unencoded, wire.ErrorMessage):
            self._events.append(ev.PeerError(unencoded.text))
            if Policy.ERROR_START_AKE in self.policy:
                self._send_query(versions)
        else:
            self._receive_plaintext(unencoded)

    def _receive_plaintext(self, message: wire.Plaintext) -> None:
        if not message.tagged:
            self._plaintext_received = True
        if message.text or not message.tagged:
            # Shown flagged as unencrypted in every state: the owner warns the user.
            self._events.append(ev.MessageReceived(message.text, encrypted=False))
        if message.tagged and Policy.WHITESPACE_START_AKE in self.policy:
            version = best_version(self.policy, message.tag_versions)
            if version is not None:
                self._start_ake(version)

    def _receive_encoded(self, text: str, versions: frozenset[int]) -> None:
        binary = wire.dearmor(text)
        try:
            message = wire.parse_encoded(binary)
        except MalformedMessage:
            if binary[2:3] == bytes((wire.DATA,)):
                self._unreadable(wire.data_message_flags(binary), ERROR_MALFORMED)
                return
            raise
        header = message.header
        if header.version not in versions:
            return  # "If the message is version 2 and ALLOW_V2 is not set, ignore this message."
        if header.version == 3 and not (
            # libotr drops its own messages reflected back (OTRL_MSGEVENT_MSG_REFLECTED) too.
            header.sender_tag != self.our_instance_tag
            and is_valid_sender(header.sender_tag)
            and is_for_us(
                header.receiver_tag, self.our_instance_tag, zero_allowed=isinstance(message, wire.DHCommit)
            )
        ):
            return  # Instance Tags: "the client should discard the message".
        if isinstance(message, wire.DataMessage):
            self._receive_data(message)
            return
        reply, result = self._ake.receive(message)
        if reply is not None:
            self._send_encoded(wire.armor(reply), header.version, header.sender_tag)
        if result is not None:
            self._go_secure(result)

    def _receive_data(self, message: wire.DataMessage) -> None:
        session = self._session
        if (
            session is None
            or self._state is not MessageState.MSGSTATE_ENCRYPTED
            or (message.header.version == 3 and message.header.sender_tag != session.their_instance_tag)
        ):
            self._unreadable(message.flags, ERROR_NOT_IN_PRIVATE)
            return
        try:
            plaintext, keys = session.open(message)
        except DecryptionFailed:
            self._unreadable(message.flags, ERROR_UNREADABLE)
            return
        nul = plaintext.find(b"\x00")
        human = plaintext if nul < 0 else plaintext[:nul]
        tlvs: list[Tlv] = []
        if nul >= 0:
            try:
                tlvs = decode_tlvs(plaintext[nul + 1 :])
            except MalformedMessage:
                self._events.append(ev.MalformedMessageReceived("malformed TLVs in a data message"))
        unhandled = tuple(t for t in tlvs if t.type not in _HANDLED_TLVS)
        record = read_timb_record(tlvs)
        self._events.append(ev.DataMessageAuthenticated(message.recipient_keyid, unhandled, record))
        if human:
            self._events.append(ev.MessageReceived(human.decode("utf-8", errors="replace"), encrypted=True))
        self._handle_tlvs(tlvs, keys)
        if human and self._state is MessageState.MSGSTATE_ENCRYPTED:
            self._maybe_heartbeat()

    def _handle_tlvs(self, tlvs: list[Tlv], keys: SessionKeys) -> None:
        finished = False
        for tlv in tlvs:
            if tlv.type == TlvType.DISCONNECTED:
                finished = True
            elif TlvType.SMP1 <= tlv.type <= TlvType.SMP1Q and not finished:
                outcome = self._smp.receive(tlv)
                self._events.extend(outcome.events)
                self._send_smp(list(outcome.replies))
            elif tlv.type == TlvType.EXTRA_SYMMETRIC_KEY and len(tlv.value) >= 4:
                use = int.from_bytes(tlv.value[:4], "big")
                key = Secret(keys.extra_symmetric_key())
                self._events.append(ev.ExtraSymmetricKeyReceived(use, tlv.value[4:], key))
            # Padding and unknown types: "Records with unrecognized types should be ignored."
        if finished:
            # "forget all encryption keys for this correspondent, and transition msgstate to
            # MSGSTATE_FINISHED".
            self._drop_session()
            self._state = MessageState.MSGSTATE_FINISHED
            self._events.append(ev.SessionFinished())

    def _maybe_heartbeat(self) -> None:
        """libotr: after a (non-heartbeat) Data Message, send a heartbeat if we have sent nothing for
        HEARTBEAT_INTERVAL seconds, so keys rotate and old MAC keys get revealed."""
        now = self._clock.now()
        if self._last_sent is None or self._last_sent < now - self._heartbeat_interval:
            self._send_data(b"", flags=wire.FLAG_IGNORE_UNREADABLE)

    def _unreadable(self, flags: int, error_text: str) -> None:
        """ "Inform the user that an unreadable encrypted message was received, and reply with an
        Error Message" -- unless the sender set IGNORE_UNREADABLE."""
        if flags & wire.FLAG_IGNORE_UNREADABLE:
            return
        self._events.append(ev.UnreadableMessage())
        self._outbox.append(wire.ERROR_PREFIX + " " + error_text)

    # --- internals ------------------------------------------------------------------------------

    def _send_query(self, versions: frozenset[int]) -> None:
        query = wire.query_message(versions, self._our_name)
        if self.max_fragment_size is not None and len(query) > self.max_fragment_size:
            query = query.partition("\n")[0]  # the bare "?OTRv23?" without the explanation
        self._outbox.append(query)

    def _start_ake(self, version: int) -> None:
        commit = self._ake.start(version, 0)
        self._send_encoded(wire.armor(commit), version, 0)

    def _go_secure(self, result: AkeResult) -> None:
        refreshed = self._state is MessageState.MSGSTATE_ENCRYPTED
        self._drop_session()
        session = DataSession(result, self._rng, self.our_instance_tag)
        self._session = session
        self._state = MessageState.MSGSTATE_ENCRYPTED
        self._their_fingerprint = result.their_public_key.fingerprint()
        self._ssid = result.ssid
        self._sent_reveal_signature = result.sent_reveal_signature
        self._their_instance_tag = result.their_instance_tag
        self._protocol_version = result.protocol_version
        self._events.append(
            ev.GoneSecure(self._their_fingerprint, result.ssid, result.protocol_version, refreshed)
        )
        held, self._held = self._held, []
        for text in held:
            self._send_data(text.encode("utf-8"))

    def _send_data(
        self, payload: bytes, tlvs: list[Tlv] | None = None, flags: int = 0
    ) -> tuple[SessionKeys, int]:
        """Seal and queue one Data Message; returns its keys and the key id it announces."""
        session = self._session
        assert session is not None
        if not tlvs and self._timb_records:
            tlvs = [TimbRecord().tlv()]  # heartbeats too: a TIMB peer must not infer from them
        if tlvs:
            payload += b"\x00" + encode_tlvs(tlvs)
        announced = session.our_keyid  # seal() sends our_dh[our_keyid] as the next D-H key
        text, keys = session.seal(payload, flags)
        self._last_sent = self._clock.now()
        self._send_encoded(text, session.protocol_version, session.their_instance_tag)
        return keys, announced

    def _send_encoded(self, text: str, version: int, receiver_tag: int) -> None:
        self._outbox.extend(
            fragment(text, self.max_fragment_size, version, self.our_instance_tag, receiver_tag)
        )

    def _drop_session(self) -> None:
        # "If at any point MSGSTATE_ENCRYPTED becomes unset, SMP must abandon its state"; a new
        # session (new ssid) starts SMP afresh too.
        self._events.extend(self._smp.abandon().events)
        if self._session is not None:
            self._session.forget_all()
            self._session = None


def _secret_bytes(secret: str | bytes | Secret[str] | Secret[bytes]) -> bytes:
    """The user's secret as libotr hashes it: the bytes typed (UTF-8)."""
    value = secret.reveal() if isinstance(secret, Secret) else secret
    return value.encode("utf-8") if isinstance(value, str) else value
