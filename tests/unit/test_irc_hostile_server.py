"""What a hostile IRC server can make of the session and the chat adapter: misaddressed and
STATUSMSG lines, forged senders, nick changes (ours and a contact's), junk tags and ISUPPORT,
oversized lines, missing prefixes (timb.net.irc.session, .limits, .chat)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.unit.test_irc_session import feed, registered, sent
from timb.net.base import ErrorEvent, MessageIn, NetEvent
from timb.net.irc.chat import IrcChatAdapter
from timb.net.irc.errors import MalformedLine
from timb.net.irc.events import (
    ChannelMessage,
    CtcpIgnored,
    DccRefused,
    IrcEvent,
    MessageEchoed,
    NickChanged,
    PrivateMessage,
    Registered,
    ServerNotice,
)
from timb.net.irc.limits import ServerLimits
from timb.net.irc.session import IrcSession, SessionConfig


def with_statusmsg() -> IrcSession:
    s = registered()
    feed(s, ":srv 005 alice STATUSMSG=~&@%+ CHANTYPES=# :are supported")
    return s


@pytest.mark.parametrize("target", ["bob", "ALICE_", "alice,bob", "$*", "@alice", "+alice"])
def test_a_line_for_anyone_but_our_current_nick_is_never_private(target: str) -> None:
    s = with_statusmsg()
    for command in ("PRIVMSG", "NOTICE"):
        assert feed(s, f":mallory!m@h {command} {target} :?OTRv3? for someone else") == []
        assert feed(s, f":mallory!m@h {command} {target} :\x01DCC SEND x 1 2 3\x01") == []
        assert feed(s, f":mallory!m@h {command} {target} :\x01VERSION\x01") == []


def test_private_only_for_our_nick_in_any_case() -> None:
    s = registered()
    assert feed(s, ":bob!b@h PRIVMSG ALICE :hi") == [PrivateMessage("bob", "hi")]


@pytest.mark.parametrize(("target", "status"), [("@#room", "@"), ("+#room", "+"), ("~&@#room", "~&@")])
def test_statusmsg_lines_are_channel_lines_with_their_prefix(target: str, status: str) -> None:
    s = with_statusmsg()
    (event,) = feed(s, f":mallory!m@h PRIVMSG {target} :ops only")
    assert event == ChannelMessage("#room", "mallory", "ops only", status=status)


def test_without_statusmsg_in_isupport_a_prefixed_target_is_dropped() -> None:
    s = registered()
    assert feed(s, ":mallory!m@h PRIVMSG @#room :ops only") == []


def test_isupport_cannot_make_a_nick_a_channel() -> None:
    s = registered()
    feed(s, ":srv 005 alice CHANTYPES=b STATUSMSG=ab :are supported")
    assert s.limits.chantypes == "#&" and s.limits.statusmsg == ""
    assert feed(s, ":bob!b@h PRIVMSG alice :hi") == [PrivateMessage("bob", "hi")]
    assert ServerLimits().channel_of("bob") is None


def test_a_forged_line_from_our_own_nick_is_no_conversation() -> None:
    s = registered()  # echo-message is on: it is an echo
    assert feed(s, ":alice!a@h PRIVMSG bob :hi") == [MessageEchoed("bob")]
    assert feed(s, ":alice!a@h PRIVMSG alice :hi") == [MessageEchoed("alice")]
    plain = IrcSession(SessionConfig("alice"))
    plain.start()
    feed(plain, ":srv 001 alice :hi")
    assert feed(plain, ":ALICE!a@h PRIVMSG alice :?OTR:AAMC...") == []


@pytest.mark.parametrize("source", ["!u@h", "#room!u@h", "@op!u@h", "9lives!u@h", "a*b!u@h"])
def test_a_sender_that_is_no_nick_is_a_typed_error_and_changes_nothing(source: str) -> None:
    s = registered()
    with pytest.raises(MalformedLine):
        feed(s, f":{source} PRIVMSG alice :hi")
    assert feed(s, ":bob!b@h PRIVMSG alice :still fine") == [PrivateMessage("bob", "still fine")]


def test_missing_or_server_prefixes_are_never_a_person() -> None:
    s = registered()
    assert feed(s, "PRIVMSG alice :no source") == []
    assert feed(s, ":irc.example PRIVMSG alice :from the server") == [
        ServerNotice("irc.example", "from the server")
    ]
    assert feed(s, ":bob!b@h NOTICE * :to everyone") == [ServerNotice("bob", "to everyone")]


def test_ctcp_to_us_is_still_silent_and_dcc_refused() -> None:
    s = registered()
    assert feed(s, ":bob!b@h PRIVMSG alice :\x01VERSION\x01") == [CtcpIgnored("bob", "VERSION")]
    assert isinstance(feed(s, ":bob!b@h PRIVMSG alice :\x01DCC CHAT chat 1 2\x01")[0], DccRefused)
    assert feed(s, ":bob!b@h NOTICE alice :\x01DCC SEND x 1 2 3\x01") == []
    assert sent(s) == []


@pytest.mark.parametrize(
    "tag",
    ["time=yesterday", pytest.param("time=" + "9" * 4000, id="huge"), "time=2026-12-03T17:00:00Z\\sjunk"],
)
def test_a_junk_time_tag_never_reaches_the_user(tag: str) -> None:
    s = registered()
    (event,) = feed(s, f"@{tag};+x=\\\\;y :bob!b@h PRIVMSG alice :hi")
    assert isinstance(event, PrivateMessage) and event.server_time is None
    (good,) = feed(s, "@time=2026-12-03T17:00:00.123Z :bob!b@h PRIVMSG alice :hi")
    assert isinstance(good, PrivateMessage) and good.server_time == "2026-12-03T17:00:00.123Z"


@pytest.mark.parametrize("line", [b"@a=b;;=c :bob!b@h PRIVMSG alice :x", b"@\xff\xfe PRIVMSG alice :x"])
def test_a_junk_tag_key_is_a_typed_error(line: bytes) -> None:
    s = registered()
    with pytest.raises(MalformedLine):
        s.receive(line)
    assert s.next_event() is None


def test_an_oversized_line_is_a_typed_error_and_changes_nothing() -> None:
    s = registered()
    with pytest.raises(MalformedLine):
        s.receive(b":bob!b@h PRIVMSG alice :" + b"x" * 500 + b"\r\n")
    with pytest.raises(MalformedLine):
        s.receive(b"@" + b"a" * 9000 + b" :bob!b@h PRIVMSG alice :x\r\n")
    assert s.next_event() is None and s.nick == "alice"


def test_our_nick_follows_the_server_not_our_request() -> None:
    s = registered()
    s.change_nick("alicia")
    assert sent(s) == ["NICK alicia"]
    feed(s, ":srv 433 alice alicia :Nickname already in use")  # after registration: no retry
    assert s.nick == "alice" and sent(s) == []
    assert feed(s, ":bob!b@h PRIVMSG alicia :not us yet") == []
    assert feed(s, ":alice!a@h NICK :alicia") == [NickChanged("alice", "alicia", me=True)]
    assert feed(s, ":bob!b@h PRIVMSG alice :the old nick") == []
    assert feed(s, ":bob!b@h PRIVMSG alicia :the new nick") == [PrivateMessage("bob", "the new nick")]


@pytest.mark.parametrize("new", ["#room", "@alice", "a b", "x!y@z", "", pytest.param("n" * 65, id="long")])
def test_a_nick_change_to_something_that_is_no_nick_changes_nothing(new: str) -> None:
    s = registered()
    with pytest.raises(MalformedLine):
        feed(s, f":alice!a@h NICK :{new}")
    assert s.nick == "alice"
    assert feed(s, ":bob!b@h PRIVMSG alice :hi") == [PrivateMessage("bob", "hi")]


def test_a_welcome_with_a_junk_nick_keeps_ours() -> None:
    s = IrcSession(SessionConfig("alice"))
    s.start()
    feed(s, ":srv 001 #room :hi")
    assert s.nick == "alice"


# -- the chat adapter: a contact's nick change is shown, its conversation never moves ------------


class _ScriptedIrc:
    """Stands in for `IrcAdapter` (unit test): yields the given events, records what is sent."""

    def __init__(self, events: list[IrcEvent]) -> None:
        self._events = events
        self.sent: list[tuple[str, str]] = []
        self.wanted_nick = "alice"

    async def events(self) -> AsyncIterator[IrcEvent]:
        for event in self._events:
            yield event

    async def send_message(self, target: str, body: str) -> str:
        self.sent.append((target, body))
        return str(len(self.sent))

    def fragment_size(self, target: str) -> int:
        return 400


async def _run(events: list[IrcEvent], *, before: str | None = None) -> tuple[list[NetEvent], _ScriptedIrc]:
    irc = _ScriptedIrc(events)
    chat = IrcChatAdapter(irc, "irc.onion")  # type: ignore[arg-type]
    sunk: list[object] = []
    chat.channel_sink = sunk.append
    if before is not None:
        await chat.send_message(chat.contact(before), "hello")
    out = [event async for event in chat.events()]
    assert [e for e in events if isinstance(e, NickChanged)] == [
        e for e in sunk if isinstance(e, NickChanged)
    ]
    return out, irc


async def test_a_contact_s_nick_change_is_shown_and_the_new_nick_is_a_new_contact() -> None:
    out, _ = await _run(
        [
            PrivateMessage("Bob", "hi"),
            NickChanged("Bob", "bob2", me=False),
            PrivateMessage("bob2", "still me"),
        ]
    )
    assert isinstance(out[0], MessageIn) and str(out[0].sender) == "bob@irc.onion"
    assert (
        isinstance(out[1], ErrorEvent) and "bob2" in str(out[1].error) and "new contact" in str(out[1].error)
    )
    assert isinstance(out[2], MessageIn) and str(out[2].sender) == "bob2@irc.onion"  # not moved to bob
    assert len(out) == 3


async def test_a_nick_change_of_someone_we_wrote_to_is_shown_too() -> None:
    out, irc = await _run([NickChanged("bob", "robert", me=False)], before="bob")
    assert irc.sent == [("bob", "hello")]
    assert len(out) == 1 and isinstance(out[0], ErrorEvent) and "robert" in str(out[0].error)


async def test_a_stranger_s_nick_change_in_a_channel_is_not_a_1to1_event() -> None:
    out, _ = await _run([NickChanged("carol", "caroline", me=False)])
    assert out == []


async def test_our_own_nick_change_is_shown() -> None:
    out, _ = await _run([NickChanged("alice", "alice_", me=True)])
    assert len(out) == 1 and isinstance(out[0], ErrorEvent) and "alice_" in str(out[0].error)


async def test_registering_under_another_nick_is_shown() -> None:
    out, _ = await _run([Registered("Alice", frozenset())])
    assert out == []  # the same nick in another case
    out, _ = await _run([Registered("alice_", frozenset())])
    assert len(out) == 1 and isinstance(out[0], ErrorEvent) and "alice_" in str(out[0].error)
