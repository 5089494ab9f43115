"""review2: hostile-server checks of the IRC session (timb.net.irc.session)."""

from __future__ import annotations

from tests.unit.test_irc_session import feed
from timb.net.irc.events import PrivateMessage
from timb.net.irc.session import IrcSession, SessionConfig


def test_statusmsg_channel_line_is_not_a_private_message() -> None:
    s = IrcSession(SessionConfig("alice", tls=True))
    s.start()
    feed(s, ":srv 001 alice :hi", ":srv 005 alice STATUSMSG=@+ CHANTYPES=# :are supported")
    events = feed(s, ":mallory!m@h PRIVMSG @#room :?OTRv3? hello ops")
    assert not any(isinstance(e, PrivateMessage) for e in events)


def test_line_for_another_nick_is_not_ours() -> None:
    s = IrcSession(SessionConfig("alice", tls=True))
    s.start()
    feed(s, ":srv 001 alice :hi")
    events = feed(s, ":mallory!m@h PRIVMSG bob :meant for bob")
    assert not any(isinstance(e, PrivateMessage) for e in events)
