"""`timb demo` for real: private Tor network, Prosody as an onion service, the OTR bot.

- Without a terminal (stdin is /dev/null, as `make demo` in a script): the scripted conversation
  is printed, every message encrypted, the fingerprints match, SMP verifies the bot; exit 0.
- SIGTERM while it runs: it stops everything and exits non-zero.
- In a terminal (tmux, 100x30): the TUI opens on the bot's conversation; a message typed there
  gets the bot's answer on the screen; ctrl+q quits with status 0.

Each run must leave no process behind: neither the pids it reports nor any tor or Prosody whose
command line points into its demo directory. Relay keys come from the user's cache (as devnet).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

DEMO = [sys.executable, "-m", "timb.ui.cli.main", "demo"]
ENV = {**os.environ, "TIMB_OFFLINE": "1"}
RUN_LIMIT_S = 240.0


def demo_processes(directory: Path) -> dict[int, str]:
    """Running tor and Prosody processes whose command line points into ``directory``."""
    found: dict[int, str] = {}
    needle = str(directory).encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue  # it ended while we looked
        names = [os.path.basename(a.decode(errors="replace")) for a in argv[:2]]
        if state != "Z" and any(needle in a for a in argv) and ("tor" in names or "prosody" in names):
            found[int(proc.name)] = b" ".join(argv).decode(errors="replace")
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def reported_pids(output: str) -> list[int]:
    match = re.search(r"processes: prosody pid (\d+); tor pids ([\d ]+)", output)
    assert match, f"the demo did not report its processes:\n{output}"
    return [int(match.group(1)), *map(int, match.group(2).split())]


def assert_nothing_left(directory: Path, pids: list[int]) -> None:
    deadline = time.monotonic() + 10  # tors exit a moment after SIGTERM
    while (demo_processes(directory) or any(alive(p) for p in pids)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert demo_processes(directory) == {}
    assert [p for p in pids if alive(p)] == []
    assert not (directory / "prosody" / "server.pid").exists()
    assert not (directory / "tor" / "state.json").exists()


@pytest.fixture
def demo_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "demo"
    try:
        yield directory
    finally:  # only if the demo itself failed to clean up: stop what points into its directory
        for pid in demo_processes(directory):
            os.kill(pid, signal.SIGKILL)


def test_scripted_demo_without_a_terminal() -> None:
    """Also: without --dir it works in a temporary directory and removes it at the end."""
    started = time.monotonic()
    result = subprocess.run(
        DEMO,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=ENV, timeout=RUN_LIMIT_S, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    out = result.stdout
    where = re.search(r"TIMB demo in (\S+) ", out)
    assert where, out
    demo_dir = Path(where.group(1))
    try:
        assert result.returncode == 0, f"{out}\n{result.stderr}"
        print(f"timb demo (scripted) took {elapsed:.1f} s")
        assert "tor bootstrap 100%" in out
        assert re.search(r"onion service [a-z2-7]{56}\.onion", out)
        # Every message from the bot was encrypted; the last one verified by SMP.
        received = re.findall(r"bot@timb\.test -> you: .*\[(.*)\]", out)
        assert received == ["encrypted (OTR), unverified"] * 2 + ["encrypted (OTR), verified"]
        assert "NOT ENCRYPTED" not in out
        seen = re.search(r"the bot's key, as you see it: +([0-9A-F ]{44})", out)
        own = re.search(r"the bot's key, as it says: +([0-9A-F ]{44})", out)
        assert seen and own and seen.group(1) == own.group(1)
        assert "they match" in out
        assert re.search(r"bot -> you: 'echo: .+'   \[serverless", out)  # the onion chat, no server
        assert "SMP result: succeeded" in out
        assert "stopped: the bot, your account, the onion service, Prosody" in out
        assert_nothing_left(demo_dir, reported_pids(out))
        assert not demo_dir.exists()
    finally:
        for pid in demo_processes(demo_dir):
            os.kill(pid, signal.SIGKILL)


def test_sigterm_stops_everything(demo_dir: Path) -> None:
    proc = subprocess.Popen(
        [*DEMO, "--dir", str(demo_dir)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:  # up to the point where everything runs
            lines.append(line)
            if line.startswith("  processes:"):
                break
        output = "".join(lines)
        pids = reported_pids(output)
        assert all(alive(p) for p in pids)
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert "interrupted" in err
    assert "stopped: " in rest and "Prosody" in rest
    assert_nothing_left(demo_dir, pids)


def test_a_broken_prosody_fails_clearly_and_leaves_nothing(demo_dir: Path, tmp_path: Path) -> None:
    """A `prosody` that cannot start (first on PATH, it exits at once): exit 1, a message that
    says what failed, and nothing left running."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake = fake_bin / "prosody"
    fake.write_text("#!/bin/sh\necho 'simulated: cannot bind the c2s port' >&2\nexit 3\n")
    fake.chmod(0o755)
    env = {**ENV, "PATH": f"{fake_bin}:{os.environ['PATH']}"}
    result = subprocess.run(
        [*DEMO, "--dir", str(demo_dir)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=RUN_LIMIT_S, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout
    assert "timb demo failed: prosody exited with 3 during start" in result.stderr
    assert "simulated: cannot bind the c2s port" in result.stderr
    assert "Traceback" not in result.stderr
    assert_nothing_left(demo_dir, [])
    assert demo_dir.exists()  # a directory it was given is kept (with the logs)


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True)
        return out.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-J", "-t", "demo")

    def wait(self, predicate: Callable[[], bool], what: str, limit: float = 120.0) -> None:
        deadline = time.monotonic() + limit
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{self.screen()}")
            time.sleep(0.3)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    session = Tmux(f"timb-demo-test-{os.getpid()}")
    try:
        yield session
    finally:
        subprocess.run(["tmux", "-L", session.socket, "kill-server"], capture_output=True, check=False)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_demo_in_a_terminal(tmux: Tmux, demo_dir: Path, tmp_path: Path) -> None:
    rc = tmp_path / "rc"
    command = f"cd {Path.cwd()} && TIMB_OFFLINE=1 {' '.join(DEMO)} --dir {demo_dir}; echo $? > {rc}; sleep 60"
    tmux.run("new-session", "-d", "-s", "demo", "-x", "100", "-y", "30", command)
    tmux.wait(lambda: "PRIVATE, UNVERIFIED" in tmux.screen() and "shared secret" in tmux.screen(), "the UI")
    running = demo_processes(demo_dir)
    assert len(running) == 8, running  # 3 authorities, 2 relays, 2 clients, Prosody
    tmux.run("send-keys", "-t", "demo", "-l", "hello from tmux")
    tmux.run("send-keys", "-t", "demo", "Enter")
    tmux.wait(lambda: "bot@timb.test: echo: hello from tmux" in tmux.screen(), "the bot's answer")
    tmux.run("send-keys", "-t", "demo", "C-q")
    tmux.wait(lambda: rc.exists() and rc.read_text().strip() != "", "the exit status")
    assert rc.read_text().strip() == "0", tmux.screen()
    assert "stopped: the bot" in tmux.run("capture-pane", "-p", "-J", "-t", "demo", "-S", "-200")
    assert_nothing_left(demo_dir, list(running))
