"""Vault benchmark (issue 14, load): a profile's vault holding 1,000 trust entries, with a history
of 10,000 records, against an empty vault in the same run.

Measured, each on this machine in this run (median of ``--rounds``):

* unlock: `Vault.unlock` with the default KDF (Argon2id or scrypt: dominated by the KDF);
* save: `Vault.save` (encrypt, fsync a temp file, rename, fsync the directory, rotate the backup);
* history read: all 10,000 records of one conversation (`History.read`);
* history append: one record (the log append and fsync, then a vault save for its count).

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


def measure(root: Path, trust: int, records: int, rounds: int) -> dict[str, float]:
    directory = root / f"profile-{trust}-{records}"
    vault = Vault.create(directory, PASS, data={"trust": trust_section(trust)} if trust else None)
    history, conversation, per_record = fill_history(vault, directory, records)
    figures = {"save": timed(vault.save, rounds)}
    figures["history read"] = timed(lambda: history.read(conversation), rounds)
    line = HistoryEntry(Direction.OUTGOING, 1.0, Secret("one more line"), True, False)
    figures["history append"] = timed(lambda: history.record(conversation, line), rounds)
    figures["size KiB"] = (directory / "vault.timb").stat().st_size / 1024
    vault.lock()

    def unlock() -> None:
        Vault.unlock(directory, PASS).lock()

    figures["unlock"] = timed(unlock, rounds)
    figures["fill per record"] = per_record
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--trust", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="timb-vault-bench-") as tmp:
        empty = measure(Path(tmp), 0, 1, args.rounds)
        full = measure(Path(tmp), args.trust, args.records, args.rounds)
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
