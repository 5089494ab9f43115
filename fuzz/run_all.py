"""Run every fuzz harness (fuzz/fuzz_*.py) for a bounded time; exit 1 if any of them crashed.

    .venv/bin/python fuzz/run_all.py [--seconds 60] [--only otr_receive smp ...] [--engine auto]

`make fuzz` runs this; it is not part of `make test`. The engine is atheris (coverage-guided,
libFuzzer), installed into the running interpreter's environment on demand; if atheris cannot be
installed (no wheel for this platform and no compiler), the harnesses fall back to a plain
random-mutation loop, and this script says so.

Each harness keeps its corpus in fuzz/.work/corpus/<name>/ (so runs build on each other) and its
log in fuzz/.work/logs/<name>.log. A crash, a contract violation, a slow input (over --timeout
seconds) or an out-of-memory input is saved under fuzz/.work/artifacts/ and printed with the
command that reproduces it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
ARTIFACT_KINDS = ("crash-", "timeout-", "oom-", "leak-", "slow-unit-")
# Set-up (a real OTR session, a vault) and libFuzzer's final pass take time beyond --seconds.
GRACE_SECONDS = 180


def _harnesses() -> dict[str, Path]:
    return {p.stem.removeprefix("fuzz_"): p for p in sorted(HERE.glob("fuzz_*.py"))}


def _ensure_atheris(engine: str) -> str:
    """The engine to use: atheris if wanted and importable (installing it if missing)."""
    if engine == "random":
        return "random"
    if importlib.util.find_spec("atheris") is None:
        print("atheris is not installed: pip install atheris ...", flush=True)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "atheris"],
            check=False,
            capture_output=True,
            text=True,
        )
        importlib.invalidate_caches()
        if result.returncode != 0 or importlib.util.find_spec("atheris") is None:
            print(result.stdout + result.stderr)
            if engine == "atheris":
                sys.exit("atheris could not be installed (see above); try --engine random")
            print("WARNING: atheris could not be installed; falling back to the random engine", flush=True)
            return "random"
    return "atheris"


def _artifacts() -> set[Path]:
    directory = WORK / "artifacts"
    return {p for p in directory.iterdir() if p.name.split("-", 1)[-1].startswith(ARTIFACT_KINDS)}


def _summary(log: str) -> str:
    done = re.findall(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/\S+ .*?exec/s: (\d+)", log)
    if done:
        runs, cov, ft, corp, rate = done[-1]
        return f"{runs} runs, {rate} exec/s, coverage {cov} edges / {ft} features, corpus {corp}"
    done_random = re.findall(r"Done (\d+) runs in .*\(random engine\)", log)
    return f"{done_random[-1]} runs (random engine)" if done_random else "no summary (see the log)"


def _run_one(name: str, script: Path, args: argparse.Namespace, engine: str) -> bool:
    """Run one harness; True if it finished without a finding."""
    corpus = WORK / "corpus" / name
    corpus.mkdir(parents=True, exist_ok=True)
    log_path = WORK / "logs" / f"{name}.log"
    before = _artifacts()
    scratch = tempfile.mkdtemp(prefix=f"timb-fuzz-{name}-")
    env = dict(os.environ, TIMB_FUZZ_ENGINE=engine, TIMB_FUZZ_WORKDIR=scratch, PYTHONHASHSEED="0")
    command = [
        sys.executable,
        str(script),
        str(corpus),
        f"-max_total_time={args.seconds}",
        f"-artifact_prefix={WORK / 'artifacts'}/{name}-",
        f"-timeout={args.timeout}",
        f"-max_len={args.max_len}",
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
    ]
    print(f"== {name}: {args.seconds} s with {engine}", flush=True)
    started = time.monotonic()
    timed_out = False
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        try:
            proc.wait(timeout=args.seconds + GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)  # the harness's own process group only
            proc.wait()
    shutil.rmtree(scratch, ignore_errors=True)
    text = log_path.read_text(errors="replace")
    found = sorted(_artifacts() - before)
    elapsed = time.monotonic() - started
    ok = proc.returncode == 0 and not found and not timed_out
    print(
        f"   {'ok' if ok else 'FAILED'} in {elapsed:.0f} s: {_summary(text)}  (log: {log_path})", flush=True
    )
    if not ok:
        lines = [ln for ln in text.splitlines() if not ln.startswith("INFO: Instrumenting")]
        print("\n".join("   | " + ln for ln in lines[-30:]))
        if timed_out:
            print(f"   the harness did not stop within {args.seconds + GRACE_SECONDS} s and was killed")
        for artifact in found:
            print(f"   reproducer: {artifact}")
            print(f"   reproduce:  {sys.executable} {script} {artifact}")
    return ok


def main(argv: list[str] | None = None) -> int:
    harnesses = _harnesses()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="time per harness (default 60)")
    parser.add_argument("--only", nargs="+", choices=sorted(harnesses), help="run only these harnesses")
    parser.add_argument("--engine", choices=("auto", "atheris", "random"), default="auto")
    parser.add_argument("--timeout", type=int, default=30, help="seconds before one input counts as a hang")
    parser.add_argument("--max-len", type=int, default=8192, help="largest input in bytes")
    parser.add_argument("--stop-early", action="store_true", help="stop at the first finding")
    args = parser.parse_args(argv)
    for sub in ("corpus", "logs", "artifacts"):
        (WORK / sub).mkdir(parents=True, exist_ok=True)
    engine = _ensure_atheris(args.engine)
    failed = []
    for name in args.only or sorted(harnesses):
        if not _run_one(name, harnesses[name], args, engine):
            failed.append(name)
            if args.stop_early:
                break
    if failed:
        print(f"fuzzing found problems in: {', '.join(failed)}")
        return 1
    print("fuzzing found nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
