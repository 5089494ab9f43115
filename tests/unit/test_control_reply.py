"""The pure control-port reply parser, on canned transcripts as tor 0.4.9 sends them."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timb.tor.control.events import (
    BootstrapEvent,
    BootstrapStatus,
    Circuit,
    HsDescEvent,
    StatusEvent,
    Stream,
    UnknownEvent,
    parse_bootstrap,
    parse_circuit_status,
    parse_event,
    parse_stream_status,
)
from timb.tor.control.reply import (
    ControlProtocolError,
    ReplyParser,
    parse_add_onion,
    parse_authchallenge,
    parse_getconf,
    parse_getinfo,
    parse_protocolinfo,
    parse_replies,
    split_arguments,
    unquote,
)
from timb.tor.errors import ControlError, TorError


def one(raw: bytes):
    replies = parse_replies(raw)
    assert len(replies) == 1
    return replies[0]


# ---- grammar ----


def test_mid_and_end_lines() -> None:
    reply = one(b"250-version=0.4.9.11\r\n250 OK\r\n")
    assert reply.status == 250 and reply.is_ok and not reply.is_async
    assert [ln.divider for ln in reply.lines] == ["-", " "]
    assert reply.message == "OK"


def test_data_block_is_dot_unstuffed() -> None:
    raw = (
        b"250+config-text=\r\n"
        b"ControlPort 127.0.0.1:9051\r\n"
        b"..hidden line starting with a dot\r\n"
        b"\r\n"
        b".\r\n"
        b"250 OK\r\n"
    )
    reply = one(raw)
    assert reply.lines[0].divider == "+"
    assert reply.lines[0].data == "ControlPort 127.0.0.1:9051\n.hidden line starting with a dot\n"
    assert parse_getinfo(reply)["config-text"].startswith("ControlPort")


def test_incremental_feed_in_any_chunking() -> None:
    raw = b"250-a=1\r\n250+b=\r\nx\r\n.\r\n250 OK\r\n650 CIRC 1 LAUNCHED\r\n"
    for size in (1, 2, 3, 7, len(raw)):
        parser = ReplyParser()
        replies = []
        for i in range(0, len(raw), size):
            replies += parser.feed(raw[i : i + size])
        assert [r.status for r in replies] == [250, 650]
        assert parse_getinfo(replies[0]) == {"a": "1", "b": "x"}
        assert not parser.pending


def test_error_reply_raises_control_error() -> None:
    reply = one(b'552 Unrecognized key "nope"\r\n')
    with pytest.raises(ControlError) as info:
        reply.raise_for_status()
    assert info.value.code == 552
    with pytest.raises(ControlError):
        parse_getinfo(reply)


@pytest.mark.parametrize(
    "raw",
    [
        b"25 OK\r\n",
        b"250\r\n",
        b"abc OK\r\n",
        b"250*OK\r\n",
        b"099 OK\r\n",
        b"\xd9\xa2\xd9\xa25 OK\r\n",  # non-ASCII digits
    ],
)
def test_malformed_lines_raise_the_typed_error(raw: bytes) -> None:
    with pytest.raises(ControlProtocolError):
        parse_replies(raw)


def test_truncated_transcript_is_an_error() -> None:
    with pytest.raises(ControlProtocolError):
        parse_replies(b"250-a=1\r\n")
    with pytest.raises(ControlProtocolError):
        parse_replies(b"250+a=\r\nno terminating dot\r\n")


def test_overlong_line_is_refused() -> None:
    with pytest.raises(ControlProtocolError):
        ReplyParser().feed(b"250-" + b"x" * 300_000)


def test_control_protocol_error_is_a_tor_error() -> None:
    assert issubclass(ControlProtocolError, TorError)


# ---- quoted strings and arguments ----


def test_unquote_escapes() -> None:
    assert unquote(r'"a\"b\\c\n\t\r"') == ('a"b\\c\n\t\r', 15)
    assert unquote(r'"caf\303\251"')[0] == "café"  # octal bytes form the file-system string
    for bad in ['"open', r'"bad \q escape"', "noquote", '"trailing\\']:
        with pytest.raises(ControlProtocolError):
            unquote(bad)


def test_split_arguments() -> None:
    args = split_arguments('NOTICE BOOTSTRAP PROGRESS=50 TAG=loading_descriptors SUMMARY="Loading relay d"')
    assert args.positional == ("NOTICE", "BOOTSTRAP")
    assert args.keywords == {"PROGRESS": "50", "TAG": "loading_descriptors", "SUMMARY": "Loading relay d"}
    with pytest.raises(ControlProtocolError):
        args.require("MISSING")


# ---- GETINFO / GETCONF ----


def test_getinfo_key_values() -> None:
    reply = one(
        b'250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"\r\n'
        b'250-net/listeners/socks="127.0.0.1:21300"\r\n'
        b"250 OK\r\n"
    )
    info = parse_getinfo(reply)
    assert info["net/listeners/socks"] == '"127.0.0.1:21300"'
    assert parse_bootstrap(info["status/bootstrap-phase"]) == BootstrapStatus(100, "done", "Done")


def test_getinfo_single_key_on_end_line() -> None:
    assert parse_getinfo(one(b"250 version=0.4.9.11\r\n")) == {"version": "0.4.9.11"}


def test_getinfo_rejects_lines_without_equals() -> None:
    with pytest.raises(ControlProtocolError):
        parse_getinfo(one(b"250-garbage\r\n250 OK\r\n"))


def test_getconf_repeats_and_defaults() -> None:
    reply = one(
        b"250-TestingTorNetwork=1\r\n"
        b"250-DirAuthority=auth0 orport=5000 no-v2 v3ident=AA 127.0.0.1:5100 BB\r\n"
        b"250-DirAuthority=auth1 orport=5001 no-v2 v3ident=CC 127.0.0.1:5101 DD\r\n"
        b"250-FallbackDir\r\n"
        b"250 ExitPolicy\r\n"
    )
    conf = parse_getconf(reply)
    assert conf["TestingTorNetwork"] == ["1"]
    assert len(conf["DirAuthority"]) == 2 and conf["DirAuthority"][1].startswith("auth1")
    assert conf["FallbackDir"] == [] and conf["ExitPolicy"] == []


# ---- authentication ----


def test_protocolinfo_with_escaped_cookie_path() -> None:
    reply = one(
        b"250-PROTOCOLINFO 1\r\n"
        b'250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE="/tmp/a \\"dir\\"/control_auth_cookie"\r\n'
        b'250-VERSION Tor="0.4.9.11"\r\n'
        b"250 OK\r\n"
    )
    info = parse_protocolinfo(reply)
    assert info.auth_methods == {"COOKIE", "SAFECOOKIE"}
    assert info.cookie_file == '/tmp/a "dir"/control_auth_cookie'
    assert info.tor_version == "0.4.9.11"


def test_protocolinfo_null_and_missing_auth() -> None:
    info = parse_protocolinfo(one(b"250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250 OK\r\n"))
    assert info.auth_methods == {"NULL"} and info.cookie_file is None
    with pytest.raises(ControlProtocolError):
        parse_protocolinfo(one(b"250-PROTOCOLINFO 1\r\n250 OK\r\n"))


def test_authchallenge() -> None:
    h, n = "ab" * 32, "cd" * 32
    challenge = parse_authchallenge(one(f"250 AUTHCHALLENGE SERVERHASH={h} SERVERNONCE={n}\r\n".encode()))
    assert challenge.server_hash == bytes.fromhex(h) and challenge.server_nonce == bytes.fromhex(n)
    for bad in [
        f"250 AUTHCHALLENGE SERVERHASH={h}\r\n",
        f"250 AUTHCHALLENGE SERVERHASH=zz SERVERNONCE={n}\r\n",
        f"250 AUTHCHALLENGE SERVERHASH=abcd SERVERNONCE={n}\r\n",
        "250 OK\r\n",
    ]:
        with pytest.raises(ControlProtocolError):
            parse_authchallenge(one(bad.encode()))
    with pytest.raises(ControlError):
        parse_authchallenge(one(b"513 Unrecognized authentication type\r\n"))


# ---- bootstrap ----


def test_bootstrap_status_and_warning() -> None:
    text = (
        'WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay" WARNING="Connection refused" '
        'REASON=CONNECTREFUSED COUNT=5 RECOMMENDATION=ignore HOSTADDR="127.0.0.1:1"'
    )
    assert parse_bootstrap(text) == BootstrapStatus(5, "conn", "Connecting to a relay", "Connection refused")
    assert parse_bootstrap("NOTICE CIRCUIT_ESTABLISHED") is None
    for bad in ["NOTICE BOOTSTRAP PROGRESS=101 TAG=x SUMMARY=y", "NOTICE BOOTSTRAP TAG=x SUMMARY=y"]:
        with pytest.raises(ControlProtocolError):
            parse_bootstrap(bad)


def test_status_client_events() -> None:
    replies = parse_replies(
        b"650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=95 TAG=circuit_create "
        b'SUMMARY="Establishing a Tor circuit"\r\n'
        b"650 STATUS_CLIENT NOTICE CIRCUIT_ESTABLISHED\r\n"
    )
    assert parse_event(replies[0]) == BootstrapEvent(
        BootstrapStatus(95, "circuit_create", "Establishing a Tor circuit")
    )
    assert parse_event(replies[1]) == StatusEvent("STATUS_CLIENT", "NOTICE", "CIRCUIT_ESTABLISHED", {})


# ---- ADD_ONION ----


def test_add_onion_reply() -> None:
    reply = one(
        b"250-ServiceID=abzgc6kilcsnlx7j637r2wiru57h3jofj4qxi3ahzcdpu3detw5kwaqd\r\n"
        b"250-PrivateKey=ED25519-V3:IBhq6IOZy==\r\n"
        b"250 OK\r\n"
    )
    result = parse_add_onion(reply)
    assert result.service_id.startswith("abzgc6")
    assert result.private_key == "ED25519-V3:IBhq6IOZy=="
    discarded = parse_add_onion(one(b"250-ServiceID=abc\r\n250 OK\r\n"))
    assert discarded.private_key is None
    with pytest.raises(ControlProtocolError):
        parse_add_onion(one(b"250 OK\r\n"))
    with pytest.raises(ControlError):
        parse_add_onion(one(b"550 Onion address collision\r\n"))


# ---- CIRC / STREAM / HS_DESC ----

FP1, FP2, FP3 = ("$" + c * 40 for c in "ABC")


def test_circ_event() -> None:
    raw = (
        f"650 CIRC 7 BUILT {FP1}~relay0,{FP2}~auth1,{FP3}~auth2 BUILD_FLAGS=NEED_CAPACITY "
        f'PURPOSE=GENERAL TIME_CREATED=2026-11-26T09:00:00.000000 SOCKS_USERNAME="u1" SOCKS_PASSWORD="p1"\r\n'
    )
    event = parse_event(one(raw.encode()))
    assert isinstance(event, Circuit)
    assert event.circuit_id == "7" and event.status == "BUILT"
    assert event.path == (f"{FP1}~relay0", f"{FP2}~auth1", f"{FP3}~auth2")
    assert (event.purpose, event.socks_username, event.socks_password) == ("GENERAL", "u1", "p1")
    launched = parse_event(one(b"650 CIRC 8 LAUNCHED BUILD_FLAGS=NEED_CAPACITY PURPOSE=GENERAL\r\n"))
    assert isinstance(launched, Circuit) and launched.path == ()


def test_stream_event_and_status_lists() -> None:
    event = parse_event(
        one(
            b'650 STREAM 12 SUCCEEDED 7 xyz.onion:80 SOCKS_USERNAME="u1" SOCKS_PASSWORD="p1" PURPOSE=USER\r\n'
        )
    )
    assert event == Stream(
        "12",
        "SUCCEEDED",
        "7",
        "xyz.onion:80",
        "u1",
        "p1",
        {"SOCKS_USERNAME": "u1", "SOCKS_PASSWORD": "p1", "PURPOSE": "USER"},
    )
    info = parse_getinfo(
        one(
            b"250+stream-status=\r\n12 SUCCEEDED 7 a.onion:80\r\n"
            b"13 SENTCONNECT 9 b.onion:80\r\n.\r\n250 OK\r\n"
        )
    )
    streams = parse_stream_status(info["stream-status"])
    assert [(s.stream_id, s.circuit_id) for s in streams] == [("12", "7"), ("13", "9")]
    assert parse_stream_status("") == []
    circuits = parse_circuit_status(
        f"7 BUILT {FP1}~a,{FP2}~b PURPOSE=GENERAL\n9 EXTENDED {FP1}~a PURPOSE=HS_CLIENT_REND\n"
    )
    assert [(c.circuit_id, len(c.path), c.purpose) for c in circuits] == [
        ("7", 2, "GENERAL"),
        ("9", 1, "HS_CLIENT_REND"),
    ]
    with pytest.raises(ControlProtocolError):
        parse_stream_status("12 SUCCEEDED")


def test_hs_desc_events() -> None:
    addr = "abzgc6kilcsnlx7j637r2wiru57h3jofj4qxi3ahzcdpu3detw5kwaqd"
    uploaded = parse_event(one(f"650 HS_DESC UPLOADED {addr} UNKNOWN {FP1}~relay1\r\n".encode()))
    assert uploaded == HsDescEvent("UPLOADED", addr, f"{FP1}~relay1", None, None)
    failed = parse_event(
        one(f"650 HS_DESC FAILED {addr} NO_AUTH {FP2}~r2 DESCID REASON=NOT_FOUND\r\n".encode())
    )
    assert (
        isinstance(failed, HsDescEvent) and failed.reason == "NOT_FOUND" and failed.descriptor_id == "DESCID"
    )


def test_unknown_events_and_non_events() -> None:
    assert parse_event(one(b"650 BW 10 20\r\n")) == UnknownEvent("BW", "10 20")
    with pytest.raises(ControlProtocolError):
        parse_event(one(b"250 OK\r\n"))
    with pytest.raises(ControlProtocolError):
        parse_event(one(b"650 CIRC 7\r\n"))


# ---- fuzz: arbitrary bytes only ever raise the typed error ----


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_fuzz_arbitrary_bytes(raw: bytes) -> None:
    try:
        for reply in parse_replies(raw):
            for reader in (
                parse_getinfo,
                parse_getconf,
                parse_protocolinfo,
                parse_authchallenge,
                parse_add_onion,
            ):
                with contextlib.suppress(ControlProtocolError, ControlError):
                    reader(reply)
            if reply.is_async:
                parse_event(reply)
    except ControlProtocolError:
        pass


_LINE = st.builds(
    lambda code, div, text: f"{code}{div}{text}\r\n".encode(),
    st.sampled_from(["250", "650", "552", "515"]),
    st.sampled_from(["-", " ", "+"]),
    st.text(alphabet=st.sampled_from(list('abcAB=" \\.019/~$,_')), max_size=60),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_LINE, st.sampled_from([b".\r\n", b"..x\r\n", b"\r\n"])), max_size=12))
def test_fuzz_plausible_transcripts(lines: list[bytes]) -> None:
    raw = b"".join(lines)
    try:
        for reply in parse_replies(raw):
            if reply.is_async:
                parse_event(reply)
            else:
                try:
                    parse_getinfo(reply)
                    parse_protocolinfo(reply)
                except (ControlProtocolError, ControlError):
                    pass
    except ControlProtocolError:
        pass
