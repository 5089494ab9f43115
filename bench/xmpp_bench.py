"""XMPP benchmark: TIMB (OTR on) next to stock slixmpp, over the same onion Prosody, in one run.

What it does (everything on loopback, in a temporary directory, stopped on any exit):

1. brings up a private Tor network (timb.tor.testnet: 3 authorities, 2 relays, a client), starts
   Prosody (tests/fixtures/prosody.py's `ProsodyServer`) and publishes it as an onion service on
   the client tor;
2. connects two TIMB clients (two `TimbService` instances, OTR required, so each message is an
   OTR data message) and two stock slixmpp clients (`_xmpp_bare.BareClient`), all four through
   the same SOCKS port to the same onion;
3. latency: one message at a time, sender -> receiver, send to arrival on one clock; modes run in
   interleaved blocks (rotating order) so drift hits all alike; the first probe of each block is
   dropped (it sees the previous mode's ACK state). Once with probes 0.05 s apart (a quick
   exchange) and once 0.3 s apart: on this private network a ~40 ms stall inside tor (two cells
   close together on one connection between tor processes: Nagle plus a delayed ACK) hits
   different traffic patterns at different spacings, so one spacing alone misleads;
4. sustained rate: a burst of messages sent back to back, count / (last arrival - first send);
5. memory: VmRSS of a fresh client process whose roster holds 1,000 contacts (and of one with an
   empty roster), TIMB's `XmppAdapter` against the bare client (see `_xmpp_memory`);
6. onion streams: the echo round trip through `timb.tor.socks.open_stream` to an onion listener
   on the same tor, with and without TCP_QUICKACK re-arming.

Modes, all in the same run: "bare slixmpp" (stock), "TIMB adapter, no OTR" (two `XmppAdapter`,
no service, no OTR), "TIMB + OTR" (as shipped), "TIMB, same streams, no OTR" (plaintext written to
the TIMB + OTR pair's own streams: the same tor circuits, the fair reference for what OTR costs;
other accounts get other circuits, and the onion path's stalls depend on the circuit), and for the
A/B of each suspect (``--no-ab`` skips them): "TIMB adapter, ?OTR-sized" (a body as long as the
OTR data message, with the storage hints), "TIMB + OTR, no poll acks" (the core's empty
acknowledgements off), "TIMB + OTR, slixmpp <r/> every 5" (slixmpp's own XEP-0198 request, as
before), "TIMB + OTR, writes not coalesced" (one write per stanza, as before), "TIMB + OTR, <r/>
at once" (the request right behind each message: `TorClientXMPP.ack_request_delay` = 0), "TIMB +
OTR, no quickack" (no TCP_QUICKACK re-arming after reads), "bare slixmpp + quickack", and "bare
slixmpp, N-char body". A wire tap (`_xmpp_tap`) splits each TIMB probe into sender, network and
receiver time; the rate table adds this process's CPU and the bytes written per message.

Usage: ``.venv/bin/python bench/xmpp_bench.py [--quick] [--probes N] [--gaps 0.05,0.3]
[--burst N] [--rate-rounds N] [--contacts N] [--echo N] [--no-ab] [--keep DIR]`` (about 15
minutes with the default 200 probes; ``--quick`` about 3). Figures are noisy (tor's relays share the machine's
cores with everything else): read the ratios within one run.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--memory-child":
    # A fresh process measuring its own RSS: import only what that measurement needs.
    from _xmpp_memory import child_main  # timb itself is installed (editable) in the venv

    sys.exit(child_main(sys.argv[2]))

import argparse
import asyncio
import os
import platform
import signal
import statistics
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import _xmpp_tap
import timb.otr as otr
from _xmpp_bare import Arrivals
from _xmpp_clients import PLAIN_PROBE, AdapterPair, BarePair, SameStreamPair, TimbPair
from _xmpp_infra import World, say, world
from _xmpp_memory import fill_roster, prepare_profile, run_child
from timb.core.conversations import Conversations
from timb.net.xmpp.client import TorClientXMPP
from timb.tor.client import TorClient
from timb.tor.socks import open_stream

PROBE_TIMEOUT = 60.0
BURST_TIMEOUT = 300.0
# A typical chat line (~70 characters); the OTR data message for it is ~300 bytes of base64.
FILLER = "a chat line of ordinary length, about seventy characters"
# The size of that line's OTR data message (~440 base64 characters): a bare client sending this
# much shows what the size alone costs (the stanza no longer fits one 498-byte tor cell).
OTR_SIZED = (FILLER + " ") * 7 + "otr-sized"


class Pair(Protocol):
    label: str
    arrivals: Arrivals
    tapped: tuple[str, str] | None  # (sender, receiver) bare JIDs the wire tap knows, if any

    def send(self, body: str) -> None: ...

    @staticmethod
    def set_quickack(enabled: bool) -> None: ...


@dataclass
class Mode:
    name: str
    pair: Pair
    quickack: bool
    filler: str = FILLER
    immediate_ack: bool = False  # TIMB: the XEP-0198 <r/> right behind each message (the old way)
    prefix: str = ""  # "?OTR:" makes the adapter treat a body as an OTR message (storage hints)
    sm_window: int = 0  # slixmpp's own <r/> every N stanzas, before the Nth (0: off, as shipped)
    poll_acks: bool = True  # the core's empty acknowledgement Data Messages at poll()
    coalesce: bool = True  # TorClientXMPP joins the writes of one loop iteration (as shipped)
    latencies_ms: dict[float, list[float]] = field(default_factory=dict)  # by gap between probes
    splits_ms: dict[float, list[tuple[float, float, float]]] = field(default_factory=dict)
    rate: float | None = None  # the median over rate rounds
    rates: list[float] = field(default_factory=list)
    cpu_ms_per_msg: float | None = None  # this process (all clients and both TIMB services)
    bytes_per_msg: float | None = None  # written by the sending TIMB client, per burst message


ACK_REQUEST_DELAY = TorClientXMPP.ack_request_delay
_POLL_ACKS = [True]
_real_poll = Conversations.poll


def _poll(self: Conversations) -> None:
    """The core's poll, with its acknowledgements switched off for the A/B (bench only: it
    clears the private per-session flag the real poll reads)."""
    if not _POLL_ACKS[0]:
        for contact in self._contacts.values():
            for session in contact.sessions.values():
                session.ack_due = False
    _real_poll(self)


def apply(mode: Mode) -> None:
    """Switch the knobs under A/B to this mode's settings."""
    mode.pair.set_quickack(mode.quickack)
    TorClientXMPP.ack_request_delay = 0.0 if mode.immediate_ack else ACK_REQUEST_DELAY
    _xmpp_tap.set_sm_window(mode.sm_window)
    _POLL_ACKS[0] = mode.poll_acks
    TorClientXMPP.coalesce_writes = mode.coalesce


def otr_wire_length(text: str) -> int:
    """The length of the OTR Data Message carrying `text` (a fresh session, keys rotated once)."""
    keys = otr.PrivateKey.generate(), otr.PrivateKey.generate()
    a, b = (otr.Conversation(k, policy=otr.Policy.ALWAYS) for k in keys)
    a.start()
    moved = True
    while moved:
        moved = False
        for src, dst in ((a, b), (b, a)):
            for wire in src.data_to_send():
                dst.receive(wire)
                moved = True
    a.send(text)
    return max(len(w) for w in a.data_to_send())


def pct(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


async def measure_latency(modes: list[Mode], probes: int, block: int, gap: float) -> None:
    """``probes`` samples per mode, ``gap`` seconds apart, in interleaved blocks."""
    rounds = -(-probes // (block - 1))
    for r in range(rounds):
        for mode in modes[r % len(modes) :] + modes[: r % len(modes)]:
            apply(mode)
            for i in range(block):
                body = f"{mode.prefix}{mode.name} latency g{gap:g} r{r} i{i}: {mode.filler}"
                sent = time.perf_counter()
                mode.pair.send(body)
                arrived = await mode.pair.arrivals.wait(body, PROBE_TIMEOUT)
                if i > 0:
                    mode.latencies_ms.setdefault(gap, []).append((arrived - sent) * 1000)
                    parts = _xmpp_tap.split(*mode.pair.tapped, sent, arrived) if mode.pair.tapped else None
                    if parts is not None:
                        mode.splits_ms.setdefault(gap, []).append(parts)
                await asyncio.sleep(gap)
        say(f"latency, probes {gap:g} s apart: round {r + 1}/{rounds} done")


async def measure_rate(mode: Mode, count: int, tag: int = 0) -> None:
    apply(mode)
    bodies = [f"{mode.prefix}{mode.name} burst {tag}-{i:05d}: {mode.filler}" for i in range(count)]
    sender = mode.pair.tapped[0] if mode.pair.tapped else None
    written = _xmpp_tap.bytes_written.get(sender, 0) if sender else 0
    cpu = time.process_time()
    started = time.perf_counter()
    for body in bodies:
        mode.pair.send(body)
    last = await mode.pair.arrivals.wait_all(bodies, BURST_TIMEOUT)
    mode.rates.append(count / (last - started))
    mode.rate = statistics.median(mode.rates)
    mode.cpu_ms_per_msg = (time.process_time() - cpu) * 1000 / count
    if sender:
        mode.bytes_per_msg = (_xmpp_tap.bytes_written.get(sender, 0) - written) / count
    say(f"{mode.name}: {mode.rates[-1]:.1f} msg/s")


async def echo_round_trips(
    w: World, count: int, sizes: tuple[int, ...]
) -> dict[tuple[int, bool], list[float]]:
    """Echo through an onion listener on the same tor, open_stream with/without quickack."""

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                (n,) = struct.unpack("!H", await reader.readexactly(2))
                writer.write(struct.pack("!H", n) + await reader.readexactly(n))
        except asyncio.IncompleteReadError:
            pass  # the client closed its stream: that is the end of the test
        finally:
            writer.close()

    results: dict[tuple[int, bool], list[float]] = {(s, q): [] for s in sizes for q in (True, False)}
    tor = await TorClient.attach("127.0.0.1", w.control_port, cookie_path=w.cookie_path)
    try:
        listener = await tor.listen_onion(echo, virtual_port=7)
        try:
            streams = {}
            for quickack in (True, False):
                streams[quickack] = await open_stream(
                    "127.0.0.1",
                    w.socks_port,
                    listener.address.host,
                    7,
                    isolation=f"echo-{quickack}",
                    quickack=quickack,
                )
            for r in range(count):
                for size in sizes:
                    for quickack in (True, False) if r % 2 else (False, True):
                        reader, writer = streams[quickack]
                        payload = os.urandom(size)
                        sent = time.perf_counter()
                        writer.write(struct.pack("!H", size) + payload)
                        await reader.readexactly(2)
                        back = await reader.readexactly(size)
                        elapsed = (time.perf_counter() - sent) * 1000
                        assert back == payload
                        if r > 0:
                            results[(size, quickack)].append(elapsed)
                        await asyncio.sleep(0.02)
            for _reader, writer in streams.values():
                writer.close()
        finally:
            await listener.close()
    finally:
        await tor.close()
    return results


async def measure_memory(w: World, contacts: int, workdir: Path) -> dict[tuple[str, int], dict[str, int]]:
    full, empty = w.register("rosterfull"), w.register("rosterempty")
    say(f"putting {contacts} contacts in {full[0]}'s roster")
    started = time.monotonic()
    await fill_roster(*full, contacts, onion=w.onion, socks_port=w.socks_port, ca_file=w.server.cert_path)
    say(f"roster filled in {time.monotonic() - started:.1f} s")
    say(f"making a TIMB profile with {contacts} contacts")
    started = time.monotonic()
    profiles = {0: workdir / "profile-empty", contacts: workdir / "profile-full"}
    for count, (jid, password) in ((0, empty), (contacts, full)):
        await prepare_profile(profiles[count], jid, password, count, onion=w.onion, pin=w.pin)
    say(f"profiles made in {time.monotonic() - started:.1f} s")
    results = {}
    for kind in ("bare", "timb", "service"):
        for count, (jid, password) in ((0, empty), (contacts, full)):
            params = {
                "profile": str(profiles[count]),
                "kind": kind,
                "jid": jid,
                "password": password,
                "onion": w.onion,
                "pin": w.pin,
                "socks_port": w.socks_port,
                "control_port": w.control_port,
                "cookie_path": str(w.cookie_path),
                "ca_file": str(w.server.cert_path),
            }
            results[(kind, count)] = await run_child(params)
            say(f"memory {kind} with {count} contacts: {results[(kind, count)]}")
    return results


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = [f"\n{title}", "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), line]
    out += [
        "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    return "\n".join(out)


def latency_tables(modes: list[Mode], gap: float) -> list[str]:
    plain = [m for m in modes if isinstance(m.pair, BarePair) and m.filler == FILLER]
    stock = next(m for m in plain if not m.quickack).latencies_ms[gap]
    matched = {m.quickack: m.latencies_ms[gap] for m in plain}
    rows = []
    for m in modes:
        ms = m.latencies_ms[gap]
        p50, p95 = pct(ms, 50), pct(ms, 95)
        same = matched.get(m.quickack, stock)
        rows.append(
            [
                m.name,
                str(len(ms)),
                f"{p50:.1f}",
                f"{p95:.1f}",
                f"{statistics.mean(ms):.1f}",
                f"{min(ms):.1f}",
                f"{p50 / pct(stock, 50):.2f}x / {p95 / pct(stock, 95):.2f}x",
                f"{p50 / pct(same, 50):.2f}x",
            ]
        )
    out = [
        table(
            f"Latency sender -> receiver over the onion Prosody, probes {gap:g} s apart (ms). Ratios: "
            "against stock bare slixmpp, and p50 against bare slixmpp with the same quickack setting",
            ["mode", "n", "p50", "p95", "mean", "min", "p50/p95 vs stock", "p50 vs same-QA"],
            rows,
        )
    ]
    by_name = {m.name: m.latencies_ms[gap] for m in modes}
    effects = []
    changes = (
        ("OTR-sized body (+ hints), TIMB adapter", "TIMB adapter, no OTR", "TIMB adapter, ?OTR-sized"),
        ("core's poll() acks off, TIMB + OTR", "TIMB + OTR", "TIMB + OTR, no poll acks"),
        ("slixmpp's <r/> every 5 off, TIMB + OTR", "TIMB + OTR, slixmpp <r/> every 5", "TIMB + OTR"),
        ("writes coalesced, TIMB + OTR", "TIMB + OTR, writes not coalesced", "TIMB + OTR"),
        ("TCP_QUICKACK re-armed, TIMB + OTR", "TIMB + OTR, no quickack", "TIMB + OTR"),
        ("TCP_QUICKACK re-armed, bare", "bare slixmpp", "bare slixmpp + quickack"),
        (
            f"XEP-0198 <r/> after {ACK_REQUEST_DELAY:g} s quiet, TIMB + OTR",
            "TIMB + OTR, <r/> at once",
            "TIMB + OTR",
        ),
    )
    for change, before, after in changes:
        if before in by_name and after in by_name:
            a, b = by_name[after], by_name[before]
            effects.append(
                [
                    change,
                    f"{pct(b, 50):.1f} -> {pct(a, 50):.1f}",
                    f"{pct(b, 95):.1f} -> {pct(a, 95):.1f}",
                    f"{pct(a, 50) / pct(b, 50):.2f}x",
                ]
            )
    if effects:
        title = f"A/B in this run, probes {gap:g} s apart (without -> with)"
        out.append(table(title, ["change", "p50 ms", "p95 ms", "p50 ratio"], effects))
    rows = []
    for m in modes:
        parts = m.splits_ms.get(gap, [])
        if not parts:
            continue
        cells = [m.name, str(len(parts))]
        for k in range(3):
            column = [p[k] for p in parts]
            cells.append(f"{pct(column, 50):.1f} / {pct(column, 95):.1f}")
        rows.append(cells)
    if rows:
        out.append(
            table(
                f"Where the time goes, probes {gap:g} s apart (ms, p50 / p95; the wire tap on TIMB's client)",
                ["mode", "n", "sender: call -> written", "network: written -> read", "receiver: -> event"],
                rows,
            )
        )
    return out


def goals(modes: list[Mode], stock: Mode) -> list[str]:
    """Issue 13's goals: OTR on vs off on the same path (p50 <= 1.1x, p95 <= 1.5x), and the
    sustained rate >= 0.9x bare slixmpp."""
    by_name = {m.name: m for m in modes}
    otr_mode = by_name["TIMB + OTR"]
    out = ["", "Goals (issue 13)"]
    for ref_name in (SameStreamPair.label, "TIMB adapter, no OTR"):
        ref = by_name[ref_name]
        for gap, ms in otr_mode.latencies_ms.items():
            base = ref.latencies_ms[gap]
            r50, r95 = pct(ms, 50) / pct(base, 50), pct(ms, 95) / pct(base, 95)
            verdict = "MET" if r50 <= 1.1 and r95 <= 1.5 else "MISSED"
            out.append(
                f"- TIMB + OTR vs {ref_name}, probes {gap:g} s apart: p50 {r50:.2f}x (<= 1.1x), "
                f"p95 {r95:.2f}x (<= 1.5x), n {len(ms)}/{len(base)}: {verdict}"
            )
    if otr_mode.rate and stock.rate:
        ratio = otr_mode.rate / stock.rate
        verdict = "MET" if ratio >= 0.9 else "MISSED"
        out.append(f"- sustained rate vs bare slixmpp: {ratio:.2f}x (>= 0.9x): {verdict}")
    same = by_name[SameStreamPair.label]
    if otr_mode.rate and same.rate:
        out.append(f"- sustained rate vs the same streams without OTR: {otr_mode.rate / same.rate:.2f}x")
    return out


def report(
    w: World,
    modes: list[Mode],
    memory: dict[tuple[str, int], dict[str, int]],
    echo: dict[tuple[int, bool], list[float]],
    plaintext: int,
    contacts: int,
) -> str:
    out = [
        f"XMPP benchmark, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {platform.node()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "setup: " + ", ".join(f"{k} {v:.1f} s" for k, v in w.setup_seconds.items()),
    ]
    for gap in modes[0].latencies_ms:
        out += latency_tables(modes, gap)
    plain = [m for m in modes if isinstance(m.pair, BarePair) and m.filler == FILLER]
    stock = next(m for m in plain if not m.quickack)
    rows = [
        [
            m.name,
            f"{m.rate:.1f}",
            f"{m.rate / stock.rate:.2f}x",
            f"{m.cpu_ms_per_msg:.2f}" if m.cpu_ms_per_msg is not None else "",
            f"{m.cpu_ms_per_msg * m.rate / 10:.0f} %" if m.cpu_ms_per_msg is not None else "",
            f"{m.bytes_per_msg:.0f}" if m.bytes_per_msg is not None else "",
        ]
        for m in modes
        if m.rate and stock.rate
    ]
    out.append(
        table(
            "Sustained rate (bursts sent back to back, median of the rounds); CPU of this process (every "
            "client in it) and bytes the TIMB sender wrote, per message, in the last burst",
            ["mode", "msg/s", "vs stock bare", "CPU ms/msg", "CPU busy", "bytes written/msg"],
            rows,
        )
    )
    out += goals(modes, stock)
    out.append(f"\nTIMB messages that arrived outside OTR: {plaintext} (must be 0)")
    if echo:
        rows = []
        for size in sorted({s for s, _ in echo}):
            on, off = echo[(size, True)], echo[(size, False)]
            rows.append(
                [
                    f"{size} B",
                    str(len(on)),
                    f"{pct(off, 50):.1f} / {pct(off, 95):.1f}",
                    f"{pct(on, 50):.1f} / {pct(on, 95):.1f}",
                    f"{pct(on, 50) / pct(off, 50):.2f}x",
                ]
            )
        out.append(
            table(
                "Onion echo round trip through open_stream (ms, p50 / p95), TCP_QUICKACK off vs on",
                ["payload", "n", "off", "on", "p50 on/off"],
                rows,
            )
        )
    if memory:
        rows = []
        kinds = (("bare", "bare slixmpp"), ("timb", "TIMB XmppAdapter"), ("service", "TIMB service"))
        for kind, label in kinds:
            empty, full = memory[(kind, 0)], memory[(kind, contacts)]
            per_contact = (full["roster"] - empty["roster"]) / max(1, full["contacts"] - empty["contacts"])
            rows.append(
                [
                    label,
                    f"{full['contacts']}",
                    f"{full['before'] / 1024:.1f}",
                    f"{full['connected'] / 1024:.1f}",
                    f"{full['roster'] / 1024:.1f}",
                    f"{empty['roster'] / 1024:.1f}",
                    f"{per_contact:.2f}",
                ]
            )
        b = memory[("bare", contacts)]["roster"]
        out.append(
            table(
                f"Resident memory (VmRSS, MiB) of a fresh client process, {contacts} roster contacts",
                [
                    "client",
                    "contacts",
                    "before connect",
                    "connected",
                    "roster loaded",
                    "same, empty roster",
                    "KiB/contact",
                ],
                rows,
            )
        )
        for kind, label in kinds[1:]:
            out.append(
                f"{label} / bare RSS with the roster loaded: {memory[(kind, contacts)]['roster'] / b:.2f}x"
            )
    return "\n".join(out)


async def run(args: argparse.Namespace, workdir: Path) -> str:
    async with world(workdir) as w:
        accounts = {name: w.register(name) for name in ("alice", "bob", "carol", "dave", "erin", "frank")}
        say("connecting two TIMB services, two TIMB adapters and two bare slixmpp clients through tor")
        async with (
            BarePair.running(
                accounts["carol"],
                accounts["dave"],
                onion=w.onion,
                socks_port=w.socks_port,
                ca_file=w.server.cert_path,
            ) as bare,
            AdapterPair.running(
                accounts["erin"],
                accounts["frank"],
                onion=w.onion,
                pin=w.pin,
                control_port=w.control_port,
                cookie_path=w.cookie_path,
            ) as adapters,
            TimbPair.running(
                accounts["alice"],
                accounts["bob"],
                onion=w.onion,
                pin=w.pin,
                control_port=w.control_port,
                cookie_path=w.cookie_path,
                workdir=workdir / "timb",
            ) as timb,
        ):
            otr_len = otr_wire_length(f"TIMB + OTR latency g0.05 r0 i1: {FILLER}")
            otr_filler = "A" * max(1, otr_len - len("?OTR:TIMB adapter, ?OTR-sized latency g0.05 r0 i1: "))
            modes = [
                Mode("bare slixmpp", bare, quickack=False),
                Mode("TIMB adapter, no OTR", adapters, quickack=True),
                Mode("TIMB + OTR", timb, quickack=True),
                Mode(SameStreamPair.label, SameStreamPair(timb), quickack=True, prefix=PLAIN_PROBE),
            ]
            if args.ab:
                modes += [
                    Mode(
                        "TIMB adapter, ?OTR-sized", adapters, quickack=True, prefix="?OTR:", filler=otr_filler
                    ),
                    Mode("TIMB + OTR, no poll acks", timb, quickack=True, poll_acks=False),
                    Mode("TIMB + OTR, slixmpp <r/> every 5", timb, quickack=True, sm_window=5),
                    Mode("TIMB + OTR, writes not coalesced", timb, quickack=True, coalesce=False),
                    Mode("TIMB + OTR, <r/> at once", timb, quickack=True, immediate_ack=True),
                    Mode("TIMB + OTR, no quickack", timb, quickack=False),
                    Mode("bare slixmpp + quickack", bare, quickack=True),
                ]
            modes.append(
                Mode(f"bare slixmpp, {len(OTR_SIZED)}-char body", bare, quickack=False, filler=OTR_SIZED)
            )
            say(f"latency: {args.probes} probes per mode, {len(modes)} modes")
            for gap in args.gaps:
                await measure_latency(modes, args.probes, args.block, gap)
            for r in range(args.rate_rounds):  # interleaved, rotating order, median per mode
                for mode in modes[r % len(modes) :] + modes[: r % len(modes)]:
                    await measure_rate(mode, args.burst, r)
            apply(modes[1])  # back to TIMB's defaults
            plaintext = timb.arrivals.plaintext
        echo = await echo_round_trips(w, args.echo, (100, 2000)) if args.echo else {}
        memory = await measure_memory(w, args.contacts, workdir) if args.contacts else {}
        return report(w, modes, memory, echo, plaintext, args.contacts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument("--probes", type=int, default=200, help="latency samples per mode")
    parser.add_argument("--block", type=int, default=11, help="probes per block (the first is dropped)")
    parser.add_argument(
        "--gaps",
        type=lambda text: [float(g) for g in text.split(",")],
        default=[0.05, 0.3],
        help="seconds between latency probes, comma-separated: one latency table each (default 0.05,0.3)",
    )
    parser.add_argument("--burst", type=int, default=1000, help="messages per sustained-rate burst")
    parser.add_argument("--rate-rounds", type=int, default=3, help="bursts per mode (interleaved; median)")
    parser.add_argument(
        "--contacts", type=int, default=1000, help="roster size for the memory figure (0: skip)"
    )
    parser.add_argument("--echo", type=int, default=40, help="onion echo round trips per size (0: skip)")
    parser.add_argument("--no-ab", dest="ab", action="store_false", help="skip the TCP_QUICKACK A/B modes")
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it (logs) instead of a temp dir")
    args = parser.parse_args()
    if args.quick:
        args.probes, args.burst, args.contacts, args.echo, args.rate_rounds = 20, 100, 200, 10, 1
    if args.block < 2:
        parser.error("--block must be at least 2")
    _xmpp_tap.install()
    Conversations.poll = _poll  # type: ignore[method-assign]
    # SIGTERM unwinds like Ctrl-C, so every finally (Prosody, tor, children) runs.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    try:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            text = asyncio.run(run(args, args.keep.resolve()))
        else:
            with tempfile.TemporaryDirectory(prefix="timb-xmpp-bench-") as tmp:
                text = asyncio.run(run(args, Path(tmp)))
    except KeyboardInterrupt:
        say("interrupted; everything started was stopped")
        return 130
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
