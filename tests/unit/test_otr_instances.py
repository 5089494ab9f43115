"""`timb.otr.instances`: the routing envelope read by the OTR layer's own parsers, and bounded
per-sender tables against a server that invents sender instance tags."""

from __future__ import annotations

import base64

from tests.unit.otr_link import ALICE_KEY, BOB_KEY, Link, make_conv
from timb.otr import wire
from timb.otr.instances import MAX_INSTANCES, MAX_ROUTES, Instance, Instances, Kind, Lost, peek


def _encoded(mtype: int, sender: int, receiver: int) -> str:
    raw = bytes([0, 3, mtype]) + sender.to_bytes(4, "big") + receiver.to_bytes(4, "big") + bytes(9)
    return "?OTR:" + base64.b64encode(raw).decode() + "."


def test_peek_classifies_with_the_otr_parsers() -> None:
    assert peek("?OTRv3?").kind is Kind.QUERY
    assert peek("?OTR Error: nope").kind is Kind.ERROR
    assert peek("hello").kind is Kind.PLAIN
    assert peek("hi \t  \t\t\t\t \t \t \t    \t\t  \t\t").kind is Kind.TAGGED
    envelope = peek(_encoded(wire.DATA, 0x111, 0x222))
    assert (envelope.kind, envelope.type, envelope.sender, envelope.receiver) == (
        Kind.ENCODED,
        3,
        0x111,
        0x222,
    )
    frag = peek("?OTR|00000111|00000222,00001,00002," + _encoded(3, 0x111, 0x222)[:25] + ",")
    assert (frag.kind, frag.type, frag.sender, frag.receiver, frag.first_fragment) == (
        Kind.FRAGMENT,
        3,
        0x111,
        0x222,
        True,
    )
    assert peek("?OTR|zz|00000222,1,2,x,").type is None  # malformed: no crash
    assert peek("?OTR,\u00b2,1,piece,").kind is Kind.FRAGMENT
    assert peek("?OTR:%%%.").type is None
    assert peek("?OTR:AAM.").type is None


def _instances() -> Instances[Instance]:
    return Instances(lambda: Instance(make_conv("alice", ALICE_KEY, instance_tag=0x1111)), 0x1111)


def test_a_flood_of_invented_sender_tags_keeps_the_tables_bounded() -> None:
    inst = _instances()
    for tag in range(0x100, 0x100 + 10 * MAX_ROUTES):
        inst.receive(_encoded(wire.DH_COMMIT, tag, 0))
        inst.receive(f"?OTR|{tag:08x}|00001111,00001,00003,?OTR:AAMD,")
    assert len(inst._ake_route) <= MAX_ROUTES
    assert len(inst._fragments) <= MAX_ROUTES
    assert inst.children == {}


def test_data_for_another_instance_of_us_is_a_lost_session() -> None:
    inst = _instances()
    assert inst.receive(_encoded(wire.DATA, 0x2222, 0x9999)) is Lost.LOST_SESSION
    assert inst.receive(_encoded(wire.DH_KEY, 0x2222, 0x9999)) is None


def test_children_are_bounded_and_the_newest_is_current() -> None:
    inst = _instances()
    for n in range(MAX_INSTANCES + 3):
        child = Instance(make_conv(f"alice{n}", ALICE_KEY, instance_tag=0x1111))
        peer = make_conv(f"bob{n}", BOB_KEY, instance_tag=0x5000 + n)
        child.conv.start()
        Link(child.conv, peer).pump()
        assert child.conv.encrypted
        inst.bind(child)
        assert inst.current is child
    assert len(inst.children) == MAX_INSTANCES
    assert min(inst.children) == 0x5000 + 3  # the oldest went first
