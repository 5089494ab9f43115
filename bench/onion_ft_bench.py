"""File throughput over an onion link on the private Tor network, with a ratio within one run
(issue 15: "TIMB over the onion link vs a raw onion stream of the same size, goal >= 0.8x").

TIMB: Alice's OnionPeer sends N MiB to Bob's over ``im.ricochet.file-transfer`` (one 63 KiB chunk
in flight, each acknowledged, Bob hashing as it writes), timed from `send_file` to Alice's
`FileDone`. Raw: the same N MiB written down one stream from Alice's tor to an onion service on
Bob's tor that reads them all and answers one byte; and the same in 63 KiB blocks, each answered
before the next is written, which is what Ricochet's protocol does (one chunk in flight): its
own bound, so the second ratio is what TIMB's implementation costs. Rounds alternate the three.

Usage: ``.venv/bin/python bench/onion_ft_bench.py [--mib N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import platformdirs

from onion_bench import Inbox, attach
from timb.common.random import SystemRandom
from timb.net.onion import peer_events as pe
from timb.net.onion.adapter import OnionPeer
from timb.net.onion.events import FileEnd
from timb.net.onion.file_messages import MAX_CHUNK
from timb.net.onion.identity import OnionIdentity
from timb.tor.client import TorClient
from timb.tor.testnet import TestNetwork


class Counter:
    """Bob's sink: counts, keeps nothing (the core hashes what passes)."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes, /) -> None:
        self.bytes += len(data)


async def raw_seconds(alice_tor: TorClient, bob_tor: TorClient, data: bytes, block: int) -> float:
    """``data`` down one onion stream, ``block`` bytes at a time, each answered by one byte."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got = 0
        while got < len(data) and (chunk := await reader.read(1 << 16)):
            before, got = got, got + len(chunk)
            writer.write(b"!" * (got // block - before // block + (got == len(data) and got % block != 0)))
        await writer.drain()
        writer.close()

    listener = await bob_tor.listen_onion(swallow, virtual_port=81)
    try:
        reader, writer = await alice_tor.open_stream(listener.address.host, 81, isolation="bench-raw")
        t = time.perf_counter()
        for start in range(0, len(data), block):
            writer.write(data[start : start + block])
            await writer.drain()
            assert await reader.readexactly(1) == b"!"
        seconds = time.perf_counter() - t
        writer.close()
        return seconds
    finally:
        await listener.close()


async def timb_seconds(alice: OnionPeer, a_in: Inbox, bob: OnionPeer, b_in: Inbox, data: bytes) -> float:
    digest = hashlib.sha3_512(data).digest()
    t = time.perf_counter()
    fid = alice.send_file(bob.address, len(data), "bench.bin", digest, io.BytesIO(data))
    offer = await b_in.wait(pe.FileOffer, file_id=fid)
    assert isinstance(offer, pe.FileOffer)
    bob.accept_file(alice.address, fid, Counter())
    done = await a_in.wait(pe.FileDone, file_id=fid)
    seconds = time.perf_counter() - t
    assert isinstance(done, pe.FileDone) and done.end is FileEnd.COMPLETED, done
    got = await b_in.wait(pe.FileDone, file_id=fid)
    assert isinstance(got, pe.FileDone) and got.end is FileEnd.COMPLETED, got
    return seconds


async def run(args: argparse.Namespace, directory: Path) -> None:
    cache = Path(platformdirs.user_cache_dir("timb")) / "testnet-keys"
    net = TestNetwork(directory, exit_relay=False, owner_pid=os.getpid(), key_cache=cache)
    try:
        host = await net.up()
        visitor = await net.add_client("bob")
        alice_tor, bob_tor = await attach(host), await attach(visitor)
        a_id, b_id = OnionIdentity.generate(SystemRandom()), OnionIdentity.generate(SystemRandom())
        alice, bob = OnionPeer(alice_tor, a_id), OnionPeer(bob_tor, b_id)
        alice.add_contact(b_id.address)
        bob.add_contact(a_id.address)
        a_in, b_in = Inbox(alice), Inbox(bob)
        try:
            await bob.start()
            await alice.start()
            await a_in.wait(pe.ContactOnline)
            data = os.urandom(args.mib << 20)
            raw: list[float] = []
            stepped: list[float] = []
            timb: list[float] = []
            for _ in range(args.rounds):
                raw.append(await raw_seconds(alice_tor, bob_tor, data, len(data)))
                stepped.append(await raw_seconds(alice_tor, bob_tor, data, MAX_CHUNK))
                timb.append(await timb_seconds(alice, a_in, bob, b_in, data))
            mib = len(data) / (1 << 20)
            r, w, t = statistics.median(raw), statistics.median(stepped), statistics.median(timb)
            print(f"{args.mib} MiB over the private network, median of {args.rounds} rounds:")
            print(f"  raw onion stream, streamed             {mib / r:8.2f} MiB/s  ({r:.2f} s)")
            print(f"  raw onion stream, 63 KiB stop-and-wait {mib / w:8.2f} MiB/s  ({w:.2f} s)")
            print(f"  TIMB im.ricochet.file-transfer         {mib / t:8.2f} MiB/s  ({t:.2f} s)")
            print(f"  ratio TIMB / raw streamed              {r / t:8.2f}x")
            print(f"  ratio TIMB / raw stop-and-wait         {w / t:8.2f}x  (as libtego sends)")
        finally:
            await alice.stop()
            await bob.stop()
            for task in (a_in.task, b_in.task):
                task.cancel()
            await alice_tor.close()
            await bob_tor.close()
    finally:
        stopped = net.down()
        print(f"stopped {len(stopped)} tor processes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mib", type=int, default=4, help="file size in MiB (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each (default 3)")
    args = parser.parse_args()
    os.environ["TIMB_OFFLINE"] = "1"  # only ever the private network
    with tempfile.TemporaryDirectory(prefix="timb-onion-ft-bench-") as d:
        asyncio.run(run(args, Path(d)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
