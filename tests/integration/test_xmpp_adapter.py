"""The XMPP adapter against a real Prosody: first through a loopback test dialer, then through
tor (the private network's loopback-only exit, and Prosody as an onion service).

Two adapters (alice and bob, fresh accounts per test) exchange messages, manage the roster and
see presence; wrong password, wrong pin, untrusted certificate and unknown host give clear typed
errors; a dropped stream is resumed (XEP-0198) and a Prosody restart is survived. The Tor-path
tests audit that the adapter opens no connection except to tor's SOCKS port and resolves nothing.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from slixmpp.exceptions import IqError

from tests.fixtures.prosody import ProsodyServer
from timb.common import Jid, Secret
from timb.net.base import (
    AdapterCrashed,
    AuthError,
    ConnectError,
    ConnectionState,
    ConnectionStateChanged,
    Dialer,
    MessageAcked,
    MessageIn,
    NetError,
    NetEvent,
    NotConnectedError,
    PresenceChanged,
    Subscription,
    SubscriptionRequest,
    TlsError,
)
from timb.net.xmpp.adapter import ReconnectPolicy, XmppAccount, XmppAdapter
from timb.net.xmpp.tls import CertificatePin
from timb.tor.client import TorClient
from timb.tor.errors import StreamError

pytestmark = pytest.mark.integration

FAST = ReconnectPolicy(initial=0.2, maximum=2.0, attempt_timeout=90.0)
UNKNOWN_ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"


class LoopbackDialer:
    """Test-only dialer: maps (host, port) to a loopback port, like tor would reach the server.
    An unmapped host fails as tor reports it (StreamError). It keeps every socket it handed out
    so a test can cut them."""

    def __init__(self, server: ProsodyServer) -> None:
        self.routes = {(server.domain, 5222): server.port, (server.domain, 5223): server.tls_port}
        self.calls: list[tuple[str, int, str]] = []
        self.sockets: list[socket.socket] = []

    async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
        self.calls.append((host, port, isolation))
        target = self.routes.get((host, port))
        if target is None:
            raise StreamError("host unreachable")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", target))
        self.sockets.append(sock)
        return sock

    def cut(self) -> None:
        for sock in self.sockets:
            if sock.fileno() != -1:
                sock.shutdown(socket.SHUT_RDWR)


class Events:
    """Collects an adapter's events in a pump task, so waiting with a timeout never cancels the
    adapter's iterator. `wait_for` returns the first matching event not returned before, at or
    after index ``since`` (take a `mark` before an action to see only what followed it)."""

    def __init__(self, adapter: XmppAdapter) -> None:
        self.seen: list[NetEvent] = []
        self.error: BaseException | None = None
        self._taken: set[int] = set()
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._pump(adapter))

    async def _pump(self, adapter: XmppAdapter) -> None:
        try:
            async for event in adapter.events():
                self.seen.append(event)
                self._changed.set()
        except NetError as exc:
            self.error = exc
            self._changed.set()

    def mark(self) -> int:
        return len(self.seen)

    async def wait_for(
        self, predicate: Callable[[NetEvent], bool], within: float = 30.0, since: int = 0
    ) -> Any:
        async with asyncio.timeout(within):
            while True:
                for i in range(since, len(self.seen)):
                    if i not in self._taken and predicate(self.seen[i]):
                        self._taken.add(i)
                        return self.seen[i]
                if self.error is not None:
                    raise self.error
                self._changed.clear()
                await self._changed.wait()

    def close(self) -> None:
        self._task.cancel()


def message_with(body: str) -> Callable[[NetEvent], bool]:
    return lambda e: isinstance(e, MessageIn) and e.body == body


def state_is(state: ConnectionState, **kw: Any) -> Callable[[NetEvent], bool]:
    def match(e: NetEvent) -> bool:
        return (
            isinstance(e, ConnectionStateChanged)
            and e.state is state
            and all(getattr(e, k) == v for k, v in kw.items())
        )

    return match


Factory = Callable[..., Awaitable[tuple[XmppAdapter, Events]]]


@pytest.fixture
async def make_client(prosody_server: ProsodyServer) -> AsyncIterator[Factory]:
    made: list[tuple[XmppAdapter, Events]] = []

    async def make(
        jid: str, password: str, dialer: Dialer, *, connect: bool = True, **account: Any
    ) -> tuple[XmppAdapter, Events]:
        account.setdefault("pin", CertificatePin.from_hex(prosody_server.cert_pin))
        adapter = XmppAdapter(XmppAccount(Jid.parse(jid), Secret(password), **account), dialer, policy=FAST)
        events = Events(adapter)
        made.append((adapter, events))
        if connect:
            await adapter.connect()
        return adapter, events

    yield make
    for adapter, events in made:
        await adapter.disconnect()
        events.close()


@pytest.fixture
def dialer(prosody_server: ProsodyServer) -> LoopbackDialer:
    return LoopbackDialer(prosody_server)


async def exchange(
    a: tuple[XmppAdapter, Events], b: tuple[XmppAdapter, Events], tag: str
) -> tuple[MessageIn, MessageIn]:
    (alice, alice_events), (bob, bob_events) = a, b
    assert alice.bound_jid is not None and bob.bound_jid is not None
    to_bob, to_alice = f"hello bob {tag} ü 🔐", f"hello alice {tag} <&>"
    sent_id = await alice.send_message(bob.bound_jid.bare, to_bob)
    got_bob: MessageIn = await bob_events.wait_for(message_with(to_bob))
    assert got_bob.sender == alice.bound_jid and got_bob.id == sent_id
    await bob.send_message(alice.bound_jid.bare, to_alice)
    got_alice: MessageIn = await alice_events.wait_for(message_with(to_alice))
    assert got_alice.sender == bob.bound_jid
    return got_bob, got_alice


# --- loopback test dialer ---------------------------------------------------------------------


async def test_two_clients_exchange_messages_both_ways(
    make_client: Factory, dialer: LoopbackDialer, xmpp_accounts: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    alice = await make_client(alice_jid, alice_pw, dialer)
    bob = await make_client(bob_jid, bob_pw, dialer)
    got_bob, _ = await exchange(alice, bob, "starttls")
    # the server acknowledged alice's message (XEP-0198 is on)
    await alice[1].wait_for(lambda e: isinstance(e, MessageAcked) and e.id == got_bob.id)
    # the resource is random, never the host name
    assert alice[0].bound_jid is not None and alice[0].bound_jid.resource != socket.gethostname()
    assert len(alice[0].bound_jid.resource or "") == 16
    # dialled by name through the dialer, with one isolation key per account
    assert {(h, p) for h, p, _ in dialer.calls} == {("timb.test", 5222)}
    assert {iso for _, _, iso in dialer.calls} == {alice_jid, bob_jid}
    # nothing of the bodies or stanzas reached a log, and reprs hide bodies
    assert got_bob.body not in caplog.text and "<message" not in caplog.text
    assert got_bob.body not in repr(got_bob)


async def test_otr_messages_carry_storage_hints_that_prosody_relays(
    make_client: Factory, dialer: LoopbackDialer, xmpp_accounts: Any
) -> None:
    # Prosody accepts the XEP-0334/XEP-0280 hints and relays them to the recipient unchanged;
    # its mod_carbons honours no-copy and private (modules/mod_carbons.lua), mod_mam no-store.
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    alice, _ = await make_client(alice_jid, alice_pw, dialer)
    bob, bob_events = await make_client(bob_jid, bob_pw, dialer)
    raw = bob._xmpp
    assert raw is not None and bob.bound_jid is not None
    children: dict[str, set[str]] = {}
    raw.add_event_handler(
        "message", lambda msg: children.setdefault(str(msg["body"]), {c.tag for c in msg.xml})
    )
    otr_body, plain_body = "?OTR:AAMDhintsprobe.", "no hints for plaintext"
    for body in (otr_body, plain_body):
        await alice.send_message(bob.bound_jid.bare, body)
        await bob_events.wait_for(message_with(body))
    hint_tags = {"{urn:xmpp:hints}no-store", "{urn:xmpp:hints}no-copy", "{urn:xmpp:carbons:2}private"}
    assert hint_tags <= children[otr_body]
    assert not hint_tags & children[plain_body]


async def test_direct_tls_with_the_certificate_as_trust_anchor(
    make_client: Factory, dialer: LoopbackDialer, xmpp_accounts: Any, prosody_server: ProsodyServer
) -> None:
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    alice = await make_client(alice_jid, alice_pw, dialer, port=5223, direct_tls=True)
    bob = await make_client(bob_jid, bob_pw, dialer, pin=None, ca_file=prosody_server.cert_path)
    await exchange(alice, bob, "direct-tls")
    assert ("timb.test", 5223, alice_jid) in dialer.calls


async def test_roster_subscription_and_presence(
    make_client: Factory, dialer: LoopbackDialer, xmpp_accounts: Any
) -> None:
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    (alice, alice_events), (bob, bob_events) = (
        await make_client(alice_jid, alice_pw, dialer),
        await make_client(bob_jid, bob_pw, dialer),
    )
    bob_bare = Jid.parse(bob_jid)
    await alice.add_contact(bob_bare, name="Bob")
    request = await bob_events.wait_for(lambda e: isinstance(e, SubscriptionRequest))
    assert request.sender == Jid.parse(alice_jid)
    await bob.approve_subscription(request.sender)
    # alice now sees bob's presence and has a "to" subscription
    presence = await alice_events.wait_for(lambda e: isinstance(e, PresenceChanged) and e.available)
    assert presence.jid == bob.bound_jid
    items = {i.jid: i for i in await alice.roster()}
    assert items[bob_bare].subscription in (Subscription.TO, Subscription.BOTH)
    assert items[bob_bare].name == "Bob"
    await bob.disconnect()
    gone = await alice_events.wait_for(lambda e: isinstance(e, PresenceChanged) and not e.available)
    assert gone.jid.bare == bob_bare
    await alice.remove_contact(bob_bare)
    assert bob_bare not in {i.jid for i in await alice.roster()}


async def test_wrong_password_is_a_clear_auth_error(
    make_client: Factory, dialer: LoopbackDialer, xmpp_accounts: Any
) -> None:
    (alice_jid, _), _ = xmpp_accounts
    adapter, _ = await make_client(alice_jid, "wrong password", dialer, connect=False)
    adapter._xmpp = adapter._make_client()
    auths: list[str] = []

    def record(stanza: Any) -> Any:
        if stanza.name == "auth":
            auths.append(str(stanza["mechanism"]))
        return stanza

    adapter._xmpp.add_filter("out", record)
    with pytest.raises(AuthError, match="refused the credentials"):
        await adapter.connect()
    # one SCRAM attempt, then nothing: no fallback to PLAIN with the password
    assert len(auths) == 1 and auths[0].startswith("SCRAM-"), auths


@pytest.mark.parametrize("direct_tls", [False, True], ids=["starttls", "direct-tls"])
async def test_wrong_pin_is_a_tls_error(
    make_client: Factory, dialer: LoopbackDialer, xmpp_accounts: Any, direct_tls: bool
) -> None:
    (alice_jid, alice_pw), _ = xmpp_accounts
    wrong = CertificatePin(bytes(32))
    port = 5223 if direct_tls else 5222
    with pytest.raises(TlsError, match="does not match the pinned one"):
        await make_client(alice_jid, alice_pw, dialer, pin=wrong, port=port, direct_tls=direct_tls)


@pytest.mark.parametrize("direct_tls", [False, True], ids=["starttls", "direct-tls"])
async def test_self_signed_certificate_is_not_trusted_without_pin(
    make_client: Factory, dialer: LoopbackDialer, xmpp_accounts: Any, direct_tls: bool
) -> None:
    (alice_jid, alice_pw), _ = xmpp_accounts
    port = 5223 if direct_tls else 5222
    with pytest.raises(TlsError, match="not trusted"):
        await make_client(alice_jid, alice_pw, dialer, pin=None, port=port, direct_tls=direct_tls)


async def test_unknown_host_is_a_clear_connect_error(
    make_client: Factory, dialer: LoopbackDialer, xmpp_accounts: Any
) -> None:
    (alice_jid, alice_pw), _ = xmpp_accounts
    adapter, _ = await make_client(alice_jid, alice_pw, dialer, connect=False, host="nowhere.test")
    with pytest.raises(ConnectError, match="host unreachable"):
        await adapter.connect()
    assert adapter.state is ConnectionState.FAILED
    with pytest.raises(NotConnectedError):
        await adapter.send_message(Jid.parse("bob@timb.test"), "never sent")


async def test_disconnect_then_connect_again(
    make_client: Factory, dialer: LoopbackDialer, xmpp_accounts: Any
) -> None:
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    alice = await make_client(alice_jid, alice_pw, dialer)
    bob = await make_client(bob_jid, bob_pw, dialer)
    await alice[0].disconnect()
    await alice[0].disconnect()  # idempotent
    assert alice[0].state is ConnectionState.DISCONNECTED and alice[0].bound_jid is None
    with pytest.raises(NotConnectedError):
        await alice[0].send_message(Jid.parse(bob_jid), "not now")
    mark = alice[1].mark()
    await alice[0].connect()
    # a deliberate disconnect ended the session: the new one is fresh, not resumed
    await alice[1].wait_for(state_is(ConnectionState.CONNECTED, resumed=False), since=mark)
    await exchange(alice, bob, "again")


async def test_a_dropped_stream_is_resumed_and_nothing_is_lost(
    make_client: Factory, dialer: LoopbackDialer, xmpp_accounts: Any
) -> None:
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    bob_dialer = LoopbackDialer.__new__(LoopbackDialer)
    bob_dialer.__dict__.update(routes=dialer.routes, calls=[], sockets=[])
    alice = await make_client(alice_jid, alice_pw, dialer)
    bob = await make_client(bob_jid, bob_pw, bob_dialer)
    await exchange(alice, bob, "before")
    mark = alice[1].mark()
    dialer.cut()  # alice's TCP stream dies; Prosody keeps her session (smacks hibernation)
    await alice[1].wait_for(state_is(ConnectionState.DISCONNECTED), since=mark)
    assert bob[0].bound_jid is not None
    await bob[0].send_message(Jid.parse(alice_jid), "sent while alice was away")
    await alice[1].wait_for(state_is(ConnectionState.CONNECTED, resumed=True), since=mark)
    await alice[1].wait_for(message_with("sent while alice was away"))
    await exchange(alice, bob, "after")


async def test_prosody_restart_is_survived(
    make_client: Factory, dialer: LoopbackDialer, xmpp_accounts: Any, prosody_server: ProsodyServer
) -> None:
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    alice = await make_client(alice_jid, alice_pw, dialer)
    bob = await make_client(bob_jid, bob_pw, dialer)
    await exchange(alice, bob, "before restart")
    marks = [alice[1].mark(), bob[1].mark()]
    await asyncio.to_thread(prosody_server.restart)
    for (_, events), mark in zip((alice, bob), marks, strict=True):
        await events.wait_for(state_is(ConnectionState.DISCONNECTED), since=mark)
        # the restarted server lost the sessions: a fresh one, not a resumption
        await events.wait_for(state_is(ConnectionState.CONNECTED, resumed=False), within=60, since=mark)
    await exchange(alice, bob, "after restart")


async def test_questions_about_the_user_are_refused_on_the_wire(
    make_client: Factory, dialer: LoopbackDialer, xmpp_accounts: Any
) -> None:
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    alice, _ = await make_client(alice_jid, alice_pw, dialer)
    bob, _ = await make_client(bob_jid, bob_pw, dialer)
    raw = bob._xmpp  # a peer asking alice directly, with its own stanzas
    assert raw is not None and alice.bound_jid is not None
    for ns in (
        "jabber:iq:version",
        "urn:xmpp:time",
        "jabber:iq:last",
        "http://jabber.org/protocol/disco#info",
    ):
        iq = raw.make_iq_get(queryxmlns=ns, ito=str(alice.bound_jid))
        with pytest.raises(IqError) as info:
            await iq.send(timeout=10)
        error = info.value.iq["error"]
        assert error["condition"] == "service-unavailable", ns
        assert not error["text"], ns


async def test_a_handler_exception_is_raised_from_events(
    make_client: Factory, dialer: LoopbackDialer, xmpp_accounts: Any
) -> None:
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    alice, alice_events = await make_client(alice_jid, alice_pw, dialer)
    bob, _ = await make_client(bob_jid, bob_pw, dialer)
    assert alice._xmpp is not None and alice.bound_jid is not None

    def broken(_: Any) -> None:
        raise RuntimeError("a bug in a message handler")

    alice._xmpp.add_event_handler("message", broken)
    await bob.send_message(alice.bound_jid.bare, "trigger")
    with pytest.raises(AdapterCrashed) as info:
        await alice_events.wait_for(lambda e: False)
    assert isinstance(info.value.__cause__, RuntimeError)


async def latency(a: tuple[XmppAdapter, Events], b: tuple[XmppAdapter, Events], n: int = 10) -> float:
    """Median milliseconds from alice's send to bob's MessageIn (both on the measured path)."""
    assert b[0].bound_jid is not None
    samples = []
    for i in range(n):
        body = f"latency probe {i}"
        t0 = time.monotonic()
        await a[0].send_message(b[0].bound_jid.bare, body)
        await b[1].wait_for(message_with(body))
        samples.append(time.monotonic() - t0)
    return statistics.median(samples) * 1000


# --- through tor ------------------------------------------------------------------------------


class NetworkAudit:
    """While active: no name resolution at all, and every TCP connect goes to tor's SOCKS port."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, allowed: set[tuple[str, int]]) -> None:
        self.connects: list[Any] = []
        loop = asyncio.get_running_loop()
        real_sock_connect = loop.sock_connect

        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError(f"name resolution or direct dial attempted: {args!r}")

        async def refuse_async(*args: Any, **kwargs: Any) -> Any:
            refuse(*args)

        async def audited_sock_connect(sock: socket.socket, address: Any) -> None:
            self.connects.append(address)
            assert tuple(address[:2]) in allowed, f"connect to {address!r} bypasses tor"
            await real_sock_connect(sock, address)

        monkeypatch.setattr(socket, "getaddrinfo", refuse)
        monkeypatch.setattr(socket, "gethostbyname", refuse)
        monkeypatch.setattr(socket, "create_connection", refuse)
        monkeypatch.setattr(loop, "getaddrinfo", refuse_async)
        monkeypatch.setattr(loop, "sock_connect", audited_sock_connect)


@pytest.fixture
async def exit_tor(exit_tor_client: Any) -> AsyncIterator[TorClient]:
    tor = await TorClient.attach(
        "127.0.0.1", exit_tor_client.control_port, cookie_path=exit_tor_client.cookie_path
    )
    await tor.wait_bootstrapped(timeout_s=120)
    try:
        yield tor
    finally:
        await tor.close()


async def test_over_tor_through_the_loopback_exit(
    make_client: Factory,
    exit_tor: TorClient,
    exit_tor_client: Any,
    xmpp_accounts: Any,
    prosody_server: ProsodyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    audit = NetworkAudit(monkeypatch, {("127.0.0.1", exit_tor_client.socks_port)})
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    where = {"host": "127.0.0.1", "port": prosody_server.port}
    started = time.monotonic()
    alice = await make_client(alice_jid, alice_pw, exit_tor, **where)
    session = time.monotonic() - started
    bob = await make_client(bob_jid, bob_pw, exit_tor, **where)
    await exchange(alice, bob, "via exit")
    # our leg to tor has Nagle off (chat is small writes)
    assert alice[0]._xmpp is not None and alice[0]._xmpp.transport is not None
    raw = alice[0]._xmpp.transport.get_extra_info("socket")
    assert raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    print(f"\nexit path: session_start {session:.2f} s; median message {await latency(alice, bob):.1f} ms")
    assert len(audit.connects) == 2


async def test_over_tor_to_prosody_as_an_onion_service(
    make_client: Factory,
    exit_tor: TorClient,
    exit_tor_client: Any,
    prosody_onion: str,
    xmpp_accounts: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    audit = NetworkAudit(monkeypatch, {("127.0.0.1", exit_tor_client.socks_port)})
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    started = time.monotonic()
    alice = await make_client(alice_jid, alice_pw, exit_tor, host=prosody_onion, port=5222)
    first_session = time.monotonic() - started
    started = time.monotonic()
    bob = await make_client(bob_jid, bob_pw, exit_tor, host=prosody_onion, port=5222)
    second_session = time.monotonic() - started
    await exchange(alice, bob, "via onion")
    print(
        f"\nonion path: session_start {first_session:.2f} s (first) {second_session:.2f} s (second); "
        f"median message {await latency(alice, bob):.1f} ms"
    )
    assert len(audit.connects) == 2


async def test_over_tor_an_unknown_onion_is_a_clear_connect_error(
    make_client: Factory, exit_tor: TorClient, xmpp_accounts: Any
) -> None:
    (alice_jid, alice_pw), _ = xmpp_accounts
    adapter, _ = await make_client(alice_jid, alice_pw, exit_tor, connect=False, host=UNKNOWN_ONION)
    with pytest.raises(ConnectError, match=r"\.onion:5222: (host unreachable|onion service)"):
        await adapter.connect()
