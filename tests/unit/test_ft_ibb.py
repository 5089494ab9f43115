"""XEP-0047 in-band bytestreams: canned elements, sequence wrap, a hostile sender."""

from __future__ import annotations

import os
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timb.net.errors import RemoteError
from timb.net.xmpp.ibb import NS, Close, Data, IbbReceiver, IbbSender, Open, parse


def _xml(text: str) -> ET.Element:
    return ET.fromstring(text)


def test_the_xeps_example_elements_parse() -> None:
    opened = parse(_xml(f"<open xmlns='{NS}' block-size='4096' sid='i781hf64' stanza='iq'/>"))
    assert opened == Open("i781hf64", 4096, "iq")
    data = parse(_xml(f"<data xmlns='{NS}' seq='0' sid='i781hf64'>\n aGVs\n bG8=\n</data>"))
    assert data == Data("i781hf64", 0, b"hello")
    assert parse(_xml(f"<close xmlns='{NS}' sid='i781hf64'/>")) == Close("i781hf64")


def test_elements_round_trip_through_xml() -> None:
    elements: list[Open | Data | Close] = [Open("s1", 4096), Data("s1", 7, b"\x00\xff" * 10), Close("s1")]
    for element in elements:
        wire = ET.tostring(element.to_element())
        assert parse(ET.fromstring(wire)) == element


@given(st.binary(max_size=20_000), st.sampled_from([4, 100, 4096]))
def test_a_sender_and_receiver_carry_any_bytes(payload: bytes, block_size: int) -> None:
    sender = IbbSender("sid-1", block_size)
    receiver = IbbReceiver(sender.open(), max_bytes=len(payload))
    out = b"".join(receiver.receive(parse(d.to_element())) for d in sender.data(payload))
    receiver.receive(sender.close())
    assert out == payload and receiver.closed


def test_the_sequence_wraps_after_65535() -> None:
    sender = IbbSender("s", 4)
    chunks = sender.data(b"abc" * 65538)
    assert [c.seq for c in chunks[65534:65538]] == [65534, 65535, 0, 1]
    receiver = IbbReceiver(sender.open(), max_bytes=3 * 65538)
    for chunk in chunks:
        receiver.receive(chunk)
    assert receiver.received == 3 * 65538


def _condition(receiver: IbbReceiver, element: Open | Data | Close) -> str:
    before = (receiver.received, receiver.closed)
    with pytest.raises(RemoteError) as caught:
        receiver.receive(element)
    assert (receiver.received, receiver.closed) == before  # nothing changed
    return caught.value.condition


def test_a_hostile_sender_is_refused_and_changes_nothing() -> None:
    receiver = IbbReceiver(Open("s", 8), max_bytes=20)
    assert receiver.receive(Data("s", 0, b"12345678")) == b"12345678"
    assert _condition(receiver, Data("s", 0, b"replayed")) == "unexpected-request"
    assert _condition(receiver, Data("s", 2, b"skipped")) == "unexpected-request"
    assert _condition(receiver, Data("other", 1, b"x")) == "item-not-found"
    assert _condition(receiver, Data("s", 1, b"123456789")) == "bad-request"
    assert _condition(receiver, Open("s", 8)) == "unexpected-request"
    assert receiver.receive(Data("s", 1, b"12345678")) == b"12345678"
    assert _condition(receiver, Data("s", 2, b"12345")) == "not-acceptable"  # over the size
    receiver.receive(Close("s"))
    assert _condition(receiver, Data("s", 2, b"1")) == "unexpected-request"


@pytest.mark.parametrize(
    ("xml", "condition"),
    [
        (f"<open xmlns='{NS}' block-size='70000' sid='s'/>", "bad-request"),
        (f"<open xmlns='{NS}' block-size='0' sid='s'/>", "bad-request"),
        (f"<open xmlns='{NS}' block-size='-1' sid='s'/>", "bad-request"),
        (f"<open xmlns='{NS}' block-size='4096' sid='a b'/>", "bad-request"),
        (f"<open xmlns='{NS}' block-size='4096' sid='s' stanza='presence'/>", "bad-request"),
        (f"<open xmlns='{NS}' block-size='٤٠٩٦' sid='s'/>", "bad-request"),
        (f"<data xmlns='{NS}' seq='65536' sid='s'>AA==</data>", "bad-request"),
        (f"<data xmlns='{NS}' sid='s'>AA==</data>", "bad-request"),
        (f"<data xmlns='{NS}' seq='0' sid='s'>not*base64</data>", "bad-request"),
        (f"<data xmlns='{NS}' seq='0' sid=''>AA==</data>", "bad-request"),
        (f"<data xmlns='{NS}' seq='0' sid='s'>{'A' * 90000}</data>", "bad-request"),
        (f"<frobnicate xmlns='{NS}' sid='s'/>", "feature-not-implemented"),
        ("<open xmlns='urn:other' block-size='4096' sid='s'/>", "feature-not-implemented"),
    ],
)
def test_malformed_elements_are_typed_errors(xml: str, condition: str) -> None:
    with pytest.raises(RemoteError) as caught:
        parse(_xml(xml))
    assert caught.value.condition == condition


def test_an_open_over_our_limit_is_a_resource_constraint() -> None:
    with pytest.raises(RemoteError) as caught:
        parse(Open("s", 65535).to_element(), max_block_size=8192)
    assert caught.value.condition == "resource-constraint"


def test_the_data_repr_shows_no_bytes() -> None:
    secret = os.urandom(16)
    assert secret.hex() not in repr(Data("s", 0, secret)) and str(secret) not in repr(Data("s", 0, secret))
