"""Onion (Ricochet v3) benchmark on the private Tor network, printing ratios within one run.

1. time from "online" (our onion service published) to "contact connected" (the contact's
   connection authenticated and taken), for a contact that is already online;
2. message latency, p50/p95 over N (100): a 64-byte chat message from Alice to Bob until Alice
   holds Bob's ChatAcknowledge (one round trip through Bob's onion), next to the raw round trip of
   a 64-byte echo over the same path (Alice's tor -> a service on Bob's tor); their ratio;
3. the same 64-character texts, as many, sent one way by TIMB over the onion XMPP server
   (two `TimbService` with OTR required, through Prosody published as an onion service on
   Alice's tor: bench/_xmpp_infra.py and _xmpp_clients.py, as bench/xmpp_bench.py uses them),
   probes interleaved with the onion ones; send -> arrival at Bob, next to the onion chat's
   own send -> arrival (Bob's MessageIn), and their ratio onion-direct / onion-XMPP;
4. adapter memory: resident memory and Python allocations of one OnionPeer holding 100 contact
   connections (loopback streams into its listener handler, each a real authenticated Ricochet
   connection; tor's own memory is not counted: one tor serves every contact).

Usage: ``.venv/bin/python bench/onion_bench.py [--messages N] [--contacts N] [--gap S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from _xmpp_clients import TimbPair
from _xmpp_infra import World, world
from timb.common.random import SystemRandom
from timb.common.secret import Secret
from timb.net.onion import peer_events as pe
from timb.net.onion.adapter import OnionPeer
from timb.net.onion.book import ContactState
from timb.net.onion.connection import OnionConnection
from timb.net.onion.identity import OnionIdentity
from timb.net.onion.state import Role
from timb.tor.client import TorClient
from timb.tor.testnet.state import ClientInfo


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class Inbox:
    def __init__(self, peer: OnionPeer) -> None:
        self.items: list[pe.PeerEvent] = []
        self.times: dict[int, float] = {}  # id(event) -> when it arrived (time.perf_counter)
        self.changed = asyncio.Event()
        self.task = asyncio.create_task(self._run(peer))

    async def _run(self, peer: OnionPeer) -> None:
        async for ev in peer.events():
            self.times[id(ev)] = time.perf_counter()
            self.items.append(ev)
            self.changed.set()

    async def wait(self, kind: type, **fields: object) -> pe.PeerEvent:
        async with asyncio.timeout(120):
            while True:
                for i, ev in enumerate(self.items):
                    if isinstance(ev, kind) and all(getattr(ev, k) == v for k, v in fields.items()):
                        return self.items.pop(i)
                self.changed.clear()
                await self.changed.wait()


async def attach(control_port: int, cookie_path: Path) -> TorClient:
    tor = await TorClient.attach("127.0.0.1", control_port, cookie_path=cookie_path)
    await tor.wait_bootstrapped(60)
    return tor


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:  # the echo gets every help: no Nagle on its loopback side
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while data := await reader.read(4096):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def raw_rtts(alice_tor: TorClient, bob_tor: TorClient, count: int) -> list[float]:
    listener = await bob_tor.listen_onion(echo, virtual_port=80)
    try:
        reader, writer = await alice_tor.open_stream(listener.address.host, 80, isolation="bench-echo")
        payload = os.urandom(64)
        rtts = []
        for i in range(count + 5):
            t = time.perf_counter()
            writer.write(payload)
            got = b""
            while len(got) < 64:
                got += await reader.read(64 - len(got))
            if i >= 5:  # warm-up first
                rtts.append(time.perf_counter() - t)
        writer.close()
        return rtts
    finally:
        await listener.close()


async def probes(
    alice: OnionPeer, a_in: Inbox, b_in: Inbox, bob: OnionPeer, xmpp: TimbPair, count: int, gap: float
) -> tuple[list[float], list[float], list[float]]:
    """Interleaved: an onion chat text (send -> Bob's MessageIn, send -> Alice holds the
    ChatAcknowledge) and an OTR text over the onion XMPP server (send -> Bob's service shows it),
    the same 64 characters each, the order swapped every probe; 5 warm-ups each."""
    one_way, rtt, via_xmpp = [], [], []
    for i in range(count + 5):
        for path in ("onion", "xmpp") if i % 2 else ("xmpp", "onion"):
            text = f"probe {path} {i:05d} ".ljust(64, "m")
            t = time.perf_counter()
            if path == "onion":
                (mid,) = alice.send_message(bob.address, text)
                got = await b_in.wait(pe.MessageIn, text=text)
                ack = await a_in.wait(pe.MessageAcked, message_id=mid)
                if i >= 5:
                    one_way.append(b_in.times.pop(id(got)) - t)
                    rtt.append(a_in.times.pop(id(ack)) - t)
            else:
                xmpp.send(text)
                arrived = await xmpp.arrivals.wait(text, 120)
                if i >= 5:
                    via_xmpp.append(arrived - t)
            await asyncio.sleep(gap)
    return one_way, rtt, via_xmpp


async def over_tor(args: argparse.Namespace, w: World, visitor: ClientInfo, xmpp: TimbPair) -> None:
    alice_tor = await attach(w.control_port, w.cookie_path)
    bob_tor = await attach(visitor.control_port, visitor.cookie_path)
    a_id, b_id = OnionIdentity.generate(SystemRandom()), OnionIdentity.generate(SystemRandom())
    alice, bob = OnionPeer(alice_tor, a_id), OnionPeer(bob_tor, b_id)
    alice.add_contact(b_id.address)
    bob.add_contact(a_id.address)
    a_in, b_in = Inbox(alice), Inbox(bob)
    try:
        await bob.start()
        t = time.perf_counter()
        await alice.start()
        online = time.perf_counter()
        await a_in.wait(pe.ContactOnline)
        connected = time.perf_counter()
        print("Onion service and contact:")
        print(f"  ADD_ONION to published (Alice online)      {online - t:6.2f} s")
        print(f"  online to contact connected                {connected - online:6.2f} s")

        one_way, chat, via_xmpp = await probes(alice, a_in, b_in, bob, xmpp, args.messages, args.gap)
        raw = await raw_rtts(alice_tor, bob_tor, args.messages)
        print(f"\nRound trip, 64 bytes, {args.messages} each (ms):       p50      p95")
        for what, rtt in (("chat message -> ChatAcknowledge", chat), ("raw onion echo (same path)", raw)):
            print(f"  {what:40s} {pct(rtt, 50) * 1e3:8.2f} {pct(rtt, 95) * 1e3:8.2f}")
        print(f"  ratio chat / raw (p50)                   {pct(chat, 50) / pct(raw, 50):8.2f}x")
        print(f"  ratio chat / raw (p95)                   {pct(chat, 95) / pct(raw, 95):8.2f}x")
        print(f"\nOne way, send -> shown to Bob, 64 characters, {args.messages} each (ms):  p50      p95")
        for what, ms in (
            ("TIMB onion-direct (Ricochet v3)", one_way),
            ("TIMB over the onion XMPP server (OTR)", via_xmpp),
        ):
            print(f"  {what:40s} {pct(ms, 50) * 1e3:8.2f} {pct(ms, 95) * 1e3:8.2f}")
        print(f"  ratio onion-direct / onion-XMPP (p50)    {pct(one_way, 50) / pct(via_xmpp, 50):8.2f}x")
        print(f"  ratio onion-direct / onion-XMPP (p95)    {pct(one_way, 95) / pct(via_xmpp, 95):8.2f}x")
    finally:
        await alice.stop()
        await bob.stop()
        for task in (a_in.task, b_in.task):
            task.cancel()
        await alice_tor.close()
        await bob_tor.close()


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def memory(contacts: int) -> None:
    """One OnionPeer with ``contacts`` authenticated contact connections (loopback, no tor)."""

    class NoTor:
        async def open_stream(self, *a: object, **k: object) -> object:
            raise OSError("not used")

    bob_id = OnionIdentity.generate(SystemRandom())
    # every contact connects at once: raise the cap on not-yet-authenticated connections
    bob = OnionPeer(NoTor(), bob_id, max_strangers=contacts + 1)  # type: ignore[arg-type]
    bob._running = True
    server = await asyncio.start_server(bob.handle_inbound, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    ids = [OnionIdentity(Secret(os.urandom(32))) for _ in range(contacts)]
    for ident in ids:
        bob.book.set(ident.address, ContactState.ALLOWED)
    rss0 = rss_kib()
    tracemalloc.start()
    snap0 = tracemalloc.take_snapshot()

    async def contact(ident: OnionIdentity) -> tuple[OnionConnection, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        conn = OnionConnection(
            Role.CLIENT, ident, now=0, random=SystemRandom(), peer=bob_id.address, is_contact=lambda _a: True
        )
        while conn.contact_since is None:
            writer.write(conn.data_to_send())
            conn.receive_data(await reader.read(65536), 0)
        conn.send_message("hello")
        writer.write(conn.data_to_send())
        return conn, writer

    held = await asyncio.gather(*(contact(i) for i in ids))
    async with asyncio.timeout(60):
        while sum(bob.is_online(i.address) for i in ids) < contacts:  # noqa: ASYNC110 -- a benchmark poll
            await asyncio.sleep(0.05)
    snap1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    allocated = sum(s.size_diff for s in snap1.compare_to(snap0, "filename"))
    rss1 = rss_kib()
    print(f"\nAdapter memory, {contacts} contacts online (both ends in this process; tor excluded):")
    print(f"  resident memory growth                   {(rss1 - rss0) / 1024:8.1f} MiB")
    print(f"  Python allocations (tracemalloc)         {allocated / 1024 / 1024:8.1f} MiB")
    print(f"  per contact (allocations)                {allocated / contacts / 1024:8.1f} KiB")
    for _conn, writer in held:
        writer.close()
    await bob.stop()
    server.close()


async def run(args: argparse.Namespace, directory: Path) -> None:
    t = time.perf_counter()
    async with world(directory) as w:
        visitor = await w.network.add_client("bob")
        print(f"Private network, Prosody's onion and a second client up in {time.perf_counter() - t:.1f} s\n")
        async with TimbPair.running(
            w.register("alice"),
            w.register("bob"),
            onion=w.onion,
            pin=w.pin,
            control_port=w.control_port,
            cookie_path=w.cookie_path,
            workdir=directory / "timb",
        ) as xmpp:
            await over_tor(args, w, visitor, xmpp)
    await memory(args.contacts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=100, help="round trips per path (default 100)")
    parser.add_argument(
        "--contacts", type=int, default=100, help="contacts in the memory figure (default 100)"
    )
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between probes (default 0.05)")
    args = parser.parse_args()
    os.environ["TIMB_OFFLINE"] = "1"  # only ever the private network
    with tempfile.TemporaryDirectory(prefix="timb-onion-bench-") as d:
        asyncio.run(run(args, Path(d)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
