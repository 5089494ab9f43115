"""The IRC adapter against a real ngircd published as an onion service on the private Tor
network: two adapters over Tor exchange private messages (the adapter opens no connection
except to tor's SOCKS port and resolves nothing), channels work, a lost connection is
re-established, and a raw client's CTCP probes, WHOIS and DCC offer learn nothing identifying.
(A 4 KB message in OTR fragments sized by `fragment_size`: test_irc_otr.py.)
"""

from __future__ import annotations

import asyncio
import getpass
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.fixtures.ircd import ONION_PORT, IrcServer
from timb.net.base import ConnectionState, ConnectionStateChanged, TlsError
from timb.net.irc.adapter import IrcAccount, IrcAdapter, IrcNetEvent, ReconnectPolicy
from timb.net.irc.events import (
    ChannelMessage,
    CtcpIgnored,
    DccRefused,
    Joined,
    Names,
    Parted,
    PrivateMessage,
    TopicChanged,
)
from timb.net.irc.session import GENERIC_REALNAME, GENERIC_USERNAME
from timb.net.tls import CertificatePin
from timb.tor.client import TorClient

pytestmark = pytest.mark.integration

FAST = ReconnectPolicy(initial=0.2, maximum=2.0, attempt_timeout=90.0)
_names = iter(range(100, 1000))


class Events:
    """An adapter's events collected by a pump task; `wait_for` returns the first match not
    taken before (waiting never cancels the adapter's iterator)."""

    def __init__(self, adapter: IrcAdapter) -> None:
        self.seen: list[IrcNetEvent] = []
        self._taken: set[int] = set()
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._pump(adapter))

    async def _pump(self, adapter: IrcAdapter) -> None:
        async for event in adapter.events():
            self.seen.append(event)
            self._changed.set()

    async def wait_for(self, predicate: Callable[[IrcNetEvent], bool], within: float = 60.0) -> Any:
        async with asyncio.timeout(within):
            while True:
                for i, event in enumerate(self.seen):
                    if i not in self._taken and predicate(event):
                        self._taken.add(i)
                        return event
                if self._task.done():
                    self._task.result()
                self._changed.clear()
                await self._changed.wait()

    def close(self) -> None:
        self._task.cancel()


Client = tuple[IrcAdapter, Events]
Factory = Callable[..., Awaitable[Client]]


class NetworkAudit:
    """While active: no name resolution, and every TCP connect goes to tor's SOCKS port."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, allowed: set[tuple[str, int]]) -> None:
        self.connects: list[Any] = []
        loop = asyncio.get_running_loop()
        real_sock_connect = loop.sock_connect

        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("name resolution or a direct dial was attempted")

        async def refuse_async(*args: Any, **kwargs: Any) -> Any:
            refuse()

        async def audited(sock: socket.socket, address: Any) -> None:
            self.connects.append(address)
            assert tuple(address[:2]) in allowed, f"connect to {address!r} bypasses tor"
            await real_sock_connect(sock, address)

        monkeypatch.setattr(socket, "getaddrinfo", refuse)
        monkeypatch.setattr(socket, "gethostbyname", refuse)
        monkeypatch.setattr(socket, "create_connection", refuse)
        monkeypatch.setattr(loop, "getaddrinfo", refuse_async)
        monkeypatch.setattr(loop, "sock_connect", audited)


@pytest.fixture
async def tor(exit_tor_client: Any) -> AsyncIterator[TorClient]:
    client = await TorClient.attach(
        "127.0.0.1", exit_tor_client.control_port, cookie_path=exit_tor_client.cookie_path
    )
    await client.wait_bootstrapped(timeout_s=120)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def make_client(tor: TorClient, ircd_onion: str, ircd_server: IrcServer) -> AsyncIterator[Factory]:
    made: list[Client] = []
    pin = ircd_server.pin()

    async def make(nick: str, *, connect: bool = True, **overrides: Any) -> Client:
        options: dict[str, Any] = {"host": ircd_onion, "port": ONION_PORT, "pin": pin} | overrides
        adapter = IrcAdapter(IrcAccount(nick=nick, **options), tor, policy=FAST)
        events = Events(adapter)
        made.append((adapter, events))
        if connect:
            await adapter.connect()
        return adapter, events

    try:
        yield make
    finally:
        for adapter, events in made:
            await adapter.disconnect()
            events.close()


def nick(base: str) -> str:
    return f"{base}{next(_names)}"


def private_from(sender: str, body: str | None = None) -> Callable[[IrcNetEvent], bool]:
    return lambda e: isinstance(e, PrivateMessage) and e.sender == sender and (body is None or e.body == body)


async def test_private_messages_both_ways_over_the_onion_and_nothing_but_tor(
    make_client: Factory, exit_tor_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit = NetworkAudit(monkeypatch, {("127.0.0.1", exit_tor_client.socks_port)})
    alice, bob = await make_client(nick("alice")), await make_client(nick("bob"))
    a_nick, b_nick = alice[0].nick, bob[0].nick
    assert a_nick and b_nick
    await alice[0].send_message(b_nick, "hello bob ☺")
    assert (await bob[1].wait_for(private_from(a_nick))).body == "hello bob ☺"
    samples = []
    for i in range(5):
        started = time.monotonic()
        await bob[0].send_message(a_nick, f"ping {i}")
        await alice[1].wait_for(private_from(b_nick, f"ping {i}"))
        samples.append(time.monotonic() - started)
    print(f"\nonion IRC private message: median {sorted(samples)[2] * 1000:.0f} ms")
    assert len(audit.connects) == 2  # one SOCKS connection per adapter, nothing else


async def test_channels_join_topic_names_messages_part_and_rejoin_after_a_lost_connection(
    make_client: Factory,
) -> None:
    alice, bob = await make_client(nick("alice")), await make_client(nick("bob"))
    a_nick, b_nick = alice[0].nick, bob[0].nick
    assert a_nick and b_nick
    room = f"#room{next(_names)}"
    alice[0].join(room)
    await alice[1].wait_for(lambda e: isinstance(e, Joined) and e.channel == room and e.me)
    bob[0].join(room)
    await alice[1].wait_for(lambda e: isinstance(e, Joined) and e.nick == b_nick)
    names = await bob[1].wait_for(lambda e: isinstance(e, Names) and e.channel == room)
    assert set(names.nicks) == {a_nick, b_nick}
    alice[0].topic(room, "the plan")
    assert (await bob[1].wait_for(lambda e: isinstance(e, TopicChanged))).topic == "the plan"
    await bob[0].send_message(room, "everyone reads this")
    msg = await alice[1].wait_for(lambda e: isinstance(e, ChannelMessage))
    assert (msg.channel, msg.sender, msg.body) == (room, b_nick, "everyone reads this")
    # a lost connection: bob comes back on his own and is in the channel again
    assert bob[0]._conn is not None
    bob[0]._conn.abort()
    await bob[1].wait_for(
        lambda e: isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.DISCONNECTED
    )
    await bob[1].wait_for(
        lambda e: isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.CONNECTED
    )
    await alice[1].wait_for(lambda e: isinstance(e, Joined) and e.nick == bob[0].nick and e.channel == room)
    bob[0].part(room)
    await alice[1].wait_for(lambda e: isinstance(e, Parted) and e.nick == bob[0].nick)


async def test_a_wrong_pin_is_a_tls_error_before_anything_is_sent(make_client: Factory) -> None:
    adapter, _ = await make_client(nick("eve"), connect=False, pin=CertificatePin(b"\0" * 32))
    with pytest.raises(TlsError, match="pinned"):
        await adapter.connect()


class RawClient:
    """A plain IRC client on ngircd's loopback port (test tooling, not TIMB): the prober."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, nick: str) -> None:
        self.reader, self.writer, self.nick = reader, writer, nick

    @classmethod
    async def connect(cls, server: IrcServer) -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        client = cls(reader, writer, nick("eve"))
        client.send(f"NICK {client.nick}", "USER eve 0 * :eve")
        await client.until(lambda line: " 001 " in line)
        return client

    def send(self, *lines: str) -> None:
        for line in lines:
            self.writer.write(line.encode() + b"\r\n")

    async def until(self, predicate: Callable[[str], bool], within: float = 60.0) -> list[str]:
        """Lines read up to and including the first that matches."""
        lines: list[str] = []
        async with asyncio.timeout(within):
            while True:
                line = (await self.reader.readline()).decode(errors="replace").rstrip("\r\n")
                assert line, "the server closed the probe's connection"
                lines.append(line)
                if line.startswith("PING"):
                    self.send("PONG" + line[4:])
                if predicate(line):
                    return lines

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def test_ctcp_probes_whois_and_dcc_learn_nothing_identifying(
    make_client: Factory, ircd_server: IrcServer
) -> None:
    alice = await make_client(nick("alice"))
    a_nick = alice[0].nick
    assert a_nick
    probe = await RawClient.connect(ircd_server)
    try:
        queries = ["VERSION", "TIME", "USERINFO", "CLIENTINFO", "SOURCE", "FINGER", "PING 1234"]
        probe.send(*(f"PRIVMSG {a_nick} :\x01{q}\x01" for q in queries))
        probe.send(f"PRIVMSG {a_nick} :\x01DCC SEND evil.txt 2130706433 4444 10\x01")
        for q in queries:
            await alice[1].wait_for(lambda e, q=q: isinstance(e, CtcpIgnored) and e.command == q.split()[0])
        refused = await alice[1].wait_for(lambda e: isinstance(e, DccRefused))
        assert refused.sender == probe.nick and "Tor" in refused.reason
        # any reply alice queued would come before this marker (one FIFO send queue)
        await alice[0].send_message(probe.nick, "marker")
        probe.send(f"WHOIS {a_nick}")
        lines = await probe.until(lambda line: line.endswith(":marker"))
        if not any(" 318 " in line for line in lines):  # WHOIS is answered by the server itself
            lines += await probe.until(lambda line: " 318 " in line)
        from_alice = [line for line in lines if line.startswith(f":{a_nick}!")]
        assert from_alice == [f":{a_nick}!~{GENERIC_USERNAME}@127.0.0.1 PRIVMSG {probe.nick} :marker"]
        [whois] = [line for line in lines if " 311 " in line]
        assert whois.endswith(f"~{GENERIC_USERNAME} 127.0.0.1 * :{GENERIC_REALNAME}")
        os_user = getpass.getuser()
        assert all(os_user not in line for line in [*from_alice, whois]) or os_user == GENERIC_USERNAME
    finally:
        await probe.close()
