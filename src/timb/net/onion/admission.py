"""Which channels a peer may open on a connection (the `OpenChannel` answers of libtego's
Channel::allowInboundChannelRequest implementations), as a layer of `OnionConnection`."""

from __future__ import annotations

from timb.net.onion import messages as m
from timb.net.onion.events import ContactRequestReceived
from timb.net.onion.state import MAX_CHANNELS, Channel, ConnectionState, Direction, Purpose, Role, refuse


class ChannelAdmission(ConnectionState):
    """Answers the peer's OpenChannel: parity, limits, authentication first, then by type."""

    def _peer_parity_ok(self, ident: int) -> bool:
        peer_opens_odd = self.role is Role.SERVER
        return (ident % 2 == 1) == peer_opens_odd

    def _on_open_channel(self, req: m.OpenChannel, now: float) -> m.ChannelResult:
        problem = self._open_problem(req)
        if problem is not None:
            return refuse(req, problem)
        if req.channel_type == m.CHANNEL_AUTH:
            return self._open_auth_inbound(req)
        if not self.authenticated:
            return refuse(req, m.CommonError.UnauthorizedError)
        if req.channel_type == m.CHANNEL_CONTACT_REQUEST:
            return self._open_request_inbound(req, now)
        if req.channel_type == m.CHANNEL_CHAT:
            return self._open_chat_inbound(req)
        # any other type (file transfer is taken by the file layer, `files.FileTransfers`)
        return refuse(req, m.CommonError.UnknownTypeError)

    def _open_problem(self, req: m.OpenChannel) -> m.CommonError | None:
        ident = req.channel_identifier
        if not self._peer_parity_ok(ident) or ident in self._channels:
            return m.CommonError.BadUsageError
        if len(self._channels) >= MAX_CHANNELS:
            return m.CommonError.FailedError
        return None

    def _open_chat_inbound(self, req: m.OpenChannel) -> m.ChannelResult:
        if self.purpose is not Purpose.KNOWN_CONTACT:
            return refuse(req, m.CommonError.UnauthorizedError)
        chats = (c for c in self._channels.values() if c.kind == m.CHANNEL_CHAT)
        if any(c.direction is Direction.INBOUND for c in chats):
            return refuse(req, m.CommonError.BadUsageError)
        ident = req.channel_identifier
        self._channels[ident] = Channel(ident, req.channel_type, Direction.INBOUND, opened=True)
        return m.ChannelResult(ident, True)

    def _open_auth_inbound(self, req: m.OpenChannel) -> m.ChannelResult:
        if (
            self.role is not Role.SERVER
            or self.authenticated
            or any(c.kind == m.CHANNEL_AUTH for c in self._channels.values())
        ):
            return refuse(req, m.CommonError.BadUsageError)
        if req.client_cookie is None:
            return refuse(req, m.CommonError.BadUsageError)
        server_cookie = self._random.randbytes(m.COOKIE_LEN)
        ch = Channel(req.channel_identifier, req.channel_type, Direction.INBOUND, opened=True)
        ch.cookie = req.client_cookie + server_cookie
        self._channels[ch.ident] = ch
        return m.ChannelResult(ch.ident, True, server_cookie=server_cookie)

    def _open_request_inbound(self, req: m.OpenChannel, now: float) -> m.ChannelResult:
        ident = req.channel_identifier
        if self.role is not Role.SERVER or self.purpose is not Purpose.UNKNOWN or req.contact_request is None:
            return refuse(req, m.CommonError.BadUsageError)
        assert self.peer is not None
        request = req.contact_request
        valid = m.nickname_problem(request.nickname) is None and (
            m.utf16_units(request.message_text) <= m.MESSAGE_MAX_UNITS
        )
        status = self._screen_request(self.peer) if valid else m.Status.Error
        if status is m.Status.Pending:
            self._channels[ident] = Channel(ident, req.channel_type, Direction.INBOUND, opened=True)
            self._request_channel = ident
            self.purpose = Purpose.CONTACT_REQUEST
            self._emit(ContactRequestReceived(self.peer, request.nickname, request.message_text))
        elif status is m.Status.Accepted:
            self._become_contact(now)
        return m.ChannelResult(ident, status is m.Status.Pending, response=status)
