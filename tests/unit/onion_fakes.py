"""An in-process stand-in for the onion network, for unit tests of the service's onion part:
`FakeNet` links `FakePeer`s (each playing `OnionPeer`) the way Ricochet contacts connect."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from timb.common.ids import OnionAddress
from timb.net.errors import NotConnectedError
from timb.net.onion import peer_events as pe
from timb.net.onion.identity import OnionIdentity
from timb.net.onion.messages import Status

DIALLED = ("allowed", "requesting")


class FakeNet:
    def __init__(self) -> None:
        self.peers: dict[OnionAddress, FakePeer] = {}
        self.cut: set[frozenset[OnionAddress]] = set()  # pairs whose connection cannot come up

    def factory(self, _tor: Any, identity: OnionIdentity, nickname: str) -> FakePeer:
        return FakePeer(self, identity.address, nickname)

    def sever(self, a: OnionAddress, b: OnionAddress) -> None:
        """The connection between a and b dies (and stays down until `heal`)."""
        self.cut.add(frozenset((a, b)))
        pa, pb = self.peers.get(a), self.peers.get(b)
        if pa is not None and pb is not None and b in pa.online:
            pa.lose(b)
            pb.lose(a)

    def heal(self, a: OnionAddress, b: OnionAddress) -> None:
        self.cut.discard(frozenset((a, b)))
        self.reconcile()

    def reconcile(self) -> None:
        for a in list(self.peers.values()):
            for b_addr, state in list(a.book.items()):
                b = self.peers.get(b_addr)
                if b is None or state not in DIALLED or b_addr in a.online:
                    continue
                if frozenset((a.address, b_addr)) in self.cut:
                    continue
                theirs = b.book.get(a.address)
                if theirs in DIALLED:
                    for x, y in ((a, b), (b, a)):
                        if x.book[y.address] == "requesting":
                            x.book[y.address] = "allowed"
                            x.push(pe.RequestAnswered(y.address, Status.Accepted))
                        x.online.add(y.address)
                        x.push(pe.ContactOnline(y.address))
                elif theirs is None and state == "requesting" and a.address not in b.asked_by:
                    b.asked_by.add(a.address)
                    b.push(pe.ContactRequest(a.address, a.nickname, a.request_text.get(b_addr, "")))


class FakePeer:
    def __init__(self, net: FakeNet, address: OnionAddress, nickname: str) -> None:
        self.net, self.address, self.nickname = net, address, nickname
        self.book: dict[OnionAddress, str] = {}
        self.request_text: dict[OnionAddress, str] = {}
        self.online: set[OnionAddress] = set()
        self.asked_by: set[OnionAddress] = set()
        self.acks = True  # False: a hostile peer that acknowledges nothing
        self.sent: list[tuple[OnionAddress, tuple[int, ...]]] = []  # what went on the wire
        self._next_id = 100
        self._queue: asyncio.Queue[pe.PeerEvent] = asyncio.Queue()

    def push(self, event: pe.PeerEvent) -> None:
        self._queue.put_nowait(event)

    async def events(self) -> AsyncIterator[pe.PeerEvent]:
        while True:
            yield await self._queue.get()

    async def start(self) -> None:
        self.net.peers[self.address] = self
        self.push(pe.ServiceOnline(self.address))
        self.net.reconcile()

    async def stop(self) -> None:
        self.net.peers.pop(self.address, None)
        for other in list(self.online):
            peer = self.net.peers.get(other)
            if peer is not None:
                peer.lose(self.address)
        self.online.clear()

    def lose(self, other: OnionAddress) -> None:
        if other in self.online:
            self.online.discard(other)
            self.push(pe.ContactOffline(other))

    def add_contact(self, peer: OnionAddress) -> None:
        self.book[peer] = "allowed"
        self.net.reconcile()

    def request_contact(self, peer: OnionAddress, message: str = "", nickname: str | None = None) -> None:
        self.book[peer] = "requesting"
        self.request_text[peer] = message
        self.net.reconcile()

    def accept_request(self, peer: OnionAddress) -> None:
        self.book[peer] = "requesting"  # as OnionPeer does once the request's connection is gone
        self.net.reconcile()

    def reject_request(self, peer: OnionAddress) -> None:
        self.asked_by.discard(peer)  # it may ask again
        if self.book.get(peer) not in DIALLED:
            self.book.pop(peer, None)
        other = self.net.peers.get(peer)
        if other is not None and other.book.get(self.address) == "requesting":
            other.book[self.address] = "rejected"
            other.push(pe.RequestAnswered(self.address, Status.Rejected))

    def block(self, peer: OnionAddress) -> None:
        self.book[peer] = "blocked"
        self._drop(peer)

    def forget(self, peer: OnionAddress) -> None:
        self.book.pop(peer, None)
        self._drop(peer)

    def _drop(self, peer: OnionAddress) -> None:
        other = self.net.peers.get(peer)
        self.lose(peer)
        if other is not None:
            other.lose(self.address)

    def is_online(self, peer: OnionAddress) -> bool:
        return peer in self.online

    def send_message(self, peer: OnionAddress, text: str) -> tuple[int, ...]:
        ids = (self._next_id,)
        self._next_id += 1
        self.resend_message(peer, text, ids)
        return ids

    def resend_message(self, peer: OnionAddress, text: str, ids: tuple[int, ...]) -> None:
        other = self.net.peers.get(peer)
        if peer not in self.online or other is None:
            raise NotConnectedError("the contact is offline")
        self.sent.append((peer, ids))
        other.push(pe.MessageIn(self.address, text, ids))
        if other.acks:
            for i in ids:
                self.push(pe.MessageAcked(peer, i, True))
