"""OTR benchmark: TIMB beside libotr 4.1.1 and python-potr 1.0.2, in one run, with ratios to libotr.

Measured (each implementation the same way, on this machine, in the same run):

* AKE: from the Query Message to both sides MSGSTATE_ENCRYPTED, fresh sessions, keys made beforehand.
* One-way data, 100 B and 4096 B: alice encrypts, bob decrypts, alice->bob only (no D-H rotation).
* Alternating data, 100 B: a->b, b->a, ... so every message rotates D-H keys.
* SMP: start to both sides "succeeded" (same secret), on an established session.
* The floor: AES-128-CTR + HMAC-SHA1 + base64 of one Data Message (a v3 header's size) and back,
  with pyca/cryptography: what any Python OTR must at least spend per one-way message.
* The CT floor: for AKE, alternating data and SMP, only the exponentiations with a secret exponent,
  each constant-time (`powmod_secret`): what TIMB must at least spend there (see `CtFloor`).

libotr runs as a small C program (bench/otr_bench_libotr.c) compiled here with ``gcc -O2``: through
ctypes, every call and Python callback would add microseconds to libotr's ~2-3 us per message and
flatter everyone compared with it. Without gcc or the libotr5-dev headers, it falls back to the
ctypes harness of tests/interop and says so in the table.

Against drift on a shared, noisy host (see /work/shared/notes/otr-performance-anchors.md), rounds
are interleaved (each round runs every implementation, in a rotating order), samples are pooled,
and the per-round medians are printed so drift is visible. Ratios are what to read.

Usage: ``.venv/bin/python bench/otr_bench.py [--quick] [--rounds N] [--libotr-ctypes]``
"""

from __future__ import annotations

import argparse
import base64
import hmac
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "src"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import cryptography  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives import hmac as chmac  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
from tests.interop import libotr, potr_peer  # noqa: E402

import timb.otr as otr  # noqa: E402
from timb.otr import modexp  # noqa: E402

SECRET = "correct horse battery staple"
C_SOURCE = Path(__file__).with_name("otr_bench_libotr.c")


def text_of(size: int) -> str:
    return "".join(chr(ord("a") + (i * 7) % 26) for i in range(size))


# --- libotr --------------------------------------------------------------------------------------


class LibotrC:
    """libotr through the compiled helper; every call returns a list of samples."""

    how = "C helper (gcc -O2), in-process C callbacks"

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.exe = workdir / "otr_bench_libotr"
        subprocess.run(
            ["gcc", "-O2", "-o", str(self.exe), str(C_SOURCE), "-lotr", "-lgcrypt"],
            check=True,
            capture_output=True,
        )
        self.keys = workdir / "libotr.keys"
        self._run("keygen")

    def _run(self, *args: object) -> list[float]:
        cmd = [str(self.exe), str(args[0]), str(self.keys), str(self.dir), *map(str, args[1:])]
        if args[0] == "keygen":
            cmd = [str(self.exe), "keygen", str(self.keys)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        return [float(x) for x in out.split()]

    def ake(self, n: int) -> list[float]:
        return self._run("ake", n)

    def oneway(self, size: int, batch: int, n: int) -> list[float]:
        return self._run("oneway", size, batch, n)

    def pingpong(self, size: int, batch: int, n: int) -> list[float]:
        return self._run("pingpong", size, batch, n)

    def smp(self, n: int) -> list[float]:
        return self._run("smp", n)


def pump(a: Any, b: Any) -> None:
    """Carry every queued message between two reference peers until both are quiet."""
    peers = {a.name: a, b.name: b}
    moved = True
    while moved:
        moved = False
        for p in (a, b):
            for to, wire in p.take_outgoing():
                peers[to].receive(p.name, wire)
                moved = True


class PeerBench:
    """The reference-peer interface (tests/interop) timed the same way as the C helper."""

    how = ""

    def pair(self) -> tuple[Any, Any]:
        raise NotImplementedError

    def ake(self, n: int) -> list[float]:
        out = []
        for _ in range(n):
            a, b = self.pair()
            t0 = time.perf_counter()
            for w in a.start(b.name):
                b.receive(a.name, w)
            pump(a, b)
            out.append((time.perf_counter() - t0) * 1e3)
            assert a.is_encrypted(b.name) and b.is_encrypted(a.name)
        return out

    def session(self) -> tuple[Any, Any]:
        a, b = self.pair()
        for w in a.start(b.name):
            b.receive(a.name, w)
        pump(a, b)
        return a, b

    def _data(self, size: int, batch: int, n: int, alternate: bool) -> list[float]:
        a, b = self.session()
        text = text_of(size)
        for i in range(6):
            src, dst = (b, a) if alternate and i % 2 else (a, b)
            [w] = src.send(dst.name, text)
            assert dst.receive(src.name, w) == text
            pump(a, b)
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            for i in range(batch):
                src, dst = (b, a) if alternate and i % 2 else (a, b)
                for w in src.send(dst.name, text):
                    dst.receive(src.name, w)
            out.append(batch / (time.perf_counter() - t0))
            pump(a, b)
        return out

    def oneway(self, size: int, batch: int, n: int) -> list[float]:
        return self._data(size, batch, n, alternate=False)

    def pingpong(self, size: int, batch: int, n: int) -> list[float]:
        return self._data(size, batch, n, alternate=True)

    def smp(self, n: int) -> list[float]:
        a, b = self.session()
        out = []
        for _ in range(n):
            mark_a, mark_b = len(a.smp_kinds()), len(b.smp_kinds())
            t0 = time.perf_counter()
            for w in a.smp_start(b.name, SECRET):
                b.receive(a.name, w)
            pump(a, b)
            for w in b.smp_respond(a.name, SECRET):
                a.receive(b.name, w)
            pump(a, b)
            out.append((time.perf_counter() - t0) * 1e3)
            assert "success" in a.smp_kinds()[mark_a:] and "success" in b.smp_kinds()[mark_b:]
        return out


class LibotrCtypes(PeerBench):
    how = "ctypes harness (--libotr-ctypes, or no gcc/libotr5-dev): includes ctypes and callback overhead"

    def __init__(self, workdir: Path) -> None:
        self.libotr = libotr
        self.dir = workdir
        first = libotr.LibotrPeer("alice", workdir)
        second = libotr.LibotrPeer("bob", workdir)
        self.keyfiles = (first.keyfile, second.keyfile)
        first.close()
        second.close()

    def pair(self) -> tuple[Any, Any]:
        a = self.libotr.LibotrPeer("alice", self.dir, keyfile=self.keyfiles[0])
        b = self.libotr.LibotrPeer("bob", self.dir, keyfile=self.keyfiles[1])
        return a, b


class Potr(PeerBench):
    how = "python-potr 1.0.2 (OTR v2) on pycryptodome via tests/interop/potr_shim.py"

    def __init__(self) -> None:
        self.mod = potr_peer
        self.keys = (potr_peer.generate_key(), potr_peer.generate_key())

    def pair(self) -> tuple[Any, Any]:
        return (
            self.mod.PotrPeer("alice", key=self.keys[0]),
            self.mod.PotrPeer("bob", key=self.keys[1]),
        )


# --- TIMB ----------------------------------------------------------------------------------------


class Timb:
    """timb.otr.Conversation objects driven directly (no adapter), as core drives them."""

    def __init__(self) -> None:
        self.otr = otr
        self.how = f"timb.otr (modexp backend: {modexp.BACKEND})"
        self.keys = (otr.PrivateKey.generate(), otr.PrivateKey.generate())
        self.has_smp = hasattr(otr.Conversation, "smp_start")

    def pair(self) -> tuple[Any, Any]:
        c = self.otr.Conversation
        return c(self.keys[0], policy=self.otr.Policy.ALWAYS), c(self.keys[1], policy=self.otr.Policy.ALWAYS)

    @staticmethod
    def pump(a: Any, b: Any, on_event: Callable[[Any, Any], None] | None = None) -> None:
        moved = True
        while moved:
            moved = False
            for src, dst in ((a, b), (b, a)):
                for w in src.data_to_send():
                    dst.receive(w)
                    moved = True
                while (ev := dst.next_event()) is not None:
                    if on_event is not None:
                        on_event(dst, ev)

    def ake(self, n: int) -> list[float]:
        out = []
        for _ in range(n):
            a, b = self.pair()
            t0 = time.perf_counter()
            a.start()
            self.pump(a, b)
            out.append((time.perf_counter() - t0) * 1e3)
            assert a.encrypted and b.encrypted
        return out

    def session(self) -> tuple[Any, Any]:
        a, b = self.pair()
        a.start()
        self.pump(a, b)
        assert a.encrypted and b.encrypted
        return a, b

    def _data(self, size: int, batch: int, n: int, alternate: bool) -> list[float]:
        a, b = self.session()
        text = text_of(size)
        received = self.otr.MessageReceived
        for i in range(6):
            src, dst = (b, a) if alternate and i % 2 else (a, b)
            src.send(text)
            for w in src.data_to_send():
                dst.receive(w)
            ev = dst.next_event()
            assert isinstance(ev, received) and ev.text == text and ev.encrypted
            self.pump(a, b)
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            for i in range(batch):
                src, dst = (b, a) if alternate and i % 2 else (a, b)
                src.send(text)
                for w in src.data_to_send():
                    dst.receive(w)
                dst.next_event()
            out.append(batch / (time.perf_counter() - t0))
            self.pump(a, b)
        return out

    def oneway(self, size: int, batch: int, n: int) -> list[float]:
        return self._data(size, batch, n, alternate=False)

    def pingpong(self, size: int, batch: int, n: int) -> list[float]:
        return self._data(size, batch, n, alternate=True)

    @staticmethod
    def _smp_responder(done: dict[int, str]) -> Callable[[Any, Any], None]:
        """Answers SMP questions with the same secret; records each side's outcome in `done`."""

        def on_event(conv: Any, ev: Any) -> None:
            name = type(ev).__name__
            if name == "SmpQuestion":
                conv.smp_respond(SECRET)
            elif name in ("SmpSucceeded", "SmpFailed", "SmpAborted", "SmpCheated"):
                done[id(conv)] = name

        return on_event

    def smp(self, n: int) -> list[float]:
        if not self.has_smp:
            return []
        a, b = self.session()
        out = []
        for _ in range(n):
            done: dict[int, str] = {}
            on_event = self._smp_responder(done)
            t0 = time.perf_counter()
            a.smp_start(SECRET)
            self.pump(a, b, on_event)
            out.append((time.perf_counter() - t0) * 1e3)
            assert done == {id(a): "SmpSucceeded", id(b): "SmpSucceeded"}, done
        return out


# --- the floor ---------------------------------------------------------------------------------


class Floor:
    """One Data Message sealed and opened with pyca/cryptography, nothing else."""

    how = f"pyca/cryptography {cryptography.__version__}: AES-128-CTR + HMAC-SHA1 + base64"
    # An OTR v3 Data Message before its ciphertext: protocol version, type, two instance tags,
    # flags, two key ids, the next D-H public key (an MPI of 192 bytes), the top half of the counter,
    # and the length of the encrypted message.
    HEADER = 2 + 1 + 8 + 1 + 8 + (4 + 192) + 8 + 4

    def __init__(self) -> None:
        self.aes_key = os.urandom(16)
        self.mac_key = os.urandom(20)
        self.header = os.urandom(self.HEADER)

    def seal(self, plaintext: bytes, ctr: int) -> str:
        enc = Cipher(algorithms.AES(self.aes_key), modes.CTR(ctr.to_bytes(8, "big") + bytes(8))).encryptor()
        body = self.header + enc.update(plaintext) + enc.finalize()
        mac = chmac.HMAC(self.mac_key, hashes.SHA1())
        mac.update(body)
        return "?OTR:" + base64.b64encode(body + mac.finalize() + bytes(4)).decode() + "."

    def open(self, wire: str, ctr: int) -> bytes:
        raw = base64.b64decode(wire[5:-1])
        body, tag = raw[:-24], raw[-24:-4]
        mac = chmac.HMAC(self.mac_key, hashes.SHA1())
        mac.update(body)
        if not hmac.compare_digest(mac.finalize(), tag):
            raise AssertionError("floor MAC mismatch")
        dec = Cipher(algorithms.AES(self.aes_key), modes.CTR(ctr.to_bytes(8, "big") + bytes(8))).decryptor()
        return dec.update(body[self.HEADER :]) + dec.finalize()

    def oneway(self, size: int, batch: int, n: int) -> list[float]:
        data = text_of(size).encode()
        assert self.open(self.seal(data, 1), 1) == data
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            for i in range(batch):
                self.open(self.seal(data, i + 2), i + 2)
            out.append(batch / (time.perf_counter() - t0))
        return out


class CtFloor:
    """Only the constant-time exponentiations TIMB cannot skip: those with a secret exponent, each
    through `modexp.powmod_secret` (GMP's mpz_powm_sec), and nothing else (no hashing, no parsing,
    no public-exponent checks). No implementation that keeps secret exponents constant-time can
    beat this column on this machine; the goals for TIMB are checked against libotr and this.

    * AKE: 2 D-H key generations + 2 shared secrets (320-bit exponents, 1536-bit group) and 2 DSA
      signatures (a 161-bit nonce mod the 1024-bit p).
    * alternating message: 1 D-H key generation + 2 shared secrets (one on each side).
    * SMP: per side a2, a3, 2 proof nonces, g2, g3, P, g1^r4, two r5, r6, Ra/Rb, two r7, Rab: 15
      exponentiations with 1536-bit exponents, and g2^x with the 256-bit secret.
    """

    how = f"powmod_secret ({modexp.BACKEND}) calls with secret exponents only: the constant-time floor"

    def __init__(self) -> None:
        key = otr.PrivateKey.generate()
        self.dsa = key.numbers()
        p = modexp.DH_MODULUS
        self.bases = [modexp.powmod(2, int.from_bytes(os.urandom(192), "big"), p) for _ in range(4)]

    @staticmethod
    def _x(bits: int) -> int:
        return int.from_bytes(os.urandom(bits // 8), "big") | 1 << (bits - 1)

    def _dh(self, count: int) -> None:
        p, sec = modexp.DH_MODULUS, modexp.powmod_secret
        for i in range(count):
            sec(self.bases[i % 4], self._x(320), p)

    def ake(self, n: int) -> list[float]:
        p_dsa, q_dsa, g_dsa = self.dsa[0], self.dsa[1], self.dsa[2]
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            self._dh(4)
            for _ in range(2):
                modexp.powmod_secret(g_dsa, int.from_bytes(os.urandom(20), "big") % q_dsa + q_dsa, p_dsa)
            out.append((time.perf_counter() - t0) * 1e3)
        return out

    def pingpong(self, size: int, batch: int, n: int) -> list[float]:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            for _ in range(batch):
                self._dh(3)
            out.append(batch / (time.perf_counter() - t0))
        return out

    def smp(self, n: int) -> list[float]:
        p, sec = modexp.DH_MODULUS, modexp.powmod_secret
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            for i in range(2 * 15):
                sec(self.bases[i % 4], self._x(1536), p)
            for i in range(2):
                sec(self.bases[i], self._x(256), p)
            out.append((time.perf_counter() - t0) * 1e3)
        return out


# --- running and reporting -------------------------------------------------------------------------


@dataclass
class Series:
    samples: list[float] = field(default_factory=list)
    per_round: list[float] = field(default_factory=list)

    def add(self, values: list[float]) -> None:
        if values:
            self.samples.extend(values)
            self.per_round.append(statistics.median(values))

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None


# metric -> (label, unit, "time" (lower is better) or "rate" (higher is better))
METRICS = {
    "ake": ("AKE, query -> both ENCRYPTED", "ms", "time"),
    "oneway100": ("one-way 100 B (no D-H rotation)", "msg/s", "rate"),
    "oneway4k": ("one-way 4096 B (no D-H rotation)", "msg/s", "rate"),
    "pingpong100": ("alternating 100 B (D-H rotation each message)", "msg/s", "rate"),
    "smp": ("SMP, start -> both succeeded", "ms", "time"),
}
IMPLS = ["libotr", "timb", "potr", "floor", "ctfloor"]


def plan(quick: bool) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Per round: metric -> implementation -> arguments (counts scaled to each one's speed)."""
    q = 4 if quick else 1
    return {
        "ake": {"libotr": (8 // q,), "timb": (8 // q,), "potr": (max(1, 3 // q),), "ctfloor": (8 // q,)},
        "oneway100": {
            "libotr": (2000, 3 // min(q, 3)),
            "timb": (1000 // q, 2),
            "potr": (200 // q, 1),
            "floor": (2000 // q, 2),
        },
        "oneway4k": {
            "libotr": (1000, 3 // min(q, 3)),
            "timb": (500 // q, 2),
            "potr": (100 // q, 1),
            "floor": (1000 // q, 2),
        },
        "pingpong100": {
            "libotr": (100 // q, 2),
            "timb": (100 // q, 2),
            "potr": (20 // q, 1),
            "ctfloor": (100 // q, 2),
        },
        "smp": {"libotr": (max(1, 3 // q),), "timb": (max(1, 3 // q),), "potr": (1,), "ctfloor": (3,)},
    }


def run(
    rounds: int, quick: bool, workdir: Path, force_ctypes: bool = False
) -> tuple[dict[str, dict[str, Series]], dict[str, str]]:
    have_c = shutil.which("gcc") is not None and Path("/usr/include/libotr/message.h").exists()
    have_c = have_c and not force_ctypes
    impls: dict[str, Any] = {
        "libotr": LibotrC(workdir) if have_c else LibotrCtypes(workdir),
        "timb": Timb(),
        "potr": Potr(),
        "floor": Floor(),
        "ctfloor": CtFloor(),
    }
    results = {m: {i: Series() for i in IMPLS} for m in METRICS}
    work = plan(quick)
    for r in range(rounds):
        order = IMPLS[r % len(IMPLS) :] + IMPLS[: r % len(IMPLS)]
        for metric, per_impl in work.items():
            for name in order:
                if name not in per_impl:
                    continue
                impl, args = impls[name], per_impl[name]
                if metric == "ake":
                    values = impl.ake(*args)
                elif metric == "oneway100":
                    values = impl.oneway(100, *args)
                elif metric == "oneway4k":
                    values = impl.oneway(4096, *args)
                elif metric == "pingpong100":
                    values = impl.pingpong(100, *args)
                else:
                    values = impl.smp(*args)
                results[metric][name].add(values)
        print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    return results, {name: impl.how for name, impl in impls.items()}


def fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(value: float | None, ref: float | None) -> str:
    return f"{value / ref:.2f}x" if value is not None and ref else "n/a"


def report(results: dict[str, dict[str, Series]], how: dict[str, str], rounds: int) -> list[str]:
    lines = [
        f"# OTR benchmark ({rounds} interleaved rounds; medians over pooled samples)",
        "",
        f"host: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f}",
    ]
    lines += [f"{name}: {text}" for name, text in how.items()]
    lines += [
        "",
        "| metric | unit | libotr | TIMB | potr | floor | CT floor | TIMB vs libotr | potr vs libotr "
        "| CT floor vs libotr | TIMB per-round medians |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for metric, (label, unit, _kind) in METRICS.items():
        row = results[metric]
        lib = row["libotr"].median
        per_round = " / ".join(fmt(v) for v in row["timb"].per_round) or "n/a"
        lines.append(
            f"| {label} | {unit} | {fmt(lib)} | {fmt(row['timb'].median)} | {fmt(row['potr'].median)} | "
            f"{fmt(row['floor'].median)} | {fmt(row['ctfloor'].median)} | {ratio(row['timb'].median, lib)} | "
            f"{ratio(row['potr'].median, lib)} | {ratio(row['ctfloor'].median, lib)} | {per_round} |"
        )
    lines += [
        "",
        "(ratios are value/libotr: for ms lower is faster, for msg/s higher is faster)",
        "",
        "Goals:",
    ]

    def med(metric: str, impl: str) -> float | None:
        return results[metric][impl].median

    goals: list[tuple[str, float | None, float | None, Callable[[float, float], bool]]] = [
        ("AKE <= 0.25x libotr's time", med("ake", "timb"), med("ake", "libotr"), lambda t, r: t <= 0.25 * r),
        ("SMP <= 0.3x libotr's time", med("smp", "timb"), med("smp", "libotr"), lambda t, r: t <= 0.3 * r),
        (
            "alternating >= 4x libotr's rate",
            med("pingpong100", "timb"),
            med("pingpong100", "libotr"),
            lambda t, r: t >= 4 * r,
        ),
        ("AKE <= 1.3x the CT floor", med("ake", "timb"), med("ake", "ctfloor"), lambda t, r: t <= 1.3 * r),
        ("SMP <= 1.3x the CT floor", med("smp", "timb"), med("smp", "ctfloor"), lambda t, r: t <= 1.3 * r),
        (
            "alternating >= 0.75x the CT floor's rate",
            med("pingpong100", "timb"),
            med("pingpong100", "ctfloor"),
            lambda t, r: t >= 0.75 * r,
        ),
        (
            "one-way 100 B >= 0.6x the pure floor",
            med("oneway100", "timb"),
            med("oneway100", "floor"),
            lambda t, r: t >= 0.6 * r,
        ),
    ]
    for text, value, ref, ok in goals:
        if value is None or ref is None:
            verdict = "NOT MEASURED"
        else:
            verdict = ("MET" if ok(value, ref) else "MISSED") + f" ({value / ref:.2f}x)"
        lines.append(f"- {text}: {verdict}")
    for metric in METRICS:
        spread = {n: s.per_round for n, s in results[metric].items() if s.per_round}
        lines.append(
            f"  per-round medians, {metric}: "
            + "; ".join(f"{n} {' / '.join(map(fmt, v))}" for n, v in spread.items())
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (fewer, smaller samples)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 5, quick 2)")
    parser.add_argument(
        "--libotr-ctypes",
        action="store_true",
        help="drive libotr through the ctypes harness instead of the C helper (to see ctypes' cost)",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 5)
    with tempfile.TemporaryDirectory(prefix="timb-otr-bench-") as tmp:
        results, how = run(rounds, args.quick, Path(tmp), force_ctypes=args.libotr_ctypes)
    print("\n".join(report(results, how, rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
