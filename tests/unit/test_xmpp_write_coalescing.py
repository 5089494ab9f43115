"""`TorClientXMPP.send_raw`: what is written in one event-loop iteration leaves as one write.

A burst of OTR messages (~670 bytes each) written one by one took two tor cells per message; one
write per iteration fills the cells (bench/xmpp_bench.py, mode "writes not coalesced").
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slixmpp.xmlstream.xmlstream import NotConnectedError

from timb.net.xmpp.client import TorClientXMPP
from timb.net.xmpp.tls import make_ssl_context


class NoDialer:
    async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
        raise AssertionError("no network in this test")


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closing


@pytest.fixture
async def client() -> tuple[TorClientXMPP, RecordingTransport]:
    xmpp = TorClientXMPP(
        "alice@timb.test/r1",
        "pw",
        dialer=NoDialer(),
        isolation="iso",
        ssl_context=make_ssl_context(),
        pin=None,
        direct_tls=False,
        on_failure=lambda e: None,
        on_crash=lambda e: None,
    )
    transport = RecordingTransport()
    xmpp.transport = transport  # type: ignore[assignment]
    return xmpp, transport


async def _next_iteration() -> None:
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def test_writes_of_one_iteration_leave_together_in_order(client: Any) -> None:
    xmpp, transport = client
    for i in range(5):
        xmpp.send_raw(f"<message id='{i}'/>")
    xmpp.send_raw(b"<r xmlns='urn:xmpp:sm:3'/>")
    assert transport.writes == []  # not yet: the iteration is still running
    await _next_iteration()
    expected = "".join(f"<message id='{i}'/>" for i in range(5)) + "<r xmlns='urn:xmpp:sm:3'/>"
    assert transport.writes == [expected.encode()]
    xmpp.send_raw("<message id='later'/>")  # a later iteration gets a write of its own
    await _next_iteration()
    assert transport.writes[1:] == [b"<message id='later'/>"]


async def test_utf8_and_bytes_are_joined_unchanged(client: Any) -> None:
    xmpp, transport = client
    xmpp.send_raw("<body>ü 🔐</body>")
    xmpp.send_raw(b"\xc3\xa9")
    await _next_iteration()
    assert transport.writes == ["<body>ü 🔐</body>".encode() + b"\xc3\xa9"]


async def test_without_coalescing_each_call_writes(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    xmpp, transport = client
    monkeypatch.setattr(TorClientXMPP, "coalesce_writes", False)
    xmpp.send_raw("<a/>")
    xmpp.send_raw("<b/>")
    assert transport.writes == [b"<a/>", b"<b/>"]


async def test_no_transport_raises_and_a_closed_one_gets_nothing(client: Any) -> None:
    xmpp, transport = client
    xmpp.send_raw("<message/>")
    transport.closing = True  # the stream went away before the iteration ended
    await _next_iteration()
    assert transport.writes == []
    xmpp.transport = None
    with pytest.raises(NotConnectedError):
        xmpp.send_raw("<message/>")
