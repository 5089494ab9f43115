"""The one network door, against a scripted SOCKS5 server on loopback (no tor needed).

The fake server records exactly what a client sends, so these tests show what tor would see:
the destination name inside the request (ATYP 3), credentials derived from the isolation key.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from timb.common.errors import InvalidIdentifier
from timb.common.ids import OnionAddress
from timb.tor import socks
from timb.tor.errors import StreamError, TorUnavailable

ONION = OnionAddress.from_public_key(bytes(range(32))).host


@dataclass
class FakeSocks:
    """A SOCKS5 server that accepts username/password auth and answers CONNECT with ``reply``."""

    reply: int = 0x00
    cut_after_greeting: bool = False
    requests: list[tuple[str, str, int, str, int]] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            ver, n = await reader.readexactly(2)
            methods = await reader.readexactly(n)
            assert ver == 5 and 2 in methods
            if self.cut_after_greeting:
                return
            writer.write(b"\x05\x02")
            _, ulen = await reader.readexactly(2)
            user = (await reader.readexactly(ulen)).decode()
            (plen,) = await reader.readexactly(1)
            password = (await reader.readexactly(plen)).decode()
            writer.write(b"\x01\x00")
            _ver, _cmd, _rsv, atyp = await reader.readexactly(4)
            if atyp == 3:
                (hlen,) = await reader.readexactly(1)
                host = (await reader.readexactly(hlen)).decode()
            elif atyp == 1:
                host = socket.inet_ntoa(await reader.readexactly(4))
            else:
                host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
            (port,) = struct.unpack("!H", await reader.readexactly(2))
            self.requests.append((user, password, atyp, host, port))
            writer.write(bytes([5, self.reply, 0, 1, 0, 0, 0, 0, 0, 0]))
            await writer.drain()
            if self.reply == 0:
                data = await reader.read(100)
                writer.write(b"echo:" + data)
                await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def fake_socks() -> AsyncIterator[FakeSocks]:
    fake = FakeSocks()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    yield fake
    server.close()
    await server.wait_closed()


def test_isolation_credentials_are_stable_distinct_and_hide_the_key() -> None:
    alice = socks.isolation_credentials("account:alice@example.org")
    assert alice == socks.isolation_credentials("account:alice@example.org")
    assert alice != socks.isolation_credentials("account:bob@example.org")
    assert all(len(part) == 32 and "alice" not in part for part in alice)
    # The salt is random per process: another salt gives unrelated credentials for the same key.
    assert socks.isolation_credentials("k", salt=b"1" * 32) != socks.isolation_credentials(
        "k", salt=b"2" * 32
    )
    with pytest.raises(ValueError, match="isolation key"):
        socks.isolation_credentials("")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.4.5.6", "::1"])
def test_loopback_literals_are_accepted(host: str) -> None:
    assert socks.require_loopback(host) == host


@pytest.mark.parametrize("host", ["localhost", "10.0.0.1", "0.0.0.0", "example.com", "", "::", "192.168.1.1"])
def test_everything_else_is_refused(host: str) -> None:
    with pytest.raises(ValueError):
        socks.require_loopback(host)


@pytest.mark.parametrize(
    "host,port", [("", 80), ("a b.onion", 80), ("é.example", 80), ("x" * 256, 80), ("ok.onion", 0)]
)
def test_bad_destinations_are_refused(host: str, port: int) -> None:
    with pytest.raises(ValueError):
        socks.check_destination(host, port)


async def test_non_loopback_socks_host_is_refused_before_any_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_connect(*args: object, **kwargs: object) -> None:
        raise AssertionError("connect attempted")

    monkeypatch.setattr(socket.socket, "connect", no_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", no_connect)
    with pytest.raises(ValueError, match="loopback"):
        await socks.open_stream("10.1.2.3", 9050, "example.onion", 80, isolation="k")


async def test_name_travels_to_the_proxy_and_is_never_resolved(
    fake_socks: FakeSocks, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_resolve(*args: object, **kwargs: object) -> None:
        raise AssertionError("local name resolution attempted")

    monkeypatch.setattr(socket, "getaddrinfo", no_resolve)
    monkeypatch.setattr(socket, "gethostbyname", no_resolve)
    reader, writer = await socks.open_stream(
        "127.0.0.1", fake_socks.port, "chat.example.org", 5222, isolation="acct1"
    )
    writer.write(b"hi")
    assert await reader.read(100) == b"echo:hi"
    sock = writer.get_extra_info("socket")
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    writer.close()
    user, password, atyp, host, port = fake_socks.requests[0]
    assert (atyp, host, port) == (3, "chat.example.org", 5222)  # ATYP 3: the name, for tor to resolve
    assert (user, password) == socks.isolation_credentials("acct1")


async def test_two_isolation_keys_send_two_credentials(fake_socks: FakeSocks) -> None:
    for key in ("contact:a", "contact:b", "contact:a"):
        _, writer = await socks.open_stream("127.0.0.1", fake_socks.port, ONION, 80, isolation=key)
        writer.close()
    creds = [(u, p) for u, p, *_ in fake_socks.requests]
    assert creds[0] != creds[1] and creds[0] == creds[2]


@pytest.mark.parametrize(
    "code,reason",
    [
        (0x04, "host unreachable"),
        (0x05, "refused"),
        (0xF0, "descriptor cannot be found"),
        (0xF6, "onion address is invalid"),
    ],
)
async def test_socks_errors_become_stream_errors(fake_socks: FakeSocks, code: int, reason: str) -> None:
    fake_socks.reply = code
    with pytest.raises(StreamError) as info:
        await socks.open_stream("127.0.0.1", fake_socks.port, ONION, 80, isolation="k")
    assert reason in info.value.reason


async def test_nothing_listening_is_tor_unavailable() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # a port that was free a moment ago: nothing listens there
    with pytest.raises(TorUnavailable):
        await socks.open_stream("127.0.0.1", port, ONION, 80, isolation="k")


async def test_proxy_hanging_up_mid_handshake_is_tor_unavailable(fake_socks: FakeSocks) -> None:
    fake_socks.cut_after_greeting = True
    with pytest.raises(TorUnavailable):
        await socks.open_stream("127.0.0.1", fake_socks.port, ONION, 80, isolation="k")


@pytest.mark.parametrize(
    "host",
    [
        "expyuzz4wqqyqhjn.onion",  # v2: obsolete
        ONION[:5] + ("b" if ONION[5] != "b" else "c") + ONION[6:],  # one character off: bad checksum
        "x.onion",
        "not a host.onion",
    ],
)
async def test_invalid_onion_addresses_are_rejected_before_any_connect(
    host: str, fake_socks: FakeSocks, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValueError):
        await socks.open_stream("127.0.0.1", fake_socks.port, host, 80, isolation="k")
    assert fake_socks.requests == []
    with pytest.raises(InvalidIdentifier):
        socks.check_destination("expyuzz4wqqyqhjn.onion", 80)
