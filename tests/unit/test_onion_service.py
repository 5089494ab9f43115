"""The service's onion part (identities, contacts, waiting messages) between two TimbServices
over `FakeNet` (no tor): requests, accept/reject/block, messages both ways with acks, restarts
with no loss or duplicate, a hostile peer that acknowledges nothing or replays ids, burners."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.unit.onion_fakes import FakeNet
from timb.common.clock import FakeClock
from timb.common.secret import Secret
from timb.core.events import CoreEvent
from timb.core.onion_events import (
    OnionContactRequested,
    OnionIdentityChanged,
    OnionMessageReceived,
    OnionMessageState,
    OnionMessageStateChanged,
    OnionPresenceChanged,
)
from timb.core.service import InvalidRequest, NotFound, TimbService
from timb.core.service.onion_store import MAX_INCOMING
from timb.net.onion import peer_events as pe
from timb.net.onion.identity import OnionIdentity, parse_contact_id

PASS = Secret("correct horse battery staple")


class Side:
    def __init__(self, service: TimbService) -> None:
        self.service = service
        self.onion = service.onion
        self.events: list[CoreEvent] = []
        self._changed = asyncio.Event()

    async def collect(self) -> None:
        async for event in self.service.events():
            self.events.append(event)
            self._changed.set()

    async def wait(self, predicate: Callable[[list[CoreEvent]], bool]) -> None:
        async with asyncio.timeout(10):
            while not predicate(self.events):
                self._changed.clear()
                await self._changed.wait()

    def received(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, OnionMessageReceived)]

    def states(self, msg_id: str) -> list[OnionMessageState]:
        return [e.state for e in self.events if isinstance(e, OnionMessageStateChanged) and e.id == msg_id]

    @property
    def address(self) -> str:
        return self.onion.list_identities()[0].address


@contextlib.asynccontextmanager
async def running(
    directory: Path, net: FakeNet, *, create: bool, clock: FakeClock | None = None
) -> AsyncIterator[Side]:
    async with TimbService(directory, onion_peer_factory=net.factory, clock=clock) as service:
        side = Side(service)
        task = asyncio.create_task(side.collect())
        if create:
            await service.create_profile(PASS)
            await service.onion.create_identity("me", nickname="")
        else:
            await service.unlock_profile(PASS)
        try:
            yield side
        finally:
            await service.close()
            await task


def delivered(side: Side, msg_id: str) -> Callable[[list[CoreEvent]], bool]:
    return lambda _e: OnionMessageState.DELIVERED in side.states(msg_id)


async def befriend(a: Side, b: Side) -> None:
    """a adds b's address (verified); b accepts the stranger's request (unverified)."""
    await a.onion.go_online("me")
    await b.onion.go_online("me")
    await a.onion.add_contact("me", b.address, message="hi, it's A")
    await b.wait(lambda ev: any(isinstance(e, OnionContactRequested) for e in ev))
    await b.onion.accept("me", a.address)
    await a.wait(lambda ev: any(isinstance(e, OnionPresenceChanged) and e.online for e in ev))


async def test_request_accept_and_chat_both_ways(tmp_path: Path) -> None:
    net = FakeNet()
    async with running(tmp_path / "a", net, create=True) as a, running(tmp_path / "b", net, create=True) as b:
        await befriend(a, b)
        request = next(e for e in b.events if isinstance(e, OnionContactRequested))
        assert request.contact == a.address and request.message == "hi, it's A"
        assert [c.verified for c in a.onion.list_contacts("me")] == [True]  # entered by the user
        assert [c.verified for c in b.onion.list_contacts("me")] == [False]  # a stranger's request
        m1 = a.onion.send_message("me", b.address, "hello B")
        await a.wait(delivered(a, m1))
        m2 = b.onion.send_message("me", a.address, "hello A")
        await b.wait(delivered(b, m2))
        await a.wait(lambda _e: a.received() == ["hello A"])
        assert b.received() == ["hello B"]
        assert a.states(m1) == [
            OnionMessageState.WAITING,
            OnionMessageState.SENT,
            OnionMessageState.DELIVERED,
        ]
        await b.onion.verify_contact("me", a.address)
        assert [c.verified for c in b.onion.list_contacts("me")] == [True]


async def test_waiting_message_survives_a_restart_and_goes_when_both_online(tmp_path: Path) -> None:
    net = FakeNet()
    async with running(tmp_path / "a", net, create=True) as a, running(tmp_path / "b", net, create=True) as b:
        await befriend(a, b)
        b_addr = b.address
        await b.onion.go_offline("me")
        msg = a.onion.send_message("me", b_addr, "kept for you")
        await a.wait(lambda _e: a.states(msg) == [OnionMessageState.WAITING])
        await a.wait(lambda ev: any(isinstance(e, OnionPresenceChanged) and not e.online for e in ev))
        assert a.states(msg) == [OnionMessageState.WAITING]  # never "sent" while B is away
        assert a.onion.message_state("me", msg) is OnionMessageState.WAITING
    vault = (tmp_path / "a").rglob("*")
    assert not any(b"kept for you" in p.read_bytes() for p in vault if p.is_file())  # encrypted at rest
    async with (
        running(tmp_path / "a", net, create=False) as a,
        running(tmp_path / "b", net, create=False) as b,
    ):
        await a.onion.go_online("me")
        assert a.onion.message_state("me", msg) is OnionMessageState.WAITING
        await b.onion.go_online("me")
        await a.wait(delivered(a, msg))
        await b.wait(lambda _e: b.received() == ["kept for you"])
        assert a.onion.message_state("me", msg) is None


async def test_unacknowledged_message_is_resent_with_its_ids_and_shown_once(tmp_path: Path) -> None:
    net = FakeNet()
    async with running(tmp_path / "a", net, create=True) as a, running(tmp_path / "b", net, create=True) as b:
        await befriend(a, b)
        a_addr, b_addr = parse_contact_id(a.address), parse_contact_id(b.address)
        net.peers[b_addr].acks = False  # hostile: acknowledges nothing
        msg = a.onion.send_message("me", b.address, "once only")
        await b.wait(lambda _e: b.received() == ["once only"])
        assert a.onion.message_state("me", msg) is OnionMessageState.SENT
        net.sever(a_addr, b_addr)
        await a.wait(lambda _e: a.states(msg)[-1:] == [OnionMessageState.WAITING])
        net.peers[b_addr].acks = True
        net.heal(a_addr, b_addr)
        await a.wait(delivered(a, msg))
        wire = [ids for peer, ids in net.peers[a_addr].sent if peer == b_addr]
        assert len(wire) == 2 and wire[0] == wire[1]  # the same ids the second time
        assert b.received() == ["once only"]  # the receiver dropped the repeat


async def test_replayed_ids_after_the_receivers_restart_are_dropped(tmp_path: Path) -> None:
    net = FakeNet()
    async with running(tmp_path / "a", net, create=True) as a, running(tmp_path / "b", net, create=True) as b:
        await befriend(a, b)
        a_addr, b_addr = parse_contact_id(a.address), parse_contact_id(b.address)
        b.onion.send_message("me", a.address, "first")
        await a.wait(lambda _e: a.received() == ["first"])
        ids = net.peers[b_addr].sent[-1][1]
    async with running(tmp_path / "a", net, create=False) as a:
        await a.onion.go_online("me")
        peer = net.peers[a_addr]  # B, hostile now, replays an old id on a new connection
        peer.push(pe.ContactOnline(b_addr))
        peer.push(pe.MessageIn(b_addr, "first", ids))
        peer.push(pe.MessageIn(b_addr, "second", (ids[-1] + 1,)))
        await a.wait(lambda _e: a.received() == ["second"])


async def test_reject_block_and_block_unknown(tmp_path: Path) -> None:
    net = FakeNet()
    async with running(tmp_path / "a", net, create=True) as a, running(tmp_path / "b", net, create=True) as b:
        await a.onion.go_online("me")
        await b.onion.go_online("me")
        await b.onion.set_block_unknown(True)
        await a.onion.add_contact("me", b.address)
        assert b.onion.list_contacts("me") == []  # refused without asking
        assert a.onion.list_contacts("me")[0].status == "rejected"
        await b.onion.set_block_unknown(False)
        with pytest.raises(InvalidRequest):
            a.onion.send_message("me", b.address, "to a refusal")
        await a.onion.add_contact("me", b.address)
        await b.wait(lambda ev: any(isinstance(e, OnionContactRequested) for e in ev))
        await b.onion.block("me", a.address)
        with pytest.raises(NotFound):
            await b.onion.accept("me", a.address)
        assert b.onion.list_contacts("me")[0].status == "blocked"


async def test_requests_from_strangers_are_capped(tmp_path: Path) -> None:
    net = FakeNet()
    async with running(tmp_path / "b", net, create=True) as b:
        await b.onion.go_online("me")
        peer = net.peers[parse_contact_id(b.address)]
        strangers = [OnionIdentity(Secret(bytes([i]) * 32)).address for i in range(MAX_INCOMING + 5)]
        for who in strangers:
            peer.push(pe.ContactRequest(who, "", "spam"))
        await b.wait(lambda ev: sum(isinstance(e, OnionContactRequested) for e in ev) == MAX_INCOMING)
        await asyncio.sleep(0)
        assert len(b.onion.list_contacts("me")) == MAX_INCOMING


async def test_burner_is_deleted_with_its_key_when_it_expires(tmp_path: Path) -> None:
    net, clock = FakeNet(), FakeClock()
    async with running(tmp_path / "a", net, create=True, clock=clock) as a:
        await a.onion.create_identity("burner", burner_seconds=60)
        await a.onion.go_online("burner")
        clock.advance(61)
        a.onion.poll()
        await a.wait(lambda ev: any(isinstance(e, OnionIdentityChanged) and e.expired for e in ev))
        assert [i.id for i in a.onion.list_identities()] == ["me"]
        assert len(net.peers) == 0  # its onion service is gone too
    async with running(tmp_path / "a", net, create=False) as a:
        assert [i.id for i in a.onion.list_identities()] == ["me"]


async def test_bad_input_is_refused(tmp_path: Path) -> None:
    net = FakeNet()
    async with running(tmp_path / "a", net, create=True) as a:
        with pytest.raises(InvalidRequest):
            await a.onion.add_contact("me", "ricochet:not-an-onion")
        with pytest.raises(InvalidRequest):
            await a.onion.add_contact("me", a.address)
        with pytest.raises(InvalidRequest):
            await a.onion.create_identity("me")
        with pytest.raises(NotFound):
            a.onion.send_message("nobody", a.address, "x")


async def test_nothing_goes_to_an_address_the_user_did_not_accept(tmp_path: Path) -> None:
    net = FakeNet()
    async with running(tmp_path / "a", net, create=True) as a:
        await a.onion.go_online("me")
        peer = net.peers[parse_contact_id(a.address)]
        stranger = OnionIdentity(Secret(b"\x07" * 32)).address
        peer.push(pe.ContactRequest(stranger, "", "let me in"))
        await a.wait(lambda ev: any(isinstance(e, OnionContactRequested) for e in ev))
        with pytest.raises(InvalidRequest):  # a request is not a contact
            a.onion.send_message("me", f"ricochet:{stranger.service_id}", "hello?")
        peer.online.add(stranger)  # a confused or hostile layer below says it is connected
        peer.push(pe.ContactOnline(stranger))
        peer.push(pe.MessageIn(stranger, "unsolicited", (1,)))
        await a.onion.add_contact("me", OnionIdentity(Secret(b"\x08" * 32)).address.service_id)
        assert peer.sent == [] and a.received() == []
        assert [c.status for c in a.onion.list_contacts("me")] == ["incoming", "requested"]
