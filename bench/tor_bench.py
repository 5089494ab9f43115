"""Tor benchmark: the private network's start, a client through the obfs4 bridge next to a
direct one, and an onion echo over both next to plain loopback TCP.

What it measures (everything on 127.0.0.1, in a temporary directory, stopped on any exit):

1. start: a cold start of the private network (3 authorities + 2 relays + a client, keys
   generated) to the client's 100 %, then ``--ups`` (10) warm starts (keys cached): p50, min, max;
2. the obfs4 bridge relay added to the running network, then one more client joining to 100 %,
   directly and with ``UseBridges 1`` through that bridge only, alternately (``--joins`` each):
   medians and their ratio;
3. one onion service: the first stream's SOCKS connect from each visitor;
4. round trip of a 64-byte message to an echo service, p50/p95 over N (200), through the onion
   service from the direct visitor, from the bridged visitor, and over plain loopback TCP; the
   ratio bridge / direct;
5. throughput of a 20 MB transfer each way on the same three paths, length-prefixed (tor streams
   have no half-close); the ratio bridge / direct.

Usage: ``.venv/bin/python bench/tor_bench.py [--ups N] [--joins N] [--rtts N] [--megabytes M]
[--keep DIR]``. Figures are noisy (8+ tor processes share the machine's cores with everything
else); compare the ratios within one run.
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

from timb.tor.bridges import BridgeLine
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


async def bootstrap(
    directory: Path, ups: int
) -> tuple[TestNetwork, ClientInfo, dict[str, float], list[float]]:
    net = TestNetwork(directory, owner_pid=os.getpid())
    times: dict[str, float] = {}
    t = time.perf_counter()
    await net.up()
    times["cold start (keys generated) to 100 %"] = time.perf_counter() - t
    warm: list[float] = []
    for _ in range(ups):
        net.down()
        t = time.perf_counter()
        host = await net.up()
        warm.append(time.perf_counter() - t)
    return net, host, times, warm


async def joins(net: TestNetwork, bridge: BridgeLine, count: int) -> dict[str, list[float]]:
    """One more client joining, directly and through the obfs4 bridge, alternately."""
    out: dict[str, list[float]] = {"direct": [], "obfs4 bridge": []}
    for i in range(count):
        for what, bridges in (("direct", ()), ("obfs4 bridge", (bridge,))):
            t = time.perf_counter()
            client = await net.add_client(f"j{i}{len(bridges)}", bridges=bridges)
            out[what].append(time.perf_counter() - t)
            net.stop_client(client.nickname)
    return out


async def run(args: argparse.Namespace, directory: Path) -> None:
    net, host, times, warm = await bootstrap(directory, args.ups)
    try:
        print("Private network (3 authorities + 2 relays + a client), `up` to the client's 100 %:")
        for what, seconds in times.items():
            print(f"  {what:44s} {seconds:6.1f} s")
        print(
            f"  warm start, {len(warm)} runs: p50 {statistics.median(warm):5.1f} s   "
            f"min {min(warm):5.1f}   max {max(warm):5.1f}   ({' '.join(f'{w:.1f}' for w in warm)})"
        )
        t = time.perf_counter()
        bridge = await net.add_bridge()
        print(f"  obfs4 bridge relay added to 100 %            {time.perf_counter() - t:6.1f} s")
        joined = await joins(net, bridge, args.joins)
        direct, bridged = statistics.median(joined["direct"]), statistics.median(joined["obfs4 bridge"])
        print(f"\nOne more client joins to 100 % (median of {args.joins}):")
        print(f"  directly                                     {direct:6.2f} s")
        print(f"  through the obfs4 bridge only                {bridged:6.2f} s")
        print(f"  ratio bridge / direct                        {bridged / direct:6.2f}x")
        visitor = await net.add_client("visitor")
        bridged_visitor = await net.add_client("bvisitor", bridges=[bridge])
        await measure(args, host, {"direct": visitor, "obfs4 bridge": bridged_visitor})
    finally:
        stopped = net.down()
        print(f"\nstopped {len(stopped)} tor processes")


async def measure(args: argparse.Namespace, host: ClientInfo, visitors: dict[str, ClientInfo]) -> None:
    """One onion service on ``host``; each visitor (direct, bridged) and plain loopback TCP
    measured against it in turn: echo round trips, then 20 MB each way."""
    nbytes = args.megabytes * 1_000_000
    async with (
        service() as port,
        await TorClient.attach("127.0.0.1", host.control_port, cookie_path=host.cookie_path) as host_tor,
    ):
        t = time.perf_counter()
        onion = await host_tor.add_onion([(80, port)], await_publication=True)
        print(f"\nOnion service: ADD_ONION to descriptor uploaded {time.perf_counter() - t:6.2f} s")
        streams: dict[str, Stream] = {}
        attached: list[TorClient] = []
        try:
            for what, visitor in visitors.items():
                tor = await TorClient.attach(
                    "127.0.0.1", visitor.control_port, cookie_path=visitor.cookie_path
                )
                attached.append(tor)
                t = time.perf_counter()
                streams[f"onion, {what}"] = await tor.open_stream(onion.address.host, 80, isolation="bench")
                print(f"  first stream connected, {what:20s} {time.perf_counter() - t:6.2f} s")
            plain = await asyncio.open_connection("127.0.0.1", port)
            plain[1].get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            streams["plain loopback TCP"] = plain
            await report(args, streams, nbytes)
            for _reader, writer in streams.values():
                writer.close()
        finally:
            for tor in attached:
                await tor.close()
            await host_tor.del_onion(onion)


async def report(args: argparse.Namespace, streams: dict[str, Stream], nbytes: int) -> None:
    for stream in streams.values():
        await echo_rtts(stream, 5)  # warm-up: circuit windows, caches
    rtts = {what: await echo_rtts(stream, args.rtts) for what, stream in streams.items()}
    print(f"\nRound trip, 64-byte echo, {args.rtts} each (ms):   p50      p95")
    for what, rtt in rtts.items():
        print(f"  {what:36s} {pct(rtt, 50) * 1e3:8.3f} {pct(rtt, 95) * 1e3:8.3f}")
    ratio = pct(rtts["onion, obfs4 bridge"], 50) / pct(rtts["onion, direct"], 50)
    print(f"  ratio bridge / direct (p50)          {ratio:8.2f}x")
    print(f"\nThroughput, {args.megabytes} MB (MB/s):       download   upload")
    rates: dict[str, tuple[float, float]] = {}
    for what, stream in streams.items():
        rates[what] = (await download(stream, nbytes), await upload(stream, nbytes))
        print(f"  {what:36s} {rates[what][0]:8.1f} {rates[what][1]:8.1f}")
    down = rates["onion, obfs4 bridge"][0] / rates["onion, direct"][0]
    up = rates["onion, obfs4 bridge"][1] / rates["onion, direct"][1]
    print(f"  ratio bridge / direct                {down:8.2f}x {up:7.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rtts", type=int, default=200, help="round trips per path (default 200)")
    parser.add_argument("--megabytes", type=int, default=20, help="transfer size in MB (default 20)")
    parser.add_argument("--ups", type=int, default=10, help="warm network starts timed (default 10)")
    parser.add_argument("--joins", type=int, default=3, help="client joins timed per path (default 3)")
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
