"""ManagedTor: one real ``tor`` process that TIMB starts with a torrc it wrote, and stops.

tor runs as ``tor -f DATADIR/torrc --defaults-torrc /dev/null`` in its own session (process
group), so a Ctrl-C in TIMB's terminal does not reach it before TIMB has stopped it in order.
The control port is on 127.0.0.1 with cookie authentication; tor writes the port it opened to
``DATADIR/control_port`` (``ControlPortWriteToFile``), which is also how TIMB knows tor is up.
With ``__OwningControllerProcess`` in the torrc tor also exits when TIMB dies.

With ``TIMB_OFFLINE=1`` in the environment, a torrc that is not on the private test network
(see :func:`timb.tor.torrc.check_private_network`) is refused before any process is spawned.

Connecting a control client is ``TorClient.attach`` (timb.tor.client); this module only starts,
watches and stops the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from timb.tor.errors import TorStartError
from timb.tor.torrc import LOOPBACK, TorConfig, check_private_network

CONTROL_PORT_FILE = "control_port"
COOKIE_FILE = "control_auth_cookie"
STDOUT_FILE = "tor.stdout"
NOTICE_LOG = "notice.log"


def offline_mode(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``TIMB_OFFLINE`` is set: only the private test network on loopback is allowed.

    Fail-closed: any value other than empty, ``0``, ``false``, ``no`` or ``off`` turns the guard
    on, so a mistyped ``TIMB_OFFLINE=yes`` or ``=true`` never silently lets a public tor start.
    """
    env = os.environ if environ is None else environ
    value = env.get("TIMB_OFFLINE")
    if value is None:
        return False
    return value.strip().lower() not in {"", "0", "false", "no", "off"}


def guard_offline(options: Mapping[str, Sequence[str]], environ: Mapping[str, str] | None = None) -> None:
    """Apply the offline guard to ``options`` (GETCONF shape) if ``TIMB_OFFLINE=1``.

    Raises:
        OfflineGuardError: offline mode, and the tor is not on the private test network.
    """
    if offline_mode(environ):
        check_private_network(options)


def pick_free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1 that were free a moment ago.

    Ports are picked by the kernel (bind to port 0), all held at once so they differ. Another
    process may still take one before tor binds it; tor then exits with "Address already in
    use" and the caller retries with fresh ports (see :func:`port_conflict`).
    """
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind((LOOPBACK, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def port_conflict(error: TorStartError) -> bool:
    """True when tor failed because a port it was told to use was taken meanwhile."""
    return "Address already in use" in error.log_tail


def log_tail(data_dir: Path, lines: int = 15) -> str:
    """The last lines of tor's stdout (early config errors) and notice log in ``data_dir``."""
    parts = []
    for name in (STDOUT_FILE, NOTICE_LOG):
        try:
            text = (data_dir / name).read_text(errors="replace")
        except FileNotFoundError:
            continue
        tail = text.splitlines()[-lines:]
        if tail:
            parts.append(f"[{name}]\n" + "\n".join(tail))
    return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class TorEndpoints:
    """Where a started tor listens. ``socks_port`` is None for a tor with ``SocksPort 0``."""

    pid: int
    control_port: int
    socks_port: int | None
    cookie_path: Path
    data_dir: Path


class ManagedTor:
    """One tor process started from ``config``.

    ``config`` must set ``DataDirectory`` and ``ControlPort`` (``127.0.0.1:PORT`` or
    ``127.0.0.1:auto``); ManagedTor adds ``ControlPortWriteToFile`` and writes the torrc into
    the data directory (created 0700).
    """

    def __init__(self, config: TorConfig, *, tor_binary: str = "tor") -> None:
        data_dirs = config.get("DataDirectory")
        if len(data_dirs) != 1:
            raise ValueError("the torrc must set exactly one DataDirectory")
        self.data_dir = Path(data_dirs[0])
        self.config = config.without("ControlPortWriteToFile").plus(
            ("ControlPortWriteToFile", str(self.data_dir / CONTROL_PORT_FILE))
        )
        self.tor_binary = tor_binary
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def spawn(self) -> int:
        """Write the torrc and launch tor without waiting for it; returns its pid.

        Raises:
            OfflineGuardError: TIMB_OFFLINE=1 and the torrc is not the private network.
            TorStartError: the tor binary cannot be executed.
        """
        if self._proc is not None:
            raise RuntimeError("this ManagedTor was already started")
        guard_offline(self.config.as_getconf())
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        for stale in (CONTROL_PORT_FILE, STDOUT_FILE):
            (self.data_dir / stale).unlink(missing_ok=True)
        torrc = self.data_dir / "torrc"
        torrc.write_text(self.config.render())
        argv = [self.tor_binary, "-f", str(torrc), "--defaults-torrc", os.devnull]
        with (self.data_dir / STDOUT_FILE).open("wb") as out:
            try:
                self._proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as e:
                raise TorStartError(f"cannot execute {self.tor_binary!r}: {e.strerror}") from e
        return self._proc.pid

    async def wait_ready(self, *, timeout_s: float = 30.0) -> TorEndpoints:
        """Wait until tor has opened its control port (it wrote ``control_port``).

        Raises:
            TorStartError: tor exited first, or did not get there within ``timeout_s`` seconds
                (tor is then stopped); the message carries tor's log tail.
        """
        proc = self._proc
        if proc is None:
            raise RuntimeError("spawn() first")
        port_file = self.data_dir / CONTROL_PORT_FILE
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise TorStartError(
                    f"tor exited early with status {proc.returncode}", log_tail=log_tail(self.data_dir)
                )
            port = _read_control_port(port_file)
            if port is not None:
                return TorEndpoints(
                    pid=proc.pid,
                    control_port=port,
                    socks_port=_socks_port(self.config),
                    cookie_path=self.data_dir / COOKIE_FILE,
                    data_dir=self.data_dir,
                )
            if time.monotonic() > deadline:
                self.stop()
                raise TorStartError(
                    f"tor did not open its control port within {timeout_s:.0f} s",
                    log_tail=log_tail(self.data_dir),
                )
            await asyncio.sleep(0.05)

    async def start(self, *, timeout_s: float = 30.0) -> TorEndpoints:
        """spawn() and wait_ready(). On failure no process is left behind.

        Raises:
            OfflineGuardError: TIMB_OFFLINE=1 and the torrc is not the private network.
            TorStartError: tor could not be started (with its log tail).
        """
        self.spawn()
        try:
            return await self.wait_ready(timeout_s=timeout_s)
        except BaseException:
            self.stop()
            raise

    def stop(self, *, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; reaps the process. Idempotent."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None


def _read_control_port(path: Path) -> int | None:
    # tor writes "PORT=127.0.0.1:NNNN\n"; it may be caught half-written, so parse defensively.
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        if line.startswith("PORT=") and line.endswith(tuple("0123456789")):
            return int(line.rsplit(":", 1)[1])
    return None


def _socks_port(config: TorConfig) -> int | None:
    for value in config.get("SocksPort"):
        port = value.split()[0].rsplit(":", 1)[-1]
        if port.isdigit() and int(port) != 0:
            return int(port)
    return None


def tor_pid_alive(pid: int, torrc: Path) -> bool:
    """True if ``pid`` is a running tor started with ``torrc`` (guards against pid reuse)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    return str(torrc).encode() in cmdline and Path(os.fsdecode(cmdline[0])).name == "tor"


def stop_pids(targets: Sequence[tuple[int, Path]], *, grace: float = 5.0) -> list[int]:
    """Stop tors that are not (necessarily) our children, e.g. started by an earlier
    ``timb testnet up``: each (pid, torrc) is signalled only while that pid still is a tor
    started with that torrc, so a reused pid is never hit. SIGTERM to all, then SIGKILL to
    those still running after ``grace`` seconds.

    Returns the pids that were signalled.
    """
    live = [(pid, torrc) for pid, torrc in targets if tor_pid_alive(pid, torrc)]
    for pid, _torrc in live:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    remaining = live
    while remaining and time.monotonic() < deadline:
        time.sleep(0.05)
        remaining = [(pid, torrc) for pid, torrc in remaining if tor_pid_alive(pid, torrc)]
    for pid, _torrc in remaining:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return [pid for pid, _torrc in live]


def verify_config(
    config: TorConfig,
    directory: Path,
    *,
    tor_binary: str = "tor",
    wrapper: Sequence[str] = (),
    timeout_s: float = 30.0,
) -> None:
    """Ask tor whether ``config`` is valid: ``tor --verify-config -f DIR/torrc-verify``.

    tor parses and validates the options and exits; it opens no listener, starts no transport
    program and connects nowhere, which is why this is the one way TIMB lets tor see a bridge
    line that is not on loopback (the built-in ones). The offline guard is not applied: nothing
    runs. ``wrapper`` prefixes the command (the tests use ``unshare -rn``: no network at all).

    Raises:
        TorStartError: tor refused the configuration (its own words in ``log_tail``), could
            not be run, or did not answer within ``timeout_s``.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    torrc = directory / "torrc-verify"
    torrc.write_text(config.render())
    argv = [*wrapper, tor_binary, "--verify-config", "-f", str(torrc), "--defaults-torrc", os.devnull]
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=timeout_s, check=False, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise TorStartError(f"tor --verify-config could not run: {type(e).__name__}") from e
    output = (done.stdout + done.stderr).decode(errors="replace")
    if done.returncode != 0 or "Configuration was valid" not in output:
        tail = "\n".join(output.splitlines()[-15:])
        raise TorStartError(f"tor refused the configuration (status {done.returncode})", log_tail=tail)
