"""One Ricochet protocol v3 connection, sans I/O (in the manner of h11's ``Connection``).

The adapter feeds received bytes to `receive_data`, writes out `data_to_send`, reads
`take_events`, and calls `tick` with the time now and then (for the 15 s purpose time-out and
keep-alives). Nothing here reads a clock, a socket or the system's randomness.

Rules, as libtego 3.0.41 applies them (doc/protocol.md; where it differs, the source wins):

- The dialling side (``Role.CLIENT``) opens odd channel ids, the listening side even ones;
  channel 0 is the control channel. A peer that opens a channel with our parity, an id in use,
  or more than `MAX_CHANNELS` gets ``ChannelResult{opened: false}``.
- Only the client authenticates (``im.ricochet.auth.hidden-service``); the onion address it
  dialled authenticates the server. Nothing but authentication is allowed before it.
- A connection that has no purpose (contact or contact request) 15 s after it opened is closed
  (``UnknownPurposeTimeout``).
- Ricochet never sends keep-alives but answers them: when nothing arrived for
  ``keepalive_interval`` we ask for one, and a peer silent ``keepalive_timeout`` longer is dead.
- Remote errors (the peer misbehaved) never raise: a bad packet on a channel closes that channel
  (`ProtocolViolation`), a bad frame or control packet closes the connection
  (`ConnectionClosed` with the error). Local errors (our misuse) raise `OnionUsageError`.
"""

from __future__ import annotations

from timb.common.errors import InvalidIdentifier
from timb.common.ids import OnionAddress
from timb.net.onion import chat, framing
from timb.net.onion import messages as m
from timb.net.onion.errors import (
    FrameError,
    LinkDead,
    MessageError,
    OnionAuthError,
    OnionError,
    OnionProtocolError,
    OnionUsageError,
    PurposeTimeout,
)
from timb.net.onion.events import (
    Authenticated,
    ChannelRefused,
    ConnectionEvent,
    ContactRequestAnswered,
    MessageAcknowledged,
    MessageReceived,
    MessageUndelivered,
    ProtocolViolation,
)
from timb.net.onion.files import FileTransfers
from timb.net.onion.identity import auth_proof_message, verify_proof
from timb.net.onion.state import (
    MAX_UNACKED,
    UNKNOWN_PURPOSE_TIMEOUT,
    Channel,
    Direction,
    Purpose,
    Role,
    State,
)


class OnionConnection(FileTransfers):
    """One connection's protocol state.

    ``screen_request`` (listening side) decides a contact request as it arrives: Pending asks
    the user (a `ContactRequestReceived` event), Accepted takes a known contact's request,
    Rejected refuses (a blocked address). ``is_contact`` says whether an authenticated client
    is a known contact.
    """

    # ---- I/O seam ----

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def take_events(self) -> list[ConnectionEvent]:
        events, self._events = self._events, []
        return events

    def receive_data(self, data: bytes, now: float) -> None:
        """Bytes from the peer; ``b""`` is the end of the stream."""
        if self.state is State.CLOSED:
            return
        if not data:
            self._close(None)
            return
        self._last_received = now
        self._ping_sent_at = None
        try:
            if self.state is State.AWAITING_VERSION:
                data = self._negotiate(data, now)
                if not self.is_open:
                    return
            for packet in self._reader.feed(data):
                self._on_packet(packet, now)
                if not self.is_open:
                    return
            if self._reader.error is not None:
                raise self._reader.error
        except OnionError as e:
            self._close(e)

    def tick(self, now: float) -> None:
        """Apply the purpose time-out and keep-alives."""
        if self.state is State.CLOSED:
            return
        if self.purpose is Purpose.UNKNOWN and now - self.opened_at >= UNKNOWN_PURPOSE_TIMEOUT:
            self._close(PurposeTimeout("no purpose within 15 s"))
        elif self.state is State.OPEN and self._ping_sent_at is not None:
            if now - self._ping_sent_at >= self._keepalive_timeout:
                self._close(LinkDead("no answer to our keep-alive"))
        elif self.state is State.OPEN and now - self._last_received >= self._keepalive_interval:
            self._control(m.KeepAlive(response_requested=True))
            self._ping_sent_at = now
        if self.state is State.OPEN:
            self._tick_files(now)

    def close(self) -> None:
        """End the connection (Ricochet has no goodbye: the adapter closes the stream)."""
        if self.state is not State.CLOSED:
            self._close(None)

    # ---- commands ----

    def send_contact_request(self, nickname: str, message: str) -> None:
        """Ask the server to add us (dialling side, authenticated, no purpose yet).

        Raises:
            OnionUsageError: wrong state, or a nickname/message out of Ricochet's limits.
        """
        if self.role is not Role.CLIENT or not self.authenticated or self.purpose is not Purpose.UNKNOWN:
            raise OnionUsageError("a contact request needs an authenticated connection with no purpose")
        problem = m.nickname_problem(nickname)
        if problem:
            raise OnionUsageError(problem)
        if m.utf16_units(message) > m.MESSAGE_MAX_UNITS:
            raise OnionUsageError("a request message is at most 2000 UTF-16 units")
        ch = self._open_outbound(m.CHANNEL_CONTACT_REQUEST)
        self._request_channel = ch.ident
        self.purpose = Purpose.CONTACT_REQUEST
        self._control(m.OpenChannel(ch.ident, ch.kind, contact_request=m.ContactRequest(nickname, message)))

    def accept_request(self, now: float) -> None:
        """Accept the pending request (listening side): the connection becomes the contact's."""
        self._answer_request(m.Status.Accepted, now)

    def reject_request(self) -> None:
        """Refuse the pending request; the connection closes once the answer is written."""
        self._answer_request(m.Status.Rejected, None)

    def make_contact(self, now: float) -> None:
        """Take this authenticated connection as the contact's (the adapter knows the peer)."""
        if not self.authenticated or self.state is not State.OPEN:
            raise OnionUsageError("only an authenticated, open connection can carry a contact")
        if self.purpose is not Purpose.KNOWN_CONTACT:
            self._become_contact(now)

    def send_message(self, text: str, time_delta: int = 0) -> tuple[int, ...]:
        """Send ``text`` (split into parts of <= 2000 UTF-16 units); the parts' message ids.

        Raises:
            OnionUsageError: not a contact connection, or an empty/oversized text.
        """
        if self.purpose is not Purpose.KNOWN_CONTACT or self.state is not State.OPEN:
            raise OnionUsageError("messages go only on an open contact connection")
        parts = chat.split_text(text)
        msgs = []
        for i, part in enumerate(parts):
            ident = self._next_message_id
            self._next_message_id = (ident + 1) & 0xFFFFFFFF
            msgs.append(m.ChatMessage(part, ident, min(time_delta, 0), more=i < len(parts) - 1))
        self._send_chat(msgs)
        return tuple(msg.message_id for msg in msgs)

    def take_unsent(self) -> list[m.ChatMessage]:
        """The messages not acknowledged yet, in the order they were written: those sent with no
        ChatAcknowledge so far, then those queued for a chat channel that is not open yet. They
        are taken away so that a replacement connection can carry them (`resend`), with their
        ids, as libtego re-sends its "Sending" messages; a peer may see one twice (TIMB's
        adapter drops a repeated id)."""
        unsent: list[m.ChatMessage] = []
        for ch in self._channels.values():
            unsent += list(ch.unacked.values()) + ch.queued
            ch.unacked, ch.queued = {}, []
        return unsent

    def resend(self, msgs: list[m.ChatMessage]) -> None:
        """Send messages taken from another connection to the same contact, ids unchanged.

        Raises:
            OnionUsageError: not an open contact connection.
        """
        if msgs:
            if self.purpose is not Purpose.KNOWN_CONTACT or self.state is not State.OPEN:
                raise OnionUsageError("messages go only on an open contact connection")
            self._send_chat(msgs)

    def _send_chat(self, msgs: list[m.ChatMessage]) -> None:
        ch = self._outbound_chat()
        for msg in msgs:
            if ch.opened:
                self._transmit(ch, msg)
            else:
                ch.queued.append(msg)

    def _transmit(self, ch: Channel, msg: m.ChatMessage) -> None:
        self._send(ch.ident, m.encode_chat(msg))
        if len(ch.unacked) >= MAX_UNACKED:  # a peer that never acknowledges: forget the oldest
            del ch.unacked[next(iter(ch.unacked))]
        ch.unacked[msg.message_id] = msg

    # ---- internals: input ----

    def _negotiate(self, data: bytes, now: float) -> bytes:
        self._hello += data
        if self.role is Role.CLIENT:
            version, rest = self._hello[0], bytes(self._hello[1:])
            if version != framing.PROTOCOL_VERSION:
                raise FrameError("the peer supports no protocol version we speak")
            self.state = State.OPEN
            self._hello.clear()
            self._open_auth()
            return rest
        offer = framing.parse_hello(bytes(self._hello))
        if offer is None:
            return b""
        versions, used = offer
        rest = bytes(self._hello[used:])
        self._hello.clear()
        if framing.PROTOCOL_VERSION not in versions:
            self._out.append(framing.NO_VERSION)
            raise FrameError("the peer offers no protocol version we speak")
        self._out.append(framing.PROTOCOL_VERSION)
        self.state = State.OPEN
        return rest

    def _open_auth(self) -> None:
        ch = self._open_outbound(m.CHANNEL_AUTH)
        ch.cookie = self._random.randbytes(m.COOKIE_LEN)
        self._control(m.OpenChannel(ch.ident, ch.kind, client_cookie=ch.cookie))

    def _on_packet(self, packet: framing.Packet, now: float) -> None:
        if packet.channel == 0:
            if not packet.data:
                raise FrameError("the peer closed the control channel")
            self._on_control(m.decode_control(packet.data), now)
            return
        ch = self._channels.get(packet.channel)
        if ch is None:
            if packet.data:  # answer with a close; a close of an unknown channel needs none
                self._send(packet.channel, b"")
            return
        if not packet.data:
            self._on_channel_closed(ch)
            return
        if not ch.opened:
            raise FrameError("data on a channel that is not open yet")
        try:
            self._on_channel_data(ch, packet.data, now)
        except OnionAuthError:
            raise
        except OnionProtocolError as e:
            if ch.kind == m.CHANNEL_AUTH:
                raise OnionAuthError("malformed authentication") from e
            if self._channels.get(ch.ident) is ch:
                self._close_channel(ch)
            self._emit(ProtocolViolation(e))

    def _on_channel_closed(self, ch: Channel) -> None:
        was_request = ch.ident == self._request_channel
        self._close_channel(ch)
        if was_request:
            self._request_channel = None
            if self.purpose is Purpose.CONTACT_REQUEST:
                self.purpose = Purpose.UNKNOWN  # withdrawn or unanswered: the time-out applies again

    def _on_control(self, msg: m.ControlMessage, now: float) -> None:
        match msg:
            case m.OpenChannel():
                self._control(self._on_open_channel(msg, now))
            case m.ChannelResult():
                self._on_channel_result(msg, now)
            case m.KeepAlive(response_requested=True):
                self._control(m.KeepAlive(response_requested=False))
            case m.KeepAlive():
                self.keepalive_replies += 1
            case m.EnableFeatures():
                self._control(m.FeaturesEnabled())
            case m.FeaturesEnabled():
                raise MessageError("FeaturesEnabled that we never asked for")

    def _on_channel_result(self, res: m.ChannelResult, now: float) -> None:
        ch = self._channels.get(res.channel_identifier)
        if ch is None or ch.direction is not Direction.OUTBOUND or ch.opened:
            raise MessageError("ChannelResult for no channel we are opening")
        if ch.kind == m.CHANNEL_CONTACT_REQUEST:
            self._on_request_status(ch, res.response or m.Status.Error, now, opened=res.opened)
            return
        if not res.opened:
            self._channels.pop(ch.ident)
            if ch.kind == m.CHANNEL_AUTH:
                raise OnionAuthError("the peer refused to authenticate us")
            for msg in ch.queued:
                self._emit(MessageUndelivered(msg.message_id))
            if ch.kind == m.CHANNEL_FILE_TRANSFER:
                self._file_channel_gone(ch)
            self._emit(ChannelRefused(ch.kind, res.common_error))
            return
        ch.opened = True
        if ch.kind == m.CHANNEL_AUTH:
            if res.server_cookie is None:
                raise OnionAuthError("the server sent no cookie")
            assert self.peer is not None
            me = self.identity.address
            proof = auth_proof_message(ch.cookie, res.server_cookie, me, self.peer)
            self._send(ch.ident, m.encode_auth(m.Proof(self.identity.sign(proof), me.service_id)))
        if ch.kind == m.CHANNEL_FILE_TRANSFER:
            self._file_channel_opened(ch)
        for msg in ch.queued:
            self._transmit(ch, msg)
        ch.queued.clear()

    def _on_request_status(self, ch: Channel, status: m.Status, now: float, *, opened: bool) -> None:
        if status is m.Status.Pending and opened:
            ch.opened = True
            self._emit(ContactRequestAnswered(status))
            return
        if status is m.Status.Undefined:
            status = m.Status.Error
        self._emit(ContactRequestAnswered(status))
        if self._channels.get(ch.ident) is ch:
            self._close_channel(ch)
        self._request_channel = None
        if status is m.Status.Accepted:
            self._become_contact(now)
        else:
            self._close(None)

    def _on_channel_data(self, ch: Channel, data: bytes, now: float) -> None:
        if ch.kind == m.CHANNEL_AUTH:
            self._on_auth_data(ch, m.decode_auth(data), now)
        elif ch.kind == m.CHANNEL_CONTACT_REQUEST:
            if ch.direction is not Direction.OUTBOUND:
                raise MessageError("data from the requester on its request channel")
            self._on_request_status(ch, m.decode_response(data), now, opened=False)
        elif ch.kind == m.CHANNEL_CHAT:
            self._on_chat_data(ch, m.decode_chat(data))
        elif ch.kind == m.CHANNEL_FILE_TRANSFER:
            self._on_file_data(ch, data, now)

    def _on_auth_data(self, ch: Channel, msg: m.Proof | m.AuthResult, now: float) -> None:
        if self.role is Role.SERVER and isinstance(msg, m.Proof):
            try:
                client = OnionAddress(msg.service_id)
            except InvalidIdentifier:
                raise OnionAuthError("the proof names no valid onion address") from None
            proof = auth_proof_message(ch.cookie[:16], ch.cookie[16:], client, self.identity.address)
            try:
                verify_proof(msg.signature, proof, client)
            except OnionAuthError:
                self._send(ch.ident, m.encode_auth(m.AuthResult(False)))
                raise
            self.peer, self.authenticated = client, True
            known = self._is_contact(client)
            self._send(ch.ident, m.encode_auth(m.AuthResult(True, known)))
            self._close_channel(ch)
            self._emit(Authenticated(client, known))
            if known:
                self._become_contact(now)
        elif self.role is Role.CLIENT and isinstance(msg, m.AuthResult):
            if not msg.accepted:
                raise OnionAuthError("the peer did not accept our proof")
            assert self.peer is not None
            self.authenticated, self.known_to_peer = True, msg.is_known_contact
            self._close_channel(ch)
            self._emit(Authenticated(self.peer, msg.is_known_contact))
            # Ricochet's implicit accept: a contact (or one we asked) that knows us.
            if msg.is_known_contact and self._is_contact(self.peer):
                self._become_contact(now)
        else:
            raise OnionAuthError("an authentication message out of turn")

    def _on_chat_data(self, ch: Channel, msg: m.ChatMessage | m.ChatAcknowledge) -> None:
        if ch.direction is Direction.OUTBOUND:
            if not isinstance(msg, m.ChatAcknowledge):
                raise MessageError("a chat message on our own outbound channel")
            ch.unacked.pop(msg.message_id, None)
            self._emit(MessageAcknowledged(msg.message_id, msg.accepted))
            return
        if not isinstance(msg, m.ChatMessage):
            raise MessageError("an acknowledgement on the peer's chat channel")
        units = m.utf16_units(msg.message_text)
        ok = 0 < units <= m.MESSAGE_MAX_UNITS
        self._send(ch.ident, m.encode_chat(m.ChatAcknowledge(msg.message_id, ok)))
        if not ok:
            return
        done = ch.rejoiner.add(msg.message_id, msg.message_text, units, msg.more)
        if done is not None:
            self._emit(MessageReceived(done[0], done[1], min(msg.time_delta, 0)))
