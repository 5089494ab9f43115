"""OnionPeer against hostile and honest peers over loopback streams (no tor: the streams a
listener would get from tor are made here; a core on the other end plays the peer)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.unit.onion_pair import ALICE, BOB, MALLORY
from timb.common.ids import OnionAddress
from timb.common.random import DeterministicRandom, SystemRandom
from timb.common.secret import Secret
from timb.net.errors import NotConnectedError
from timb.net.onion import peer_events as pe
from timb.net.onion.adapter import OnionPeer
from timb.net.onion.book import ContactState
from timb.net.onion.connection import OnionConnection
from timb.net.onion.dialing import Redialler
from timb.net.onion.errors import FrameError, OnionUsageError
from timb.net.onion.events import (
    ConnectionClosed,
    ConnectionEvent,
    ContactRequestAnswered,
    MessageAcknowledged,
    MessageReceived,
)
from timb.net.onion.identity import OnionIdentity
from timb.net.onion.messages import Status
from timb.net.onion.state import Role


class StepClock:
    def __init__(self) -> None:
        self.t = 1_000.0

    def now(self) -> float:
        return self.t


class NoTor:
    """The adapter under test never dials here."""

    async def open_stream(self, host: str, port: int, *, isolation: str) -> Any:
        raise OSError("no tor in unit tests")


class Harness:
    def __init__(self, peer: OnionPeer, server: asyncio.Server) -> None:
        self.peer = peer
        self.port = server.sockets[0].getsockname()[1]
        self.events: list[pe.PeerEvent] = []

    def drain(self) -> list[pe.PeerEvent]:
        q = self.peer._events
        while not q.empty():
            item = q.get_nowait()
            assert not isinstance(item, BaseException), item
            self.events.append(item)
        return self.events

    async def until(self, pred: Any, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while not pred():
                self.drain()
                await asyncio.sleep(0.01)


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    peer = OnionPeer(NoTor(), BOB, clock=StepClock(), tick_interval=0.02, max_strangers=4, max_requests=3)  # type: ignore[arg-type]
    peer._running = True  # what start() sets once the onion service is up
    server = await asyncio.start_server(peer.handle_inbound, "127.0.0.1", 0)
    try:
        yield Harness(peer, server)
    finally:
        await peer.stop()
        server.close()


class Dialler:
    """A Ricochet client core on a loopback stream (the stranger or contact dialling Bob)."""

    def __init__(
        self, identity: OnionIdentity, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.conn = OnionConnection(
            Role.CLIENT, identity, now=0, random=SystemRandom(), peer=BOB.address, is_contact=lambda _a: True
        )
        self.reader, self.writer = reader, writer
        self.events: list[ConnectionEvent] = []

    @classmethod
    async def open(cls, port: int, identity: OnionIdentity) -> Dialler:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(identity, reader, writer)

    async def step_until(self, pred: Any, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while True:
                out = self.conn.data_to_send()
                if out:
                    self.writer.write(out)
                    await self.writer.drain()
                self.events += self.conn.take_events()
                if pred():
                    return
                if self.conn.closed:
                    raise AssertionError(f"closed first: {self.events}")
                data = await self.reader.read(65536)
                self.conn.receive_data(data, 0)

    def close(self) -> None:
        self.writer.close()


async def test_garbage_frames_close_that_connection_with_a_typed_error(harness: Harness) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", harness.port)
    writer.write(b"IM\x01\x03" + b"\x00\x02\x00\x00")  # a packet shorter than its header
    assert await reader.read(10) == b"\x03"
    assert await reader.read(10) == b""  # closed
    await harness.until(lambda: any(isinstance(e, pe.PeerError) for e in harness.events))
    (error,) = [e for e in harness.events if isinstance(e, pe.PeerError)]
    assert error.peer is None and isinstance(error.error, FrameError)
    await harness.until(lambda: not harness.peer._links)


async def test_a_peer_that_never_authenticates_is_dropped_after_15_s(harness: Harness) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", harness.port)
    writer.write(b"IM\x01\x03")
    assert await reader.read(10) == b"\x03"
    await harness.until(lambda: len(harness.peer._links) == 1)
    harness.peer._clock.t += 15  # type: ignore[attr-defined]
    assert await asyncio.wait_for(reader.read(10), 5) == b""
    await harness.until(lambda: not harness.peer._links)


async def test_connection_flood_is_capped(harness: Harness) -> None:
    streams = [await asyncio.open_connection("127.0.0.1", harness.port) for _ in range(10)]
    await harness.until(lambda: len(harness.peer._links) == 4)
    closed = 0
    for reader, _w in streams:
        try:
            if await asyncio.wait_for(reader.read(1), 0.5) == b"":
                closed += 1
        except TimeoutError:
            pass
    assert closed == 6 and len(harness.peer._links) == 4
    for _r, w in streams:
        w.close()


def stranger(i: int) -> OnionIdentity:
    return OnionIdentity(Secret(DeterministicRandom(b"stranger%d" % i).randbytes(32)))


async def test_request_flood_is_capped_and_a_contact_still_chats(harness: Harness) -> None:
    harness.peer._max_strangers = 16  # this test is about the request cap
    harness.peer.book.set(ALICE.address, ContactState.ALLOWED)
    alice = await Dialler.open(harness.port, ALICE)
    await alice.step_until(lambda: alice.conn.purpose.value == "known-contact")
    await harness.until(lambda: harness.peer.is_online(ALICE.address))

    answers: list[Status] = []
    held: list[Dialler] = []  # the waiting requesters keep their connections open
    for i in range(6):
        d = await Dialler.open(harness.port, stranger(i))
        held.append(d)
        await d.step_until(lambda d=d: d.conn.authenticated)
        d.conn.send_contact_request(f"s{i}", "let me in")
        await d.step_until(lambda d=d: any(isinstance(e, ContactRequestAnswered) for e in d.events))
        answers += [e.status for e in d.events if isinstance(e, ContactRequestAnswered)]
        if i >= 3:
            d.close()
    assert answers == [Status.Pending] * 3 + [Status.Error] * 3
    await harness.until(lambda: len([e for e in harness.events if isinstance(e, pe.ContactRequest)]) == 3)

    ids = alice.conn.send_message("still here")
    await alice.step_until(lambda: any(isinstance(e, MessageAcknowledged) for e in alice.events))
    await harness.until(lambda: any(isinstance(e, pe.MessageIn) for e in harness.events))
    (msg,) = [e for e in harness.events if isinstance(e, pe.MessageIn)]
    assert msg.peer == ALICE.address and msg.text == "still here" and msg.message_ids == ids
    alice.close()


async def test_blocked_stranger_is_refused_and_forged_identity_fails(harness: Harness) -> None:
    harness.peer.book.set(MALLORY.address, ContactState.BLOCKED)
    d = await Dialler.open(harness.port, MALLORY)
    await d.step_until(lambda: d.conn.authenticated)
    d.conn.send_contact_request("", "")
    await d.step_until(lambda: any(isinstance(e, ConnectionClosed) for e in d.events))
    assert ContactRequestAnswered(Status.Rejected) in d.events
    assert not any(isinstance(e, pe.ContactRequest) for e in harness.drain())


async def test_duplicate_connections_follow_ricochets_rule(harness: Harness) -> None:
    harness.peer.book.set(ALICE.address, ContactState.ALLOWED)
    first = await Dialler.open(harness.port, ALICE)
    await first.step_until(lambda: first.conn.purpose.value == "known-contact")
    await harness.until(lambda: harness.peer.is_online(ALICE.address))
    since = harness.peer.connected_since(ALICE.address)
    assert since is not None
    clock = harness.peer._clock
    assert isinstance(clock, StepClock)
    clock.t += 1.0
    second = await Dialler.open(harness.port, ALICE)  # same direction: the new one replaces
    await second.step_until(lambda: second.conn.purpose.value == "known-contact")
    await first.step_until(lambda: first.conn.closed)
    await harness.until(lambda: harness.peer._active[ALICE.address].conn.peer == ALICE.address)
    # replaced in place: online throughout, with a later start (how a UI or test tells it apart)
    assert (harness.peer.connected_since(ALICE.address) or 0.0) > since
    assert sum(isinstance(e, pe.ContactOnline) for e in harness.drain()) == 1
    assert not any(isinstance(e, pe.ContactOffline) for e in harness.events)
    second.close()
    await harness.until(lambda: any(isinstance(e, pe.ContactOffline) for e in harness.events))
    assert harness.peer.connected_since(ALICE.address) is None


def test_isolation_keys_differ_per_contact() -> None:
    peer = OnionPeer(NoTor(), BOB)  # type: ignore[arg-type]
    keys = {
        peer.isolation_key(a)
        for a in (ALICE.address, MALLORY.address, OnionAddress(stranger(1).address.host))
    }
    assert len(keys) == 3


def test_a_resent_message_is_shown_once() -> None:
    peer = OnionPeer(NoTor(), BOB)  # type: ignore[arg-type]
    assert peer._first_time(ALICE.address, (7, 8))
    assert not peer._first_time(ALICE.address, (7, 8))  # the same text again, after a replacement
    assert peer._first_time(MALLORY.address, (7, 8))  # ids are per contact
    assert peer._first_time(ALICE.address, (9,))


def test_duplicate_rule_direction_age_and_service_ids() -> None:
    """ContactUser::assignConnection: same direction -> new; old > 30 s -> new; else the
    connection whose listening side has the smaller service id."""
    clock = StepClock()
    peer = OnionPeer(NoTor(), BOB, clock=clock)  # type: ignore[arg-type]

    def link(outbound: bool, since: float) -> Any:
        conn = OnionConnection(
            Role.CLIENT if outbound else Role.SERVER, BOB, now=0, random=SystemRandom(), peer=ALICE.address
        )
        conn.contact_since = since
        return type("L", (), {"outbound": outbound, "conn": conn})()

    now = clock.t
    assert peer._new_wins(ALICE.address, link(True, now), link(True, now))
    assert peer._new_wins(ALICE.address, link(False, now - 31), link(True, now))
    alice_smaller = ALICE.address.service_id < BOB.address.service_id
    # fresh and opposite: keep the one whose server is the smaller id (Alice's when she is smaller)
    assert peer._new_wins(ALICE.address, link(False, now), link(True, now)) is alice_smaller
    assert peer._new_wins(ALICE.address, link(True, now), link(False, now)) is not alice_smaller


async def test_redialler_backs_off_stops_when_unwanted_and_wakes() -> None:
    attempts: list[OnionAddress] = []
    wanted = {ALICE.address}
    first_three = asyncio.Event()

    async def attempt(peer: OnionAddress) -> bool | None:
        attempts.append(peer)
        if len(attempts) == 3:
            first_three.set()
        return None  # tor could not reach it

    async def guard(work: Any) -> None:
        await work

    d = Redialler(
        wants=lambda p: p in wanted,
        online=lambda p: False,
        attempt=attempt,
        guard=guard,
        random=DeterministicRandom(b"j"),
        backoff=(0.001, 0.004),
    )
    d.ensure(ALICE.address)
    d.ensure(MALLORY.address)  # not wanted: no loop
    await asyncio.wait_for(first_three.wait(), 5)
    assert set(attempts) == {ALICE.address}
    assert d.running(ALICE.address) and not d.running(MALLORY.address)
    wanted.clear()
    d.wake(ALICE.address)
    await asyncio.wait_for(asyncio.gather(*d._tasks.values()), 5)
    assert not d._tasks and not d.running(ALICE.address)
    await d.stop()


async def test_resend_message_keeps_its_ids_and_accepting_a_gone_request_asks_back(harness: Harness) -> None:
    with pytest.raises(NotConnectedError):
        harness.peer.resend_message(ALICE.address, "not online", (1,))
    harness.peer.book.set(ALICE.address, ContactState.ALLOWED)
    alice = await Dialler.open(harness.port, ALICE)
    await alice.step_until(lambda: alice.conn.purpose.value == "known-contact")
    await harness.until(lambda: harness.peer.is_online(ALICE.address))
    with pytest.raises(OnionUsageError):
        harness.peer.resend_message(ALICE.address, "x" * 2500, (5,))  # two parts, one id
    harness.peer.resend_message(ALICE.address, "again", (4242,))
    await alice.step_until(lambda: any(isinstance(e, MessageReceived) for e in alice.events))
    (got,) = [e for e in alice.events if isinstance(e, MessageReceived)]
    assert got.message_ids == (4242,) and got.text == "again"
    alice.close()
    harness.peer.accept_request(MALLORY.address)  # its request's connection is gone
    assert harness.peer.book.get(MALLORY.address) is ContactState.REQUESTING
