"""The campaign's two clients, driven through stable surfaces only: ``alice`` is a `TimbService`
in this process (public methods and events, its clock injected so it can jump), ``bob`` is a
``timb jsonrpc`` subprocess (docs/jsonrpc.md) under an audit hook that logs every connect and
name lookup, with SIGXFSZ ignored so a file-size limit (the "disk full" fault) makes writes fail
with EFBIG instead of killing it.

Both report to the same two callbacks: ``on_display(peer, text)`` for every message shown, and
``on_state(peer, msg_id, state)`` for every state an outgoing message is shown in.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from timb.common.secret import Secret
from timb.core.events import (
    ConnectionState,
    ConnectionStateChanged,
    MessageReceived,
    MessageStateChanged,
    SmpRequested,
)
from timb.core.service import ServiceError, TimbService, TorSettings
from timb.devnet.chaos.checks import RESOLVERS
from timb.devnet.chaos.errors import PeerGone, RpcError

PASSPHRASE = "chaos campaign passphrase"  # noqa: S105 - a throwaway profile on a private network
SMP_SECRET = "chaos shared secret"  # noqa: S105 - the same throwaway
ACCOUNT = "main"
CALL_TIMEOUT_S = 120.0

OnDisplay = Callable[[str, str], None]
OnState = Callable[[str, str, str], None]


@dataclass(frozen=True, slots=True)
class Login:
    """What a client needs to log in and talk to its one contact."""

    jid: str
    password: str
    contact: str
    onion: str
    pin: str


@dataclass(frozen=True, slots=True)
class Hooks:
    """Where a client reports what its UI shows."""

    on_display: OnDisplay
    on_state: OnState
    changes: Changes


_AUDITED_MAIN = """
import json, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
log = open(sys.argv.pop(1), "a", buffering=1)
RESOLVERS = set(RESOLVER_LIST)
def hook(event, args):
    if event == "socket.connect":
        target = list(args[1]) if isinstance(args[1], tuple) else str(args[1])
        log.write(json.dumps(["connect", target]) + "\\n")
    elif event in RESOLVERS:
        log.write(json.dumps([event, str(args[0])]) + "\\n")
sys.addaudithook(hook)
from timb.ui.cli.main import main
sys.exit(main(sys.argv[1:]))
""".replace("RESOLVER_LIST", repr(list(RESOLVERS)))


class JumpClock:
    """The wall clock plus an offset the campaign moves (forward and back)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset


class Changes:
    """An event set whenever anything was displayed or changed state, for waiting without polling."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def poke(self) -> None:
        self._event.set()

    async def until(self, predicate: Callable[[], bool], limit: float) -> bool:
        """Wait until ``predicate()``; False after ``limit`` seconds."""
        try:
            async with asyncio.timeout(limit):
                while not predicate():
                    self._event.clear()
                    await self._event.wait()
        except TimeoutError:
            return False
        return True


class LocalPeer:
    """Alice: a service in this process. Use `open` / `close`; `close` then `open` re-reads the
    profile (vault and history must verify)."""

    name = "alice"

    def __init__(self, profile: Path, tor: TorSettings, clock: JumpClock, hooks: Hooks) -> None:
        self.profile, self.tor, self.clock = profile, tor, clock
        self._on_display, self._on_state, self._changes = hooks.on_display, hooks.on_state, hooks.changes
        self.service: TimbService | None = None
        self._task: asyncio.Task[None] | None = None
        self.connected = False
        self.trail: list[str] = []  # connection states with their monotonic time, for a hang's note

    async def open(self, login: Login, *, create: bool, connect: bool = True) -> None:
        service = self.service = TimbService(self.profile, tor=self.tor, clock=self.clock)
        await service.__aenter__()
        self._task = asyncio.create_task(self._collect(service))
        if create:
            await service.create_profile(Secret(PASSPHRASE))
            await service.add_account(
                ACCOUNT, login.jid, Secret(login.password), host=login.onion, tls_pin_sha256=login.pin
            )
            await service.add_contact(ACCOUNT, login.contact)
            await service.set_history(ACCOUNT, login.contact, True)
        else:
            await service.unlock_profile(Secret(PASSPHRASE))
        if connect:
            await service.connect(ACCOUNT)

    async def _collect(self, service: TimbService) -> None:
        async for event in service.events():
            match event:
                case MessageReceived(text=text):
                    self._on_display(self.name, text)
                case MessageStateChanged(id=msg_id, state=state):
                    self._on_state(self.name, msg_id, state.value)
                case ConnectionStateChanged(state=state, detail=detail):
                    self.connected = state is ConnectionState.CONNECTED
                    self.trail.append(f"{time.monotonic():.1f} {state.value} {detail[:80]}")
                case SmpRequested(contact=contact):
                    with contextlib.suppress(ServiceError):
                        service.smp_respond(ACCOUNT, contact, Secret(SMP_SECRET))
                case _:
                    pass
            self._changes.poke()

    def send(self, contact: str, text: str) -> str:
        assert self.service is not None
        return self.service.send_message(ACCOUNT, contact, text).id

    async def history(self, contact: str) -> list[str]:
        assert self.service is not None
        return [r.text for r in await self.service.read_history(ACCOUNT, contact)]

    async def close(self) -> None:
        if self.service is not None:
            await self.service.close()
            await self.service.__aexit__(None, None, None)
            self.service = None
        if self._task is not None:
            await self._task
            self._task = None
        self.connected = False


class RpcPeer:
    """Bob: ``timb jsonrpc`` in a subprocess (its own session, so kill -9 takes the group)."""

    name = "bob"

    def __init__(self, profile: Path, tor: TorSettings, audit: Path, hooks: Hooks) -> None:
        self.profile, self.tor, self.audit = profile, tor, audit
        self._on_display, self._on_state, self._changes = hooks.on_display, hooks.on_state, hooks.changes
        self.proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next = 0
        self._reading = False
        self.connected = False
        self.trail: list[str] = []  # connection states with their monotonic time, for a hang's note
        self.pids: list[int] = []  # every process started, to check none is left

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _AUDITED_MAIN, str(self.audit), "jsonrpc", "--profile", str(self.profile),
            "--tor-control", str(self.tor.control_port), "--tor-cookie", str(self.tor.cookie_path),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 22,
            env={**os.environ, "TIMB_OFFLINE": "1"}, start_new_session=True,
        )  # fmt: skip
        self.pids.append(self.proc.pid)
        self.connected = False
        self._pending = {}
        self._reading = True
        self._reader = asyncio.create_task(self._read(self.proc))

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        pending = self._pending  # this process's calls (a restart gets a new dict)
        try:
            while line := await proc.stdout.readline():
                message = json.loads(line)
                if "method" not in message:
                    future = pending.pop(message["id"], None)
                    if future is not None and not future.done():
                        future.set_result(message)
                    continue
                self._notification(message["method"], message["params"])
                self._changes.poke()
        finally:
            self._reading = False
            for future in pending.values():
                if not future.done():
                    future.set_exception(PeerGone(self.name))
            pending.clear()
            self._changes.poke()

    def _notification(self, method: str, params: dict[str, Any]) -> None:
        match method:
            case "message.received":
                self._on_display(self.name, params["text"])
            case "message.state":
                self._on_state(self.name, params["id"], params["state"])
            case "connection.state":
                self.connected = params["state"] == "connected"
                self.trail.append(f"{time.monotonic():.1f} {params['state']} {params['detail'][:80]}")
            case "smp.requested":
                self.fire("smp.respond", account=ACCOUNT, contact=params["contact"], secret=SMP_SECRET)

    def post(self, method: str, **params: Any) -> asyncio.Future[dict[str, Any]]:
        """Write a request without waiting for its answer (the kill may come first)."""
        self._next += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        proc = self.proc
        if proc is None or proc.stdin is None or proc.returncode is not None or not self._reading:
            future.set_exception(PeerGone(self.name))
            return future
        self._pending[self._next] = future
        request = {"jsonrpc": "2.0", "id": self._next, "method": method, "params": params}
        try:
            proc.stdin.write(json.dumps(request).encode() + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            self._pending.pop(self._next, None)
            future.set_exception(PeerGone(self.name))
        return future

    def fire(self, method: str, **params: Any) -> None:
        """`post` and forget: the answer (or the kill that beats it) is not waited for."""
        self.post(method, **params).add_done_callback(lambda f: f.cancelled() or f.exception())

    async def call(self, method: str, **params: Any) -> Any:
        """Raises: PeerGone, RpcError, TimeoutError."""
        future = self.post(method, **params)
        async with asyncio.timeout(CALL_TIMEOUT_S):
            reply = await future
        if "error" in reply:
            raise RpcError(method, reply["error"])
        return reply["result"]

    async def open(self, login: Login, *, create: bool, connect: bool = True) -> None:
        await self.start()
        if create:
            await self.call("profile.create", passphrase=PASSPHRASE)
            await self.call("account.add", id=ACCOUNT, jid=login.jid, password=login.password,
                            host=login.onion, tls_pin_sha256=login.pin)  # fmt: skip
            await self.call("contact.add", account=ACCOUNT, jid=login.contact)
            await self.call("history.set", account=ACCOUNT, contact=login.contact, enabled=True)
        else:
            await self.call("profile.unlock", passphrase=PASSPHRASE)
        if connect:
            await self.call("account.connect", account=ACCOUNT)

    async def send(self, contact: str, text: str) -> str:
        result = await self.call("message.send", account=ACCOUNT, contact=contact, text=text)
        return str(result["id"])

    async def history(self, contact: str) -> list[str]:
        return [r["text"] for r in await self.call("history.read", account=ACCOUNT, contact=contact)]

    def limit_file_size(self, limit: int | None) -> None:
        """RLIMIT_FSIZE (soft) of the running process: ``limit`` bytes, or None for no limit."""
        assert self.proc is not None
        _, hard = resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE, (hard if limit is None else limit, hard))

    async def kill(self) -> None:
        """kill -9 of the process group, and reap it."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        await self._reap()

    async def close(self) -> None:
        """Graceful: stdin closed, the process locks the profile and exits (kill -9 after 30 s)."""
        if self.proc is None:
            return
        if self.proc.returncode is None and self.proc.stdin is not None:
            self.proc.stdin.close()
            try:
                async with asyncio.timeout(30):
                    await self.proc.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
        await self._reap()

    async def _reap(self) -> None:
        assert self.proc is not None
        await self.proc.wait()
        if self._reader is not None:
            await self._reader
            self._reader = None
        self.connected = False
        self.proc = None
