"""IRC over Tor: private-message latency of the TIMB adapter next to a bare IRC client on the
same Tor path, in the same run, and the largest message that goes through without a flood kill.

World: a private Tor network (timb.tor.testnet), ngircd on loopback (tests/fixtures/ircd.py's
`IrcServer`, TLS), published as an onion service on the client tor. Both clients reach the onion
through that tor: TIMB's `IrcAdapter` (parser, session, token-bucket queue) and a bare client
(TLS on the same SOCKS stream, raw lines, no parser, no pacing). Probes alternate between the
two modes so both see the same tor conditions. OTR is not in this path yet (issue 17's core part
is still to come): this measures the adapter.

Usage: python bench/irc_bench.py [--probes N] [--sizes 1024,4096,...] [--quick]
(about 1.5 minutes by default; --quick: ~45 s)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "src"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from tests.fixtures.ircd import ONION_PORT, IrcServer  # noqa: E402
from tests.fixtures.prosody import free_port  # noqa: E402

from timb.net.base import ConnectionState  # noqa: E402
from timb.net.irc.adapter import IrcAccount, IrcAdapter, IrcNetEvent  # noqa: E402
from timb.net.irc.connection import make_context  # noqa: E402
from timb.net.irc.errors import ConnectError  # noqa: E402
from timb.net.irc.events import PrivateMessage, ServerClosing  # noqa: E402
from timb.tor.client import TorClient  # noqa: E402
from timb.tor.testnet import TestNetwork  # noqa: E402


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


@dataclass
class World:
    tor: TorClient
    onion: str
    server: IrcServer


@contextlib.asynccontextmanager
async def world(workdir: Path) -> AsyncIterator[World]:
    os.environ["TIMB_OFFLINE"] = "1"
    network = TestNetwork(workdir / "tor", exit_relay=False, owner_pid=os.getpid())
    server = IrcServer(dir=workdir / "ngircd", port=free_port(), tls_port=free_port())
    server.dir.mkdir(parents=True)
    tor: TorClient | None = None
    try:
        say("starting the private Tor network and ngircd")
        await asyncio.to_thread(server.start)
        client = await network.up(timeout_s=180)
        tor = await TorClient.attach("127.0.0.1", client.control_port, cookie_path=client.cookie_path)
        service = await tor.add_onion([(ONION_PORT, server.tls_port)], await_publication=True)
        say(f"ngircd is reachable as {service.address.host}:{ONION_PORT}")
        yield World(tor, service.address.host, server)
    finally:
        say("stopping ngircd and the Tor network")
        if tor is not None:
            with contextlib.suppress(Exception):
                await tor.close()
        server.stop()
        network.down()


class Inbox:
    """An adapter's private messages, by body, with arrival times."""

    def __init__(self, adapter: IrcAdapter) -> None:
        self.adapter = adapter
        self.arrived: dict[str, float] = {}
        self.closed = False
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._pump(adapter))

    async def _pump(self, adapter: IrcAdapter) -> None:
        event: IrcNetEvent
        async for event in adapter.events():
            if isinstance(event, PrivateMessage):
                self.arrived[event.body] = time.monotonic()
                self._changed.set()
            elif isinstance(event, ServerClosing):
                self.closed = True

    async def close(self) -> None:
        await self.adapter.disconnect()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def wait(self, body: str) -> float:
        while body not in self.arrived:
            self._changed.clear()
            await self._changed.wait()
        return self.arrived[body]


class BareClient:
    """TLS on a tor stream, raw lines: the reference."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, nick: str) -> None:
        self.reader, self.writer, self.nick = reader, writer, nick

    @classmethod
    async def connect(cls, w: World, nick: str) -> BareClient:
        account = IrcAccount(host=w.onion, nick=nick, port=ONION_PORT, pin=w.server.pin())
        sock = await w.tor.open_socket(w.onion, ONION_PORT, isolation=f"bare-{nick}")
        reader, writer = await asyncio.open_connection(
            sock=sock, ssl=make_context(account), server_hostname=w.onion
        )
        client = cls(reader, writer, nick)
        writer.write(f"NICK {nick}\r\nUSER u 0 * :u\r\n".encode())
        await client.until(lambda line: " 001 " in line)
        return client

    async def until(self, predicate: object) -> str:
        while True:
            line = (await self.reader.readline()).decode(errors="replace")
            if not line:
                raise ConnectionError("closed")
            if line.startswith("PING"):
                self.writer.write(("PONG" + line[4:]).encode())
            if predicate(line):  # type: ignore[operator]
                return line

    def send(self, to: str, body: str) -> None:
        self.writer.write(f"PRIVMSG {to} :{body}\r\n".encode())


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


async def adapters(w: World, tag: str) -> tuple[Inbox, Inbox]:
    pin = w.server.pin()
    a = Inbox(IrcAdapter(IrcAccount(host=w.onion, nick=f"ta{tag}", port=ONION_PORT, pin=pin), w.tor))
    b = Inbox(IrcAdapter(IrcAccount(host=w.onion, nick=f"tb{tag}", port=ONION_PORT, pin=pin), w.tor))
    for side in (a, b):
        await connect_retrying(side.adapter)
    return a, b


async def connect_retrying(adapter: IrcAdapter, attempts: int = 3) -> None:
    """A first connection has no retries by contract; on the busy test network a new onion
    circuit sometimes fails (SOCKS "general failure"), so the bench tries again."""
    for attempt in range(attempts):
        try:
            await adapter.connect()
        except ConnectError as exc:
            say(f"connect failed ({exc}); attempt {attempt + 2} of {attempts}")
        else:
            return
    await adapter.connect()


async def measure_latency(w: World, probes: int) -> dict[str, list[float]]:
    sender, inbox = await adapters(w, "lat")
    a, b = sender.adapter, inbox.adapter
    ra, rb = await BareClient.connect(w, "ra"), await BareClient.connect(w, "rb")
    await asyncio.sleep(2.0)  # ngircd's penalty after registration is over
    samples: dict[str, list[float]] = {"TIMB adapter": [], "bare client": []}
    for i in range(probes):
        started = time.monotonic()
        await a.send_message(b.nick or "", f"probe {i}")
        samples["TIMB adapter"].append(await inbox.wait(f"probe {i}") - started)
        started = time.monotonic()
        ra.send(rb.nick, f"probe {i}")
        await rb.until(lambda line, i=i: line.rstrip().endswith(f":probe {i}"))
        samples["bare client"].append(time.monotonic() - started)
        await asyncio.sleep(0.3)  # below the flood limits for both
    await sender.close()
    await inbox.close()
    for bare in (ra, rb):
        bare.writer.close()
    return samples


async def measure_size(w: World, size: int) -> tuple[int, float, bool]:
    sender, inbox = await adapters(w, f"s{size // 1024}")
    a, b = sender.adapter, inbox.adapter
    assert b.nick is not None
    fragment = a.fragment_size(b.nick)
    payload = "".join(chr(0x41 + i % 26) for i in range(size))
    pieces = [f"{n:04d}" + payload[i : i + fragment - 4] for n, i in enumerate(range(0, size, fragment - 4))]
    await asyncio.sleep(2.0)
    started = time.monotonic()
    for piece in pieces:
        await a.send_message(b.nick, piece)
    async with asyncio.timeout(size / 100 + 30):
        done = max([await inbox.wait(p) for p in pieces])
    alive = a.state is ConnectionState.CONNECTED and not inbox.closed
    await sender.close()
    await inbox.close()
    return len(pieces), done - started, alive


async def run(args: argparse.Namespace, workdir: Path) -> str:
    started = time.monotonic()
    async with world(workdir) as w:
        say(f"latency: {args.probes} probes per mode")
        samples = await measure_latency(w, args.probes)
        sizes = [(size, *await measure_size(w, size)) for size in args.sizes]
        log = w.server.log_text().lower()
    lines = ["", "IRC private-message latency over the onion ngircd (same tor path, same run)", ""]
    lines.append(f"{'mode':<16}{'p50 ms':>10}{'p95 ms':>10}")
    for mode, values in samples.items():
        lines.append(f"{mode:<16}{pct(values, 0.5) * 1000:>10.1f}{pct(values, 0.95) * 1000:>10.1f}")
    timb, bare = samples["TIMB adapter"], samples["bare client"]
    lines.append(f"ratio TIMB/bare: p50 {statistics.median(timb) / statistics.median(bare):.2f}, "
                 f"p95 {pct(timb, 0.95) / pct(bare, 0.95):.2f}")  # fmt: skip
    lines += ["", "large messages through the token bucket (ngircd: 3 lines / 256 bytes per second)", ""]
    lines.append(f"{'bytes':>8}{'lines':>7}{'seconds':>9}  connection")
    for size, count, seconds, alive in sizes:
        lines.append(f"{size:>8}{count:>7}{seconds:>9.1f}  {'kept' if alive else 'KILLED'}")
    kept = [s for s, _, _, alive in sizes if alive]
    lines.append(f"largest without a flood kill: {max(kept) if kept else 0} bytes; "
                 f"ngircd log mentions flood: {'flood' in log}")  # fmt: skip
    lines.append(f"run time {time.monotonic() - started:.0f} s")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--probes", type=int, default=30)
    parser.add_argument("--sizes", default="1024,4096,8192")
    parser.add_argument("--quick", action="store_true", help="10 probes, sizes 4096 only")
    args = parser.parse_args()
    args.sizes = [4096] if args.quick else [int(s) for s in args.sizes.split(",")]
    if args.quick:
        args.probes = 10
    with tempfile.TemporaryDirectory(prefix="timb-irc-bench-") as tmp:
        print(asyncio.run(run(args, Path(tmp))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
