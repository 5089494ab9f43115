"""Two (and more) TIMB onion peers over the private Tor network: request, accept, reject, block,
messages both ways with acks, a 10,000-character text split and rejoined, and one isolation key
(so its own circuits) per contact."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.fixtures.tor import TorNetwork, _run_sync
from tests.integration.onion_helpers import timb_peer
from timb.net.errors import NotConnectedError
from timb.net.onion import peer_events as pe
from timb.net.onion.book import ContactState
from timb.net.onion.messages import Status
from timb.tor.client import TorClient
from timb.tor.testnet.state import ClientInfo

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def second_client(tor_network: TorNetwork) -> Any:
    client = _run_sync(tor_network.add_client("onion"))
    yield client
    tor_network.stop_client(client)


class RecordingTor:
    """Our TorClient, recording the isolation key of every stream it is asked for."""

    def __init__(self, tor: TorClient) -> None:
        self._tor = tor
        self.control = tor.control
        self.isolation: dict[str, set[str]] = {}

    async def open_stream(self, host: str, port: int, *, isolation: str) -> Any:
        self.isolation.setdefault(host, set()).add(isolation)
        return await self._tor.open_stream(host, port, isolation=isolation)


@pytest.fixture
async def three(tor_network: TorNetwork, second_client: ClientInfo) -> AsyncIterator[tuple[Any, Any, Any]]:
    async with (
        timb_peer(tor_network.client, nickname="alice") as a,
        timb_peer(second_client, nickname="bob") as b,
        timb_peer(second_client, nickname="carol") as c,
    ):
        yield a, b, c


async def test_request_accept_chat_and_long_text(three: Any) -> None:
    (alice, a_ev), (bob, b_ev), _ = three
    alice.tor = recorder = RecordingTor(alice.tor)
    alice.request_contact(bob.address, "hi Bob, it's Alice")
    req = await b_ev.wait(pe.ContactRequest, peer=alice.address, timeout=90)
    assert (req.nickname, req.message) == ("alice", "hi Bob, it's Alice")
    await a_ev.wait(pe.RequestAnswered, peer=bob.address, status=Status.Pending)
    bob.accept_request(alice.address)
    await a_ev.wait(pe.RequestAnswered, peer=bob.address, status=Status.Accepted)
    await asyncio.gather(
        a_ev.wait(pe.ContactOnline, peer=bob.address), b_ev.wait(pe.ContactOnline, peer=alice.address)
    )

    ids = alice.send_message(bob.address, "hello Bob ✓")
    assert (await b_ev.wait(pe.MessageIn, peer=alice.address)).text == "hello Bob ✓"
    await a_ev.wait(pe.MessageAcked, peer=bob.address, message_id=ids[0], accepted=True)
    ids = bob.send_message(alice.address, "hello Alice 🎉")
    assert (await a_ev.wait(pe.MessageIn, peer=bob.address)).text == "hello Alice 🎉"
    await b_ev.wait(pe.MessageAcked, peer=alice.address, message_id=ids[0], accepted=True)

    text = "".join(f"[{i:04d}]" for i in range(1667))[:10_000]
    ids = alice.send_message(bob.address, text)
    assert len(ids) == 5
    got = await b_ev.wait(pe.MessageIn, peer=alice.address)
    assert got.text == text and got.message_ids == ids
    for mid in ids:
        await a_ev.wait(pe.MessageAcked, peer=bob.address, message_id=mid, accepted=True)

    # the stream to Bob used Alice's key for Bob, and only that one
    assert recorder.isolation[bob.address.host] == {alice.isolation_key(bob.address)}


async def test_reject_block_and_per_contact_isolation(three: Any) -> None:
    (alice, a_ev), (bob, b_ev), (carol, c_ev) = three
    alice.tor = recorder = RecordingTor(alice.tor)
    alice.request_contact(bob.address, "let me in")
    alice.request_contact(carol.address, "and you?")
    await b_ev.wait(pe.ContactRequest, peer=alice.address, timeout=90)
    await c_ev.wait(pe.ContactRequest, peer=alice.address, timeout=90)
    keys = recorder.isolation[bob.address.host] | recorder.isolation[carol.address.host]
    assert len(keys) == 2  # one isolation key (one set of circuits) per contact

    bob.reject_request(alice.address)  # delivered: TIMB writes the answer before closing
    await a_ev.wait(pe.RequestAnswered, peer=bob.address, status=Status.Rejected)
    carol.block(alice.address)
    await a_ev.wait(pe.RequestAnswered, peer=carol.address, status=Status.Rejected)
    assert not alice.is_online(bob.address) and not alice.is_online(carol.address)

    # Alice asks Carol again: a blocked requester is refused at once, without asking Carol.
    alice.request_contact(carol.address, "please?")
    await a_ev.wait(pe.RequestAnswered, peer=carol.address, status=Status.Rejected, timeout=90)
    assert not c_ev.of(pe.ContactRequest)


async def test_mutual_contacts_connect_once_and_chat(
    tor_network: TorNetwork, second_client: ClientInfo
) -> None:
    """Both sides know each other and dial at once: Ricochet's duplicate rule leaves one
    connection that both agree on, and messages flow on it."""
    async with (
        timb_peer(tor_network.client) as (alice, a_ev),
        timb_peer(second_client) as (bob, b_ev),
    ):
        alice.add_contact(bob.address)
        bob.add_contact(alice.address)
        await asyncio.gather(
            a_ev.wait(pe.ContactOnline, peer=bob.address, timeout=90),
            b_ev.wait(pe.ContactOnline, peer=alice.address, timeout=90),
        )
        for i in range(3):
            (mid,) = alice.send_message(bob.address, f"ping {i}")
            assert (await b_ev.wait(pe.MessageIn, peer=alice.address)).text == f"ping {i}"
            await a_ev.wait(pe.MessageAcked, peer=bob.address, message_id=mid)
            (mid,) = bob.send_message(alice.address, f"pong {i}")
            assert (await a_ev.wait(pe.MessageIn, peer=bob.address)).text == f"pong {i}"
            await b_ev.wait(pe.MessageAcked, peer=alice.address, message_id=mid)


async def test_restarted_contact_is_redialled_and_chat_resumes(
    tor_network: TorNetwork, second_client: ClientInfo
) -> None:
    """Bob goes offline (his service is removed) and comes back with the same identity: Alice
    sees him go, redials with backoff, and messages flow again in both directions."""
    async with timb_peer(tor_network.client, backoff=(0.5, 4.0)) as (alice, a_ev):
        async with timb_peer(second_client) as (bob, b_ev):
            bob_identity = bob.identity
            alice.add_contact(bob.address)
            bob.book.set(alice.address, ContactState.ALLOWED)  # Bob knows Alice, does not dial
            await a_ev.wait(pe.ContactOnline, peer=bob.address, timeout=90)
        await a_ev.wait(pe.ContactOffline, peer=bob.address, timeout=30)
        with pytest.raises(NotConnectedError):
            alice.send_message(bob.address, "while you were away")
        async with timb_peer(second_client, identity=bob_identity) as (bob, b_ev):
            bob.book.set(alice.address, ContactState.ALLOWED)
            await a_ev.wait(pe.ContactOnline, peer=bob.address, timeout=90)
            (mid,) = alice.send_message(bob.address, "welcome back")
            assert (await b_ev.wait(pe.MessageIn, peer=alice.address)).text == "welcome back"
            await a_ev.wait(pe.MessageAcked, peer=bob.address, message_id=mid)
            (mid,) = bob.send_message(alice.address, "thanks")
            assert (await a_ev.wait(pe.MessageIn, peer=bob.address)).text == "thanks"
            await b_ev.wait(pe.MessageAcked, peer=alice.address, message_id=mid)
