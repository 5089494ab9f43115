"""The IRCv3 line parser/serializer (timb.net.irc.message) and the fragment size (limits)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timb.net.irc.errors import MalformedLine, UnsendableMessage
from timb.net.irc.limits import ServerLimits, longest_prefix, max_payload
from timb.net.irc.message import Message, parse, serialize


def test_parses_tags_source_params_and_trailing() -> None:
    msg = parse(
        b"@time=2026-12-03T13:00:00.000Z;msgid=a\\sb\\:c;+draft/x :nick!u@h PRIVMSG #chan :hi there\r\n"
    )
    assert msg.command == "PRIVMSG"
    assert msg.source == "nick!u@h" and msg.nick == "nick"
    assert msg.params == ("#chan", "hi there")
    assert msg.tag("time") == "2026-12-03T13:00:00.000Z"
    assert msg.tag("msgid") == "a b;c"
    assert msg.tag("+draft/x") == ""


@pytest.mark.parametrize(
    "line,params",
    [
        (b"PING :abc", ("abc",)),
        (b"PING abc", ("abc",)),
        (b"001 me :Welcome :)", ("me", "Welcome :)")),
        (b"PRIVMSG bob :", ("bob", "")),
        (b"MODE   #c   +o   x", ("#c", "+o", "x")),
        (b"005 me NICKLEN=9 CHANTYPES=# :are supported", ("me", "NICKLEN=9", "CHANTYPES=#", "are supported")),
    ],
)
def test_params(line: bytes, params: tuple[str, ...]) -> None:
    assert parse(line).params == params


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b":onlysource",
        b": PRIVMSG x :y",
        b"PRIV-MSG x",
        b"12 x",
        b"PRIVMSG x :a\0b",
        b"PRIVMSG x :a\rb",
        b"@bad key=1 PING x",
        b"PRIVMSG x :" + b"a" * 600,
        b"@" + b"a=" + b"b" * 9000 + b" PING x",
        b":src",
        b":a :b",
    ],
)
def test_hostile_lines_are_typed_errors_that_never_quote_the_line(line: bytes) -> None:
    with pytest.raises(MalformedLine) as info:
        parse(line)
    assert "bbbbbbbb" not in str(info.value) and "aaaaaaaa" not in str(info.value)


def test_invalid_utf8_is_replaced_not_refused() -> None:
    assert parse(b"PRIVMSG me :caf\xe9").params[1] == "caf\ufffd"


def test_serializes_and_round_trips() -> None:
    msg = Message("PRIVMSG", ("#c", "hello :world"), tags=(("+typing", "a;b c"),))
    wire = serialize(msg)
    assert wire == b"@+typing=a\\:b\\sc PRIVMSG #c ::hello :world\r\n" or wire.endswith(b"\r\n")
    assert parse(wire) == msg


@pytest.mark.parametrize(
    "msg",
    [
        Message("PRIVMSG", ("bob", "hi\r\nQUIT")),
        Message("PRIVMSG", ("bob", "hi\nJOIN #x")),
        Message("PRIVMSG", ("bob", "nul\0")),
        Message("PRIVMSG", ("bo b", "x")),
        Message("PRIVMSG", ("", "x")),
        Message("PRIVMSG", (":bob", "x")),
        Message("PRIV MSG", ("bob",)),
        Message("PRIVMSG", ("bob", "x" * 500)),
        Message("PRIVMSG", ("bob", "x"), tags=(("bad key", "v"),)),
    ],
)
def test_refuses_to_serialize_injections_and_long_lines(msg: Message) -> None:
    with pytest.raises(UnsendableMessage):
        serialize(msg)


def test_the_longest_serializable_line_is_512_bytes_with_crlf() -> None:
    head = len(b"PRIVMSG bob :")
    assert len(serialize(Message("PRIVMSG", ("bob", "x" * (510 - head))))) == 512
    with pytest.raises(UnsendableMessage):
        serialize(Message("PRIVMSG", ("bob", "x" * (511 - head))))


@given(st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=6), st.text(max_size=80))
def test_whatever_we_serialize_is_one_line_that_parses_back(params: list[str], trailing: str) -> None:
    msg = Message("PRIVMSG", (*params, trailing))
    try:
        wire = serialize(msg)
    except UnsendableMessage:
        return
    assert wire.count(b"\r\n") == 1 and wire.endswith(b"\r\n") and b"\0" not in wire
    assert parse(wire).params == msg.params


@given(st.binary(max_size=600))
def test_any_bytes_parse_or_raise_malformed(data: bytes) -> None:
    with contextlib.suppress(MalformedLine):
        parse(data)


def test_fragment_size_leaves_room_for_the_longest_prefix() -> None:
    limits = ServerLimits().with_isupport(("NICKLEN=9", "HOSTLEN=63", "USERLEN=20", "CHANTYPES=#&"))
    payload = max_payload("bob", limits)
    prefix = ":" + "n" * 9 + "!" + "~" + "u" * 20 + "@" + "h" * 63 + " "
    relayed = f"{prefix}PRIVMSG bob :{'x' * payload}\r\n".encode()
    assert len(relayed) == 512
    assert longest_prefix(limits) == len(prefix)
    assert max_payload("a-much-longer-nick", limits) < payload


def test_isupport_values_that_are_not_sane_are_ignored() -> None:
    limits = ServerLimits().with_isupport(("NICKLEN=abc", "HOSTLEN=99999", "USERLEN=-1", "NETWORK=x"))
    assert (limits.nicklen, limits.hostlen, limits.userlen) == (30, 64, 20)
    assert limits.network == "x"


def test_casemapping_folds_rfc1459_brackets() -> None:
    assert ServerLimits().fold("Nick[a]") == ServerLimits().fold("nick{A}")
