"""SASL EXTERNAL in the session's CAP/SASL state machine, on scripted server lines only: ngircd
has no SASL at all (docs/irc.md), so no real server here can test it (timb.net.irc.caps)."""

from __future__ import annotations

import pytest

from tests.unit.test_irc_session import feed, sent
from timb.net.irc.errors import AuthError
from timb.net.irc.events import Registered, SessionFailed
from timb.net.irc.sasl import SaslExternal
from timb.net.irc.session import IrcSession, SessionConfig


def negotiating() -> IrcSession:
    s = IrcSession(SessionConfig("alice", sasl=SaslExternal()))
    s.start()
    sent(s)
    feed(s, "CAP * LS * :multi-prefix sasl=PLAIN,EXTERNAL", "CAP * LS :server-time")
    assert sent(s) == ["CAP REQ :sasl server-time"]
    feed(s, "CAP alice ACK :sasl server-time")
    assert sent(s) == ["AUTHENTICATE EXTERNAL"]
    return s


def test_external_transcript_from_ls_to_registered_with_the_account() -> None:
    s = negotiating()
    assert feed(s, "AUTHENTICATE +") == []
    assert sent(s) == ["AUTHENTICATE +"]  # empty: the identity is the certificate's
    feed(s, ":srv 900 alice alice!u@h certuser :You are now logged in as certuser")
    assert sent(s) == []
    feed(s, ":srv 903 alice :SASL authentication successful")
    assert sent(s) == ["CAP END"]
    assert feed(s, ":srv 001 alice :Welcome") == [
        Registered("alice", frozenset({"sasl", "server-time"}), "certuser")
    ]


@pytest.mark.parametrize("code", ["902", "904", "905", "906", "907", "908"])
def test_every_sasl_failure_numeric_is_fatal(code: str) -> None:
    s = negotiating()
    feed(s, "AUTHENTICATE +")
    sent(s)
    (event,) = feed(s, f":srv {code} alice :no")
    assert isinstance(event, SessionFailed) and isinstance(event.error, AuthError)
    assert sent(s) == ["QUIT"]
    assert feed(s, ":srv 001 alice :Welcome anyway") == []  # nothing more is accepted


def test_a_second_challenge_aborts_the_exchange() -> None:
    s = negotiating()
    feed(s, "AUTHENTICATE +")
    sent(s)
    (event,) = feed(s, "AUTHENTICATE +")
    assert isinstance(event, SessionFailed) and "EXTERNAL" in str(event.error)
    assert sent(s) == ["AUTHENTICATE *", "QUIT"]


def test_registration_before_sasl_finished_is_refused() -> None:
    s = negotiating()
    feed(s, "AUTHENTICATE +")
    (event,) = feed(s, ":srv 001 alice :Welcome, unauthenticated")
    assert isinstance(event, SessionFailed) and not s.registered


@pytest.mark.parametrize(
    "lines",
    [
        ["CAP * LS :multi-prefix"],  # no sasl at all
        ["CAP * LS :sasl=PLAIN"],  # not EXTERNAL
        ["CAP * LS :sasl", "CAP alice NAK :sasl"],
        ["CAP * LS :sasl", "CAP alice ACK :server-time"],  # acked, but not sasl
    ],
)
def test_no_external_no_registration(lines: list[str]) -> None:
    s = IrcSession(SessionConfig("alice", sasl=SaslExternal()))
    s.start()
    events = feed(s, *lines)
    assert isinstance(events[-1], SessionFailed) and isinstance(events[-1].error, AuthError)
    assert "CAP END" not in sent(s)


def test_an_unsolicited_ack_after_negotiation_changes_nothing() -> None:
    s = negotiating()
    feed(s, "AUTHENTICATE +", ":srv 903 alice :ok", ":srv 001 alice :Welcome")
    sent(s)
    assert feed(s, "CAP alice ACK :echo-message", "CAP alice NEW :echo-message") == []
    assert sent(s) == []
