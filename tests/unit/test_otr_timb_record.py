"""TIMB records: message ids and acknowledgements in a Padding TLV, which other OTR clients ignore."""

from __future__ import annotations

import pytest

from tests.unit.otr_link import ALICE_KEY, BOB_KEY, Link, drain, make_conv
from timb.otr import Conversation, DataMessageAuthenticated, MessageReceived
from timb.otr.tlv import TIMB_RECORD_MAGIC, TimbRecord, Tlv, TlvType, read_timb_record

ID1, ID2, ID3 = b"\x01" * 8, b"\x02" * 8, b"\x03" * 8


def test_a_record_round_trips_and_junk_is_ignored() -> None:
    record = TimbRecord(ID1, (ID2, ID3))
    assert record.tlv().type == TlvType.PADDING
    assert read_timb_record([Tlv(TlvType.PADDING, b"\x00" * 10), record.tlv()]) == record
    assert read_timb_record([TimbRecord().tlv()]) == TimbRecord()
    for junk in [
        TIMB_RECORD_MAGIC,
        TIMB_RECORD_MAGIC + b"\x02\x00",
        TIMB_RECORD_MAGIC + b"\x01\x00" + b"x" * 7,
        TIMB_RECORD_MAGIC + b"\x00\xff" + b"x" * 8 * 255,
        b"TIMB\x02\x00\x00",
    ]:
        assert read_timb_record([Tlv(TlvType.PADDING, junk)]) is None
    with pytest.raises(ValueError):
        TimbRecord(b"short")


def _pair(timb_a: bool) -> tuple[Conversation, Conversation, Link]:
    a = Conversation(ALICE_KEY, timb_records=timb_a, rng=make_conv("x", ALICE_KEY)._rng)
    b = make_conv("bob", BOB_KEY)
    link = Link(a, b)
    a.start()
    link.pump()
    drain(a)
    drain(b)
    return a, b, link


def test_a_record_travels_authenticated_and_the_text_shows_as_usual() -> None:
    a, b, _link = _pair(timb_a=True)
    a.send("hello there", TimbRecord(ID1, (ID2,)))
    for wire in a.data_to_send():
        b.receive(wire)
    events = drain(b)
    assert events[0] == DataMessageAuthenticated(events[0].recipient_keyid, (), TimbRecord(ID1, (ID2,)))
    assert events[1] == MessageReceived("hello there", encrypted=True)
    heartbeat = b.data_to_send()
    for wire in heartbeat:
        a.receive(wire)
    (authenticated,) = drain(a)
    assert isinstance(authenticated, DataMessageAuthenticated) and authenticated.timb is None  # plain peer


def test_a_timb_conversation_marks_its_heartbeats() -> None:
    b, a, _link = _pair(timb_a=True)  # b is the TIMB one here
    a.send("from the plain side")
    for wire in a.data_to_send():
        b.receive(wire)
    drain(b)
    for wire in b.data_to_send():  # b's heartbeat
        a.receive(wire)
    (authenticated,) = drain(a)
    assert isinstance(authenticated, DataMessageAuthenticated) and authenticated.timb == TimbRecord()
