"""Fuzz the tor control-port reply parser (`timb.tor.control.reply`) and the typed readers on top of
it (`parse_getinfo`, `parse_protocolinfo`, `parse_authchallenge`, `parse_add_onion`, ...,
`timb.tor.control.events.parse_event`).

Inputs are arbitrary bytes, or mutations of genuine transcripts (tor 0.4.9's answers to the
commands TIMB sends, and the events it subscribes to), fed to `ReplyParser` whole and again in
chunks cut where the fuzzer says.

Checked: nothing but `ControlProtocolError` escapes the parser, nothing but it or `ControlError`
escapes a reader; the chunking never matters (same replies, same error, same pending state).
"""

from __future__ import annotations

import contextlib
import sys

from fuzzlib import Provider, check, instrumented, mutate, run

with instrumented():
    from timb.tor.control.events import (
        parse_bootstrap,
        parse_circuit_status,
        parse_event,
        parse_stream_status,
    )
    from timb.tor.control.reply import (
        ControlProtocolError,
        Reply,
        ReplyParser,
        parse_add_onion,
        parse_authchallenge,
        parse_getconf,
        parse_getinfo,
        parse_protocolinfo,
        split_arguments,
        unquote,
    )
    from timb.tor.errors import ControlError

TRANSCRIPTS = [
    b"250-PROTOCOLINFO 1\r\n"
    b'250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE="/tmp/t\\303\\251st/control_auth_cookie"\r\n'
    b'250-VERSION Tor="0.4.9.1-alpha"\r\n250 OK\r\n',
    b"250 AUTHCHALLENGE SERVERHASH=" + b"AB" * 32 + b" SERVERNONCE=" + b"cd" * 32 + b"\r\n",
    b'250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"\r\n250 OK\r\n',
    b"250+circuit-status=\r\n1 BUILT $AAAA~a,$BBBB~b PURPOSE=GENERAL\r\n..dotted\r\n.\r\n250 OK\r\n",
    b"250+stream-status=\r\n5 SUCCEEDED 1 example.onion:80\r\n.\r\n250 OK\r\n",
    b"250-ServiceID=abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd\r\n"
    b"250-PrivateKey=ED25519-V3:AAAA+/==\r\n250 OK\r\n",
    b'552 Unrecognized key "nope"\r\n',
    b"250-SocksPort=9050\r\n250-SocksPort=127.0.0.1:9150\r\n250 ControlPort\r\n",
    b'650 STATUS_CLIENT WARN BOOTSTRAP PROGRESS=10 TAG=conn SUMMARY="x" WARNING="no route"\r\n',
    b'650 CIRC 7 LAUNCHED PURPOSE=HS_CLIENT_REND SOCKS_USERNAME="u" SOCKS_PASSWORD="p"\r\n',
    b"650 STREAM 9 NEW 0 x.onion:5222 SOCKS_USERNAME=a\r\n",
    b"650 HS_DESC RECEIVED abc NO_AUTH $DIR~n descid REASON=x\r\n",
    b"650 STATUS_GENERAL NOTICE CLOCK_JUMPED TIME=5\r\n",
    b"650+NS\r\nr a b c\r\n.\r\n650 OK\r\n",
]
EXPECTED = (ControlProtocolError, ControlError)


def _feed(chunks: list[bytes]) -> tuple[list[Reply], str | None, bool]:
    """The replies completed, the error (if any) and whether a reply is still pending."""
    parser = ReplyParser()
    replies: list[Reply] = []
    for chunk in chunks:
        try:
            replies += parser.feed(chunk)
        except ControlProtocolError as exc:
            return replies, str(exc), parser.pending
    return replies, None, parser.pending


def _readers(reply: Reply) -> None:
    for reader in (
        parse_getinfo,
        parse_getconf,
        parse_protocolinfo,
        parse_authchallenge,
        parse_add_onion,
        parse_event,
        Reply.raise_for_status,
    ):
        with contextlib.suppress(*EXPECTED):
            reader(reply)
    for line in reply.lines:
        for text_reader in (parse_bootstrap, split_arguments, parse_circuit_status, parse_stream_status):
            with contextlib.suppress(ControlProtocolError):
                text_reader(line.text if line.data is None else line.data)
        quote = line.text.find('"')
        if quote >= 0:
            with contextlib.suppress(ControlProtocolError):
                unquote(line.text, quote)


def test_one_input(data: bytes) -> None:
    p = Provider(data)
    genuine = p.flag()
    raw = mutate(p, b"".join(p.pick(TRANSCRIPTS) for _ in range(p.number(1, 3)))) if genuine else p.rest()
    cuts = sorted({p.number(0, len(raw)) for _ in range(p.number(0, 8))})
    chunks = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    whole, whole_error, whole_pending = _feed([raw])
    chunked, chunked_error, chunked_pending = _feed(chunks)
    check((whole_error is None) == (chunked_error is None), f"chunking changed the outcome: {chunked_error}")
    if whole_error is None:
        check(whole == chunked and whole_pending == chunked_pending, "chunking changed the replies")
    else:
        check(whole_error == chunked_error, "chunking changed the error")
    for reply in chunked:
        _readers(reply)


if __name__ == "__main__":
    run(test_one_input, sys.argv)
