"""The campaign's leak and leftover checks: an audit hook for the in-process client's dials and
name lookups, the judgement of an audit log, and whether a started process is still alive."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import sys
import threading
from pathlib import Path

RESOLVERS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr",
              "socket.getnameinfo")  # fmt: skip
audit_log: list[tuple[str, object]] = []
auditing = threading.Event()


def _hook(event: str, args: tuple[object, ...]) -> None:
    # The in-process client runs on the main thread; worker threads (Prosody restarts) do not dial.
    if not auditing.is_set() or threading.current_thread() is not threading.main_thread():
        return
    if event == "socket.connect":
        audit_log.append(("connect", args[1]))
    elif event in RESOLVERS:
        audit_log.append((event, args[0]))


_hook_installed = False


def install_hook() -> None:
    global _hook_installed  # noqa: PLW0603 - an audit hook cannot be removed: install it once
    if not _hook_installed:
        sys.addaudithook(_hook)
        _hook_installed = True


def audit_violations(log: list[tuple[str, object]], allowed: set[tuple[str, int]]) -> list[str]:
    """Connects anywhere but our tors' loopback ports, and name lookups of anything but a
    loopback IP literal."""
    bad = []
    for kind, target in log:
        if kind == "connect":
            if not isinstance(target, (tuple, list)) or (str(target[0]), int(target[1])) not in allowed:
                bad.append(f"connect {target}")
            continue
        try:
            if not ipaddress.ip_address(str(target)).is_loopback:
                bad.append(f"{kind} {target}")
        except ValueError:
            bad.append(f"{kind} of a host name")
    return bad


def process_alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap our own zombie children first
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
