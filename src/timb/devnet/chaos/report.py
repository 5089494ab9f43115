"""The campaign's table (pure): faults by kind, the message verdict, recovery times."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from timb.devnet.chaos.ledger import Verdict
from timb.devnet.chaos.plan import FaultKind


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Tally:
    seed: int
    cycles: int = 0
    faults: Counter[FaultKind] = field(default_factory=Counter)
    recovery: dict[FaultKind, list[float]] = field(default_factory=dict)
    hangs: Counter[FaultKind] = field(default_factory=Counter)
    plaintext: int = 0
    corrupt_vaults: int = 0
    leftover_processes: int = 0
    audited_connects: int = 0  # connects the audit hooks saw (0 would mean they saw nothing)
    disk_full_refusals: int = 0  # saves refused under the file-size limit (the fault bit)
    client_starts: int = 0  # processes of the jsonrpc client (1 + the restarts after a kill)
    notes: list[str] = field(default_factory=list)

    def record(self, kind: FaultKind, recovery_s: float | None) -> None:
        self.cycles += 1
        self.faults[kind] += 1
        if recovery_s is None:
            self.hangs[kind] += 1
        else:
            self.recovery.setdefault(kind, []).append(recovery_s)


def table(tally: Tally, verdict: Verdict, elapsed_s: float) -> str:
    """The figures the issue asks for, one per line, then recovery p50/p95 per fault."""
    lines = [
        f"chaos campaign: seed {tally.seed}, {tally.cycles} cycles in {elapsed_s:.0f} s",
        f"  typed {verdict.typed}  delivered {verdict.delivered}  pending at the end {verdict.pending}"
        f"  dropped unsent with a killed client {verdict.dropped}",
        f"  lost {verdict.lost} (shown delivered {verdict.lost_confirmed}; unconfirmed when their"
        f" sender was killed {verdict.lost_with_sender})",
        f"  duplicated {verdict.duplicated} (after a restart of the receiver {verdict.duplicated_across})"
        f"  out of order {verdict.out_of_order}"
        f"  corrupt texts {verdict.corrupt}",
        f"  plaintext {tally.plaintext}  corrupt vaults {tally.corrupt_vaults}"
        f"  processes left {tally.leftover_processes}  hangs {sum(tally.hangs.values())}",
        f"  {'fault':<28}{'count':>6}{'hangs':>6}{'recovery p50':>14}{'p95':>8}",
    ]
    for kind in FaultKind:
        if not tally.faults[kind]:
            continue
        times = tally.recovery.get(kind, [])
        p50, p95 = (f"{percentile(times, p):.1f}s" if times else "-" for p in (50, 95))
        lines.append(f"  {kind.value:<28}{tally.faults[kind]:>6}{tally.hangs[kind]:>6}{p50:>14}{p95:>8}")
    lines += [f"  note: {n}" for n in tally.notes]
    return "\n".join(lines)
