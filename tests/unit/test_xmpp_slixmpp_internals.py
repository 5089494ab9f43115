"""The slixmpp internals TorClientXMPP overrides: fail loudly if an upgrade changes them.

slixmpp 1.17.0 resolves (``get_dns_records``) and dials (``_attempt_connection``) by itself. We
override both. If a new slixmpp renamed them, changed their signature, or stopped calling them
from ``_connect_loop``, our overrides would silently stop being used and slixmpp would resolve
and dial directly, off Tor. These tests pin each assumption.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
from typing import Any

import pytest
import slixmpp
from slixmpp.features.feature_mechanisms import FeatureMechanisms
from slixmpp.stanza.rootstanza import RootStanza
from slixmpp.xmlstream import xmlstream as xmlstream_mod
from slixmpp.xmlstream.xmlstream import XMLStream

from timb.net.base import ConnectError, NetError
from timb.net.xmpp.client import SLIXMPP_VERSION, TorClientXMPP
from timb.net.xmpp.tls import make_ssl_context


def _params(fn: Any) -> list[str]:
    return list(inspect.signature(fn).parameters)


def test_slixmpp_is_the_pinned_version() -> None:
    assert slixmpp.__version__ == SLIXMPP_VERSION == "1.17.0"


def test_overridden_private_methods_keep_their_signatures() -> None:
    assert _params(XMLStream._attempt_connection) == ["self", "host", "port", "tls", "server_hostname"]
    assert _params(XMLStream.get_dns_records) == ["self", "domain", "port"]
    assert _params(TorClientXMPP._attempt_connection) == _params(XMLStream._attempt_connection)
    assert _params(TorClientXMPP.get_dns_records) == _params(XMLStream.get_dns_records)
    assert inspect.iscoroutinefunction(XMLStream._attempt_connection)
    assert inspect.iscoroutinefunction(XMLStream.get_dns_records)
    assert _params(XMLStream.connection_made) == ["self", "transport", "send_event"]
    assert _params(FeatureMechanisms._handle_sasl_auth) == ["self", "features"]


def test_overrides_are_really_ours() -> None:
    for name in ("_attempt_connection", "get_dns_records", "get_ssl_context", "connection_made", "exception"):
        assert getattr(TorClientXMPP, name) is not getattr(slixmpp.ClientXMPP, name), name


def test_connect_loop_calls_the_overridden_hooks() -> None:
    source = inspect.getsource(XMLStream._connect_loop)
    assert "await self.get_dns_records(" in source
    assert "await self._attempt_connection(" in source
    assert "self._current_connection_attempt is not None" in source  # how we end its retry loop
    assert "create_connection" not in source  # it dials only inside _attempt_connection


def test_handler_exceptions_reach_the_exception_hook() -> None:
    assert "self.exception(" in inspect.getsource(XMLStream.event)
    assert "self.stream.exception(e)" in inspect.getsource(RootStanza.exception)


async def test_without_the_override_slixmpp_would_dial_by_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    stock = slixmpp.ClientXMPP("alice@timb.test", "x")
    dialed: list[tuple[Any, ...]] = []

    async def record(*args: Any, **kwargs: Any) -> None:
        dialed.append(args[1:3])
        raise OSError("recorded, not dialed")

    monkeypatch.setattr(stock.loop, "create_connection", record)
    stock._current_connection_attempt = asyncio.get_running_loop().create_future()
    assert await XMLStream._attempt_connection(stock, "timb.test", 5222, False, None) is False
    assert dialed == [("timb.test", 5222)]


async def test_without_the_override_slixmpp_would_resolve_by_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    stock = slixmpp.ClientXMPP("alice@timb.test", "x")
    asked: list[str] = []

    async def record(domain: str, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(domain)
        return []

    monkeypatch.setattr(xmlstream_mod, "resolve", record)
    await XMLStream.get_dns_records(stock, "timb.test")
    assert asked == ["timb.test"]


class PairDialer:
    """Hands out one end of a socketpair; the test reads what the client sends on the other."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, str]] = []
        self.peer: socket.socket | None = None

    async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
        self.calls.append((host, port, isolation))
        ours, self.peer = socket.socketpair()
        ours.setblocking(False)
        return ours


def _forbid_network(monkeypatch: pytest.MonkeyPatch, loop: asyncio.AbstractEventLoop) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access outside the dialer: {args!r}")

    async def refuse_async(*args: Any, **kwargs: Any) -> Any:
        refuse(*args)

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(loop, "getaddrinfo", refuse_async)
    monkeypatch.setattr(loop, "sock_connect", refuse_async)
    monkeypatch.setattr(xmlstream_mod, "resolve", refuse_async)


def _client(dialer: PairDialer, failures: list[NetError], crashes: list[BaseException]) -> TorClientXMPP:
    return TorClientXMPP(
        "alice@timb.test/r1",
        "pw",
        dialer=dialer,
        isolation="iso-alice",
        ssl_context=make_ssl_context(),
        pin=None,
        direct_tls=False,
        on_failure=failures.append,
        on_crash=crashes.append,
    )


async def test_connect_uses_only_the_dialer(monkeypatch: pytest.MonkeyPatch) -> None:
    dialer, failures, crashes = PairDialer(), [], []  # type: ignore[var-annotated]
    xmpp = _client(dialer, failures, crashes)
    _forbid_network(monkeypatch, asyncio.get_running_loop())
    connected = asyncio.Event()
    xmpp.add_event_handler("connected", lambda _: connected.set())
    xmpp.connect("xyz.timb.test", 5222)
    await asyncio.wait_for(connected.wait(), 5)
    assert dialer.calls == [("xyz.timb.test", 5222, "iso-alice")]
    assert dialer.peer is not None
    dialer.peer.settimeout(5)
    header = dialer.peer.recv(4096).decode()
    assert header.startswith("<stream:stream to='timb.test'")  # the JID's domain, not the dial host
    assert "xml:lang='en'" in header
    xmpp.abort()
    dialer.peer.close()
    assert failures == [] and crashes == []


async def test_a_failed_dial_is_reported_and_not_retried_by_slixmpp() -> None:
    class RefusingDialer(PairDialer):
        async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
            self.calls.append((host, port, isolation))
            raise ConnectionRefusedError("refused")

    dialer, failures, crashes = RefusingDialer(), [], []  # type: ignore[var-annotated]
    xmpp = _client(dialer, failures, crashes)
    attempt = xmpp.connect("timb.test", 5222)
    await asyncio.wait_for(attempt, 5)
    await asyncio.sleep(0)
    assert len(failures) == 1 and isinstance(failures[0], ConnectError)
    assert "refused" in str(failures[0])
    assert not xmpp.is_connecting()  # slixmpp's own retry loop has ended: the adapter retries
    assert dialer.calls == [("timb.test", 5222, "iso-alice")]
    assert crashes == []


async def test_an_unexpected_dialer_error_is_a_crash_not_a_log_line() -> None:
    class BuggyDialer(PairDialer):
        async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
            raise KeyError("bug")

    failures: list[NetError] = []
    crashes: list[BaseException] = []
    xmpp = _client(BuggyDialer(), failures, crashes)
    await asyncio.wait_for(xmpp.connect("timb.test", 5222), 5)
    assert [type(c) for c in crashes] == [KeyError]
    assert len(failures) == 1


async def test_event_handler_exceptions_go_to_the_owner() -> None:
    failures: list[NetError] = []
    crashes: list[BaseException] = []
    xmpp = _client(PairDialer(), failures, crashes)

    def boom(_: Any) -> None:
        raise RuntimeError("handler bug")

    xmpp.add_event_handler("custom_event", boom)
    xmpp.event("custom_event")
    assert [str(c) for c in crashes] == ["handler bug"]


async def test_dns_records_are_never_looked_up() -> None:
    xmpp = _client(PairDialer(), [], [])
    assert await xmpp.get_dns_records("timb.test") == []


async def test_sasl_is_refused_on_a_stream_without_tls() -> None:
    failures: list[NetError] = []
    xmpp = _client(PairDialer(), failures, [])
    assert not xmpp.tls_active()
    aborted: list[bool] = []
    xmpp.abort = lambda: aborted.append(True)  # type: ignore[method-assign]
    sent: list[Any] = []
    xmpp.send = lambda data, use_filters=True: sent.append(data)  # type: ignore[method-assign]
    features = slixmpp.stanza.StreamFeatures(xmpp)
    assert xmpp._guard_sasl(features) is True
    assert aborted == [True] and sent == []  # no <auth/>, no credentials went out
    assert len(failures) == 1 and "did not offer TLS" in str(failures[0])
