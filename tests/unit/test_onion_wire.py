"""The Ricochet v3 wire: protobuf codec, messages, framing, identities; canned transcripts from
upstream; hypothesis over hostile bytes."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.onion_pair import ALICE, BOB, make_pair
from timb.common.errors import InvalidIdentifier
from timb.common.random import DeterministicRandom
from timb.common.secret import Secret
from timb.net.onion import events as ev
from timb.net.onion import framing, wire
from timb.net.onion import messages as m
from timb.net.onion import peer_events as pe
from timb.net.onion.chat import split_text
from timb.net.onion.connection import OnionConnection, Role
from timb.net.onion.errors import FrameError, MessageError, OnionUsageError
from timb.net.onion.events import (
    Authenticated,
    BecameContact,
    ConnectionClosed,
    ContactRequestReceived,
    MessageAcknowledged,
    MessageReceived,
)
from timb.net.onion.identity import (
    OnionIdentity,
    auth_proof_message,
    contact_id,
    expand_seed,
    parse_contact_id,
)
from timb.tor.onion import OnionKey

# --- hand-checked encodings (protobuf encoding rules applied by hand to the .proto fields) ---


def test_open_channel_auth_bytes() -> None:
    msg = m.OpenChannel(1, m.CHANNEL_AUTH, client_cookie=bytes(16))
    inner = b"\x08\x01" + b"\x12\x1f" + m.CHANNEL_AUTH.encode() + b"\x82\xc2\x03\x10" + bytes(16)
    assert m.encode_control(msg) == b"\x0a" + bytes([len(inner)]) + inner
    assert m.decode_control(b"\x0a" + bytes([len(inner)]) + inner) == msg


def test_chat_message_and_ack_bytes() -> None:
    # ChatMessage{message_text="hello!", message_id=338555239} as libtego sends it
    inner = b"\x0a\x06hello!\x10" + wire.encode_varint(338555239)
    assert m.decode_chat(b"\x0a" + bytes([len(inner)]) + inner) == m.ChatMessage("hello!", 338555239)
    assert (
        m.encode_chat(m.ChatAcknowledge(338555239))
        == b"\x12\x08\x08" + wire.encode_varint(338555239) + b"\x10\x01"
    )
    assert wire.encode_varint(338555239) == b"\xe7\xe2\xb7\xa1\x01"


def test_negative_int32_and_time_delta() -> None:
    assert wire.encode_varint(-1) == b"\xff" * 9 + b"\x01"
    assert m.decode_chat(m.encode_chat(m.ChatMessage("x", 1, -30))) == m.ChatMessage("x", 1, -30)


def test_unknown_fields_are_skipped_and_timb_parts_are_invisible_to_others() -> None:
    data = m.encode_chat(m.ChatMessage("part", 7, more=True))
    assert m.decode_chat(data).more is True
    plain = wire.Message(wire.Message(data).raw(1) or b"")
    assert plain.text(1) == "part" and plain.uint(2) == 7  # what a Ricochet peer reads


@pytest.mark.parametrize(
    "data",
    [
        b"",  # no member
        m.encode_control(m.KeepAlive(True)) + m.encode_control(m.EnableFeatures()),  # two members
        b"\x0a\x02\x08\x01",  # OpenChannel without channel_type
        b"\x0a\x05\x08\x00\x12\x01x",  # channel id 0
        b"\x0a\x06\x08\x80\x80\x04\x12\x00",  # channel id 65536
        b"\x12\x02\x08\x01",  # ChannelResult without opened
        b"\x0a\x03\x08\x01\x12",  # truncated
        b"\x0a\x0b" + b"\x08" + b"\xff" * 10,  # varint over 10 bytes
        b"\x0d\x00\x00\x00\x00",  # fixed32: never used by Ricochet
        b"\x0a\x04\x12\x02\xff\xfe",  # not UTF-8
        b"\x0a\x14\x08\x01\x12\x01x\x82\xc2\x03\x0c" + bytes(12),  # 12-byte cookie
    ],
)
def test_hostile_control_packets_are_typed_errors(data: bytes) -> None:
    with pytest.raises(MessageError):
        m.decode_control(data)


def test_ack_without_message_id_and_short_signature() -> None:
    with pytest.raises(MessageError):
        m.decode_chat(b"\x12\x02\x10\x01")
    with pytest.raises(MessageError):
        m.decode_auth(m.encode_auth(m.Proof(bytes(63), ALICE.address.service_id)))


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_decoders_raise_only_message_error(data: bytes) -> None:
    for decode in (m.decode_control, m.decode_auth, m.decode_chat, m.decode_response):
        with contextlib.suppress(MessageError):
            decode(data)


messages = st.one_of(
    st.builds(
        m.OpenChannel,
        st.integers(1, 0xFFFF),
        st.text(max_size=40),
        st.none() | st.binary(min_size=16, max_size=16),
        st.none() | st.builds(m.ContactRequest, st.text(max_size=30), st.text(max_size=50)),
    ),
    st.builds(
        m.ChannelResult,
        st.integers(1, 0xFFFF),
        st.booleans(),
        st.none() | st.sampled_from(m.CommonError),
        st.none() | st.binary(min_size=16, max_size=16),
        st.none() | st.sampled_from([s for s in m.Status if s]),
    ),
    st.builds(m.KeepAlive, st.booleans()),
    st.builds(m.EnableFeatures, st.lists(st.text(max_size=10), max_size=3).map(tuple)),
)


@given(messages)
def test_control_messages_round_trip(msg: m.ControlMessage) -> None:
    assert m.decode_control(m.encode_control(msg)) == msg


@given(st.lists(st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=600)), max_size=8), st.data())
def test_packet_reader_is_chunking_invariant(packets: list[tuple[int, bytes]], data: st.DataObject) -> None:
    stream = b"".join(framing.encode_packet(c, d) for c, d in packets)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    reader = framing.PacketReader()
    got = []
    for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        got += reader.feed(stream[a:b])
    assert [(p.channel, p.data) for p in got] == packets and reader.pending == 0


def test_frames_below_the_header_and_bad_introductions() -> None:
    reader = framing.PacketReader()
    good = framing.encode_packet(5, b"ok")
    assert reader.feed(good + b"\x00\x03\x00\x00") == [framing.Packet(5, b"ok")]
    assert isinstance(reader.error, FrameError)
    with pytest.raises(FrameError):
        reader.feed(good)
    with pytest.raises(FrameError):
        framing.parse_hello(b"GET / HTTP/1.1")
    with pytest.raises(FrameError):
        framing.parse_hello(b"IM\x00")
    assert framing.parse_hello(b"IM\x02\x01") is None
    assert framing.parse_hello(b"IM\x02\x01\x03rest") == ((1, 3), 5)


@given(st.binary(max_size=2000), st.sampled_from([Role.SERVER, Role.CLIENT]))
@settings(max_examples=200, deadline=None)
def test_a_core_survives_any_bytes(data: bytes, role: Role) -> None:
    conn = OnionConnection(role, BOB, now=0, random=DeterministicRandom(b"h"), peer=ALICE.address)
    for i in range(0, len(data), 97):
        conn.receive_data(data[i : i + 97], 0)  # raises nothing: remote errors are events
    conn.tick(100)
    assert len(conn.data_to_send()) < 70_000
    assert len(conn.take_events()) <= 3


@given(st.text(min_size=1, max_size=5000).filter(lambda t: "\x00" not in t))
@settings(max_examples=100, deadline=None)
def test_split_text_keeps_order_and_limits(text: str) -> None:
    parts = split_text(text)
    assert "".join(parts) == text and all(0 < m.utf16_units(p) <= 2000 for p in parts)


def test_split_refuses_empty_and_nul() -> None:
    for bad in ("", "a\x00b"):
        with pytest.raises(OnionUsageError):
            split_text(bad)


# --- identities --------------------------------------------------------------------------


def test_identity_key_blob_is_tors_expanded_key() -> None:
    blob = ALICE.key_blob()
    key = OnionKey.parse(blob)  # what ADD_ONION takes
    raw = base64.b64decode(blob.reveal().removeprefix("ED25519-V3:"))
    assert raw == expand_seed(bytes(range(32))) and raw[0] & 7 == 0 and raw[31] & 0xC0 == 0x40
    assert "redacted" in repr(key) and base64.b64encode(raw).decode() not in repr(ALICE)


def test_contact_ids() -> None:
    cid = contact_id(ALICE.address)
    assert cid == "ricochet:" + ALICE.address.service_id
    assert parse_contact_id(cid) == parse_contact_id(ALICE.address.host) == ALICE.address
    assert parse_contact_id("  RICOCHET:" + ALICE.address.service_id.upper()) == ALICE.address
    for bad in ("ricochet:", "ricochet:abc", "ricochet:" + ALICE.address.service_id[:-1] + "a"):
        with pytest.raises(InvalidIdentifier):
            parse_contact_id(bad)
    with pytest.raises(ValueError):
        OnionIdentity(Secret(b"short"))


def test_proof_message_is_hmac_of_cookies_over_both_ids() -> None:
    cc, sc = bytes(16), bytes(range(16))
    expect = hmac.new(cc + sc, (ALICE.address.service_id + BOB.address.service_id).encode(), hashlib.sha256)
    assert auth_proof_message(cc, sc, ALICE.address, BOB.address) == expect.digest()


# --- canned transcript: upstream's legacy-client replay ------------------------------------
# rico-protocol tests/v3/packet_handler_legacy_client.rs: a legacy (libtego) client with a zero
# client cookie authenticates, asks with nickname "alice" and "Hello!", is accepted, opens chat
# channel 5 and sends "hello!" with message id 338555239; the host acks it on channel 5.


def test_upstream_legacy_client_transcript() -> None:
    host = OnionConnection(Role.SERVER, BOB, now=0, random=DeterministicRandom(b"host"))
    out = framing.PacketReader()

    def send(channel: int, data: bytes) -> list[framing.Packet]:
        host.receive_data(framing.encode_packet(channel, data), 0)
        return out.feed(host.data_to_send())

    host.receive_data(b"IM\x01\x03", 0)
    assert host.data_to_send() == b"\x03"
    (res,) = send(0, m.encode_control(m.OpenChannel(1, m.CHANNEL_AUTH, client_cookie=bytes(16))))
    result = m.decode_control(res.data)
    assert isinstance(result, m.ChannelResult) and result.channel_identifier == 1 and result.opened
    assert result.common_error is None and result.server_cookie is not None
    proof = auth_proof_message(bytes(16), result.server_cookie, ALICE.address, BOB.address)
    answer, close = send(1, m.encode_auth(m.Proof(ALICE.sign(proof), ALICE.address.service_id)))
    assert m.decode_auth(answer.data) == m.AuthResult(True, False) and (close.channel, close.data) == (1, b"")
    assert host.take_events() == [Authenticated(ALICE.address, False)]
    assert send(1, b"") == []  # the client closes its side too

    (res,) = send(
        0,
        m.encode_control(
            m.OpenChannel(3, m.CHANNEL_CONTACT_REQUEST, contact_request=m.ContactRequest("alice", "Hello!"))
        ),
    )
    assert m.decode_control(res.data) == m.ChannelResult(3, True, response=m.Status.Pending)
    assert host.take_events() == [ContactRequestReceived(ALICE.address, "alice", "Hello!")]
    host.accept_request(0)
    accepted, close = out.feed(host.data_to_send())
    assert (accepted.channel, m.decode_response(accepted.data)) == (3, m.Status.Accepted)
    assert (close.channel, close.data) == (3, b"")
    assert host.take_events() == [BecameContact()]

    (res,) = send(0, m.encode_control(m.OpenChannel(5, m.CHANNEL_CHAT)))
    assert m.decode_control(res.data) == m.ChannelResult(5, True)
    (ack,) = send(5, m.encode_chat(m.ChatMessage("hello!", 338555239)))
    assert (ack.channel, m.decode_chat(ack.data)) == (5, m.ChatAcknowledge(338555239, True))
    assert host.take_events() == [MessageReceived((338555239,), "hello!")]
    (res,) = send(0, m.encode_control(m.OpenChannel(7, m.CHANNEL_FILE_TRANSFER)))
    assert m.decode_control(res.data) == m.ChannelResult(7, True)
    (res,) = send(0, m.encode_control(m.OpenChannel(9, "im.ricochet.example")))
    assert m.decode_control(res.data) == m.ChannelResult(9, False, m.CommonError.UnknownTypeError)

    # the host answers: its own chat channel has the host's (even) parity
    (mid,) = host.send_message("hi there!")
    (open_chat,) = out.feed(host.data_to_send())
    assert m.decode_control(open_chat.data) == m.OpenChannel(2, m.CHANNEL_CHAT)
    (msg,) = send(0, m.encode_control(m.ChannelResult(2, True)))
    assert (msg.channel, m.decode_chat(msg.data)) == (2, m.ChatMessage("hi there!", mid))
    assert send(2, m.encode_chat(m.ChatAcknowledge(mid, True))) == []
    assert host.take_events() == [MessageAcknowledged(mid, True)]
    assert send(0, b"") == [] and isinstance(host.take_events()[0], ConnectionClosed)


def test_pair_fixture_is_symmetric() -> None:
    pair = make_pair()
    pair.pump()
    assert pair.client.authenticated and pair.server.authenticated


def test_reprs_hide_texts_nicknames_cookies_and_keys() -> None:
    secret = "s3cr3t-text"
    values = [
        m.ChatMessage(secret, 1),
        m.ContactRequest(secret, secret),
        m.OpenChannel(1, m.CHANNEL_AUTH, client_cookie=b"s3cr3t-cookie-16"),
        m.Proof(b"s3cr3t" * 10 + b"abcd", ALICE.address.service_id),
        ev.MessageReceived((1,), secret),
        ev.ContactRequestReceived(ALICE.address, secret, secret),
        pe.MessageIn(ALICE.address, secret, (1,)),
        pe.ContactRequest(ALICE.address, secret, secret),
        framing.Packet(1, secret.encode()),
        ALICE,
    ]
    for value in values:
        assert "s3cr3t" not in repr(value), type(value).__name__
    assert ALICE.key_blob().reveal() not in repr(ALICE) and "redacted" in repr(ALICE.seed)
