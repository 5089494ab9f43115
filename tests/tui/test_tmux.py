"""`timb ui` in a real terminal (tmux, 80x24): create a profile, see the main screen, quit with
status 0. Its own tmux server (-L), killed afterwards even on failure."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from timb.core.profile import Profile

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

PASS = "correct horse battery staple"


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True)
        return out.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "ui")

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "ui", "-l", text)
        time.sleep(0.3)

    def key(self, name: str) -> None:
        self.run("send-keys", "-t", "ui", name)
        time.sleep(0.3)

    def wait(self, predicate: Callable[[], bool], what: str, limit: float = 60.0) -> None:
        deadline = time.monotonic() + limit
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{self.screen()}")
            time.sleep(0.2)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    session = Tmux(f"timb-tui-test-{os.getpid()}")
    try:
        yield session
    finally:
        subprocess.run(["tmux", "-L", session.socket, "kill-server"], capture_output=True, check=False)


def test_timb_ui_in_a_terminal(tmux: Tmux, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir(mode=0o700)
    rc = tmp_path / "rc"
    command = f"{sys.executable} -m timb.ui.cli.main ui --profile {profile}; echo $? > {rc}; sleep 30"
    tmux.run("new-session", "-d", "-s", "ui", "-x", "80", "-y", "24", command)
    tmux.wait(lambda: "Create your TIMB profile" in tmux.screen(), "the profile screen")
    tmux.type(PASS)
    tmux.key("Enter")
    tmux.type(PASS)
    tmux.key("Enter")
    tmux.wait(lambda: "Welcome to TIMB" in tmux.screen(), "the main screen")
    screen = tmux.screen()
    assert "Tor: not configured" in screen
    assert PASS not in screen
    tmux.key("C-q")
    tmux.wait(rc.exists, "the exit status")
    tmux.wait(lambda: rc.read_text().strip() != "", "the exit status")
    assert rc.read_text().strip() == "0"
    assert Profile.exists(profile)
    assert not (profile / "crash.log").exists()
