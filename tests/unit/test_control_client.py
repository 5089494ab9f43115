"""ControlConnection and TorClient.attach against a scripted control port on loopback (no tor).

The fake speaks just enough control-spec to check authentication (SAFECOOKIE's HMACs both ways),
reply routing (events interleaved with replies), connection loss and the offline guard.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from timb.common.secret import Secret
from timb.tor.bridge_control import set_bridges
from timb.tor.bridges import parse_bridge_line
from timb.tor.client import TorClient
from timb.tor.control.client import CONTROLLER_TO_SERVER, SERVER_TO_CONTROLLER, ControlConnection
from timb.tor.control.events import BootstrapEvent
from timb.tor.control.reply import ControlProtocolError
from timb.tor.errors import ControlError, OfflineGuardError, TorUnavailable

COOKIE = bytes(range(32))
PRIVATE_CONF = (
    "250-TestingTorNetwork=1\r\n"
    "250-DirAuthority=auth0 orport=5000 no-v2 v3ident=AA 127.0.0.1:5100 BB\r\n"
    "250 ExitPolicy\r\n"
)
PUBLIC_CONF = "250-TestingTorNetwork=0\r\n250-DirAuthority\r\n250 ExitPolicy\r\n"


@dataclass
class FakeTor:
    cookie_file: Path
    methods: str = "COOKIE,SAFECOOKIE"
    lie_in_server_hash: bool = False
    getconf: str = PRIVATE_CONF
    hang_on: str | None = None  # close the connection instead of answering this command
    received: list[str] = field(default_factory=list)
    authenticated: bool = False
    port: int = 0
    on_getinfo: Callable[[str], str] | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client_nonce = server_nonce = b""
        try:
            while line := (await reader.readline()).decode().rstrip("\r\n"):
                self.received.append(line)
                word, _, rest = line.partition(" ")
                if word == self.hang_on:
                    return
                if word == "PROTOCOLINFO":
                    answer = (
                        f"250-PROTOCOLINFO 1\r\n"
                        f'250-AUTH METHODS={self.methods} COOKIEFILE="{self.cookie_file}"\r\n'
                        '250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n'
                    )
                elif word == "AUTHCHALLENGE":
                    client_nonce, server_nonce = bytes.fromhex(rest.split()[1]), b"\x07" * 32
                    msg = COOKIE + client_nonce + server_nonce
                    proof = hmac.new(SERVER_TO_CONTROLLER, msg, hashlib.sha256).digest()
                    if self.lie_in_server_hash:
                        proof = bytes(32)
                    answer = (
                        f"250 AUTHCHALLENGE SERVERHASH={proof.hex()} SERVERNONCE={server_nonce.hex()}\r\n"
                    )
                elif word == "AUTHENTICATE":
                    msg = COOKIE + client_nonce + server_nonce
                    good = {
                        hmac.new(CONTROLLER_TO_SERVER, msg, hashlib.sha256).hexdigest()
                        if client_nonce
                        else "",
                        COOKIE.hex() if "SAFECOOKIE" not in self.methods else "",
                    } - {""}
                    self.authenticated = rest in good or self.methods == "NULL"
                    answer = "250 OK\r\n" if self.authenticated else "515 Authentication failed\r\n"
                elif not self.authenticated:
                    answer = "514 Authentication required.\r\n"
                elif word == "GETINFO":
                    # An event first: the reader must route it away from the command's reply.
                    answer = '650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=50 TAG=x SUMMARY="half"\r\n'
                    answer += self.on_getinfo(rest) if self.on_getinfo else f"250-{rest}=value\r\n250 OK\r\n"
                elif word == "GETCONF":
                    answer = self.getconf
                else:
                    answer = "250 OK\r\n"
                writer.write(answer.encode())
                await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def fake_tor(tmp_path: Path) -> AsyncIterator[FakeTor]:
    cookie = tmp_path / "control_auth_cookie"
    cookie.write_bytes(COOKIE)
    fake = FakeTor(cookie)
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    yield fake
    server.close()
    await server.wait_closed()


async def connect(fake: FakeTor) -> ControlConnection:
    return await ControlConnection.connect("127.0.0.1", fake.port)


async def test_safecookie_proves_both_ways_and_never_sends_the_cookie(fake_tor: FakeTor) -> None:
    async with await connect(fake_tor) as conn:
        await conn.authenticate()
        assert fake_tor.authenticated
        assert await conn.get_info("version") == {"version": "value"}
    assert not any(COOKIE.hex() in line for line in fake_tor.received)


async def test_a_wrong_server_proof_is_refused_before_authenticating(fake_tor: FakeTor) -> None:
    fake_tor.lie_in_server_hash = True
    conn = await connect(fake_tor)
    with pytest.raises(ControlProtocolError, match="not the tor"):
        await conn.authenticate()
    assert not any(line.startswith("AUTHENTICATE") for line in fake_tor.received)
    await conn.close()


async def test_plain_cookie_only_with_a_cookie_file_the_user_configured(fake_tor: FakeTor) -> None:
    fake_tor.methods = "COOKIE"
    async with await connect(fake_tor) as conn:
        await conn.authenticate(cookie_path=fake_tor.cookie_file)
    assert fake_tor.authenticated


@pytest.mark.parametrize("methods", ["COOKIE", "NULL", "HASHEDPASSWORD", "COOKIE,NULL,HASHEDPASSWORD"])
async def test_a_squatter_offering_weaker_methods_learns_nothing(
    fake_tor: FakeTor, tmp_path: Path, methods: str
) -> None:
    # A process on the control port names a 32-byte file of the user's as its COOKIEFILE,
    # hoping TIMB sends it in clear (COOKIE), or trusts it without proof (NULL).
    secret_file = tmp_path / "some_key"
    secret_file.write_bytes(b"\xa5" * 32)
    fake_tor.cookie_file = secret_file
    fake_tor.methods = methods
    conn = await connect(fake_tor)
    with pytest.raises(ControlProtocolError, match="SAFECOOKIE"):
        await conn.authenticate()
    assert conn.is_closed
    assert not fake_tor.authenticated
    assert not any(line.startswith("AUTHENTICATE") for line in fake_tor.received)
    assert not any((b"\xa5" * 32).hex() in line for line in fake_tor.received)


async def test_a_configured_password_is_used_when_offered(fake_tor: FakeTor) -> None:
    fake_tor.methods = "HASHEDPASSWORD"
    async with await connect(fake_tor) as conn:
        with pytest.raises(ControlError):  # the fake knows no password: 515
            await conn.authenticate(password=Secret("hunter2"))
    assert 'AUTHENTICATE "hunter2"' in fake_tor.received


async def test_no_password_is_sent_unless_given(fake_tor: FakeTor) -> None:
    fake_tor.methods = "HASHEDPASSWORD,SAFECOOKIE"
    async with await connect(fake_tor) as conn:
        await conn.authenticate()
    assert fake_tor.authenticated
    assert not any('AUTHENTICATE "' in line for line in fake_tor.received)


async def test_rejected_credentials_are_a_control_error(fake_tor: FakeTor, tmp_path: Path) -> None:
    fake_tor.methods = "COOKIE"
    wrong = tmp_path / "wrong_cookie"
    wrong.write_bytes(b"\x01" * 32)
    async with await connect(fake_tor) as conn:
        with pytest.raises(ControlError) as info:
            await conn.authenticate(cookie_path=wrong)
    assert info.value.code == 515


async def test_events_are_routed_apart_from_replies(fake_tor: FakeTor) -> None:
    async with await connect(fake_tor) as conn:
        await conn.authenticate()
        events = conn.subscribe()
        assert await conn.get_info("a") == {"a": "value"}
        assert await conn.get_info("b") == {"b": "value"}
        first = await anext(events)
        assert isinstance(first, BootstrapEvent) and first.status.progress == 50


async def test_connection_loss_fails_pending_and_later_calls(fake_tor: FakeTor) -> None:
    fake_tor.hang_on = "SIGNAL"
    async with await connect(fake_tor) as conn:
        await conn.authenticate()
        events = conn.subscribe()
        with pytest.raises(TorUnavailable):
            await conn.signal("NEWNYM")
        with pytest.raises(TorUnavailable):
            await conn.get_info("version")
        with pytest.raises(TorUnavailable):
            await anext(events)
        assert conn.is_closed


async def test_nothing_listening_is_tor_unavailable() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(TorUnavailable):
        await ControlConnection.connect("127.0.0.1", port)


@pytest.mark.parametrize("host", ["localhost", "192.0.2.1", "example.org"])
async def test_only_loopback_control_ports(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        await ControlConnection.connect(host, 9051)


async def test_command_lines_cannot_smuggle_a_second_command(fake_tor: FakeTor) -> None:
    async with await connect(fake_tor) as conn:
        await conn.authenticate()
        for bad in ["a\r\nSIGNAL HALT", "a b", ""]:
            with pytest.raises(ValueError):
                await conn.get_info(bad)
        with pytest.raises(ValueError):
            await conn.command("GETINFO a\nSIGNAL HALT")
    assert not any("HALT" in line for line in fake_tor.received)


async def test_attach_refuses_a_public_tor_when_offline(
    fake_tor: FakeTor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMB_OFFLINE", "1")
    fake_tor.getconf = PUBLIC_CONF
    with pytest.raises(OfflineGuardError):
        await TorClient.attach("127.0.0.1", fake_tor.port)
    assert any(line.startswith("GETCONF TestingTorNetwork DirAuthority") for line in fake_tor.received)
    assert not any(line.startswith("GETINFO") for line in fake_tor.received)


async def test_attach_to_a_private_tor_finds_its_socks_port(fake_tor: FakeTor) -> None:
    fake_tor.on_getinfo = lambda key: f'250-{key}="unix:/x/socks" "127.0.0.1:19050"\r\n250 OK\r\n'
    async with await TorClient.attach("127.0.0.1", fake_tor.port) as tor:
        assert tor.socks_endpoint == ("127.0.0.1", 19050)


async def test_attach_without_offline_mode_skips_the_guard(
    fake_tor: FakeTor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIMB_OFFLINE", raising=False)
    fake_tor.getconf = PUBLIC_CONF
    fake_tor.on_getinfo = lambda key: f'250-{key}="127.0.0.1:9050"\r\n250 OK\r\n'
    async with await TorClient.attach("127.0.0.1", fake_tor.port) as tor:
        assert tor.socks_endpoint == ("127.0.0.1", 9050)
    assert not any(line.startswith("GETCONF") for line in fake_tor.received)


async def test_set_bridges_is_judged_by_the_offline_guard_before_anything_is_sent(
    fake_tor: FakeTor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMB_OFFLINE", "1")
    fake_tor.on_getinfo = lambda key: f'250-{key}="127.0.0.1:19050"\r\n250 OK\r\n'
    public = parse_bridge_line("192.0.2.7:443 " + "AB" * 20)
    loopback = parse_bridge_line("127.0.0.1:5000 " + "AB" * 20)
    async with await TorClient.attach("127.0.0.1", fake_tor.port) as tor:
        with pytest.raises(OfflineGuardError, match=r"192\.0\.2\.7"):
            await set_bridges(tor, [public], [])
        assert not any(line.startswith("SETCONF") for line in fake_tor.received)
        await set_bridges(tor, [loopback], [])
    assert f'SETCONF UseBridges="1" Bridge="127.0.0.1:5000 {"AB" * 20}"' in fake_tor.received
