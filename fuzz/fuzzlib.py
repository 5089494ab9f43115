"""Plumbing shared by the fuzz harnesses (each harness is a script: ``python fuzz/fuzz_x.py``).

* `Provider` turns the fuzzer's bytes into structured choices (ints, texts, picks from a list).
  The harnesses use it with either engine, so an input file reproduces the same run anywhere.
* `instrumented()` wraps the harness's imports of `timb` so atheris sees their coverage.
* `run()` starts the engine: atheris (coverage-guided libFuzzer) when it is installed, else a
  plain random-mutation loop (``TIMB_FUZZ_ENGINE=random``) that takes the same arguments we use
  from libFuzzer: input files or corpus directories, ``-max_total_time=``, ``-artifact_prefix=``,
  ``-seed=``.

A harness signals a broken contract by raising `ContractBroken` (any uncaught exception is a
crash); both engines then save the input as ``<artifact_prefix>crash-<sha1>`` and exit non-zero.
Reproduce with ``.venv/bin/python fuzz/fuzz_x.py <that file>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import random
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    # The OTR harnesses reuse the fixed test keys of tests/unit/otr_link.py.
    sys.path.insert(0, str(ROOT))

T = TypeVar("T")


class ContractBroken(Exception):
    """A harness's invariant failed: a bug in the module under test."""


def check(condition: bool, message: str) -> None:
    """Raise `ContractBroken(message)` unless `condition` (unlike assert, survives ``-O``)."""
    if not condition:
        raise ContractBroken(message)


def engine() -> str:
    """``atheris`` if requested (the default) and importable, else ``random``."""
    wanted = os.environ.get("TIMB_FUZZ_ENGINE", "atheris")
    if wanted == "atheris" and importlib.util.find_spec("atheris") is not None:
        return "atheris"
    return "random"


@contextlib.contextmanager
def instrumented() -> Iterator[None]:
    """Instrument the `timb` modules imported inside the block (atheris only)."""
    if engine() == "atheris":
        import atheris  # type: ignore[import-untyped]  # noqa: PLC0415 - optional

        with atheris.instrument_imports(include=["timb", "tests"]):
            yield
    else:
        yield


class Provider:
    """Structured values from fuzz bytes. Past the end of the data every value is its minimum,
    so every input, however short, is a valid run."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def number(self, low: int, high: int) -> int:
        """An int in [low, high], from as few bytes as the range needs."""
        span = high - low
        if span <= 0:
            return low
        size = (span.bit_length() + 7) // 8
        raw = self._data[self._pos : self._pos + size]
        self._pos += len(raw)
        return low + int.from_bytes(raw, "little") % (span + 1)

    def flag(self) -> bool:
        return self.number(0, 1) == 1

    def blob(self, max_len: int) -> bytes:
        length = self.number(0, max_len)
        raw = self._data[self._pos : self._pos + length]
        self._pos += len(raw)
        return raw

    def rest(self) -> bytes:
        raw = self._data[self._pos :]
        self._pos = len(self._data)
        return raw

    def text(self, max_len: int) -> str:
        """A str of any code points except lone surrogates (a chat network cannot deliver them:
        XML forbids them, and slixmpp hands TIMB decoded UTF-8)."""
        raw = self.blob(max_len)
        match self.number(0, 2):
            case 0:
                return raw.decode("latin-1")
            case 1:
                return raw.decode("utf-8", errors="replace")
            case _:
                return raw.decode("utf-16-le", errors="replace")

    def pick(self, items: Sequence[T]) -> T:
        return items[self.number(0, len(items) - 1)]


def mutate(p: Provider, raw: bytes) -> bytes:
    """A few byte-level mutations of `raw`, chosen by `p`: flips, truncation, overwrites, inserts,
    deletions and duplication of a range (what a hostile network or a damaged file does)."""
    out = bytearray(raw)
    for _ in range(p.number(1, 4)):
        op = p.number(0, 5)
        pos = p.number(0, max(0, len(out) - 1)) if out else 0
        if op == 0 and out:
            out[pos] ^= 1 << p.number(0, 7)
        elif op == 1:
            del out[pos:]
        elif op == 2:
            piece = p.blob(64)
            out[pos : pos + len(piece)] = piece
        elif op == 3:
            out[pos:pos] = p.blob(64)
        elif op == 4:
            del out[pos : pos + p.number(1, 64)]
        else:
            out[pos:pos] = out[pos : pos + p.number(1, 256)] * p.number(1, 8)
    return bytes(out)


# ---- the engines -------------------------------------------------------------------------------


def run(test_one_input: Callable[[bytes], None], argv: list[str] | None = None) -> None:
    """Fuzz `test_one_input` with the engine `engine()` chooses; the arguments are libFuzzer's."""
    args = list(sys.argv if argv is None else argv)
    if engine() == "atheris":
        import atheris  # noqa: PLC0415 - optional

        atheris.Setup(args, test_one_input)
        atheris.Fuzz()
    else:
        sys.exit(_random_engine(test_one_input, args[1:]))


def _option(args: list[str], name: str, default: str) -> str:
    for arg in args:
        if arg.startswith(f"-{name}="):
            return arg.split("=", 1)[1]
    return default


def _random_engine(test_one_input: Callable[[bytes], None], args: list[str]) -> int:
    """Random bytes and mutations of the corpus for a bounded time; 1 on the first crash."""
    paths = [Path(a) for a in args if not a.startswith("-")]
    prefix = _option(args, "artifact_prefix", "./")
    files = [p for p in paths if p.is_file()]
    if files:  # reproduce: run each file once
        for path in files:
            print(f"Running: {path}")
            test_one_input(path.read_bytes())
        return 0
    corpus = [f.read_bytes() for d in paths if d.is_dir() for f in sorted(d.iterdir()) if f.is_file()]
    seconds = float(_option(args, "max_total_time", "60"))
    rng = random.Random(int(_option(args, "seed", str(time.time_ns()))))
    deadline = time.monotonic() + seconds
    runs = 0
    while time.monotonic() < deadline:
        if corpus and rng.random() < 0.5:
            mutable = bytearray(rng.choice(corpus))
            for _ in range(rng.randint(1, 8)):
                if mutable:
                    mutable[rng.randrange(len(mutable))] = rng.randrange(256)
            data = bytes(mutable)
        else:
            data = rng.randbytes(rng.randint(0, 2048))
        try:
            test_one_input(data)
        except Exception:
            traceback.print_exc()
            artifact = Path(f"{prefix}crash-{hashlib.sha1(data).hexdigest()}")
            artifact.write_bytes(data)
            print(f"==CRASH== Test unit written to {artifact}")
            return 1
        runs += 1
    print(f"Done {runs} runs in {seconds:.0f} second(s) (random engine)")
    return 0
