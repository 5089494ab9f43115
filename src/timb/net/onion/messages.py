"""Ricochet protocol v3 messages (ControlChannel, AuthHiddenService, ContactRequestChannel and
ChatChannel ``.proto`` of libtego 3.0.41) as frozen dataclasses, with their encoders and strict
decoders.

Field numbers are the ``.proto`` ones. ``decode_*`` raise `MessageError` for anything a peer can
get wrong: a malformed message, a missing required field, a packet with no or several members
set, a value out of range (cookies are 16 bytes, texts within their UTF-16 limits).
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass, field
from typing import TypeVar

from timb.net.onion import wire
from timb.net.onion.errors import MessageError

# ContactRequestChannel.proto "enum Limits"; ChatChannel.cpp's MessageMaxCharacters.
MESSAGE_MAX_UNITS = 2000
NICKNAME_MAX_UNITS = 30
COOKIE_LEN = 16
SIGNATURE_LEN = 64

CHANNEL_AUTH = "im.ricochet.auth.hidden-service"
CHANNEL_CONTACT_REQUEST = "im.ricochet.contact.request"
CHANNEL_CHAT = "im.ricochet.chat"
CHANNEL_FILE_TRANSFER = "im.ricochet.file-transfer"

# OpenChannel / ChannelResult extensions (AuthHiddenService.proto, ContactRequestChannel.proto).
_EXT_COOKIE = 7200
_EXT_CONTACT_REQUEST = 200
_EXT_RESPONSE = 201
# TIMB's own ChatMessage field: "more parts of this text follow". Unknown fields are skipped by
# libtego's protobuf parser, so Ricochet shows each part as a message; TIMB rejoins them.
_CHAT_TIMB_MORE = 7301

_T = TypeVar("_T")


class CommonError(enum.IntEnum):
    GenericError = 0
    UnknownTypeError = 1
    UnauthorizedError = 2
    BadUsageError = 3
    FailedError = 4


class Status(enum.IntEnum):
    """ContactRequest ``Response.Status``; Undefined is not valid on the wire."""

    Undefined = 0
    Pending = 1
    Accepted = 2
    Rejected = 3
    Error = 4


def utf16_units(text: str) -> int:
    """Length as Qt counts it (QString::size): UTF-16 code units."""
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def nickname_problem(nickname: str) -> str | None:
    """Why libtego would refuse ``nickname`` (ContactRequestChannel.cpp), or None."""
    if utf16_units(nickname) > NICKNAME_MAX_UNITS:
        return "nickname longer than 30 UTF-16 units"
    for c in nickname:
        if c in '"<>&' or unicodedata.category(c) in {"Cc", "Cf", "Cs", "Cn", "Co"}:
            return "nickname holds a forbidden character"
    return None


# --- control channel ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactRequest:
    nickname: str = field(default="", repr=False)
    message_text: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class OpenChannel:
    channel_identifier: int
    channel_type: str
    client_cookie: bytes | None = field(default=None, repr=False)
    contact_request: ContactRequest | None = None


@dataclass(frozen=True, slots=True)
class ChannelResult:
    channel_identifier: int
    opened: bool
    common_error: CommonError | None = None
    server_cookie: bytes | None = field(default=None, repr=False)
    response: Status | None = None


@dataclass(frozen=True, slots=True)
class KeepAlive:
    response_requested: bool


@dataclass(frozen=True, slots=True)
class EnableFeatures:
    features: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FeaturesEnabled:
    features: tuple[str, ...] = ()


ControlMessage = OpenChannel | ChannelResult | KeepAlive | EnableFeatures | FeaturesEnabled


def _contact_request_bytes(req: ContactRequest) -> bytes:
    out = b""
    if req.nickname:
        out += wire.string_field(1, req.nickname)
    if req.message_text:  # libtego omits an empty message
        out += wire.string_field(2, req.message_text)
    return out


def encode_control(msg: ControlMessage) -> bytes:
    match msg:
        case OpenChannel():
            body = wire.varint_field(1, msg.channel_identifier) + wire.string_field(2, msg.channel_type)
            if msg.contact_request is not None:
                body += wire.bytes_field(_EXT_CONTACT_REQUEST, _contact_request_bytes(msg.contact_request))
            if msg.client_cookie is not None:
                body += wire.bytes_field(_EXT_COOKIE, msg.client_cookie)
            return wire.bytes_field(1, body)
        case ChannelResult():
            body = wire.varint_field(1, msg.channel_identifier) + wire.varint_field(2, int(msg.opened))
            if msg.common_error is not None:
                body += wire.varint_field(3, msg.common_error)
            if msg.response is not None:
                body += wire.bytes_field(_EXT_RESPONSE, wire.varint_field(1, msg.response))
            if msg.server_cookie is not None:
                body += wire.bytes_field(_EXT_COOKIE, msg.server_cookie)
            return wire.bytes_field(2, body)
        case KeepAlive():
            return wire.bytes_field(3, wire.varint_field(1, int(msg.response_requested)))
        case EnableFeatures():
            return wire.bytes_field(4, b"".join(wire.string_field(1, f) for f in msg.features))
        case FeaturesEnabled():
            return wire.bytes_field(5, b"".join(wire.string_field(1, f) for f in msg.features))


def _one_member(packet: wire.Message, numbers: range) -> tuple[int, bytes]:
    present = [n for n in numbers if packet.has(n)]
    if len(present) != 1:
        raise MessageError("a packet must set exactly one member")
    raw = packet.raw(present[0])
    assert raw is not None
    return present[0], raw


def _required(value: _T | None, what: str) -> _T:
    if value is None:
        raise MessageError(f"missing required field {what}")
    return value


def _cookie(value: bytes | None) -> bytes | None:
    if value is not None and len(value) != COOKIE_LEN:
        raise MessageError("a cookie is 16 bytes")
    return value


def _channel_id(value: int | None) -> int:
    ident = _required(value, "channel_identifier")
    if not 0 < ident <= 0xFFFF:
        raise MessageError("channel identifier out of range")
    return ident


def _decode_contact_request(raw: bytes) -> ContactRequest:
    m = wire.Message(raw)
    return ContactRequest(m.text(1) or "", m.text(2) or "")


def _decode_status(raw: bytes) -> Status:
    value = _required(wire.Message(raw).uint(1, 32), "status")
    try:
        return Status(value)
    except ValueError:
        raise MessageError("unknown contact request status") from None


def decode_control(data: bytes) -> ControlMessage:
    """Raises: MessageError."""
    member, raw = _one_member(wire.Message(data), range(1, 6))
    m = wire.Message(raw)
    if member == 1:
        req = m.raw(_EXT_CONTACT_REQUEST)
        return OpenChannel(
            _channel_id(m.sint(1, 32)),
            _required(m.text(2), "channel_type"),
            client_cookie=_cookie(m.raw(_EXT_COOKIE)),
            contact_request=None if req is None else _decode_contact_request(req),
        )
    if member == 2:
        error = m.uint(3, 32)
        response = m.raw(_EXT_RESPONSE)
        try:
            common = None if error is None else CommonError(error)
        except ValueError:
            common = CommonError.GenericError  # an unknown error is still an error
        return ChannelResult(
            _channel_id(m.sint(1, 32)),
            _required(m.boolean(2), "opened"),
            common,
            server_cookie=_cookie(m.raw(_EXT_COOKIE)),
            response=None if response is None else _decode_status(response),
        )
    if member == 3:
        return KeepAlive(_required(m.boolean(1), "response_requested"))
    if member == 4:
        return EnableFeatures(tuple(m.texts(1)))
    return FeaturesEnabled(tuple(m.texts(1)))


# --- im.ricochet.auth.hidden-service ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Proof:
    signature: bytes = field(repr=False)
    service_id: str


@dataclass(frozen=True, slots=True)
class AuthResult:
    accepted: bool
    is_known_contact: bool = False


def encode_auth(msg: Proof | AuthResult) -> bytes:
    if isinstance(msg, Proof):
        body = wire.bytes_field(1, msg.signature) + wire.string_field(2, msg.service_id)
        return wire.bytes_field(1, body)
    body = wire.varint_field(1, int(msg.accepted)) + wire.varint_field(2, int(msg.is_known_contact))
    return wire.bytes_field(2, body)


def decode_auth(data: bytes) -> Proof | AuthResult:
    """Raises: MessageError."""
    member, raw = _one_member(wire.Message(data), range(1, 3))
    m = wire.Message(raw)
    if member == 1:
        signature = _required(m.raw(1), "signature")
        if len(signature) != SIGNATURE_LEN:
            raise MessageError("an Ed25519 signature is 64 bytes")
        return Proof(signature, _required(m.text(2), "service_id"))
    return AuthResult(_required(m.boolean(1), "accepted"), bool(m.boolean(2)))


# --- im.ricochet.contact.request ----------------------------------------------------------


def encode_response(status: Status) -> bytes:
    return wire.varint_field(1, status)


def decode_response(data: bytes) -> Status:
    """A bare ``Response`` packet (the final answer after Pending). Raises: MessageError."""
    return _decode_status(data)


# --- im.ricochet.chat ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatMessage:
    message_text: str = field(repr=False)
    message_id: int = 0
    time_delta: int = 0  # seconds, <= 0: how long ago the message was written
    more: bool = False  # TIMB: further parts of this text follow on this channel


@dataclass(frozen=True, slots=True)
class ChatAcknowledge:
    message_id: int
    accepted: bool = True


def encode_chat(msg: ChatMessage | ChatAcknowledge) -> bytes:
    if isinstance(msg, ChatMessage):
        body = wire.string_field(1, msg.message_text) + wire.varint_field(2, msg.message_id)
        if msg.time_delta:
            body += wire.varint_field(3, msg.time_delta)
        if msg.more:
            body += wire.varint_field(_CHAT_TIMB_MORE, 1)
        return wire.bytes_field(1, body)
    body = wire.varint_field(1, msg.message_id) + wire.varint_field(2, int(msg.accepted))
    return wire.bytes_field(2, body)


def decode_chat(data: bytes) -> ChatMessage | ChatAcknowledge:
    """Raises: MessageError (an acknowledgement without a message id included, as libtego
    closes the channel for it)."""
    member, raw = _one_member(wire.Message(data), range(1, 3))
    m = wire.Message(raw)
    if member == 1:
        return ChatMessage(
            _required(m.text(1), "message_text"),
            m.uint(2, 32) or 0,
            m.sint(3, 64) or 0,
            bool(m.boolean(_CHAT_TIMB_MORE)),
        )
    accepted = m.boolean(2)
    return ChatAcknowledge(_required(m.uint(1, 32), "message_id"), True if accepted is None else accepted)
