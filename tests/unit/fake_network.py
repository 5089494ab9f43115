"""A fake chat server for service tests: adapters that deliver to each other in memory.

It keeps what it carried (``server.log``) so tests can assert that no plaintext ever crossed it,
and stores messages for an offline account until it connects again (like XMPP offline storage).

It can be hostile (issue 9's threat model): ``intercept`` sees every message first and may keep
it from its recipient (drop); `forge` delivers a message "from" anyone; `replay` delivers a
kept or logged message again; `reorder` swaps what waits for an offline account; `Impostor`
runs its own OTR (its own key) under a contact's address.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from timb.common.clock import SystemClock
from timb.common.ids import Jid
from timb.common.random import SystemRandom
from timb.core.accounts import Account
from timb.core.conversations import Conversations
from timb.core.events import MessageReceived
from timb.net import base as net
from timb.otr import PrivateKey


@dataclass
class FakeServer:
    adapters: dict[Jid, FakeAdapter] = field(default_factory=dict)
    offline: dict[Jid, list[net.MessageIn]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    refuse: set[Jid] = field(default_factory=set)  # accounts whose login fails
    registered: set[Jid] = field(default_factory=set)  # accounts made by in-band registration
    registration_open: bool = True
    # (sender, to, body) -> True to pass it on; False: the server keeps it (``kept``).
    intercept: Callable[[Jid, Jid, str], bool] | None = None
    kept: list[tuple[Jid, Jid, str]] = field(default_factory=list)

    def factory(self, account: Account, dialer: net.Dialer | None) -> net.Adapter:
        return FakeAdapter(self, account.jid)

    def deliver(self, sender: Jid, to: Jid, body: str) -> None:
        self.log.append(body)
        if self.intercept is not None and not self.intercept(sender, to, body):
            self.kept.append((sender, to, body))
            return
        self.forge(sender, to, body)

    def forge(self, sender: Jid, to: Jid, body: str) -> None:
        """Deliver ``body`` to ``to`` as if ``sender`` had sent it (no check at all)."""
        message = net.MessageIn(sender, body)
        adapter = self.adapters.get(to.bare)
        if adapter is None or not adapter.connected:
            self.offline.setdefault(to.bare, []).append(message)
        else:
            adapter.queue.put_nowait(message)

    def replay(self, index: int = -1) -> None:
        """Deliver a kept message again (a replay by the server)."""
        sender, to, body = self.kept[index]
        self.forge(sender, to, body)

    def reorder(self, to: Jid) -> None:
        """Reverse what waits for an offline account."""
        self.offline.get(to.bare, []).reverse()


class Impostor:
    """The server's own OTR client under ``victim``'s address, with its own key: it answers
    whatever ``peer`` sends to ``victim`` while `active` (the real one gets nothing of it)."""

    def __init__(self, server: FakeServer, victim: Jid, peer: Jid, key: PrivateKey) -> None:
        self.server = server
        self.victim = victim
        self.peer = peer
        self.active = False
        self.read: list[str] = []  # what it could decrypt
        self.core = Conversations(
            str(victim), key, instance_tag=0x7E57, clock=SystemClock(), rng=SystemRandom()
        )
        server.intercept = self._intercept

    def start(self) -> None:
        """Run an AKE with ``peer`` as ``victim``."""
        self.active = True
        self.core.start(str(self.peer))
        self._flush()

    def _intercept(self, sender: Jid, to: Jid, body: str) -> bool:
        if not (self.active and sender.bare == self.peer.bare and to.bare == self.victim.bare):
            return True
        self.core.receive(str(self.peer), body)
        self._flush()
        return False

    def _flush(self) -> None:
        while (event := self.core.next_event()) is not None:
            if isinstance(event, MessageReceived) and event.encrypted:
                self.read.append(event.text)
        for _contact, wire in self.core.data_to_send():
            self.server.forge(self.victim, self.peer, wire)


class FakeAdapter(net.Adapter):
    def __init__(self, server: FakeServer, jid: Jid) -> None:
        self.server = server
        self.jid = jid
        self.connected = False
        self.queue: asyncio.Queue[net.NetEvent | None] = asyncio.Queue()
        self.answers: list[tuple[str, Jid]] = []  # ("approve" | "deny", address), in order
        self.register = False

    def register_on_connect(self) -> None:
        self.register = True

    async def connect(self) -> None:
        if self.register:
            if not self.server.registration_open:
                raise net.RemoteError("not-allowed", "the server refused the registration")
            if self.jid in self.server.registered:
                raise net.RemoteError("conflict", "the server refused the registration")
            self.server.registered.add(self.jid)
            self.register = False
        if self.jid in self.server.refuse:
            raise net.AuthError("not-authorized")
        # As the XMPP adapter does: its own state events, queued before connect() returns.
        self.queue.put_nowait(net.ConnectionStateChanged(net.ConnectionState.CONNECTING))
        self.queue.put_nowait(net.ConnectionStateChanged(net.ConnectionState.CONNECTED))
        self.connected = True
        self.server.adapters[self.jid] = self
        for message in self.server.offline.pop(self.jid, []):
            self.queue.put_nowait(message)

    async def disconnect(self) -> None:
        if self.connected:
            self.connected = False
            if self.server.adapters.get(self.jid) is self:
                del self.server.adapters[self.jid]
            self.queue.put_nowait(None)

    async def send_message(self, to: Jid, body: str) -> str:
        if not self.connected:
            raise net.NotConnectedError("not connected")
        self.server.deliver(self.jid, to, body)
        return str(len(self.server.log))

    async def roster(self) -> tuple[net.RosterItem, ...]:
        return ()

    async def add_contact(self, jid: Jid, name: str | None = None) -> None:
        return None

    async def remove_contact(self, jid: Jid) -> None:
        return None

    async def approve_subscription(self, jid: Jid) -> None:
        self.answers.append(("approve", jid))

    async def deny_subscription(self, jid: Jid) -> None:
        self.answers.append(("deny", jid))

    async def events(self) -> AsyncIterator[net.NetEvent]:  # type: ignore[override]
        while (event := await self.queue.get()) is not None:
            yield event
