"""The XEP-0198 ack request behind a message: sent a moment later, one per burst.

An ``<r/>`` right behind each message (and the server's ``<a/>``) cost ~40 ms per message on
the onion path of the private test network (bench/xmpp_bench.py has the A/B).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slixmpp.plugins.xep_0198 import stanza as sm_stanza

from timb.net.xmpp.client import TorClientXMPP
from timb.net.xmpp.tls import make_ssl_context


class NoDialer:
    async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
        raise AssertionError("no network in this test")


@pytest.fixture
async def client(monkeypatch: pytest.MonkeyPatch) -> tuple[TorClientXMPP, list[Any]]:
    # async: slixmpp takes the event loop current at construction for its timers
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
    sent: list[Any] = []
    monkeypatch.setattr(xmpp, "send", sent.append)
    xmpp.plugin["xep_0198"].enabled_out = True
    return xmpp, sent


async def test_a_burst_gets_one_request_after_it(client: tuple[TorClientXMPP, list[Any]]) -> None:
    xmpp, sent = client
    xmpp.ack_request_delay = 0.05
    for _ in range(3):
        xmpp.request_ack_after_queued()
    assert sent == []  # not right behind the message
    await asyncio.sleep(0.15)
    assert len(sent) == 1 and isinstance(sent[0], sm_stanza.RequestAck)
    xmpp.request_ack_after_queued()  # a later message gets its own request
    await asyncio.sleep(0.15)
    assert len(sent) == 2


async def test_each_message_postpones_the_request_up_to_the_max_wait(
    client: tuple[TorClientXMPP, list[Any]],
) -> None:
    xmpp, sent = client
    xmpp.ack_request_delay = 0.1
    xmpp.ack_request_max_wait = 0.35
    for _ in range(3):  # messages 0.06 s apart: the request keeps moving behind the last one
        xmpp.request_ack_after_queued()
        await asyncio.sleep(0.06)
    assert sent == []
    await asyncio.sleep(0.15)
    assert len(sent) == 1
    for _ in range(10):  # a steady stream: a request goes out while it still flows
        xmpp.request_ack_after_queued()
        await asyncio.sleep(0.06)
    assert len(sent) >= 2


async def test_zero_delay_requests_at_once(client: tuple[TorClientXMPP, list[Any]]) -> None:
    xmpp, sent = client
    xmpp.ack_request_delay = 0
    xmpp.request_ack_after_queued()
    assert len(sent) == 1 and isinstance(sent[0], sm_stanza.RequestAck)


async def test_no_request_without_stream_management(client: tuple[TorClientXMPP, list[Any]]) -> None:
    xmpp, sent = client
    xmpp.ack_request_delay = 0.01
    xmpp.plugin["xep_0198"].enabled_out = False
    xmpp.request_ack_after_queued()
    await asyncio.sleep(0.05)
    assert sent == []


@pytest.mark.parametrize("window", [None, 5])
async def test_slixmpp_never_requests_an_ack_before_a_message(
    client: tuple[TorClientXMPP, list[Any]], monkeypatch: pytest.MonkeyPatch, window: int | None
) -> None:
    # slixmpp's own request (every `window` stanzas) is written from the outgoing filter, i.e.
    # before the stanza: the message then trails another packet on tor's connections. TIMB turns
    # it off (window 0); with slixmpp's default window of 5 the fourth message would carry one.
    xmpp, _ = client
    plugin = xmpp.plugin["xep_0198"]
    if window is not None:
        plugin.window = plugin.window_counter = window
    raw: list[str] = []
    monkeypatch.setattr(xmpp, "send_raw", lambda data: raw.append(str(data)))
    for i in range(12):
        msg = xmpp.make_message(mto="bob@timb.test", mbody=f"m{i}", mtype="chat")
        assert plugin._handle_outgoing(msg) is msg
    requests = [r for r in raw if "<r " in r or "<r/>" in r]
    assert len(requests) == (0 if window is None else 12 // 5)
    assert len(plugin.unacked_queue) == 12  # still counted for resumption
