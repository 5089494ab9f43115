"""Vault benchmark (issue 14, load): a profile's vault holding 1,000 trust entries, with a history
of 10,000 records, against an empty vault in the same run.

Measured, each on this machine in this run (median of ``--rounds``, the two profiles in
alternate rounds):

* unlock: `Vault.unlock` with the default KDF (Argon2id or scrypt: dominated by the KDF);
* save: `Vault.save` (encrypt, fsync a temp file, rename, fsync the directory, rotate the backup);
* history read: all 10,000 records of one conversation (`History.read`);
* history append: one record, the first after opening (it reads the log to find its end), the
  log append and fsync, then a vault save for its count.

The ratio column divides by the empty vault's figure: what 1,000 trust entries and 10,000 history
records cost on top of the KDF and the fsyncs every vault pays.

Usage: ``.venv/bin/python bench/vault_bench.py [--rounds N] [--records N] [--trust N]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from timb.common.ids import Fingerprint
from timb.common.secret import Secret
from timb.core.storage.history import Direction, History, HistoryEntry
from timb.core.storage.vault import Vault
from timb.core.trust import TrustStore

PASS = Secret("vault benchmark passphrase")


def timed(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def trust_section(n: int) -> dict[str, object]:
    store = TrustStore()
    for i in range(n):
        fp = Fingerprint.from_hex(f"{i:040x}")
        store.observe("main", f"contact{i % 400}@example.org", fp, 1_700_000_000.0 + i)
    return store.to_dict()


class _NoSave:
    """The vault with saving put off: the bulk of the fill (see `fill_history`)."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def __getattr__(self, name: str) -> object:
        return getattr(self._vault, name)

    def save(self) -> None:
        pass


def _entry(i: int) -> HistoryEntry:
    return HistoryEntry(Direction.OUTGOING if i % 2 else Direction.INCOMING, 1_700_000_000.0 + i,
                        Secret(f"history line {i:05d} " + "x" * 60), True, False)  # fmt: skip


def fill_history(vault: Vault, directory: Path, records: int) -> tuple[History, str, float]:
    """``records`` appends through the public API. In use every append also saves the vault (for
    the log's record count); the fill does that for the first 100 only (timed: the last figure)
    and saves once at the end, or 10,000 records would take minutes of fsyncs."""
    conversation = History.conversation_id("main", "peer@example.org")
    history = History(vault, directory / "history", lambda _c: True)
    timed_n = min(records, 100)
    t0 = time.perf_counter()
    for i in range(timed_n):
        history.record(conversation, _entry(i))
    per_record = (time.perf_counter() - t0) / timed_n
    bulk = History(_NoSave(vault), directory / "history", lambda _c: True)  # type: ignore[arg-type]
    for i in range(timed_n, records):
        bulk.record(conversation, _entry(i))
    vault.save()
    return History(vault, directory / "history", lambda _c: True), conversation, per_record


@dataclass
class Profile:
    directory: Path
    vault: Vault
    history: History
    conversation: str
    per_record: float
    samples: dict[str, list[float]] = field(default_factory=dict)


def prepare(root: Path, trust: int, records: int) -> Profile:
    directory = root / f"profile-{trust}-{records}"
    vault = Vault.create(directory, PASS, data={"trust": trust_section(trust)} if trust else None)
    history, conversation, per_record = fill_history(vault, directory, records)
    return Profile(directory, vault, history, conversation, per_record)


def one_round(p: Profile) -> None:
    """Each operation once (rounds alternate between the profiles, against drift on a shared host)."""
    line = HistoryEntry(Direction.OUTGOING, 1.0, Secret("one more line"), True, False)
    ops: dict[str, Callable[[], object]] = {
        "save": p.vault.save,
        "history read": lambda: p.history.read(p.conversation),
        "history append": lambda: p.history.record(p.conversation, line),
    }
    for name, op in ops.items():
        p.samples.setdefault(name, []).append(timed(op, 1))
    p.vault.lock()
    t0 = time.perf_counter()
    p.vault = Vault.unlock(p.directory, PASS)
    p.samples.setdefault("unlock", []).append(time.perf_counter() - t0)
    p.history = History(p.vault, p.directory / "history", lambda _c: True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--trust", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="timb-vault-bench-") as tmp:
        profiles = [prepare(Path(tmp), 0, 1), prepare(Path(tmp), args.trust, args.records)]
        for _ in range(args.rounds):
            for p in profiles:
                one_round(p)
        figures = []
        for p in profiles:
            f = {k: statistics.median(v) for k, v in p.samples.items()}
            f["fill per record"] = p.per_record
            f["size KiB"] = (p.directory / "vault.timb").stat().st_size / 1024
            p.vault.lock()
            figures.append(f)
        empty, full = figures
    print(f"vault: {args.trust} trust entries + {args.records} history records vs an empty vault "
          f"(median of {args.rounds})")  # fmt: skip
    print(f"  {'':<18}{'empty':>12}{'full':>12}{'ratio':>8}")
    for key in ("unlock", "save", "history read", "history append", "fill per record"):
        # "fill per record": the first 100 appends of the fill, each with its vault save
        e, f = empty[key], full[key]
        print(f"  {key:<18}{e * 1000:>10.1f}ms{f * 1000:>10.1f}ms{f / e:>8.2f}")
    print(f"  {'vault file':<18}{empty['size KiB']:>10.0f}KiB{full['size KiB']:>9.0f}KiB")


if __name__ == "__main__":
    main()
