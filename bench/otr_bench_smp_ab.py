"""A/B of SMP's arithmetic in one process: `SmpEngine` as shipped against the same engine with the
arithmetic it had before issue 13 (plain powmod for every exponent, ours included; no g1 table; no
order-q check). Both sides of an exchange run here, 60 interleaved runs each; engines only, no
data messages (bench/otr_bench.py times the whole SMP against libotr).

Usage: ``.venv/bin/python bench/otr_bench_smp_ab.py``
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import timb.otr.smp as smp
from timb.common.random import SystemRandom
from timb.otr import modexp

P = modexp.DH_MODULUS

RUNS = 60


class _PlainG1:
    @staticmethod
    def power(exponent: int) -> int:
        return modexp.powmod(2, exponent, P)


def _two_powmods(a: int, x: int, b: int, y: int, m: int) -> int:
    return modexp.powmod(a, x, m) * modexp.powmod(b, y, m) % m


NEW: dict[str, Any] = {
    "powmod_secret": smp.powmod_secret,
    "G1_TABLE": smp.G1_TABLE,
    "has_order_q": smp.has_order_q,
    "powmod2": smp.powmod2,
}
OLD: dict[str, Any] = {
    "powmod_secret": modexp.powmod,
    "G1_TABLE": _PlainG1,
    "has_order_q": lambda value: True,
    "powmod2": _two_powmods,
}


def one_exchange() -> float:
    a, b = smp.SmpEngine(SystemRandom()), smp.SmpEngine(SystemRandom())
    started = time.perf_counter()
    [m1] = a.start(12345)
    b.receive(m1)
    [m2] = b.respond(12345)
    [m3] = a.receive(m2).replies
    done = b.receive(m3)
    outcome = a.receive(done.replies[0])
    assert isinstance(outcome.events[0], smp.SmpSucceeded)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    smp.G1_TABLE.power(3)  # build the table outside the timed runs
    results: dict[str, list[float]] = {"before": [], "shipped": []}
    for i in range(RUNS):
        order = (("before", OLD), ("shipped", NEW)) if i % 2 else (("shipped", NEW), ("before", OLD))
        for name, env in order:
            for attr, value in env.items():
                setattr(smp, attr, value)
            results[name].append(one_exchange())
    for name, values in results.items():
        median, low = statistics.median(values), min(values)
        print(f"SMP engines, {name}: median {median:.1f} ms, min {low:.1f} ms, n {len(values)}")
    ratio = statistics.median(results["shipped"]) / statistics.median(results["before"])
    print(f"shipped / before (medians): {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
