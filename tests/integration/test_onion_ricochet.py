"""TIMB's onion adapter against the real Ricochet Refresh (libtego 3.0.41 tego_peer) on the
private Tor network: requests both ways, accept, reject (ours, and Ricochet's, whose refusal is
lost with its connection), chat both ways with acks, non-ASCII, 2000-unit and longer texts (TIMB
splits them, libtego truncates), and reconnection after either side restarts."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.ricochet import TegoFactory
from tests.fixtures.tor import TorNetwork
from tests.integration.onion_helpers import timb_peer
from timb.common.ids import OnionAddress
from timb.common.random import SystemRandom
from timb.net.onion import chat
from timb.net.onion import peer_events as pe
from timb.net.onion.identity import OnionIdentity
from timb.net.onion.messages import Status, utf16_units

pytestmark = pytest.mark.integration

LONG_MIX = "é🎉" * 666 + "éé"  # 2000 UTF-16 units, 4000 UTF-8 bytes


def test_libtego_reads_timb_keys_as_the_same_identity(ricochet_dir: Path) -> None:
    identity = OnionIdentity.generate(SystemRandom())
    out = subprocess.run(
        [str(ricochet_dir / "tego_peer"), "--check-key", identity.key_blob().reveal()],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    assert f'"id":"{identity.address.service_id}"' in out.stdout


async def test_timb_asks_ricochet_and_they_chat(tor_network: TorNetwork, tego_factory: TegoFactory) -> None:
    tego = await tego_factory("b")
    b_id = await tego.start()
    b = OnionAddress(b_id)
    # keep-alives after 0.3 s of silence, a dead link after 5 s more: libtego must answer them
    async with timb_peer(tor_network.client, keepalive=(0.3, 5.0)) as (alice, events):
        alice.request_contact(b, "hello from TIMB")
        req = await tego.event("request-from", id=alice.address.service_id, timeout=90)
        assert req["message"] == "hello from TIMB" and req["nick"] is None
        await events.wait(pe.RequestAnswered, peer=b, status=Status.Pending)
        await tego.send(f"accept {alice.address.service_id}")
        await events.wait(pe.RequestAnswered, peer=b, status=Status.Accepted)
        await events.wait(pe.ContactOnline, peer=b)
        await tego.event("user-status", id=alice.address.service_id, status="online")

        for text in ["héllo, Ricochet 🎉", "x" * 2000, LONG_MIX]:
            (mid,) = alice.send_message(b, text)
            got = await tego.event("msg", id=alice.address.service_id)
            assert got["text"] == text
            await events.wait(pe.MessageAcked, peer=b, message_id=mid, accepted=True)

        # Over 2000 units TIMB splits the text: each part is a ChatMessage of its own, in order,
        # each acknowledged; libtego shows the parts as separate messages. The first cut falls
        # just before an emoji, which must not be split.
        long_text = "a" * 1999 + "🎉" + "b" * 2500 + "é"
        parts = chat.split_text(long_text)
        assert [utf16_units(p) for p in parts] == [1999, 2000, 503]
        ids = alice.send_message(b, long_text)
        assert len(ids) == len(parts)
        for part in parts:
            assert (await tego.event("msg", id=alice.address.service_id))["text"] == part
        for mid in ids:
            await events.wait(pe.MessageAcked, peer=b, message_id=mid, accepted=True)

        await tego.send({"cmd": "send", "id": alice.address.service_id, "text": 'line 1\n\t"quoted" ✓'})
        sent = await tego.event("sent")
        msg = await events.wait(pe.MessageIn, peer=b)
        assert msg.text == 'line 1\n\t"quoted" ✓' and msg.message_ids == (sent["msgid"],)
        await tego.event("ack", msgid=sent["msgid"], status="accepted")
        await tego.send({"cmd": "send", "id": alice.address.service_id, "text": LONG_MIX})
        sent = await tego.event("sent")
        assert (sent["utf16_len"], sent["truncated"]) == (2000, False)
        msg = await events.wait(pe.MessageIn, peer=b)
        assert msg.text == LONG_MIX and utf16_units(msg.text) == 2000
        await tego.event("ack", msgid=sent["msgid"], status="accepted")

        # libtego cuts a text it sends to its first 2000 UTF-16 units (QString::truncate), even
        # inside a surrogate pair: Qt writes the lone half as "?", so the UTF-8 stays valid.
        for text, arrives in [("x" * 2500, "x" * 2000), ("y" * 1999 + "🎉z", "y" * 1999 + "?")]:
            await tego.send({"cmd": "send", "id": alice.address.service_id, "text": text})
            sent = await tego.event("sent")
            assert (sent["utf16_len"], sent["truncated"]) == (utf16_units(text), True)
            msg = await events.wait(pe.MessageIn, peer=b)
            assert msg.text == arrives and msg.message_ids == (sent["msgid"],)
            await tego.event("ack", msgid=sent["msgid"], status="accepted")

        # libtego never sends a keep-alive but answers ours; the link stays up through them.
        async with asyncio.timeout(30):
            while alice.keepalive_replies(b) < 3:  # noqa: ASYNC110 -- waits for a count, not a time
                await asyncio.sleep(0.1)
        assert alice.is_online(b) and not events.of(pe.ContactOffline)

        # Ricochet restarts with its key: it (or our backoff) reconnects, chat goes on.
        since = alice.connected_since(b)
        keyblob = tego.keyblob
        await tego.quit()
        tego2 = await tego_factory("b2", datadir=tego.datadir)
        await tego2.send(f"start {keyblob}")
        await tego2.event("identity", id=b_id, timeout=60)
        await tego2.event("user-status", id=alice.address.service_id, status="online", timeout=120)
        # Either alice saw the old link die first (ContactOffline, then ContactOnline), or the new
        # link replaced the dead one before its keep-alive ran out (no event: it never looked
        # offline). Both are right; what matters is that the current link is the new one.
        async with asyncio.timeout(60):
            while alice.connected_since(b) in (None, since):  # noqa: ASYNC110 -- waits for a state
                await asyncio.sleep(0.1)
        if events.of(pe.ContactOffline):
            await events.wait(pe.ContactOnline, peer=b, timeout=10)
        assert alice.is_online(b)
        (mid,) = alice.send_message(b, "after the restart")
        got = await tego2.event("msg", id=alice.address.service_id)
        assert got["text"] == "after the restart"
        await events.wait(pe.MessageAcked, peer=b, message_id=mid)


async def test_ricochet_asks_timb_accept_and_reject(
    tor_network: TorNetwork, tego_factory: TegoFactory
) -> None:
    carol, dave = await tego_factory("c"), await tego_factory("d")
    c_id, d_id = await asyncio.gather(carol.start(), dave.start())
    c, d = OnionAddress(c_id), OnionAddress(d_id)
    async with timb_peer(tor_network.client) as (alice, events):
        me = alice.address.service_id
        await carol.send(f"request {me} hi, I am Carol")
        await dave.send(f"request {me} hi, I am Dave")
        req = await events.wait(pe.ContactRequest, peer=c, timeout=90)
        assert (req.nickname, req.message) == ("", "hi, I am Carol")
        await events.wait(pe.ContactRequest, peer=d, timeout=90)

        alice.accept_request(c)
        await carol.event("request-accepted", id=me)
        await carol.event("user-status", id=me, status="online")
        await events.wait(pe.ContactOnline, peer=c)
        (mid,) = alice.send_message(c, "welcome, Carol ✓")
        assert (await carol.event("msg", id=me))["text"] == "welcome, Carol ✓"
        await events.wait(pe.MessageAcked, peer=c, message_id=mid, accepted=True)
        await carol.send(f"send {me} thanks!")
        assert (await events.wait(pe.MessageIn, peer=c)).text == "thanks!"

        # TIMB writes the refusal before it closes (libtego itself never gets it out).
        alice.reject_request(d)
        await dave.event("request-rejected", id=me, timeout=30)
        assert not alice.is_online(d)


async def test_ricochet_refuses_timb_and_timb_stops_asking(
    tor_network: TorNetwork, tego_factory: TegoFactory
) -> None:
    tego = await tego_factory("e")
    b = OnionAddress(await tego.start())
    async with timb_peer(tor_network.client) as (alice, events):
        me = alice.address.service_id
        alice.request_contact(b, "may I?")
        assert (await tego.event("request-from", id=me, timeout=90))["message"] == "may I?"
        await events.wait(pe.RequestAnswered, peer=b, status=Status.Pending)

        # libtego's `reject` drops the connection before its Rejected is written: to TIMB that is
        # a lost link, so it asks again (with its message: libtego's own requester forgets it).
        await tego.send(f"reject {me}")
        await tego.event("ok", cmd="reject")
        assert (await tego.event("request-from", id=me, timeout=60))["message"] == "may I?"
        await events.wait(pe.RequestAnswered, peer=b, status=Status.Pending)
        assert alice.is_dialling(b) and not events.of(pe.RequestAnswered)

        # `block` (what the Ricochet GUI's "reject" button does) also drops the connection at once,
        # but the next request is answered Rejected in its ChannelResult: TIMB reports it and stops.
        await tego.send(f"block {me}")
        await tego.event("ok", cmd="block")
        await events.wait(pe.RequestAnswered, peer=b, status=Status.Rejected, timeout=60)
        async with asyncio.timeout(30):
            while alice.is_dialling(b):  # noqa: ASYNC110 -- waits for a state
                await asyncio.sleep(0.1)
        assert not alice.is_online(b) and not events.of(pe.ContactOnline)
        await tego.send("ping synced")
        await tego.event("pong")
        assert not [e for e in tego.backlog if e["event"] in ("request-from", "user-status")]
        await tego.send("contacts")
        users = (await tego.event("contacts"))["contacts"]
        assert [(u["id"], u["type"]) for u in users] == [(me, "blocked")]


async def test_timb_restarts_and_ricochet_chats_on(
    tor_network: TorNetwork, tego_factory: TegoFactory
) -> None:
    identity = OnionIdentity.generate(SystemRandom())
    me = identity.address.service_id
    tego_key = OnionIdentity.generate(SystemRandom())
    tego = await tego_factory("r")
    await tego.send(f"contact {me} allowed")  # contacts already, as both profiles would say
    await tego.event("ok", cmd="contact")
    b = OnionAddress(await tego.start(tego_key.key_blob().reveal()))
    async with timb_peer(tor_network.client, identity) as (alice, events):
        alice.add_contact(b)
        await events.wait(pe.ContactOnline, peer=b, timeout=90)
        await tego.event("user-status", id=me, status="online", timeout=60)
        (mid,) = alice.send_message(b, "before the restart")
        assert (await tego.event("msg", id=me))["text"] == "before the restart"
        await events.wait(pe.MessageAcked, peer=b, message_id=mid, accepted=True)

    # TIMB is down: it removed its service and closed its streams, so libtego sees it go (unlike
    # a tor that dies, see the peer's README) and keeps a text for it in memory ("queued").
    await tego.event("user-status", id=me, status="offline", timeout=60)
    await tego.send(f"send {me} while you were away")
    away = await tego.event("sent")
    assert away["queued"] is True

    async with timb_peer(tor_network.client, identity) as (alice, events):
        alice.add_contact(b)
        await events.wait(pe.ContactOnline, peer=b, timeout=90)
        await tego.event("user-status", id=me, status="online", timeout=60)
        # libtego sends it on the new connection, with its id and how long ago it was written
        msg = await events.wait(pe.MessageIn, peer=b, timeout=60)
        assert (msg.text, msg.message_ids) == ("while you were away", (away["msgid"],))
        assert msg.time_delta <= 0
        await tego.event("ack", msgid=away["msgid"], status="accepted")
        (mid,) = alice.send_message(b, "after the restart")
        assert (await tego.event("msg", id=me))["text"] == "after the restart"
        await events.wait(pe.MessageAcked, peer=b, message_id=mid, accepted=True)
        await tego.send(f"send {me} and on")
        sent = await tego.event("sent")
        assert (await events.wait(pe.MessageIn, peer=b)).text == "and on"
        await tego.event("ack", msgid=sent["msgid"], status="accepted")
        # the queued text came once (a repeat would have been before "and on", on one channel)
        assert not events.of(pe.MessageIn) and not events.of(pe.ContactOffline)
        assert not [e for e in tego.backlog if e["event"] == "msg"]
