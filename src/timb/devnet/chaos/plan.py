"""Which fault, when and for how long: drawn from a seed, so a run can be replayed (pure).

``plan(seed, cycles)`` is a list of `Fault`; the same seed and cycle count give the same list.
The random numbers are for reproducible testing, not for secrets (``random.Random(seed)``).
"""

from __future__ import annotations

import enum
import random
from collections.abc import Sequence
from dataclasses import dataclass


class FaultKind(enum.Enum):
    KILL_MID_BURST = "kill -9 mid-burst"
    KILL_MID_AKE = "kill -9 mid-AKE"
    KILL_MID_SMP = "kill -9 mid-SMP"
    KILL_MID_SAVE = "kill -9 mid-vault-save"
    PROSODY_RESTART = "Prosody restart"
    PROSODY_FREEZE = "Prosody frozen"
    DISABLE_NETWORK = "DisableNetwork 1/0"
    TOR_FREEZE = "client tor frozen"
    DISK_FULL = "disk full (RLIMIT_FSIZE)"
    CLOCK_JUMP = "clock jump"


KILLS = (FaultKind.KILL_MID_BURST, FaultKind.KILL_MID_AKE, FaultKind.KILL_MID_SMP, FaultKind.KILL_MID_SAVE)
ALL = tuple(FaultKind)
# Faults whose finding is still open (an xfail regression test names it): each would hang every
# campaign at its first occurrence, so they run only when asked for (``--faults disable``).
# DisableNetwork 1/0 is back in the default set: timb.tor.client finds tor's moved SOCKS listener
# again (issue 14 finding 1, tests/unit/test_findings_tor_socks_port.py).
OPEN_FINDINGS: tuple[FaultKind, ...] = ()
DEFAULT = tuple(k for k in FaultKind if k not in OPEN_FINDINGS)
# A long campaign is mostly crashes (the issue asks for >= 100 of them); the rest one in three.
_WEIGHTS = {k: (6 if k in KILLS else 2) for k in FaultKind}


@dataclass(frozen=True, slots=True)
class Fault:
    """One cycle's fault. ``delay_s``: how far into the cycle's burst it strikes; ``duration_s``:
    how long a freeze or outage lasts; ``side``: which client ("alice"/"bob") it hits, where it
    matters; ``jump_s``: the clock's jump (signed) for CLOCK_JUMP; ``burst``: messages each way."""

    kind: FaultKind
    delay_s: float
    duration_s: float
    side: str
    jump_s: float
    burst: int


def plan(
    seed: int,
    cycles: int,
    kinds: Sequence[FaultKind] = ALL,
    *,
    each_once: bool = False,
    freeze_s: float = 40.0,
) -> list[Fault]:
    """The campaign's faults. ``each_once``: every kind in ``kinds`` in turn (the short version),
    else weighted draws. ``freeze_s``: the shortest freeze or outage (longer than the stream
    time-outs for a full campaign)."""
    rng = random.Random(seed)  # noqa: S311 - replayable test schedule, not a secret
    if each_once:
        chosen = [kinds[i % len(kinds)] for i in range(cycles)]
    else:
        chosen = rng.choices(list(kinds), weights=[_WEIGHTS[k] for k in kinds], k=cycles)
    faults = []
    for kind in chosen:
        faults.append(
            Fault(
                kind,
                delay_s=round(rng.uniform(0.0, 1.5), 3),
                duration_s=round(freeze_s * rng.uniform(1.0, 1.5), 1),
                side=rng.choice(("alice", "bob")),
                jump_s=rng.choice((-1, 1)) * rng.choice((90.0, 3600.0, 86400.0 * 3)),
                burst=rng.randint(3, 12),
            )
        )
    return faults


def parse_kinds(names: str) -> tuple[FaultKind, ...]:
    """``"kill,prosody"`` -> the kinds whose enum name contains one of the words (upper-cased)."""
    words = [w.strip().upper().replace("-", "_") for w in names.split(",") if w.strip()]
    kinds = tuple(k for k in FaultKind if any(w in k.name for w in words))
    if not kinds:
        raise ValueError(f"no fault kind matches {names!r}; kinds: {', '.join(k.name for k in FaultKind)}")
    return kinds
