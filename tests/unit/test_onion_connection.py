"""The Ricochet v3 core: two OnionConnections paired through a fake link."""

from __future__ import annotations

import pytest

from tests.unit.onion_pair import ALICE, BOB, MALLORY, make_pair
from timb.common.random import DeterministicRandom
from timb.net.onion import framing
from timb.net.onion import messages as m
from timb.net.onion.connection import OnionConnection, Purpose, Role, State
from timb.net.onion.errors import FrameError, LinkDead, OnionAuthError, OnionUsageError, PurposeTimeout
from timb.net.onion.events import (
    Authenticated,
    BecameContact,
    ConnectionClosed,
    ContactRequestAnswered,
    ContactRequestReceived,
    MessageAcknowledged,
    MessageReceived,
    ProtocolViolation,
)
from timb.net.onion.identity import OnionIdentity
from timb.net.onion.state import Channel, Direction


def test_authentication_proves_the_client_and_tells_whether_it_is_known() -> None:
    pair = make_pair(server_knows=lambda a: a == ALICE.address, client_knows=lambda a: True)
    pair.pump()
    c, s = pair.take()
    assert s == [Authenticated(ALICE.address, True), BecameContact()]
    assert c == [Authenticated(BOB.address, True), BecameContact()]
    assert pair.client.purpose is Purpose.KNOWN_CONTACT and pair.server.purpose is Purpose.KNOWN_CONTACT
    assert pair.server.peer == ALICE.address


def test_unknown_client_is_authenticated_but_not_a_contact() -> None:
    pair = make_pair()
    pair.pump()
    c, s = pair.take()
    assert s == [Authenticated(ALICE.address, False)]
    assert c == [Authenticated(BOB.address, False)]
    assert pair.server.purpose is Purpose.UNKNOWN


def contact_pair():  # type: ignore[no-untyped-def]
    pair = make_pair(server_knows=lambda a: True, client_knows=lambda a: True)
    pair.pump()
    pair.take()
    return pair


@pytest.mark.parametrize("who_speaks_first", ["client", "server"])
def test_chat_both_ways_with_acks(who_speaks_first: str) -> None:
    pair = contact_pair()
    first, second = (pair.client, pair.server) if who_speaks_first == "client" else (pair.server, pair.client)
    ids1 = first.send_message("héllo 🎉")
    ids2 = second.send_message("hi")
    pair.pump()
    c, s = pair.take()
    got_by_second = s if who_speaks_first == "client" else c
    got_by_first = c if who_speaks_first == "client" else s
    assert MessageReceived(ids1, "héllo 🎉") in got_by_second
    assert MessageAcknowledged(ids2[0], True) in got_by_second
    assert MessageReceived(ids2, "hi") in got_by_first
    assert MessageAcknowledged(ids1[0], True) in got_by_first


def test_long_text_is_split_in_order_and_rejoined() -> None:
    pair = contact_pair()
    text = "".join(f"{i:05d}🎉" for i in range(2000))  # 14,000 units
    ids = pair.client.send_message(text)
    assert len(ids) == 8 and list(ids) == sorted(ids)  # 7-unit groups: parts of 1995-2000 units
    pair.pump()
    c, s = pair.take()
    assert [e for e in s if isinstance(e, MessageReceived)] == [MessageReceived(ids, text)]
    assert [e for e in c if isinstance(e, MessageAcknowledged)] == [MessageAcknowledged(i, True) for i in ids]


def test_contact_request_pending_then_accepted() -> None:
    pair = make_pair()
    pair.pump()
    pair.take()
    pair.client.send_contact_request("alice", "Hello!")
    pair.pump()
    c, s = pair.take()
    assert s == [ContactRequestReceived(ALICE.address, "alice", "Hello!")]
    assert c == [ContactRequestAnswered(m.Status.Pending)]
    pair.server.accept_request(pair.now)
    pair.pump()
    c, s = pair.take()
    assert c == [ContactRequestAnswered(m.Status.Accepted), BecameContact()]
    assert s == [BecameContact()]
    pair.server.send_message("welcome")
    pair.pump()
    c, _ = pair.take()
    assert isinstance(c[0], MessageReceived) and c[0].text == "welcome"


def test_contact_request_rejected_is_delivered_and_closes() -> None:
    pair = make_pair()
    pair.pump()
    pair.take()
    pair.client.send_contact_request("", "let me in")
    pair.pump()
    pair.take()
    pair.server.reject_request()
    pair.pump()
    c, s = pair.take()
    assert c == [ContactRequestAnswered(m.Status.Rejected), ConnectionClosed(None)]
    assert s == [ConnectionClosed(None)]


def test_blocked_requester_is_answered_rejected_at_once() -> None:
    pair = make_pair(screen=lambda a: m.Status.Rejected)
    pair.pump()
    pair.take()
    pair.client.send_contact_request("", "")
    pair.pump()
    c, s = pair.take()
    assert c == [ContactRequestAnswered(m.Status.Rejected), ConnectionClosed(None)]
    assert s == []


@pytest.mark.parametrize(
    "nickname,message",
    [("x" * 31, ""), ("a<b", ""), ("a\u200bb", ""), ("", "m" * 2001)],
)
def test_requests_out_of_limits_are_refused_locally(nickname: str, message: str) -> None:
    pair = make_pair()
    pair.pump()
    with pytest.raises(OnionUsageError):
        pair.client.send_contact_request(nickname, message)


def test_request_limits_on_arrival_answer_error() -> None:
    """A hostile requester bypassing our own checks gets Response{Error}, as libtego answers."""
    pair = make_pair()
    pair.pump()
    pair.take()
    pair.client._control(
        m.OpenChannel(3, m.CHANNEL_CONTACT_REQUEST, contact_request=m.ContactRequest("x" * 31, "hi"))
    )
    pair.client.purpose = Purpose.CONTACT_REQUEST
    pair.client._channels[3] = Channel(3, m.CHANNEL_CONTACT_REQUEST, Direction.OUTBOUND)
    pair.pump()
    c, s = pair.take()
    assert s == []
    assert c[0] == ContactRequestAnswered(m.Status.Error)


def test_a_forged_proof_is_refused() -> None:
    """Mallory claims Alice's address but signs with her own key."""
    mallory = OnionIdentity(MALLORY.seed)  # her own copy, as the shared one must stay honest
    mallory.address = ALICE.address
    c = OnionConnection(Role.CLIENT, mallory, now=0, random=DeterministicRandom(b"m"), peer=BOB.address)
    s = OnionConnection(Role.SERVER, BOB, now=0, random=DeterministicRandom(b"s"))
    for _ in range(5):
        s.receive_data(c.data_to_send(), 0)
        c.receive_data(s.data_to_send(), 0)
    events = s.take_events()
    assert len(events) == 1 and isinstance(events[0], ConnectionClosed)
    assert isinstance(events[0].error, OnionAuthError)
    assert not s.authenticated
    client_events = c.take_events()
    last = client_events[-1]
    assert isinstance(last, ConnectionClosed) and isinstance(last.error, OnionAuthError)


def test_chat_before_contact_is_unauthorized() -> None:
    pair = make_pair()
    pair.pump()
    pair.take()
    with pytest.raises(OnionUsageError):
        pair.client.send_message("hi")
    pair.client._control(m.OpenChannel(3, m.CHANNEL_CHAT))
    pair.client._channels[3] = Channel(3, m.CHANNEL_CHAT, Direction.OUTBOUND)
    pair.pump()
    c, _s = pair.take()
    assert c[0].channel_type == m.CHANNEL_CHAT  # type: ignore[union-attr]
    assert c[0].error is m.CommonError.UnauthorizedError  # type: ignore[union-attr]


def test_purpose_timeout_after_15_seconds() -> None:
    pair = make_pair()
    pair.pump()
    pair.take()
    pair.server.tick(pair.now + 14.9)
    assert pair.server.state is State.OPEN
    pair.server.tick(pair.now + 15)
    _, s = pair.take()
    assert pair.server_events == [] and s == []
    events = pair.server.take_events()
    assert isinstance(events[0], ConnectionClosed) and isinstance(events[0].error, PurposeTimeout)


def test_keepalive_is_answered_and_a_silent_peer_is_dead() -> None:
    pair = contact_pair()
    pair.client.tick(pair.now + 60)
    pair.now += 60
    pair.pump()  # the server answers: the link is alive
    assert pair.client.state is State.OPEN and pair.client.keepalive_replies == 1
    pair.client.tick(pair.now + 60)  # asks again, no pump: no answer
    pair.client.tick(pair.now + 89)
    assert pair.client.state is State.OPEN
    pair.client.tick(pair.now + 90)
    events = pair.client.take_events()
    assert isinstance(events[-1], ConnectionClosed) and isinstance(events[-1].error, LinkDead)


def test_server_refuses_other_versions() -> None:
    s = OnionConnection(Role.SERVER, BOB, now=0, random=DeterministicRandom(b"s"))
    s.receive_data(b"IM\x02\x01\x02", 0)
    assert s.data_to_send() == b"\xff"
    events = s.take_events()
    assert isinstance(events[0], ConnectionClosed) and isinstance(events[0].error, FrameError)


def test_garbage_on_a_chat_channel_closes_that_channel_only() -> None:
    pair = contact_pair()
    pair.client.send_message("first")
    pair.pump()
    pair.take()
    chat_id = next(c for c in pair.client._channels.values() if c.kind == m.CHANNEL_CHAT).ident
    pair.server.receive_data(framing.encode_packet(chat_id, b"\xff\xff\xff"), pair.now)
    events = pair.server.take_events()
    assert len(events) == 1 and isinstance(events[0], ProtocolViolation)
    assert pair.server.state is State.OPEN
    pair.pump()
    pair.client.send_message("again")  # a new channel opens
    pair.pump()
    _, s = pair.take()
    assert any(isinstance(e, MessageReceived) and e.text == "again" for e in s)


def test_unsolicited_features_enabled_kills_the_connection() -> None:
    pair = contact_pair()
    pair.client._control(m.FeaturesEnabled())
    pair.pump()
    _, s = pair.take()
    assert isinstance(s[-1], ConnectionClosed) and s[-1].error is not None


def test_enable_features_is_answered_empty() -> None:
    pair = contact_pair()
    pair.client._control(m.EnableFeatures(("x",)))
    out = pair.client.data_to_send()
    pair.server.receive_data(out, pair.now)
    reply = framing.PacketReader().feed(pair.server.data_to_send())
    assert [m.decode_control(p.data) for p in reply] == [m.FeaturesEnabled()]


def test_peer_must_use_its_own_channel_parity() -> None:
    pair = contact_pair()
    pair.client._control(m.OpenChannel(2, m.CHANNEL_CHAT))  # even: the server's parity
    pair.server.receive_data(pair.client.data_to_send(), pair.now)
    reply = framing.PacketReader().feed(pair.server.data_to_send())
    assert m.decode_control(reply[0].data) == m.ChannelResult(2, False, m.CommonError.BadUsageError)


def test_empty_text_is_refused() -> None:
    pair = contact_pair()
    with pytest.raises(OnionUsageError):
        pair.client.send_message("")


def test_unsent_messages_move_to_a_replacement_connection_with_their_ids() -> None:
    old, new = contact_pair(), contact_pair()
    ids = old.client.send_message("queued " * 400)  # the chat channel is not open yet
    moved = old.client.take_unsent()
    assert [msg.message_id for msg in moved] == list(ids)
    old.client.close()
    assert not any(e.__class__.__name__ == "MessageUndelivered" for e in old.client.take_events())
    new.client.resend(moved)
    new.pump()
    _, s = new.take()
    assert [e for e in s if isinstance(e, MessageReceived)] == [MessageReceived(ids, "queued " * 400)]


def test_sent_but_unacknowledged_messages_are_taken_too() -> None:
    pair = contact_pair()
    pair.client.send_message("one")
    pair.pump()  # delivered and acknowledged: nothing to re-send
    ids = pair.client.send_message("two")
    lost = pair.client.data_to_send()  # written to a connection that then died
    assert lost
    assert [msg.message_id for msg in pair.client.take_unsent()] == list(ids)
    assert pair.client.take_unsent() == []
