"""MSGSTATE_ENCRYPTED: one private session, from a completed AKE until it ends.

`EncryptedSession` sends and receives Data Messages (`timb.otr.data` does the keys and the
cryptography), handles their TLVs (Protocol-v3, "Type/Length/Value"), sends heartbeats, and runs
SMP (`timb.otr.smp.SmpEngine`) inside the session, whose ssid its secret includes. `Conversation`
owns the message state machine and creates one of these per session.
"""

from __future__ import annotations

from collections.abc import Callable

from timb.common.clock import Clock
from timb.common.ids import Fingerprint
from timb.common.random import Random
from timb.common.secret import Secret
from timb.otr import events as ev
from timb.otr.ake import AkeResult
from timb.otr.data import DataSession, SessionKeys
from timb.otr.errors import LocalError, MalformedMessage
from timb.otr.keys import PrivateKey
from timb.otr.smp import SmpEngine, smp_secret
from timb.otr.tlv import Tlv, TlvType, decode_tlvs, encode_tlvs
from timb.otr.wire import FLAG_IGNORE_UNREADABLE, DataMessage

UserSecret = str | bytes | Secret[str] | Secret[bytes]
# Hands an encoded message to the conversation's outbox: (text, protocol version, receiver tag).
SendEncoded = Callable[[str, int, int], None]


class EncryptedSession:
    """Data Messages, TLVs, heartbeats and SMP of one session (see the module docstring)."""

    def __init__(
        self,
        ake: AkeResult,
        *,
        key: PrivateKey,
        rng: Random,
        clock: Clock,
        our_instance_tag: int,
        heartbeat_interval: float,
        send_encoded: SendEncoded,
        emit: Callable[[ev.Event], None],
    ) -> None:
        self._data = DataSession(ake, rng, our_instance_tag)
        self._key = key
        self._clock = clock
        self._heartbeat_interval = heartbeat_interval
        self._send_encoded = send_encoded
        self._emit = emit
        self._smp = SmpEngine(rng)
        self._last_sent: float | None = None  # libotr's lastsent: nothing sent yet
        self.protocol_version = ake.protocol_version
        self.their_instance_tag = ake.their_instance_tag
        self.their_fingerprint: Fingerprint = ake.their_public_key.fingerprint()
        self.ssid = ake.ssid
        self.sent_reveal_signature = ake.sent_reveal_signature

    # --- sending ----------------------------------------------------------------------------

    def send(self, payload: bytes, tlvs: list[Tlv] | None = None, flags: int = 0) -> SessionKeys:
        """Encrypt one Data Message (human text, then NUL and TLVs if any) into the outbox.

        Raises:
            LocalError: too long for 65535 fragments of the conversation's fragment size.
        """
        if tlvs:
            payload += b"\x00" + encode_tlvs(tlvs)
        text, keys = self._data.seal(payload, flags)
        self._last_sent = self._clock.now()
        self._send_encoded(text, self.protocol_version, self.their_instance_tag)
        return keys

    def disconnect(self) -> None:
        """ "Send a Data Message, encoding a message with an empty human-readable part, and TLV type
        1" (then the conversation forgets the session)."""
        self.send(b"", [Tlv(TlvType.DISCONNECTED)], FLAG_IGNORE_UNREADABLE)

    def extra_symmetric_key(self, use: int, data: bytes) -> Secret[bytes]:
        """Send TLV 8 for `use`; the key comes from the secbytes of the message that carries it.

        Raises:
            LocalError: `use` does not fit in 4 bytes, or `data` in the TLV.
        """
        if not 0 <= use <= 0xFFFFFFFF or len(data) > 0xFFFF - 4:
            raise LocalError("TLV 8 holds a 4-byte use and at most 65531 bytes of data")
        tlv = Tlv(TlvType.EXTRA_SYMMETRIC_KEY, use.to_bytes(4, "big") + data)
        keys = self.send(b"", [tlv], FLAG_IGNORE_UNREADABLE)
        return Secret(keys.extra_symmetric_key())

    # --- SMP --------------------------------------------------------------------------------

    def smp_start(self, secret: UserSecret, question: str | None) -> None:
        """Raises: LocalError for a question with NUL or too long."""
        value = smp_secret(self._our_fp(), self._their_fp(), self.ssid, _secret_bytes(secret))
        self._send_smp(self._smp.start(value, question))

    def smp_respond(self, secret: UserSecret) -> None:
        """Raises: LocalError when no SMP request is waiting for an answer."""
        value = smp_secret(self._their_fp(), self._our_fp(), self.ssid, _secret_bytes(secret))
        self._send_smp(self._smp.respond(value))

    def smp_abort(self) -> None:
        self._send_smp([self._smp.abort()])

    @property
    def smp_in_progress(self) -> bool:
        return self._smp.in_progress

    def _our_fp(self) -> bytes:
        return self._key.fingerprint().digest

    def _their_fp(self) -> bytes:
        return self.their_fingerprint.digest

    def _send_smp(self, tlvs: list[Tlv]) -> None:
        # As libotr: an empty human part and IGNORE_UNREADABLE; one TLV per message, in order (an
        # abort and a restart in one message would be processed in the wrong order by libotr).
        for tlv in tlvs:
            self.send(b"", [tlv], FLAG_IGNORE_UNREADABLE)

    # --- receiving --------------------------------------------------------------------------

    def receive(self, message: DataMessage) -> bool:
        """Open a Data Message and act on it; True when the peer ended the session (TLV 1).

        Raises:
            DecryptionFailed: the message is unreadable; nothing changed.
        """
        plaintext, keys = self._data.open(message)
        nul = plaintext.find(b"\x00")
        human = plaintext if nul < 0 else plaintext[:nul]
        tlvs: list[Tlv] = []
        if nul >= 0:
            try:
                tlvs = decode_tlvs(plaintext[nul + 1 :])
            except MalformedMessage:
                self._emit(ev.MalformedMessageReceived("malformed TLVs in a data message"))
        if human:
            # "A message with an empty human-readable part ... is a 'heartbeat' packet, and should
            # not be displayed to the user."
            self._emit(ev.MessageReceived(human.decode("utf-8", errors="replace"), encrypted=True))
        finished = self._handle_tlvs(tlvs, keys)
        if human and not finished:
            self._maybe_heartbeat()
        return finished

    def _handle_tlvs(self, tlvs: list[Tlv], keys: SessionKeys) -> bool:
        finished = False
        for tlv in tlvs:
            if tlv.type == TlvType.DISCONNECTED:
                finished = True
            elif TlvType.SMP1 <= tlv.type <= TlvType.SMP1Q and not finished:
                outcome = self._smp.receive(tlv)
                for event in outcome.events:
                    self._emit(event)
                self._send_smp(list(outcome.replies))
            elif tlv.type == TlvType.EXTRA_SYMMETRIC_KEY and len(tlv.value) >= 4:
                use = int.from_bytes(tlv.value[:4], "big")
                key = Secret(keys.extra_symmetric_key())
                self._emit(ev.ExtraSymmetricKeyReceived(use, tlv.value[4:], key))
            # Padding and unknown types: "Records with unrecognized types should be ignored."
        return finished

    def _maybe_heartbeat(self) -> None:
        """libotr: after a (non-heartbeat) Data Message, send a heartbeat if we have sent nothing for
        the heartbeat interval, so keys rotate and old MAC keys get revealed."""
        now = self._clock.now()
        if self._last_sent is None or self._last_sent < now - self._heartbeat_interval:
            self.send(b"", flags=FLAG_IGNORE_UNREADABLE)

    # --- the end ----------------------------------------------------------------------------

    def forget(self) -> None:
        """Drop every key. "If at any point MSGSTATE_ENCRYPTED becomes unset, SMP must abandon its
        state": the user hears of an SMP that was under way."""
        for event in self._smp.abandon().events:
            self._emit(event)
        self._data.forget_all()


def _secret_bytes(secret: UserSecret) -> bytes:
    """The user's secret as libotr hashes it: the bytes typed (UTF-8)."""
    value = secret.reveal() if isinstance(secret, Secret) else secret
    return value.encode("utf-8") if isinstance(value, str) else value
