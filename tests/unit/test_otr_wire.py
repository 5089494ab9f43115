"""OTR wire formats against the spec's own examples (Protocol-v3)."""

from __future__ import annotations

import pytest

from timb.otr.encoding import encode_mpi
from timb.otr.errors import MalformedMessage
from timb.otr.wire import (
    DataMessage,
    DHCommit,
    DHKey,
    ErrorMessage,
    Header,
    Plaintext,
    QueryMessage,
    RevealSignature,
    Signature,
    armor,
    classify_unencoded,
    data_message_flags,
    dearmor,
    is_encoded_message,
    parse_encoded,
    parse_plaintext,
    query_message,
    whitespace_tag,
)

# Protocol-v3, "Fragmentation": the example Data Message (line breaks as printed in the spec).
SPEC_DATA_MESSAGE = (
    "?OTR:AAMDJ+MVmSfjFZcAAAAAAQAAAAIAAADA1g5IjD1ZGLDVQEyCgCyn9hb\n"
    "rL3KAbGDdzE2ZkMyTKl7XfkSxh8YJnudstiB74i4BzT0W2haClg6dMary/jo\n"
    "9sMudwmUdlnKpIGEKXWdvJKT+hQ26h9nzMgEditLB8vjPEWAJ6gBXvZrY6ZQ\n"
    "rx3gb4v0UaSMOMiR5sB7Eaulb2Yc6RmRnnlxgUUC2alosg4WIeFN951PLjSc\n"
    "ajVba6dqlDi+q1H5tPvI5SWMN7PCBWIJ41+WvF+5IAZzQZYgNaVLbAAAAAAA\n"
    "AAAEAAAAHwNiIi5Ms+4PsY/L2ipkTtquknfx6HodLvk3RAAAAAA==."
)


@pytest.mark.parametrize(
    ("text", "versions"),
    [
        ("?OTR?", {1}),
        ("?OTRv2?", {2}),
        ("?OTRv23?", {2, 3}),
        ("?OTR?v2?", {1, 2}),
        ("?OTRv24x?", {2}),
        ("?OTR?v24x?", {1, 2}),
        ("?OTR?v?", {1}),
        ("?OTRv?", set()),
        ("<b>?OTRv3?</b> Alice has requested ...", {3}),
    ],
)
def test_query_messages_in_every_form(text: str, versions: set[int]) -> None:
    assert classify_unencoded(text) == QueryMessage(frozenset(versions))


def test_our_query_message_parses_back() -> None:
    text = query_message(frozenset({2, 3}), "alice@example.org")
    assert text.startswith("?OTRv23?")
    assert classify_unencoded(text) == QueryMessage(frozenset({2, 3}))


def test_our_query_message_is_libotrs_own_text() -> None:
    # libotr 4.1.1 proto.c, otrl_proto_default_query_msg (what Pidgin, Profanity, Adium send):
    # nothing in it may tell a TIMB user apart from a libotr client's.
    libotr = (
        "?OTRv23?\n<b>alice@example.org</b> has requested an "
        '<a href="https://otr.cypherpunks.ca/">Off-the-Record private conversation</a>.  '
        "However, you do not have a plugin to support that.\n"
        'See <a href="https://otr.cypherpunks.ca/">https://otr.cypherpunks.ca/</a> for more information.'
    )
    assert query_message(frozenset({2, 3}), "alice@example.org") == libotr
    assert query_message(frozenset({3}), "") == "?OTRv3?"  # no name known: the bare tag only


def test_error_message_and_plaintext() -> None:
    assert classify_unencoded("?OTR Error: bad things") == ErrorMessage("bad things")
    assert classify_unencoded("hello") == Plaintext("hello")
    assert classify_unencoded("?OTR:AAMD") is None
    assert classify_unencoded("a ?OTRx b") == Plaintext("a ?OTRx b")


def test_whitespace_tags_are_recognised_anywhere_and_stripped() -> None:
    tag = whitespace_tag(frozenset({2, 3}))
    assert tag == (
        "\x20\x09\x20\x20\x09\x09\x09\x09\x20\x09\x20\x09\x20\x09\x20\x20"
        "\x20\x20\x09\x09\x20\x20\x09\x20\x20\x20\x09\x09\x20\x20\x09\x09"
    )
    parsed = parse_plaintext("before" + tag + "after")
    assert parsed == Plaintext("beforeafter", frozenset({2, 3}), tagged=True)
    # Unknown 8-byte version groups are skipped; v1 is recognised but never chosen.
    future = "\x20\x20\x09\x09\x09\x09\x09\x09"
    v1 = "\x20\x09\x20\x09\x20\x20\x09\x20"
    parsed = parse_plaintext("x" + whitespace_tag(frozenset()) + v1 + future + "y")
    assert parsed.tag_versions == {1} and parsed.text == "xy"


def test_spec_example_data_message_parses() -> None:
    message = parse_encoded(dearmor(SPEC_DATA_MESSAGE))
    assert isinstance(message, DataMessage)
    assert message.header == Header(3, 0x03, 0x27E31599, 0x27E31597)
    assert (message.sender_keyid, message.recipient_keyid) == (1, 2)
    assert message.ctr == bytes(7) + b"\x01"
    assert len(message.mac) == 20 and message.old_mac_keys == b""
    assert data_message_flags(dearmor(SPEC_DATA_MESSAGE)) == 0


def _roundtrip(message: object) -> None:
    encoded = message.encode()  # type: ignore[attr-defined]
    assert parse_encoded(dearmor(armor(encoded))) == message


@pytest.mark.parametrize("version", [2, 3])
def test_ake_messages_round_trip(version: int) -> None:
    tags = (0x1234, 0x5678) if version == 3 else (0, 0)
    _roundtrip(DHCommit(Header(version, 0x02, *tags), b"e" * 196, b"h" * 32))
    _roundtrip(DHKey(Header(version, 0x0A, *tags), 2**1500 + 7))
    _roundtrip(RevealSignature(Header(version, 0x11, *tags), b"r" * 16, b"sig" * 100, b"m" * 20))
    _roundtrip(Signature(Header(version, 0x12, *tags), b"sig" * 100, b"m" * 20))


@pytest.mark.parametrize(
    "binary",
    [
        b"",
        b"\x00\x03",
        b"\x00\x01\x02",  # version 1
        b"\x00\x04\x02" + bytes(8),  # unknown version
        b"\x00\x03\x77" + bytes(8),  # unknown type
        Header(3, 0x0A, 0x100, 0x100).encode() + encode_mpi(5) + b"extra",  # trailing bytes
        Header(2, 0x02).encode() + b"\x00\x00\x00\x10short",  # truncated DATA
        Header(2, 0x02).encode() + b"\xff\xff\xff\xff",  # absurd length
        Header(2, 0x02).encode() + b"\x00\x00\x00\x01x\x00\x00\x00\x01y",  # hashed gx not 32 bytes
        Header(2, 0x11).encode() + b"\x00\x00\x00\x01r" + b"\x00" * 24,  # revealed key not 16 bytes
    ],
)
def test_malformed_encoded_messages_raise(binary: bytes) -> None:
    with pytest.raises(MalformedMessage):
        parse_encoded(binary)


def test_dearmor_rejects_bad_base64() -> None:
    with pytest.raises(MalformedMessage):
        dearmor("?OTR:not*base64.")
    with pytest.raises(MalformedMessage):
        dearmor("?OTR:AAM.")
    with pytest.raises(MalformedMessage):
        dearmor("plain")


def test_is_encoded_message_takes_a_whole_encoded_message_or_fragment_only() -> None:
    assert is_encoded_message("".join(SPEC_DATA_MESSAGE.split()))
    assert not is_encoded_message(SPEC_DATA_MESSAGE)  # with line breaks: not what TIMB emits
    assert is_encoded_message("?OTR|5a73a599|27e31597,00001,00003,?OTR:AAMD,")
    assert is_encoded_message("?OTR,00002,00003,AAMD,")
    for text in [
        "?OTRv23?",
        "hello",
        "?OTR:***.",
        SPEC_DATA_MESSAGE + " hi",
        "x" + SPEC_DATA_MESSAGE,
        "?OTR Error: x",
        "?OTR|5a73a599|27e31597,00001,00003,a secret,",
        "?OTR:AA.\nsecret",
    ]:
        assert not is_encoded_message(text), text
