"""OTR in IRC private messages: two IRC adapters over the private Tor network, each behind the
core's `Conversations` (the one owner of the plaintext rule) through `IrcChatAdapter`, with
OTR fragments sized by `fragment_size`. The AKE runs over ngircd, messages go both ways, a
4 KB message arrives whole through the flood limits, and every line on the wire is OTR."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.fixtures.ircd import ONION_PORT, IrcServer
from timb.common.clock import SystemClock
from timb.common.ids import Jid
from timb.common.random import SystemRandom
from timb.core.conversations import Conversations
from timb.core.events import MessageReceived, OtrState, OtrStateChanged
from timb.net.base import ConnectionState, MessageIn
from timb.net.irc.adapter import IrcAccount, IrcAdapter, ReconnectPolicy
from timb.net.irc.chat import IrcChatAdapter
from timb.otr import PrivateKey
from timb.otr.instance_tags import generate_instance_tag
from timb.tor.client import TorClient

pytestmark = pytest.mark.integration

FAST = ReconnectPolicy(initial=0.2, maximum=2.0, attempt_timeout=90.0)


class Peer:
    """One side: an IRC chat adapter, a Conversations core, and the pump between them."""

    def __init__(self, chat: IrcChatAdapter, name: str, key: PrivateKey) -> None:
        self.chat = chat
        self.name = name
        self.key = key
        self.core: Conversations | None = None
        self.wire: list[str] = []  # every body handed to IRC
        self.received: list[MessageReceived] = []
        self.states: list[OtrStateChanged] = []
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self, fragment_size: int) -> None:
        rng = SystemRandom()
        self.core = Conversations(
            self.name, self.key, instance_tag=generate_instance_tag(rng), clock=SystemClock(), rng=rng,
            max_fragment_size=fragment_size,
        )  # fmt: skip
        self._task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        assert self.core is not None
        async for event in self.chat.events():
            if isinstance(event, MessageIn):
                self.core.receive(str(event.sender), event.body)
                await self.flush()

    async def flush(self) -> None:
        assert self.core is not None
        for contact, wire in self.core.data_to_send():
            self.wire.append(wire)
            await self.chat.send_message(Jid.parse(contact), wire)
        while (event := self.core.next_event()) is not None:
            if isinstance(event, MessageReceived):
                self.received.append(event)
            elif isinstance(event, OtrStateChanged):
                self.states.append(event)
        self._changed.set()

    async def send(self, contact: Jid, text: str) -> None:
        assert self.core is not None
        self.core.send(str(contact), text)
        await self.flush()

    async def wait_text(self, text: str, within: float = 90.0) -> MessageReceived:
        async with asyncio.timeout(within):
            while True:
                for msg in self.received:
                    if msg.text == text:
                        return msg
                self._changed.clear()
                await self._changed.wait()

    async def close(self) -> None:
        await self.chat.disconnect()
        if self._task is not None:
            self._task.cancel()


@pytest.fixture
async def peers(
    exit_tor_client: Any, ircd_onion: str, ircd_server: IrcServer
) -> AsyncIterator[tuple[Peer, Peer]]:
    tor = await TorClient.attach(
        "127.0.0.1", exit_tor_client.control_port, cookie_path=exit_tor_client.cookie_path
    )
    await tor.wait_bootstrapped(timeout_s=120)
    pin = ircd_server.pin()
    stamp = str(time.monotonic_ns())[-5:]
    made: list[Peer] = []
    try:
        for base in ("oa", "ob"):
            nick = f"{base}{stamp}xx"[:9]  # 9 characters: ngircd's NICKLEN, the longest prefix
            irc = IrcAdapter(
                IrcAccount(host=ircd_onion, nick=nick, port=ONION_PORT, pin=pin), tor, policy=FAST
            )
            key = await asyncio.to_thread(PrivateKey.generate)
            made.append(Peer(IrcChatAdapter(irc, ircd_onion), nick, key))
        for peer in made:
            await peer.chat.connect()
        a, b = made
        a.start(a.chat.fragment_size(b.chat.contact(b.name)))
        b.start(b.chat.fragment_size(a.chat.contact(a.name)))
        yield a, b
    finally:
        for peer in made:
            await peer.close()
        await tor.close()


async def test_otr_over_irc_both_ways_and_a_4kb_message_arrives_whole(
    peers: tuple[Peer, Peer], ircd_server: IrcServer
) -> None:
    alice, bob = peers
    to_bob, to_alice = alice.chat.contact(bob.name), bob.chat.contact(alice.name)
    started = time.monotonic()
    await alice.send(to_bob, "hello over IRC")  # held until private: the AKE runs first
    got = await bob.wait_text("hello over IRC")
    ake = time.monotonic() - started
    assert got.encrypted and got.contact == str(to_alice)
    await bob.send(to_alice, "and back")
    assert (await alice.wait_text("and back")).encrypted
    assert any(s.state is OtrState.PRIVATE_UNVERIFIED for s in alice.states)
    big = "".join(chr(0x61 + i % 26) for i in range(4096))
    started = time.monotonic()
    await alice.send(to_bob, big)
    assert (await bob.wait_text(big, within=120)).encrypted
    elapsed = time.monotonic() - started
    lines = [w for w in alice.wire if w.startswith("?OTR")]
    print(
        f"\nOTR over IRC: first message (with AKE) {ake:.1f} s; 4 KB in {elapsed:.1f} s; {len(lines)} lines"
    )
    assert all(w.startswith("?OTR") for w in alice.wire + bob.wire), "a line left without OTR"
    assert all(len(w.encode()) <= alice.chat.fragment_size(to_bob) for w in alice.wire)
    assert (
        alice.chat.irc.state is ConnectionState.CONNECTED and bob.chat.irc.state is ConnectionState.CONNECTED
    )
