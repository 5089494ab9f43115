"""``python -m timb.devnet.chaos --seed N --cycles N``: the fault campaign (see the package docstring).

Exit status 0 when nothing was lost, duplicated, out of order, corrupt or leaked, no vault was
damaged, no cycle hung and no process was left; 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from timb.devnet.chaos.plan import ALL, DEFAULT, parse_kinds, plan
from timb.devnet.chaos.runner import Campaign, Options, Result


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m timb.devnet.chaos", description=__doc__)
    p.add_argument("--seed", type=int, default=None, help="replay a campaign (default: a new one, printed)")
    p.add_argument("--cycles", type=int, default=20)
    p.add_argument("--faults", default="", help="comma-separated words of fault names, e.g. kill,prosody,"
                   "disable,freeze,disk,clock, or all (default: all but those of open findings)")  # fmt: skip
    p.add_argument("--each-once", action="store_true", help="every chosen fault in turn, not weighted draws")
    p.add_argument("--freeze", type=float, default=40.0, help="shortest freeze or outage, seconds")
    p.add_argument("--dir", type=Path, default=None, help="campaign directory (default: a temporary one)")
    return p.parse_args(argv)


def passed(result: Result) -> bool:
    t = result.tally
    return (
        result.verdict.clean
        and t.plaintext == t.corrupt_vaults == t.leftover_processes == 0
        and not sum(t.hangs.values())
    )


async def _run(campaign: Campaign) -> Result:
    """The campaign, cancelled (so it stops everything it started) by SIGTERM or SIGINT, which a
    background job would otherwise die of (SIGTERM) or ignore (SIGINT)."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    return await campaign.run()


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    seed = args.seed if args.seed is not None else secrets.randbelow(1 << 31)
    kinds = ALL if args.faults == "all" else parse_kinds(args.faults) if args.faults else DEFAULT
    faults = plan(seed, args.cycles, kinds, each_once=args.each_once, freeze_s=args.freeze)
    directory = args.dir or Path(tempfile.mkdtemp(prefix="timb-chaos-"))
    try:
        result = asyncio.run(_run(Campaign(Options(seed, faults, directory))))
    except asyncio.CancelledError:
        print(f"chaos: interrupted; everything it started is stopped (seed {seed})")
        return 130
    finally:
        if args.dir is None:
            shutil.rmtree(directory, ignore_errors=True)
    print(result.table())
    print(f"replay: python -m timb.devnet.chaos --seed {seed} --cycles {args.cycles}"
          + (f" --faults {args.faults}" if args.faults else "") + (" --each-once" if args.each_once else "")
          + (f" --freeze {args.freeze:g}" if args.freeze != 40.0 else ""))  # fmt: skip
    return 0 if passed(result) else 1


if __name__ == "__main__":
    sys.exit(main())
