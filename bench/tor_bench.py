"""Tor benchmark: the private network's bootstrap, and an onion echo next to plain loopback TCP.

What it measures (everything on 127.0.0.1, in a temporary directory, stopped on any exit):

1. bootstrap: a cold start of the private network (3 authorities + 2 relays + a client, keys
   generated) to the client's 100 %, then a warm restart (keys cached), then one more client
   joining the running network (`add_client`);
2. onion service: ADD_ONION to the descriptor upload, and the first stream's SOCKS connect;
3. round trip of a 64-byte message to an echo service, p50/p95 over N (200), through the onion
   service (client tor -> 6-hop rendezvous circuit -> service tor -> loopback server) and, in the
   same run, to the same server over plain loopback TCP; their ratio;
4. throughput of a 20 MB transfer over the onion, both directions, length-prefixed (tor streams
   have no half-close), next to the same transfer over loopback TCP.

Usage: ``.venv/bin/python bench/tor_bench.py [--rtts N] [--megabytes M] [--keep DIR]``.
Figures are noisy (7 tor processes share the machine's cores with everything else); compare the
ratios within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from timb.tor.client import TorClient
from timb.tor.testnet import TestNetwork
from timb.tor.testnet.state import ClientInfo

CHUNK = 64 * 1024
ECHO, UPLOAD, DOWNLOAD = b"E", b"U", b"D"

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


# ---- the service: one protocol for echo, upload and download ----


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Requests: op (1 byte) + length (8 bytes) [+ payload]. E: echo the payload back
    (length-prefixed); U: read the payload, answer b"K"; D: send ``length`` bytes."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            op = await reader.readexactly(1)
            length = int.from_bytes(await reader.readexactly(8), "big")
            if op == ECHO:
                writer.write(length.to_bytes(8, "big") + await reader.readexactly(length))
            elif op == UPLOAD:
                remaining = length
                while remaining:
                    remaining -= len(await reader.read(min(CHUNK, remaining)))
                writer.write(b"K")
            elif op == DOWNLOAD:
                block = bytes(CHUNK)
                for offset in range(0, length, CHUNK):
                    writer.write(block[: min(CHUNK, length - offset)])
                    await writer.drain()
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # the client is done
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def service() -> AsyncIterator[int]:
    handlers: set[asyncio.Task[None]] = set()
    writers: set[asyncio.StreamWriter] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        writers.add(writer)
        await serve(reader, writer)

    server = await asyncio.start_server(tracked, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        # Closing our ends ends each handler (EOF), so none is cancelled mid-read at shutdown.
        for writer in writers:
            writer.close()
        await asyncio.gather(*handlers, return_exceptions=True)


# ---- the client side of the protocol ----


async def echo_rtts(stream: Stream, count: int, size: int = 64) -> list[float]:
    reader, writer = stream
    payload = os.urandom(size)
    rtts = []
    for _ in range(count):
        t = time.perf_counter()
        writer.write(ECHO + size.to_bytes(8, "big") + payload)
        await writer.drain()
        length = int.from_bytes(await reader.readexactly(8), "big")
        if await reader.readexactly(length) != payload:
            raise AssertionError("the echo differs from what was sent")
        rtts.append(time.perf_counter() - t)
    return rtts


async def upload(stream: Stream, nbytes: int) -> float:
    reader, writer = stream
    block = bytes(CHUNK)
    t = time.perf_counter()
    writer.write(UPLOAD + nbytes.to_bytes(8, "big"))
    for offset in range(0, nbytes, CHUNK):
        writer.write(block[: min(CHUNK, nbytes - offset)])
        await writer.drain()
    if await reader.readexactly(1) != b"K":
        raise AssertionError("no acknowledgement of the upload")
    return nbytes / (time.perf_counter() - t) / 1e6


async def download(stream: Stream, nbytes: int) -> float:
    reader, writer = stream
    t = time.perf_counter()
    writer.write(DOWNLOAD + nbytes.to_bytes(8, "big"))
    await writer.drain()
    remaining = nbytes
    while remaining:
        chunk = await reader.read(min(CHUNK, remaining))
        if not chunk:
            raise AssertionError("the download ended early")
        remaining -= len(chunk)
    return nbytes / (time.perf_counter() - t) / 1e6


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


# ---- the run ----


async def bootstrap(directory: Path) -> tuple[TestNetwork, ClientInfo, dict[str, float]]:
    net = TestNetwork(directory, owner_pid=os.getpid())
    times: dict[str, float] = {}
    t = time.perf_counter()
    await net.up()
    times["cold start (keys generated) to 100 %"] = time.perf_counter() - t
    net.down()
    t = time.perf_counter()
    host = await net.up()
    times["warm start (keys cached) to 100 %"] = time.perf_counter() - t
    return net, host, times


async def run(args: argparse.Namespace, directory: Path) -> None:
    net, host, times = await bootstrap(directory)
    try:
        t = time.perf_counter()
        visitor = await net.add_client("visitor")
        times["one more client joins to 100 %"] = time.perf_counter() - t
        print("Private network (3 authorities + 2 relays + clients):")
        for what, seconds in times.items():
            print(f"  {what:40s} {seconds:6.1f} s")
        await measure(args, host, visitor)
    finally:
        stopped = net.down()
        print(f"\nstopped {len(stopped)} tor processes")


async def measure(args: argparse.Namespace, host: ClientInfo, visitor: ClientInfo) -> None:
    nbytes = args.megabytes * 1_000_000
    async with (
        service() as port,
        await TorClient.attach("127.0.0.1", host.control_port, cookie_path=host.cookie_path) as host_tor,
        await TorClient.attach(
            "127.0.0.1", visitor.control_port, cookie_path=visitor.cookie_path
        ) as visitor_tor,
    ):
        t = time.perf_counter()
        onion = await host_tor.add_onion([(80, port)], await_publication=True)
        published = time.perf_counter() - t
        t = time.perf_counter()
        over_tor = await visitor_tor.open_stream(onion.address.host, 80, isolation="bench")
        connected = time.perf_counter() - t
        plain = await asyncio.open_connection("127.0.0.1", port)
        plain[1].get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        print("\nOnion service:")
        print(f"  ADD_ONION to descriptor uploaded          {published:6.2f} s")
        print(f"  first stream connected (SOCKS, rendezvous) {connected:6.2f} s")

        await echo_rtts(over_tor, 5)  # warm-up: circuit windows, caches
        await echo_rtts(plain, 5)
        onion_rtt = await echo_rtts(over_tor, args.rtts)
        plain_rtt = await echo_rtts(plain, args.rtts)
        print(f"\nRound trip, 64-byte echo, {args.rtts} each (ms):   p50      p95")
        for what, rtt in (("onion service", onion_rtt), ("plain loopback TCP", plain_rtt)):
            print(f"  {what:36s} {pct(rtt, 50) * 1e3:8.3f} {pct(rtt, 95) * 1e3:8.3f}")
        print(f"  ratio onion / loopback               {pct(onion_rtt, 50) / pct(plain_rtt, 50):8.0f}x")

        rates = {
            "onion download (service -> client)": await download(over_tor, nbytes),
            "onion upload (client -> service)": await upload(over_tor, nbytes),
            "loopback download": await download(plain, nbytes),
            "loopback upload": await upload(plain, nbytes),
        }
        print(f"\nThroughput, {args.megabytes} MB (MB/s):")
        for what, rate in rates.items():
            print(f"  {what:36s} {rate:8.1f}")
        ratio = rates["loopback download"] / rates["onion download (service -> client)"]
        print(f"  loopback / onion (download)          {ratio:8.0f}x")
        for _reader, writer in (over_tor, plain):
            writer.close()
        await host_tor.del_onion(onion)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rtts", type=int, default=200, help="round trips per path (default 200)")
    parser.add_argument("--megabytes", type=int, default=20, help="transfer size in MB (default 20)")
    parser.add_argument("--keep", type=Path, default=None, help="network directory to use and keep")
    args = parser.parse_args()
    os.environ["TIMB_OFFLINE"] = "1"  # only ever the private network
    if args.keep is not None:
        asyncio.run(run(args, args.keep))
        return 0
    with tempfile.TemporaryDirectory(prefix="timb-tor-bench-") as d:
        asyncio.run(run(args, Path(d)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
