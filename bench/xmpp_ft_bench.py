"""File throughput with an XMPP contact on the private Tor network, with ratios within one run
(issue 15: "over XMPP via IBB ... vs that same raw stream").

TIMB: two `TimbService`s (alice, bob) on the onion Prosody, OTR private; alice's
``files.send_file`` of N MiB, bob accepting into a temporary folder; timed from the offer to
bob's ``completed`` (MAC, size and SHA3-512 checked, file named). The bytes go alice -> onion
Prosody -> bob as XEP-0047 <iq/>s, so each crosses two onion circuits. Raw: the same N MiB down
one onion stream from the same tor to an onion listener on it, read to the end and answered by
one byte. Each IBB window (<iq/>s in flight, `xmpp_file_parts.WINDOW`) given with ``--windows``
is measured in the same rounds, so the default is picked by the numbers.

Usage: ``.venv/bin/python bench/xmpp_ft_bench.py [--mib N] [--rounds R] [--windows 4,16,32]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import timb.core.service.xmpp_file_parts as parts
from _xmpp_infra import World, say, world
from timb.common.secret import Secret
from timb.core.events import ConnectionState, ConnectionStateChanged, CoreEvent, OtrState, OtrStateChanged
from timb.core.file_events import FileChanged, FileOffered
from timb.core.service import TimbService, TorSettings
from timb.tor.client import TorClient

PASSPHRASE = "benchmark passphrase"
CONNECTED = ConnectionState.CONNECTED


class Events:
    def __init__(self, service: TimbService) -> None:
        self.service = service
        self.seen: list[CoreEvent] = []
        self.changed = asyncio.Event()
        self.task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for event in self.service.events():
            self.seen.append(event)
            self.changed.set()

    async def wait(self, predicate: object, limit: float = 300) -> CoreEvent:
        assert callable(predicate)
        async with asyncio.timeout(limit):
            while True:
                for event in self.seen:
                    if predicate(event):
                        self.seen.remove(event)
                        return event
                self.changed.clear()
                await self.changed.wait()


async def raw_seconds(tor: TorClient, data: bytes) -> float:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got = 0
        while got < len(data) and (chunk := await reader.read(1 << 16)):
            got += len(chunk)
        writer.write(b"!")
        await writer.drain()
        writer.close()

    listener = await tor.listen_onion(swallow, virtual_port=81)
    try:
        reader, writer = await tor.open_stream(listener.address.host, 81, isolation="bench-raw")
        t = time.perf_counter()
        writer.write(data)
        await writer.drain()
        assert await reader.readexactly(1) == b"!"
        seconds = time.perf_counter() - t
        writer.close()
        return seconds
    finally:
        await listener.close()


async def timb_seconds(alice: Events, bob: Events, bob_jid: str, source: Path, inbox: Path) -> float:
    t = time.perf_counter()
    await alice.service.files.send_file("main", bob_jid, source, strip_metadata=False)
    offer = await bob.wait(lambda e: isinstance(e, FileOffered))
    assert isinstance(offer, FileOffered)
    await bob.service.files.accept_file("main", offer.transfer, inbox)
    done = await bob.wait(lambda e: isinstance(e, FileChanged) and e.state in {"completed", "failed"})
    seconds = time.perf_counter() - t
    assert isinstance(done, FileChanged) and done.state == "completed", done
    os.unlink(done.saved_as)
    return seconds


async def setup(w: World, directory: Path) -> tuple[Events, Events, str]:
    tor = TorSettings(control_port=w.control_port, cookie_path=w.cookie_path)
    (a_jid, a_pw), (b_jid, b_pw) = w.register("alice"), w.register("bob")
    alice = TimbService(directory / "alice", tor=tor)
    bob = TimbService(directory / "bob", tor=tor)
    await alice.__aenter__()
    await bob.__aenter__()
    a, b = Events(alice), Events(bob)
    for ev, (jid, pw), peer in ((a, (a_jid, a_pw), b_jid), (b, (b_jid, b_pw), a_jid)):
        await ev.service.create_profile(Secret(PASSPHRASE))
        await ev.service.add_account("main", jid, Secret(pw), host=w.onion, tls_pin_sha256=w.pin)
        await ev.service.add_contact("main", peer)
        await ev.service.connect("main")
        await ev.wait(
            lambda e: isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.CONNECTED
        )
    alice.start_otr("main", b_jid)
    for ev in (a, b):
        await ev.wait(lambda e: isinstance(e, OtrStateChanged) and e.state is OtrState.PRIVATE_UNVERIFIED)
    return a, b, b_jid


async def run(args: argparse.Namespace, directory: Path) -> None:
    windows = [int(x) for x in args.windows.split(",")]
    async with world(directory) as w:
        tor = await TorClient.attach("127.0.0.1", w.control_port, cookie_path=w.cookie_path)
        alice, bob, bob_jid = await setup(w, directory)
        try:
            data = os.urandom(args.mib << 20)
            source, inbox = directory / "bench.bin", directory / "inbox"
            source.write_bytes(data)
            inbox.mkdir()
            raw: list[float] = []
            timb: dict[int, list[float]] = {n: [] for n in windows}
            for _ in range(args.rounds):
                raw.append(await raw_seconds(tor, data))
                for n in windows:
                    parts.WINDOW = n
                    timb[n].append(await timb_seconds(alice, bob, bob_jid, source, inbox))
                say("round done")
            mib = len(data) / (1 << 20)
            r = statistics.median(raw)
            print(f"{args.mib} MiB over the private network, median of {args.rounds} rounds:")
            print(f"  raw onion stream (one circuit)              {mib / r:8.2f} MiB/s  ({r:.2f} s)")
            for n in windows:
                t = statistics.median(timb[n])
                print(
                    f"  TIMB IBB via the onion Prosody, window {n:3d} {mib / t:8.2f} MiB/s  ({t:.2f} s)"
                    f"  ratio {r / t:5.2f}x"
                )
        finally:
            for ev in (alice, bob):
                await ev.service.close()
                await ev.service.__aexit__(None, None, None)
                ev.task.cancel()
            await tor.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mib", type=int, default=2, help="file size in MiB (default 2)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each (default 2)")
    parser.add_argument("--windows", default="4,16,32", help="IBB windows to compare (default 4,16,32)")
    args = parser.parse_args()
    os.environ["TIMB_OFFLINE"] = "1"  # only ever the private network
    with tempfile.TemporaryDirectory(prefix="timb-xmpp-ft-bench-") as d:
        asyncio.run(run(args, Path(d)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
