"""`timb demo --bridge obfs4` for real: the user's tor reaches the private network only through
the network's loopback obfs4 bridge, and the scripted OTR chat still runs.

Beyond what the demo itself checks over its tor's control port (and prints), the test looks from
outside: the user's tor was started with ``UseBridges 1`` and exactly the printed bridge, the
obfs4proxy that tor started holds a TCP connection to the bridge's obfs4 port (read from /proc),
and when the demo ends neither the tors nor any obfs4proxy working for the demo is left.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_demo import (
    DEMO,
    ENV,
    RUN_LIMIT_S,
    assert_nothing_left,
    demo_processes,
    reported_pids,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PROOF = re.compile(
    r"went over the obfs4 bridge: your tor \(pid (\d+)\) has UseBridges 1 .* the first hop of all (\d+) built"
    r" circuits are the bridge ([0-9A-F]{8})\.\.\."
)
BRIDGE = re.compile(r"the bridge: obfs4 127\.0\.0\.1:(\d+) ([0-9A-F]{40}) cert=\.\.\. \(loopback only\)")


@pytest.fixture(scope="module", autouse=True)
def _needs_obfs4proxy() -> None:
    if shutil.which("obfs4proxy") is None and shutil.which("lyrebird") is None:
        reason = "obfs4proxy is not installed (apt-get install obfs4proxy)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must run this test")
        pytest.skip(reason)


def pt_processes(directory: Path) -> dict[int, int]:
    """pid -> parent pid of every pluggable-transport program working for the demo in
    ``directory`` (tor hands it its state directory in TOR_PT_STATE_LOCATION)."""
    found: dict[int, int] = {}
    needle = f"TOR_PT_STATE_LOCATION={directory}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            state, ppid = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[:2]
        except OSError:
            continue  # it ended while we looked, or is not ours to read
        if state != "Z" and any(v.startswith(needle) for v in environ):
            found[int(proc.name)] = int(ppid)
    return found


def connects_to(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds an established TCP connection to 127.0.0.1:``port``."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    remote = f"0100007F:{port:04X}"
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[2] == remote and fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
            return True
    return False


def test_scripted_demo_over_the_obfs4_bridge(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    proc = subprocess.Popen(
        [*DEMO, "--bridge", "obfs4", "--dir", str(demo_dir)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:  # up to the point where everything runs; the script goes on
            lines.append(line)
            if line.startswith("  processes:"):
                break
        head = "".join(lines)
        proof, bridge = PROOF.search(head), BRIDGE.search(head)
        assert proof and bridge, head
        user_pid, bridge_port, fingerprint = int(proof.group(1)), int(bridge.group(1)), bridge.group(2)
        transports = pt_processes(demo_dir / "tor")
        user_pt = [pid for pid, parent in transports.items() if parent == user_pid]
        to_bridge = [connects_to(pid, bridge_port) for pid in user_pt]
        rest, err = proc.communicate(timeout=RUN_LIMIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in demo_processes(demo_dir) | dict.fromkeys(pt_processes(demo_dir / "tor"), ""):
            os.kill(pid, signal.SIGKILL)
    out = head + rest
    assert proc.returncode == 0, f"{out}\n{err}"
    assert fingerprint.startswith(proof.group(3)) and int(proof.group(2)) >= 1
    torrc = (demo_dir / "tor" / "you" / "torrc").read_text().splitlines()
    assert "UseBridges 1" in torrc
    assert [line.split()[:4] for line in torrc if line.startswith("Bridge ")] == [
        ["Bridge", "obfs4", f"127.0.0.1:{bridge_port}", fingerprint]
    ]
    assert any(line.startswith("ClientTransportPlugin obfs4 exec /") for line in torrc)
    # Both ends of the bridge run obfs4proxy: the bridge's server and the user's client, whose
    # connection goes to the bridge's obfs4 port (it was open while the demo ran).
    assert len(transports) == 2 and to_bridge == [True], (transports, user_pid, to_bridge)
    received = re.findall(r"bot@timb\.test -> you: .*\[(.*)\]", out)
    assert received == ["encrypted (OTR), unverified"] * 2 + ["encrypted (OTR), verified"]
    assert "SMP result: succeeded" in out and "NOT ENCRYPTED" not in out
    assert_nothing_left(demo_dir, reported_pids(out))
    assert pt_processes(demo_dir / "tor") == {}


def test_bridge_with_gui_is_refused_clearly() -> None:
    result = subprocess.run(
        [*DEMO, "--bridge", "obfs4", "--gui"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=ENV, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--bridge is not available with --gui" in result.stderr
