"""The sans-I/O IRC session on canned server transcripts: registration, CAP/SASL, nick
collisions, PING, CTCP privacy, DCC refusal, channels (timb.net.irc.session)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from timb.common.secret import Secret
from timb.net.irc.errors import AuthError, MalformedLine, NotConnectedError, RemoteError, UnsendableMessage
from timb.net.irc.events import (
    ChannelMessage,
    CommandFailed,
    CtcpIgnored,
    DccRefused,
    IrcEvent,
    Joined,
    MessageEchoed,
    Names,
    NickChanged,
    Parted,
    PrivateMessage,
    Registered,
    ServerNotice,
    SessionFailed,
    TopicChanged,
)
from timb.net.irc.sasl import SaslEcdsa, SaslExternal, SaslPlain, encode_response
from timb.net.irc.session import GENERIC_REALNAME, GENERIC_USERNAME, IrcSession, SessionConfig, next_nick


def feed(session: IrcSession, *lines: str) -> list[IrcEvent]:
    for line in lines:
        session.receive(line.encode() + b"\r\n")
    events = []
    while (event := session.next_event()) is not None:
        events.append(event)
    return events


def sent(session: IrcSession) -> list[str]:
    return [line.decode().rstrip("\r\n") for line, _ in session.data_to_send()]


def registered(nick: str = "alice", **kwargs: object) -> IrcSession:
    session = IrcSession(SessionConfig(nick, **kwargs))  # type: ignore[arg-type]
    session.start()
    sent(session)
    feed(
        session, "CAP * LS :multi-prefix echo-message server-time", "CAP alice ACK :echo-message server-time"
    )
    feed(session, f":srv 001 {nick} :Welcome", f":srv 005 {nick} NICKLEN=9 CHANTYPES=#& :are supported")
    sent(session)
    return session


def test_registration_says_nothing_about_the_client_or_the_os_user() -> None:
    session = IrcSession(SessionConfig("alice"))
    session.start()
    assert sent(session) == ["CAP LS :302", "NICK alice", f"USER {GENERIC_USERNAME} 0 * :{GENERIC_REALNAME}"]
    assert feed(session, "CAP * LS * :multi-prefix sasl=PLAIN", "CAP * LS :server-time message-tags") == []
    assert sent(session) == ["CAP REQ :message-tags server-time"]  # sasl not asked: not configured
    feed(session, "CAP alice ACK :message-tags server-time")
    assert sent(session) == ["CAP END"]
    events = feed(session, ":srv 001 alice :Welcome alice!user@host")
    assert events == [Registered("alice", frozenset({"message-tags", "server-time"}))]


def test_a_server_without_cap_registers_us_without_sasl() -> None:
    session = IrcSession(SessionConfig("alice"))
    session.start()
    events = feed(session, ":srv 421 alice CAP :Unknown command", ":srv 001 alice :hi")
    assert isinstance(events[-1], Registered)


def test_an_account_with_sasl_never_registers_unauthenticated() -> None:
    session = IrcSession(SessionConfig("alice", sasl=SaslPlain("alice", Secret("pw"))))
    session.start()
    sent(session)
    events = feed(session, "CAP * LS :multi-prefix", ":srv 001 alice :hi")
    assert [type(e) for e in events] == [SessionFailed]
    assert isinstance(events[0], SessionFailed) and isinstance(events[0].error, AuthError)
    assert not session.registered and "QUIT" in sent(session)


def test_sasl_plain_transcript() -> None:
    session = IrcSession(SessionConfig("alice", sasl=SaslPlain("acct", Secret("s3cret"))))
    session.start()
    sent(session)
    feed(session, "CAP * LS :sasl=PLAIN,EXTERNAL server-time")
    assert sent(session) == ["CAP REQ :sasl server-time"]
    feed(session, "CAP alice ACK :sasl server-time")
    assert sent(session) == ["AUTHENTICATE PLAIN"]
    feed(session, "AUTHENTICATE +")
    assert sent(session) == ["AUTHENTICATE " + base64.b64encode(b"\0acct\0s3cret").decode()]
    feed(session, ":srv 900 alice alice!u@h acct :You are now logged in", ":srv 903 alice :SASL successful")
    assert sent(session) == ["CAP END"]
    assert feed(session, ":srv 001 alice :hi") == [
        Registered("alice", frozenset({"sasl", "server-time"}), "acct")
    ]


def test_sasl_refused_is_fatal_and_says_no_secret() -> None:
    session = IrcSession(SessionConfig("alice", sasl=SaslPlain("acct", Secret("s3cret"))))
    session.start()
    feed(session, "CAP * LS :sasl", "CAP alice ACK :sasl", "AUTHENTICATE +")
    sent(session)
    [event] = feed(session, ":srv 904 alice :SASL authentication failed")
    assert isinstance(event, SessionFailed) and isinstance(event.error, AuthError)
    assert "s3cret" not in str(event.error) and "s3cret" not in repr(session.config)
    assert "CAP END" not in sent(session)
    assert feed(session, ":srv 001 alice :hi") == []  # a hostile server cannot register us anyway


def test_sasl_plain_is_refused_without_tls() -> None:
    session = IrcSession(SessionConfig("alice", sasl=SaslPlain("acct", Secret("pw")), tls=False))
    session.start()
    [event] = feed(session, "CAP * LS :sasl")
    assert isinstance(event, SessionFailed) and "TLS" in str(event.error)


def test_sasl_mechanism_not_offered_is_fatal() -> None:
    session = IrcSession(SessionConfig("alice", sasl=SaslExternal()))
    session.start()
    [event] = feed(session, "CAP * LS :sasl=PLAIN")
    assert isinstance(event, SessionFailed) and "EXTERNAL" in str(event.error)


def test_sasl_external_sends_an_empty_response() -> None:
    session = IrcSession(SessionConfig("alice", sasl=SaslExternal()))
    session.start()
    sent(session)
    feed(session, "CAP * LS :sasl", "CAP alice ACK :sasl")
    assert sent(session) == ["CAP REQ :sasl", "AUTHENTICATE EXTERNAL"]
    feed(session, "AUTHENTICATE +")
    assert sent(session) == ["AUTHENTICATE +"]


def test_sasl_ecdsa_signs_the_servers_challenge() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    session = IrcSession(SessionConfig("alice", sasl=SaslEcdsa("acct", Secret(pem))))
    session.start()
    sent(session)
    feed(session, "CAP * LS :sasl=ECDSA-NIST256P-CHALLENGE", "CAP alice ACK :sasl")
    assert sent(session) == ["CAP REQ :sasl", "AUTHENTICATE ECDSA-NIST256P-CHALLENGE"]
    feed(session, "AUTHENTICATE +")
    assert sent(session) == ["AUTHENTICATE " + base64.b64encode(b"acct").decode()]
    challenge = bytes(range(32))
    feed(session, "AUTHENTICATE " + base64.b64encode(challenge).decode())
    [line] = sent(session)
    signature = base64.b64decode(line.split(" ", 1)[1])
    key.public_key().verify(signature, challenge, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


def test_sasl_ecdsa_with_a_bad_challenge_aborts() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    session = IrcSession(SessionConfig("alice", sasl=SaslEcdsa("acct", Secret(pem))))
    session.start()
    feed(session, "CAP * LS :sasl", "CAP alice ACK :sasl", "AUTHENTICATE +")
    sent(session)
    [event] = feed(session, "AUTHENTICATE " + base64.b64encode(b"short").decode())
    assert isinstance(event, SessionFailed)
    assert sent(session)[0] == "AUTHENTICATE *"
    with pytest.raises(MalformedLine):
        IrcSession(SessionConfig("x", sasl=SaslExternal())).receive(b"\0")


def test_sasl_response_chunks() -> None:
    assert encode_response(b"") == ["+"]
    chunks = encode_response(b"x" * 300)  # 400 base64 characters exactly
    assert chunks[0] == base64.b64encode(b"x" * 300).decode() and chunks[1:] == ["+"]
    assert [len(c) for c in encode_response(b"x" * 600)] == [400, 400, 1]


def test_nick_collisions_during_registration() -> None:
    session = IrcSession(SessionConfig("alice"))
    session.start()
    sent(session)
    feed(session, ":srv 433 * alice :Nickname already in use")
    assert sent(session) == ["NICK alice_"]
    feed(session, ":srv 433 * alice_ :Nickname already in use")
    assert sent(session) == ["NICK alice__"]
    events = feed(session, ":srv 001 alice__ :hi")
    assert isinstance(events[-1], Registered) and events[-1].nick == "alice__"
    assert next_nick("abcdefghi", 3, 9) == "abcdefgh3"
    failing = IrcSession(SessionConfig("bob"))
    failing.start()
    events = feed(failing, *[":srv 433 * x :in use"] * 9)
    assert isinstance(events[-1], SessionFailed) and isinstance(events[-1].error, RemoteError)


def test_ping_gets_an_urgent_pong() -> None:
    session = registered()
    feed(session, "PING :tok")
    assert session.data_to_send() == [(b"PONG tok\r\n", True)]


@pytest.mark.parametrize(
    "query", ["VERSION", "TIME", "USERINFO", "CLIENTINFO", "SOURCE", "FINGER", "PING 123"]
)
def test_ctcp_queries_get_no_reply(query: str) -> None:
    session = registered()
    [event] = feed(session, f":eve!e@h PRIVMSG alice :\x01{query}\x01")
    assert isinstance(event, CtcpIgnored) and not event.answered
    assert sent(session) == []


def test_ctcp_ping_is_answered_only_when_enabled() -> None:
    session = registered(answer_ctcp_ping=True)
    [event] = feed(session, ":eve!e@h PRIVMSG alice :\x01PING 123\x01")
    assert isinstance(event, CtcpIgnored) and event.answered
    assert sent(session) == ["NOTICE eve :\x01PING 123\x01"]
    feed(session, ":eve!e@h PRIVMSG alice :\x01VERSION\x01", ":eve!e@h NOTICE alice :\x01PING 1\x01")
    assert sent(session) == []


def test_dcc_offers_are_refused_with_the_reason() -> None:
    session = registered()
    [event] = feed(session, ":eve!e@h PRIVMSG alice :\x01DCC SEND file.txt 2130706433 5000 12\x01")
    assert event == DccRefused("eve", "SEND")
    assert "around Tor" in event.reason
    assert sent(session) == []


def test_messages_private_channel_action_and_echo() -> None:
    session = registered()
    events = feed(
        session,
        "@time=2026-12-03T12:00:00Z :bob!b@h PRIVMSG alice :hello",
        ":bob!b@h PRIVMSG #room :to all",
        ":bob!b@h PRIVMSG #room :\x01ACTION waves\x01",
        ":alice!a@h PRIVMSG bob :mine",
    )
    assert events == [
        PrivateMessage("bob", "hello", server_time="2026-12-03T12:00:00Z"),
        ChannelMessage("#room", "bob", "to all"),
        ChannelMessage("#room", "bob", "waves", action=True),
        MessageEchoed("bob"),
    ]
    assert "hello" not in repr(events[0])


def test_channels_join_part_topic_names_nick() -> None:
    session = registered()
    session.join("#room")
    session.topic("#room")
    session.names("#room")
    session.part("#room")
    assert sent(session) == ["JOIN #room", "TOPIC #room", "NAMES #room", "PART #room"]
    events = feed(
        session,
        ":alice!a@h JOIN #room",
        ":srv 332 alice #room :the topic",
        ":srv 353 alice = #room :@bob +carol alice",
        ":srv 366 alice #room :End of NAMES",
        ":bob!b@h TOPIC #room :new topic",
        ":carol!c@h PART #room",
        ":bob!b@h KICK #room alice :bye",
        ":alice!a@h NICK alicia",
        ":srv 404 alicia #room :Cannot send to channel",
    )
    assert events == [
        Joined("#room", "alice", me=True),
        TopicChanged("#room", "the topic"),
        Names("#room", ("bob", "carol", "alice")),
        TopicChanged("#room", "new topic", "bob"),
        Parted("#room", "carol", me=False),
        Parted("#room", "alice", me=True, kicked_by="bob"),
        NickChanged("alice", "alicia", me=True),
        CommandFailed("404", "#room", "Cannot send to channel"),
    ]
    assert session.nick == "alicia"


def test_commands_validate_their_input() -> None:
    unregistered = IrcSession(SessionConfig("alice"))
    with pytest.raises(NotConnectedError):
        unregistered.privmsg("bob", "x")
    session = registered()
    for target in ("", "bob,carol", "a b", ":x", "x\r\n"):
        with pytest.raises(UnsendableMessage):
            session.privmsg(target, "hi")
    with pytest.raises(UnsendableMessage):
        session.privmsg("bob", "hi\r\nQUIT :x")
    with pytest.raises(UnsendableMessage):
        session.join("notachannel")
    with pytest.raises(UnsendableMessage):
        session.privmsg("bob", "x" * session.max_payload("bob") * 2)
    session.quit()
    assert session.data_to_send() == [(b"QUIT\r\n", True)]


def test_names_replies_are_bounded() -> None:
    session = registered()
    for i in range(100):
        feed(session, f":srv 353 alice = #c{i} :x")
    assert len(session._names) == 64


def test_server_notices_are_not_conversations() -> None:
    session = IrcSession(SessionConfig("alice"))
    session.start()
    events = feed(session, ":irc.test NOTICE * :*** Looking up your hostname", ":irc.test NOTICE alice :hi")
    assert events == [
        ServerNotice("irc.test", "*** Looking up your hostname"),
        ServerNotice("irc.test", "hi"),
    ]


def test_a_server_claiming_huge_lengths_gets_a_typed_error() -> None:
    session = registered()
    feed(session, ":srv 005 alice NICKLEN=200 HOSTLEN=250 :are supported")
    with pytest.raises(UnsendableMessage):
        session.max_payload("bob")
