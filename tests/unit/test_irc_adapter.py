"""The asyncio IRC adapter against a scripted server on a socketpair (no tor, no ngircd):
registration, hostile long lines, SASL refusal, a lost connection re-established with the
channels rejoined, message splitting, and an empty QUIT."""

from __future__ import annotations

import asyncio
import datetime
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from timb.common.clock import FakeClock
from timb.common.ids import Jid
from timb.common.secret import Secret
from timb.net.base import ConnectionState, ConnectionStateChanged, ErrorEvent, MessageFailed, MessageIn
from timb.net.irc.account import CertificatePin
from timb.net.irc.adapter import IrcAccount, IrcAdapter, IrcNetEvent, ReconnectPolicy, split_text
from timb.net.irc.chat import IrcChatAdapter
from timb.net.irc.errors import AuthError, MalformedLine, NotConnectedError, TlsError, UnsendableMessage
from timb.net.irc.events import CommandFailed, DccRefused, PrivateMessage
from timb.net.irc.flood import FloodPolicy
from timb.net.irc.sasl import SaslEcdsa, SaslExternal

ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
FAST = ReconnectPolicy(initial=0.01, maximum=0.05, attempt_timeout=10.0)
LAX = FloodPolicy(burst_lines=100, lines_per_second=100, burst_bytes=100_000, bytes_per_second=100_000)


class Server:
    """The far end of one socketpair, as asyncio streams."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def line(self) -> str:
        async with asyncio.timeout(10):
            return (await self.reader.readline()).decode().rstrip("\r\n")

    async def expect(self, prefix: str) -> str:
        while not (line := await self.line()).startswith(prefix):
            pass
        return line

    def send(self, *lines: str | bytes) -> None:
        for line in lines:
            self.writer.write(line if isinstance(line, bytes) else line.encode() + b"\r\n")

    async def register(self, nick: str = "alice") -> None:
        await self.expect("USER")
        self.send(f":srv 001 {nick} :Welcome")


class PairDialer:
    """Hands the adapter one end of a fresh socketpair per call; the test gets the other (with
    TLS when `certificates` holds a server context for that call)."""

    def __init__(self) -> None:
        self.servers: asyncio.Queue[Server] = asyncio.Queue()
        self.calls: list[tuple[str, int, str]] = []
        self.handed: list[Server] = []
        self.certificates: list[ssl.SSLContext] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
        self.calls.append((host, port, isolation))
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        tls = self.certificates.pop(0) if self.certificates else None
        self._tasks.append(asyncio.create_task(self._serve(theirs, tls)))
        return ours

    async def _serve(self, sock: socket.socket, tls: ssl.SSLContext | None) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        protocol = asyncio.StreamReaderProtocol(reader)
        transport, _ = await loop.connect_accepted_socket(lambda: protocol, sock, ssl=tls)
        server = Server(reader, asyncio.StreamWriter(transport, protocol, reader, loop))
        self.handed.append(server)
        self.servers.put_nowait(server)

    def close(self) -> None:
        while not self.servers.empty():
            self.servers.get_nowait().writer.close()
        for server in self.handed:
            server.writer.close()

    async def next_server(self) -> Server:
        async with asyncio.timeout(10):
            return await self.servers.get()


class Collected:
    def __init__(self, adapter: IrcAdapter) -> None:
        self.seen: list[IrcNetEvent] = []
        self._changed = asyncio.Event()
        self.task = asyncio.create_task(self._pump(adapter))

    async def _pump(self, adapter: IrcAdapter) -> None:
        async for event in adapter.events():
            self.seen.append(event)
            self._changed.set()

    async def wait_for(self, predicate: Callable[[Any], bool]) -> Any:
        async with asyncio.timeout(10):
            while True:
                for event in self.seen:
                    if predicate(event):
                        return event
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
async def world() -> AsyncIterator[tuple[IrcAdapter, PairDialer, Collected]]:
    dialer = PairDialer()
    adapter = IrcAdapter(IrcAccount(host=ONION, nick="alice", tls=False, flood=LAX), dialer, policy=FAST)
    events = Collected(adapter)
    yield adapter, dialer, events
    await adapter.disconnect()
    events.task.cancel()
    dialer.close()


async def connected(adapter: IrcAdapter, dialer: PairDialer) -> Server:
    task = asyncio.create_task(adapter.connect())
    server = await dialer.next_server()
    await server.register()
    await task
    return server


async def test_registers_and_survives_an_overlong_line(world: Any) -> None:
    adapter, dialer, events = world
    server = await connected(adapter, dialer)
    assert dialer.calls == [(ONION, 6697, f"irc:alice@{ONION}")]
    assert adapter.state is ConnectionState.CONNECTED and adapter.nick == "alice"
    server.send(b"PRIVMSG alice :" + b"x" * 20_000 + b"\r\n", ":bob!b@h PRIVMSG alice :still here")
    await events.wait_for(lambda e: isinstance(e, ErrorEvent) and isinstance(e.error, MalformedLine))
    msg = await events.wait_for(lambda e: isinstance(e, PrivateMessage))
    assert (msg.sender, msg.body) == ("bob", "still here")
    server.send("PING :tok")
    assert await server.expect("PONG") == "PONG tok"


async def test_sasl_refused_fails_connect_with_auth_error() -> None:
    dialer = PairDialer()
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    sasl = SaslEcdsa("alice", Secret(key))
    adapter = IrcAdapter(
        IrcAccount(host=ONION, nick="alice", tls=False, sasl=sasl, flood=LAX), dialer, policy=FAST
    )
    task = asyncio.create_task(adapter.connect())
    server = await dialer.next_server()
    await server.expect("CAP LS")
    server.send("CAP * LS :sasl")
    await server.expect("CAP REQ")
    server.send("CAP * ACK :sasl")
    await server.expect("AUTHENTICATE ECDSA-NIST256P-CHALLENGE")
    server.send(":srv 904 alice :SASL authentication failed")
    with pytest.raises(AuthError):
        await task
    assert adapter.state is ConnectionState.FAILED
    await adapter.disconnect()


async def test_a_lost_connection_comes_back_and_rejoins_channels(world: Any) -> None:
    adapter, dialer, events = world
    server = await connected(adapter, dialer)
    adapter.join("#room")
    assert await server.expect("JOIN") == "JOIN #room"
    server.send(":alice!a@h JOIN #room")
    await events.wait_for(lambda e: type(e).__name__ == "Joined")
    server.writer.close()
    await events.wait_for(
        lambda e: isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.DISCONNECTED
    )
    with pytest.raises(NotConnectedError):
        await adapter.send_message("bob", "while away")
    second = await dialer.next_server()
    await second.register()
    assert await second.expect("JOIN") == "JOIN #room"
    assert adapter.state is ConnectionState.CONNECTED


class RefusingDialer(PairDialer):
    """A PairDialer that fails the next `refuse` calls as tor would when the server is away."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse = 0

    async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
        if self.refuse > 0:
            self.refuse -= 1
            self.calls.append((host, port, isolation))
            raise OSError("general SOCKS server failure")
        return await super().open_socket(host, port, isolation=isolation)


async def test_the_reconnect_backoff_grows_to_its_maximum_and_resets_only_after_a_stable_session() -> None:
    """A server that stays away is tried ever less often (initial, x factor, capped at maximum)
    rather than hammered through tor; so is one that registers us and drops us at once (a
    hostile server cannot make us redial every second); once a session stayed up `stable`
    seconds, the next loss starts over from initial. The waits go through the injected sleep,
    which moves the fake clock on instead of sleeping."""
    clock = FakeClock()
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)
        clock.advance(delay)
        await asyncio.sleep(0)

    dialer = RefusingDialer()
    policy = ReconnectPolicy(initial=1.0, maximum=5.0, factor=2.0, stable=30.0, attempt_timeout=10.0)
    account = IrcAccount(host=ONION, nick="alice", tls=False, flood=LAX)
    adapter = IrcAdapter(account, dialer, policy=policy, sleep=sleep, clock=clock)
    events = Collected(adapter)

    async def lose_and_come_back(server: Server, refused: int) -> Server:
        dialer.refuse = refused
        server.writer.close()
        again = await dialer.next_server()
        await again.register()
        # A channel we are in is joined again right after a reconnection registered: the JOIN
        # tells the test that the adapter is CONNECTED again.
        assert await again.expect("JOIN") == "JOIN #room"
        return again

    try:
        server = await connected(adapter, dialer)
        adapter.join("#room")
        await server.expect("JOIN")
        server.send(":alice!a@h JOIN #room")
        await events.wait_for(lambda e: type(e).__name__ == "Joined")
        assert delays == []  # the first connect() does not wait

        server = await lose_and_come_back(server, refused=5)
        assert delays == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
        assert len(dialer.calls) == 1 + 6

        delays.clear()  # dropped right after registering: no reset, the wait stays at maximum
        server = await lose_and_come_back(server, refused=0)
        server = await lose_and_come_back(server, refused=1)
        assert delays == [5.0, 5.0, 5.0]

        delays.clear()  # a session that stayed up: the next loss starts over
        clock.advance(policy.stable)
        server = await lose_and_come_back(server, refused=2)
        assert delays == [1.0, 2.0, 4.0]
        assert adapter.state is ConnectionState.CONNECTED
    finally:
        await adapter.disconnect()
        events.task.cancel()
        dialer.close()


async def test_messages_are_split_and_ctcp_is_refused_and_quit_is_empty(world: Any) -> None:
    adapter, dialer, _ = world
    server = await connected(adapter, dialer)
    with pytest.raises(UnsendableMessage):
        await adapter.send_message("bob", "\x01VERSION\x01")
    size = adapter.fragment_size("bob")
    await adapter.send_message("bob", "é" * size)  # 2 bytes each: two lines
    first, second = await server.expect("PRIVMSG"), await server.expect("PRIVMSG")
    assert first.startswith("PRIVMSG bob :é") and second.startswith("PRIVMSG bob :é")
    await adapter.disconnect()
    assert await server.expect("QUIT") == "QUIT"


def test_split_text_never_cuts_a_character() -> None:
    assert split_text("", 10) == [""]
    pieces = split_text("aé" * 50, 7)
    assert "".join(pieces) == "aé" * 50 and all(len(p.encode()) <= 7 for p in pieces)


def test_accounts_refuse_plaintext_to_a_non_onion_host() -> None:
    with pytest.raises(ValueError):
        IrcAccount(host="irc.example.net", nick="alice", tls=False)
    with pytest.raises(ValueError):
        IrcAccount(host=ONION, nick="bad nick")
    assert "pw" not in repr(IrcAccount(host=ONION, nick="alice", password=Secret("pw")))


def server_context(tmp: Path, name: str) -> tuple[ssl.SSLContext, CertificatePin]:
    """A TLS server context with a fresh self-signed certificate, and that certificate's pin."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / f"{name}.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp / f"{name}.crt", tmp / f"{name}.key")
    return ctx, CertificatePin.of(cert.public_bytes(serialization.Encoding.DER))


async def test_a_reconnection_to_an_impostor_certificate_fails_and_sends_it_nothing(tmp_path: Path) -> None:
    """Reconnecting acts for the user: against a server whose certificate changed it stops for
    good (FAILED, TlsError) and the impostor never reads a byte (no NICK, no PASS)."""
    real, pin = server_context(tmp_path, "real")
    impostor, _ = server_context(tmp_path, "impostor")
    dialer = PairDialer()
    dialer.certificates = [real, impostor]
    account = IrcAccount(host=ONION, nick="alice", pin=pin, password=Secret("server-pw"), flood=LAX)
    adapter = IrcAdapter(account, dialer, policy=FAST)
    events = Collected(adapter)
    server = await connected(adapter, dialer)
    server.writer.close()
    failed = await events.wait_for(
        lambda e: isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.FAILED
    )
    assert isinstance(failed.error, TlsError)
    fake = await dialer.next_server()
    try:
        async with asyncio.timeout(10):
            received = await fake.reader.read()
    except (ConnectionResetError, ssl.SSLError):
        received = b""  # the adapter aborted the stream (RST) right after the handshake
    assert received == b""
    assert len(dialer.calls) == 2  # no further retries after a TLS failure
    await adapter.disconnect()
    events.task.cancel()
    dialer.close()


async def test_the_chat_adapter_speaks_the_cores_protocol(world: Any) -> None:
    adapter, dialer, _ = world
    chat = IrcChatAdapter(adapter, ONION)
    server = await connected(adapter, dialer)
    bob = chat.contact("Bob")
    assert bob == Jid("bob", ONION, None)
    await chat.send_message(bob, "?OTRv23?\nI would like to start an Off-the-Record private conversation")
    assert (await server.expect("PRIVMSG")).startswith("PRIVMSG bob :?OTRv23? I would like")
    await chat.send_message(bob, "two\nlines")
    assert [await server.expect("PRIVMSG"), await server.expect("PRIVMSG")] == [
        "PRIVMSG bob :two",
        "PRIVMSG bob :lines",
    ]
    with pytest.raises(UnsendableMessage):
        await chat.send_message(bob, "?OTR:" + "A" * chat.fragment_size(bob))
    with pytest.raises(UnsendableMessage):
        await chat.send_message(Jid("bob", "other.example", None), "hi")
    assert await chat.roster() == ()
    assert chat._convert(PrivateMessage("Bob", "?OTR:x")) == MessageIn(bob, "?OTR:x")
    assert chat._convert(PrivateMessage("Bob", "x", notice=True)) is None
    assert chat._convert(CommandFailed("401", "Bob", "No such nick")) == MessageFailed(
        None, bob, "irc-no-such-nick"
    )
    refused = chat._convert(DccRefused("eve", "SEND"))
    assert isinstance(refused, ErrorEvent) and "around Tor" in str(refused.error)
    assert isinstance(chat._convert(PrivateMessage('bad"nick', "x")), ErrorEvent)


def test_sasl_external_needs_tls_and_a_client_certificate(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    with pytest.raises(ValueError, match="EXTERNAL"):
        IrcAccount(host=ONION, nick="alice", sasl=SaslExternal())  # no certificate to present
    with pytest.raises(ValueError, match="EXTERNAL"):
        IrcAccount(host=ONION, nick="alice", tls=False, sasl=SaslExternal(), client_cert=cert)
    assert IrcAccount(host=ONION, nick="alice", sasl=SaslExternal(), client_cert=cert).client_cert == cert


async def log_in_by_external(server: Server, account: str = "certuser") -> None:
    """The server's side of CAP + SASL EXTERNAL for nick alice (the certificate was already
    checked in the handshake): the client must send the empty response, then CAP END."""
    await server.expect("CAP LS")
    server.send("CAP * LS :sasl=EXTERNAL")
    assert await server.expect("CAP REQ") == "CAP REQ :sasl"
    server.send("CAP alice ACK :sasl")
    await server.expect("AUTHENTICATE EXTERNAL")
    server.send("AUTHENTICATE +")
    assert await server.expect("AUTHENTICATE") == "AUTHENTICATE +"
    server.send(f":srv 900 alice alice!u@h {account} :You are now logged in", ":srv 903 alice :SASL ok")
    await server.expect("CAP END")
    server.send(":srv 001 alice :Welcome")


async def test_sasl_external_presents_the_client_certificate_and_logs_in(tmp_path: Path) -> None:
    """EXTERNAL end to end against a scripted TLS server that requires a client certificate:
    the one in the account is presented in the handshake, then the empty EXTERNAL response."""
    _, client_pin = server_context(tmp_path, "client")
    client_pem = tmp_path / "client.pem"
    client_pem.write_bytes((tmp_path / "client.crt").read_bytes() + (tmp_path / "client.key").read_bytes())
    server_ctx, pin = server_context(tmp_path, "srv")
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    server_ctx.load_verify_locations(tmp_path / "client.crt")
    dialer = PairDialer()
    dialer.certificates = [server_ctx]
    account = IrcAccount(
        host=ONION, nick="alice", pin=pin, client_cert=client_pem, sasl=SaslExternal(), flood=LAX
    )
    adapter = IrcAdapter(account, dialer, policy=FAST)
    task = asyncio.create_task(adapter.connect())
    server = await dialer.next_server()
    presented = server.writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    assert CertificatePin.of(presented) == client_pin
    await log_in_by_external(server)
    async with asyncio.timeout(10):
        await task
    assert adapter.state is ConnectionState.CONNECTED
    await adapter.disconnect()
    dialer.close()
