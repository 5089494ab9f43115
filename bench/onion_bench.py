"""Onion (Ricochet v3) benchmark on the private Tor network, printing ratios within one run.

1. time from "online" (our onion service published) to "contact connected" (the contact's
   connection authenticated and taken), for a contact that is already online;
2. message latency, p50/p95 over N (100): a 64-byte chat message from Alice to Bob until Alice
   holds Bob's ChatAcknowledge (one round trip through Bob's onion), next to the raw round trip of
   a 64-byte echo over the same path (Alice's tor -> a service on Bob's tor); their ratio;
3. adapter memory: resident memory and Python allocations of one OnionPeer holding 100 contact
   connections (loopback streams into its listener handler, each a real authenticated Ricochet
   connection; tor's own memory is not counted: one tor serves every contact).

Usage: ``.venv/bin/python bench/onion_bench.py [--messages N] [--contacts N]``.
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

import platformdirs

from timb.common.random import SystemRandom
from timb.common.secret import Secret
from timb.net.onion import peer_events as pe
from timb.net.onion.adapter import OnionPeer
from timb.net.onion.book import ContactState
from timb.net.onion.connection import OnionConnection
from timb.net.onion.identity import OnionIdentity
from timb.net.onion.state import Role
from timb.tor.client import TorClient
from timb.tor.testnet import TestNetwork
from timb.tor.testnet.state import ClientInfo


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class Inbox:
    def __init__(self, peer: OnionPeer) -> None:
        self.items: list[pe.PeerEvent] = []
        self.changed = asyncio.Event()
        self.task = asyncio.create_task(self._run(peer))

    async def _run(self, peer: OnionPeer) -> None:
        async for ev in peer.events():
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


async def attach(client: ClientInfo) -> TorClient:
    tor = await TorClient.attach("127.0.0.1", client.control_port, cookie_path=client.cookie_path)
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


async def chat_rtts(alice: OnionPeer, inbox: Inbox, bob: OnionPeer, count: int) -> list[float]:
    rtts = []
    for i in range(count + 5):
        t = time.perf_counter()
        (mid,) = alice.send_message(bob.address, "m" * 64)
        await inbox.wait(pe.MessageAcked, message_id=mid)
        if i >= 5:
            rtts.append(time.perf_counter() - t)
    return rtts


async def over_tor(args: argparse.Namespace, host: ClientInfo, visitor: ClientInfo) -> None:
    alice_tor, bob_tor = await attach(host), await attach(visitor)
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

        chat = await chat_rtts(alice, a_in, bob, args.messages)
        raw = await raw_rtts(alice_tor, bob_tor, args.messages)
        print(f"\nRound trip, 64 bytes, {args.messages} each (ms):       p50      p95")
        for what, rtt in (("chat message -> ChatAcknowledge", chat), ("raw onion echo (same path)", raw)):
            print(f"  {what:40s} {pct(rtt, 50) * 1e3:8.2f} {pct(rtt, 95) * 1e3:8.2f}")
        print(f"  ratio chat / raw (p50)                   {pct(chat, 50) / pct(raw, 50):8.2f}x")
        print(f"  ratio chat / raw (p95)                   {pct(chat, 95) / pct(raw, 95):8.2f}x")
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
    cache = Path(platformdirs.user_cache_dir("timb")) / "testnet-keys"
    net = TestNetwork(directory, exit_relay=False, owner_pid=os.getpid(), key_cache=cache)
    try:
        t = time.perf_counter()
        host = await net.up()
        visitor = await net.add_client("bob")
        print(f"Private network up with two clients in {time.perf_counter() - t:.1f} s\n")
        await over_tor(args, host, visitor)
    finally:
        stopped = net.down()
        print(f"\nstopped {len(stopped)} tor processes")
    await memory(args.contacts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=100, help="round trips per path (default 100)")
    parser.add_argument(
        "--contacts", type=int, default=100, help="contacts in the memory figure (default 100)"
    )
    args = parser.parse_args()
    os.environ["TIMB_OFFLINE"] = "1"  # only ever the private network
    with tempfile.TemporaryDirectory(prefix="timb-onion-bench-") as d:
        asyncio.run(run(args, Path(d)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
