"""TCP_QUICKACK re-armed after each read: the helper, open_stream's protocol, the XMPP client.

Why it exists: tor writes to our SOCKS connection with Nagle on, and a delayed ACK on our side
held the second part of a stanza back ~40 ms (docs/xmpp.md). The kernel-level test drives a real
loopback TCP connection into delayed-ACK ("ping-pong") mode and checks the helper leaves it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

import timb.net.xmpp.client as xmpp_client
from timb.net.xmpp.client import TorClientXMPP
from timb.net.xmpp.tls import make_ssl_context
from timb.tor import socks

LINUX_QUICKACK = pytest.mark.skipif(not hasattr(socket, "TCP_QUICKACK"), reason="Linux TCP_QUICKACK only")


@pytest.fixture
def tcp_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = socket.create_connection(listener.getsockname(), timeout=5)
        server, _ = listener.accept()
    try:
        yield client, server
    finally:
        client.close()
        server.close()


def quickack(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK)


@LINUX_QUICKACK
def test_rearm_leaves_delayed_ack_mode(tcp_pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = tcp_pair
    server.settimeout(5)
    for _ in range(10):  # request/answer traffic: the kernel switches to delayed ACKs
        server.sendall(b"x" * 10)
        client.recv(100)
        client.sendall(b"y")
        server.recv(100)
    assert quickack(client) == 0, "the kernel did not enter delayed-ACK mode: the test proves nothing"
    assert socks.rearm_quickack(client) is True
    assert quickack(client) == 1


@LINUX_QUICKACK
def test_not_tcp_or_closed_is_false_not_an_error() -> None:
    a, b = socket.socketpair()  # AF_UNIX: no TCP options
    with a, b:
        assert socks.rearm_quickack(a) is False
    assert socks.rearm_quickack(a) is False  # closed
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        assert socks.rearm_quickack(udp) is False


def test_where_the_option_does_not_exist_it_is_a_no_op(
    tcp_pair: tuple[socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(socket, "TCP_QUICKACK", raising=False)
    assert socks.rearm_quickack(tcp_pair[0]) is False


def test_only_sockets_are_accepted() -> None:
    with pytest.raises(TypeError):
        socks.rearm_quickack(object())


class Recorder:
    def __init__(self) -> None:
        self.sockets: list[object] = []
        self.called = asyncio.Event()

    def __call__(self, sock: object) -> bool:
        self.sockets.append(sock)
        self.called.set()
        return True


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer the SOCKS5 handshake (no auth check), then echo."""
    await reader.readexactly(2 + 2)  # greeting with two methods (no-auth, user/pass)
    writer.write(b"\x05\x02")
    _, ulen = await reader.readexactly(2)
    await reader.readexactly(ulen)
    (plen,) = await reader.readexactly(1)
    await reader.readexactly(plen)
    writer.write(b"\x01\x00")
    _ver, _cmd, _rsv, _atyp, hlen = await reader.readexactly(5)
    await reader.readexactly(hlen + 2)
    writer.write(bytes([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]))
    while data := await reader.read(100):
        writer.write(data)
    writer.close()


@pytest.mark.parametrize("enabled", [True, False])
async def test_open_stream_rearms_after_each_read(monkeypatch: pytest.MonkeyPatch, enabled: bool) -> None:
    recorder = Recorder()
    monkeypatch.setattr(socks, "rearm_quickack", recorder)
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await socks.open_stream(
            "127.0.0.1", port, "chat.example.org", 5222, isolation="k", quickack=enabled
        )
        for chunk in (b"one", b"two"):
            writer.write(chunk)
            assert await reader.readexactly(3) == chunk
        raw = writer.get_extra_info("socket")
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
    if enabled:
        assert len(recorder.sockets) == 2
        assert all(s.fileno() == raw.fileno() for s in recorder.sockets if isinstance(s, socket.socket))
    else:
        assert recorder.sockets == []


async def test_the_xmpp_client_rearms_on_the_dialers_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    monkeypatch.setattr(xmpp_client, "rearm_quickack", recorder)
    handed: list[socket.socket] = []

    class PairDialer:
        async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
            ours, peer = socket.socketpair()
            ours.setblocking(False)
            handed.extend((ours, peer))
            return ours

    xmpp = TorClientXMPP(
        "alice@timb.test/r1",
        "pw",
        dialer=PairDialer(),
        isolation="iso",
        ssl_context=make_ssl_context(),
        pin=None,
        direct_tls=False,
        on_failure=lambda e: None,
        on_crash=lambda e: None,
    )
    connected = asyncio.Event()
    xmpp.add_event_handler("connected", lambda _: connected.set())
    xmpp.connect("timb.test", 5222)
    await asyncio.wait_for(connected.wait(), 5)
    assert recorder.sockets == []  # nothing read yet
    ours, peer = handed
    peer.sendall(
        b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        b"xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='timb.test' version='1.0'>"
    )
    await asyncio.wait_for(recorder.called.wait(), 5)
    assert all(s is ours for s in recorder.sockets)
    xmpp.abort()
    peer.close()
