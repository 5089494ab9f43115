"""The campaign's real parts and the faults done to them: the one module that imports the demo
stack (Prosody launcher, private-network facade) and tor, so the move to `timb.devnet` is one
import block to repoint.

Layout under the campaign directory: ``tor/`` (the private network: ``client0`` hosts Prosody's
onion service, ``alice`` and ``bob`` are the clients' tors), ``prosody/``, ``alice/``, ``bob/``.

Every tor has ``__OwningControllerProcess`` = this process; Prosody is stopped by pid in `stop`
and by an atexit hook. Freezes always send SIGCONT in a ``finally``.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import secrets
import signal
from dataclasses import dataclass
from pathlib import Path

from timb.core.service import TorSettings
from timb.devnet import network as devnet
from timb.devnet.demo.prosody import DemoProsody
from timb.tor.client import TorClient, parse_socks_listener
from timb.tor.errors import TorError
from timb.tor.process import pick_free_ports

ONION_PORT = 5222
HIBERNATION_S = 60  # XEP-0198: how long Prosody keeps a dropped session for resumption


@dataclass(frozen=True, slots=True)
class TorEndpoint:
    """A client tor of the campaign, as a client and the fault injector use it."""

    name: str
    control_port: int
    socks_port: int
    cookie_path: Path
    pid: int

    def settings(self) -> TorSettings:
        return TorSettings(self.control_port, cookie_path=self.cookie_path)


@dataclass(frozen=True, slots=True)
class Account:
    jid: str
    password: str


def _endpoint(name: str, client: devnet.DevnetClient) -> TorEndpoint:
    return TorEndpoint(name, client.control_port, client.socks_port, client.control_cookie, client.pid)


class Infra:
    """Private Tor network, onion Prosody, two client tors and two accounts (`start`), the fault
    primitives, and `stop`. Raises (`start`): Unavailable."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.prosody = DemoProsody(
            directory / "prosody",
            pick_free_ports(1)[0],
            smacks_hibernation_s=HIBERNATION_S,
            die_with_parent=False,  # restarted from worker threads; stopped by `stop` / atexit
        )
        self._onion_tor: TorClient | None = None
        self.onion = ""
        self.tors: dict[str, TorEndpoint] = {}
        self.accounts: dict[str, Account] = {}
        self.host: TorEndpoint | None = None
        # SOCKS listeners our tors reopened after DisableNetwork 1/0 (SocksPort auto moves them),
        # as each tor's control port reported them: tor's own ports, so clients may dial them.
        self.moved_socks: set[tuple[str, int]] = set()

    @property
    def tor_dir(self) -> Path:
        return self.directory / "tor"

    async def start(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        atexit.register(self.prosody.stop)
        await asyncio.to_thread(self.prosody.write_files)
        await asyncio.to_thread(self.prosody.start)
        for name in ("alice", "bob"):
            password = secrets.token_urlsafe(18)
            jid = await asyncio.to_thread(self.prosody.register, name, password)
            self.accounts[name] = Account(jid, password)
        host = await devnet.up(self.tor_dir, owner_pid=os.getpid(), key_cache=devnet.default_key_cache())
        self.host = _endpoint("client0", host)
        for name in ("alice", "bob"):
            client = await devnet.add_client(self.tor_dir, name, owner_pid=os.getpid())
            self.tors[name] = _endpoint(name, client)
        self._onion_tor = await TorClient.attach(
            "127.0.0.1", host.control_port, cookie_path=host.control_cookie
        )
        service = await self._onion_tor.add_onion([(ONION_PORT, self.prosody.port)], await_publication=True)
        self.onion = str(service.address.host)

    @property
    def cert_pin(self) -> str:
        return self.prosody.cert_pin

    def tor_ports(self) -> set[tuple[str, int]]:
        """Every loopback port of our tors: the only places a client may connect to."""
        tors = [*self.tors.values(), *([self.host] if self.host else [])]
        return {("127.0.0.1", p) for t in tors for p in (t.control_port, t.socks_port)} | self.moved_socks

    def pids(self) -> list[int]:
        """Every process this campaign started outside the clients (to check none is left)."""
        pids = [t.pid for t in self.tors.values()] + ([self.host.pid] if self.host else [])
        return pids + ([self.prosody.pid] if self.prosody.pid is not None else [])

    # ---- faults ----

    async def restart_prosody(self) -> None:
        await asyncio.to_thread(self.prosody.restart)

    async def freeze(self, pid: int, seconds: float) -> None:
        """SIGSTOP ``pid`` for ``seconds``, then SIGCONT (also when cancelled)."""
        os.kill(pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(seconds)
        finally:
            os.kill(pid, signal.SIGCONT)

    async def freeze_prosody(self, seconds: float) -> None:
        pid = self.prosody.pid
        if pid is None:
            raise RuntimeError("prosody is not running")
        await self.freeze(pid, seconds)

    async def disable_network(self, name: str, seconds: float) -> None:
        """``SETCONF DisableNetwork=1`` on ``name``'s tor for ``seconds``, then 0 (a laptop's Wi-Fi)."""
        tor = self.tors[name]
        async with await TorClient.attach("127.0.0.1", tor.control_port, cookie_path=tor.cookie_path) as c:
            await c.control.command("SETCONF DisableNetwork=1")
            try:
                await asyncio.sleep(seconds)
            finally:
                await c.control.command("SETCONF DisableNetwork=0")
                moved = parse_socks_listener(
                    (await c.control.get_info("net/listeners/socks"))["net/listeners/socks"]
                )
                if moved is not None:
                    self.moved_socks.add(moved)

    def server_bytes(self) -> bytes:
        """Everything Prosody wrote (data and logs): the server's view, searched for plaintext."""
        blobs = [p.read_bytes() for p in sorted(self.prosody.data_dir.rglob("*")) if p.is_file()]
        blobs += [p.read_bytes() for p in (self.prosody.log_path, self.prosody.dir / "prosody.stdout")]
        return b"\n".join(blobs)

    async def stop(self) -> None:
        if self._onion_tor is not None:
            with contextlib.suppress(TorError, OSError):
                await self._onion_tor.close()
            self._onion_tor = None
        await asyncio.to_thread(self.prosody.stop)
        atexit.unregister(self.prosody.stop)
        if self.tor_dir.exists():
            await asyncio.to_thread(devnet.down, self.tor_dir)
