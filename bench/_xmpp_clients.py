"""The two kinds of client the XMPP benchmark compares, over the same tor and the same onion.

* `BarePair`: two stock ``slixmpp.ClientXMPP`` (`_xmpp_bare.BareClient`: STARTTLS, SCRAM, no
  stream management, no OTR), their stream taken from the same SOCKS port.
* `TimbPair`: two `TimbService` instances (the whole product core: profile, account link,
  OTR conversations, XMPP adapter with XEP-0198), policy ALWAYS, so every message is an OTR data
  message.

Both sides of a pair live in this process, so one clock times send → arrival.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import _xmpp_tap
import timb.net.xmpp.client as timb_xmpp_client
from _xmpp_bare import CONNECT_TIMEOUT, Arrivals, BareClient
from timb.common.ids import Jid
from timb.common.secret import Secret
from timb.core.events import ConnectionState, ConnectionStateChanged, MessageReceived
from timb.core.service import TimbService, TorSettings
from timb.net.base import MessageIn
from timb.net.xmpp.adapter import XmppAccount, XmppAdapter
from timb.net.xmpp.tls import CertificatePin
from timb.tor.client import TorClient
from timb.tor.socks import rearm_quickack

PASSPHRASE = "benchmark passphrase"
#: Bodies the same-stream pair sends without OTR start with this; bob's service shows them as
#: unencrypted, and only these are exempt from the "nothing arrived outside OTR" count.
PLAIN_PROBE = "plain-probe "


def _quickack_off(sock: object) -> bool:
    return False


def set_timb_quickack(enabled: bool) -> None:
    """Switch TIMB's re-arming on or off (for the A/B: the XMPP client calls this name)."""
    timb_xmpp_client.rearm_quickack = rearm_quickack if enabled else _quickack_off  # type: ignore[attr-defined]


class BarePair:
    """carol -> dave, stock slixmpp."""

    label = "bare slixmpp"
    tapped = None  # not a TorClientXMPP: the wire tap does not see it

    def __init__(self, sender: BareClient, receiver: BareClient) -> None:
        self.sender = sender
        self.receiver = receiver
        self.arrivals = Arrivals()
        receiver.add_event_handler("message", self._on_message)

    def _on_message(self, msg: Any) -> None:
        if msg["type"] in ("chat", "normal"):
            self.arrivals.arrived(str(msg["body"]))

    def send(self, body: str) -> None:
        self.sender.send_message(mto=str(self.receiver.boundjid.bare), mbody=body, mtype="chat")

    @staticmethod
    def set_quickack(enabled: bool) -> None:
        BareClient.quickack = enabled

    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls, a: tuple[str, str], b: tuple[str, str], *, onion: str, socks_port: int, ca_file: Path
    ) -> AsyncIterator[BarePair]:
        sender = BareClient(*a, socks_port=socks_port, ca_file=ca_file)
        receiver = BareClient(*b, socks_port=socks_port, ca_file=ca_file)
        try:
            await asyncio.gather(sender.start(onion, 5222), receiver.start(onion, 5222))
            yield cls(sender, receiver)
        finally:
            await asyncio.gather(sender.stop(), receiver.stop())


class AdapterPair:
    """alice -> bob, two bare `XmppAdapter` (TIMB's XMPP layer: XEP-0198, privacy filters) without
    the service and without OTR: separates the adapter's cost from the core's."""

    label = "TIMB adapter"

    def __init__(self, alice: XmppAdapter, alice_jid: Jid, bob_jid: Jid, arrivals: Arrivals) -> None:
        self.alice = alice
        self.bob_jid = bob_jid
        self.arrivals = arrivals
        self.tapped = (str(alice_jid.bare), str(bob_jid.bare))
        self._sends: set[asyncio.Task[str]] = set()

    def send(self, body: str) -> None:
        task = asyncio.ensure_future(self.alice.send_message(self.bob_jid, body))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    @staticmethod
    def set_quickack(enabled: bool) -> None:
        set_timb_quickack(enabled)

    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls,
        a: tuple[str, str],
        b: tuple[str, str],
        *,
        onion: str,
        pin: str,
        control_port: int,
        cookie_path: Path,
    ) -> AsyncIterator[AdapterPair]:
        arrivals = Arrivals()
        tor = await TorClient.attach("127.0.0.1", control_port, cookie_path=cookie_path)
        adapters = [
            XmppAdapter(
                XmppAccount(
                    jid=Jid.parse(jid), password=Secret(pw), host=onion, pin=CertificatePin.from_hex(pin)
                ),
                tor,
            )
            for jid, pw in (a, b)
        ]

        async def consume(adapter: XmppAdapter, record: bool) -> None:
            async for event in adapter.events():
                if record and isinstance(event, MessageIn):
                    arrivals.arrived(event.body)

        try:
            async with asyncio.TaskGroup() as group:
                consumers = [group.create_task(consume(x, x is adapters[1])) for x in adapters]
                try:
                    await asyncio.gather(*(x.connect() for x in adapters))
                    yield cls(adapters[0], Jid.parse(a[0]), Jid.parse(b[0]), arrivals)
                finally:
                    for adapter in adapters:
                        await adapter.disconnect()
                    for task in consumers:  # events() never ends by itself
                        task.cancel()
        finally:
            await tor.close()


class TimbPair:
    """alice -> bob, two TimbService instances with OTR required."""

    label = "TIMB + OTR"

    def __init__(self, alice: TimbService, alice_jid: str, bob_jid: str, arrivals: Arrivals) -> None:
        self.alice = alice
        self.bob_jid = bob_jid
        self.arrivals = arrivals
        self.tapped = (str(Jid.parse(alice_jid).bare), str(Jid.parse(bob_jid).bare))

    def send(self, body: str) -> None:
        self.alice.send_message("main", self.bob_jid, body)

    @staticmethod
    def set_quickack(enabled: bool) -> None:
        set_timb_quickack(enabled)

    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls,
        a: tuple[str, str],
        b: tuple[str, str],
        *,
        onion: str,
        pin: str,
        control_port: int,
        cookie_path: Path,
        workdir: Path,
    ) -> AsyncIterator[TimbPair]:
        tor = TorSettings(control_port=control_port, cookie_path=cookie_path)
        arrivals = Arrivals()
        connected = {"alice": asyncio.Event(), "bob": asyncio.Event()}

        async def consume(name: str, service: TimbService) -> None:
            async for event in service.events():
                if isinstance(event, ConnectionStateChanged) and event.state is ConnectionState.CONNECTED:
                    connected[name].set()
                elif isinstance(event, MessageReceived) and name == "bob":
                    if not event.encrypted and not event.text.startswith(PLAIN_PROBE):
                        arrivals.plaintext += 1
                    arrivals.arrived(event.text)

        async with (
            TimbService(workdir / "alice", tor=tor) as alice,
            TimbService(workdir / "bob", tor=tor) as bob,
            asyncio.TaskGroup() as group,
        ):
            group.create_task(consume("alice", alice))
            group.create_task(consume("bob", bob))
            try:
                for service, (jid, password), peer in ((alice, a, b[0]), (bob, b, a[0])):
                    await service.create_profile(Secret(PASSPHRASE))
                    await service.add_account("main", jid, Secret(password), host=onion, tls_pin_sha256=pin)
                    await service.add_contact("main", peer)
                    await service.connect("main")
                async with asyncio.timeout(CONNECT_TIMEOUT):
                    await connected["alice"].wait()
                    await connected["bob"].wait()
                pair = cls(alice, a[0], b[0], arrivals)
                # The first message starts OTR (query, AKE) and is sent once the session is private.
                pair.send("warm-up: start OTR")
                await arrivals.wait("warm-up: start OTR", CONNECT_TIMEOUT)
                yield pair
            finally:
                await alice.close()
                await bob.close()


class SameStreamPair:
    """alice -> bob on the TIMB + OTR pair's own XMPP streams (so the same tor circuits), but
    written straight to alice's `TorClientXMPP` as `XmppAdapter.send_message` does, without OTR.
    Arrival is bob's service event, as for TIMB + OTR. The reference for "OTR on vs off on the
    same path": different accounts get different circuits, and the onion path's stalls depend on
    the circuit (docs/xmpp.md, "Latency with OTR on")."""

    label = "TIMB, same streams, no OTR"

    def __init__(self, timb: TimbPair) -> None:
        self.timb = timb
        self.arrivals = timb.arrivals
        self.tapped = timb.tapped

    def send(self, body: str) -> None:
        alice = next(c for c in list(_xmpp_tap.clients) if str(c.boundjid.bare) == self.tapped[0])
        alice.make_message(mto=self.tapped[1], mbody=body, mtype="chat").send()
        alice.request_ack_after_queued()

    @staticmethod
    def set_quickack(enabled: bool) -> None:
        set_timb_quickack(enabled)
