"""How the service reaches tor: attach to a running tor's control port, or start its own.

Two modes (`TorSettings`):

- **attach** (``control_port`` set): connect to a tor someone else runs (Tor Browser's, the
  system's, the private test network's client).
- **managed** (``managed=True``): start a tor of our own (`timb.tor.process.ManagedTor`) in
  ``data_dir``, tied to this process (``__OwningControllerProcess``), stopped on close. With
  ``dir_authorities`` (or ``devnet_dir``, a private network made by ``timb testnet``) it joins
  that private network; otherwise the public Tor network, which the offline guard refuses when
  ``TIMB_OFFLINE=1`` (tests and the demo never reach it).

Either way, bootstrap progress goes to the UI as `TorBootstrap` (in order, ending at 100) and a
tor that cannot be reached or started, or that goes away later, as `TorFailed`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from timb.common.ids import OnionAddress
from timb.core.errors import Unavailable
from timb.core.events import CoreEvent, TorBootstrap, TorFailed, TorStalled
from timb.tor.client import TorClient
from timb.tor.errors import BootstrapStalled, TorError
from timb.tor.process import ManagedTor
from timb.tor.stall import Stall
from timb.tor.testnet.state import StateFile
from timb.tor.torrc import LOOPBACK, DirAuthority, NodeSpec, TorConfig, client_torrc, control_options

MANAGED_NICKNAME = "timb"
START_TIMEOUT_S = 60.0
# No new bootstrap phase for this long is a stall the user is told about (a bad obfs4 cert shows
# only after 31-62 s, see docs/tor.md; a censored network may be slow, so it is a setting).
STALL_AFTER_S = 60.0


@dataclass(slots=True)
class TorSettings:
    """How to reach tor. Default (nothing set): no tor, accounts cannot connect.

    Attach: ``control_port`` (and ``cookie_path``) of a running tor on loopback.
    Managed: ``managed=True``; ``data_dir`` is where our tor keeps its state (required);
    ``dir_authorities`` are the private network's ``DirAuthority`` lines, or ``devnet_dir`` a
    private network directory (its state.json) to read them from; neither: the public network.
    """

    control_port: int | None = None
    control_host: str = "127.0.0.1"
    cookie_path: Path | None = None
    managed: bool = False
    data_dir: Path | None = None
    dir_authorities: tuple[str, ...] = field(default=())
    devnet_dir: Path | None = None
    # UseBridges/Bridge/ClientTransportPlugin lines for a managed tor (from the connection
    # assistant, `timb.core.service.tor_settings.bridge_torrc`); an attached tor ignores them.
    bridge_options: tuple[tuple[str, str], ...] = field(default=())
    # Managed: start with DisableNetwork 1, so our tor contacts nothing until the connection
    # assistant's choice (kept in the encrypted profile) is known and applied: where Tor is
    # blocked or dangerous, even one direct attempt before unlock would show a censor Tor use.
    hold_network: bool = False
    stall_after_s: float = STALL_AFTER_S

    @property
    def mode(self) -> str:
        """ "managed", "attach" or "none" (what a settings screen shows)."""
        if self.managed:
            return "managed"
        return "attach" if self.control_port is not None else "none"

    def describe(self, private_network: bool = False) -> TorInfo:
        """``private_network``: the attached tor said it is on a private network."""
        return TorInfo(
            self.mode,
            self.control_port,
            None if self.data_dir is None else str(self.data_dir),
            private_network or bool(self.dir_authorities or self.devnet_dir),
        )


@dataclass(frozen=True, slots=True)
class TorInfo:
    """How the service reaches tor. ``mode``: "managed", "attach" or "none". ``private_network``:
    the tor is on a private test network (our managed tor joined one, or the attached tor runs
    with TestingTorNetwork 1), never the public Tor network."""

    mode: str
    control_port: int | None
    data_dir: str | None
    private_network: bool


def parse_dir_authority(line: str) -> DirAuthority:
    """A ``DirAuthority`` value as tor writes it (``nick orport=N no-v2 v3ident=H ADDR:DIRPORT FP``).

    Raises: ValueError (malformed).
    """
    words = line.split()
    try:
        nickname = words[0]
        options = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        address, dir_port = next(w for w in words[1:] if ":" in w and "=" not in w).rsplit(":", 1)
        fingerprint = "".join(w for w in words[words.index(f"{address}:{dir_port}") + 1 :])
        return DirAuthority(
            nickname, int(options["orport"]), int(dir_port), options["v3ident"], fingerprint, address
        )
    except (IndexError, KeyError, StopIteration, ValueError):
        raise ValueError("not a DirAuthority line: nickname orport=N v3ident=HEX ADDRESS:PORT FP") from None


def managed_torrc(settings: TorSettings, owner_pid: int) -> TorConfig:
    """The torrc of our own tor (see the module docstring).

    Raises: ValueError (no data_dir, a malformed authority line), TorError (no private network
    in ``devnet_dir``).
    """
    if settings.data_dir is None:
        raise ValueError("a managed tor needs a data directory")
    data_dir = str(settings.data_dir)
    authorities = [parse_dir_authority(line) for line in settings.dir_authorities]
    if settings.devnet_dir is not None and not authorities:
        state = StateFile(Path(settings.devnet_dir) / "state.json").read()
        if state is None:
            raise TorError(f"no private network in {settings.devnet_dir}")
        authorities = list(state.authorities)
    bridges = settings.bridge_options
    if settings.hold_network:
        bridges = (*bridges, ("DisableNetwork", "1"))
    if authorities:
        node = NodeSpec(MANAGED_NICKNAME, data_dir, owner_pid=owner_pid)
        return client_torrc(node, authorities).plus(*bridges)
    return TorConfig(
        (
            ("DataDirectory", data_dir),
            ("RunAsDaemon", "0"),
            ("Log", f"notice file {data_dir}/notice.log"),
            ("SocksPort", f"{LOOPBACK}:auto"),
            *control_options(None, owner_pid),
            *bridges,
        )
    )


class TorLink:
    """The service's tor, for its lifetime: `run` in a task, `client` for adapters, `close`."""

    def __init__(self, settings: TorSettings, emit: Callable[[CoreEvent], None]) -> None:
        self.settings = settings
        self._emit = emit
        self.client: TorClient | None = None
        self.error: str | None = None
        self.private_network = False  # the tor we attached to runs with TestingTorNetwork 1
        self.ready = asyncio.Event()  # set once attached, or once that failed
        self._managed: ManagedTor | None = None
        self._closing = False
        if settings.mode == "none":
            self.ready.set()  # no tor: adapters get no dialer

    @property
    def wanted(self) -> bool:
        return self.settings.mode != "none"

    async def dialer(self) -> TorClient | None:
        """The tor client once ready (None without tor). Raises: Unavailable (tor failed)."""
        await self.ready.wait()
        if self.client is None and self.error is not None:
            raise Unavailable(f"tor is not available: {self.error}")
        return self.client

    async def run(self) -> None:
        """Attach (or start, then attach), forward bootstrap progress until 100 %, then watch:
        a tor that goes away later (crashed, killed, stopped by someone else) is a `TorFailed`
        too, so a UI never shows a working Tor that is gone."""
        try:
            self.client = client = await self._attach()
            self.private_network = await _on_private_network(client)
            self.ready.set()
            watcher = asyncio.create_task(self.watch_stalls(client))
            try:
                async for status in client.bootstrap_events():
                    self._emit(TorBootstrap(status.progress, status.tag, status.summary))
            finally:
                watcher.cancel()
            reason = await client.wait_lost()
        except (TorError, ValueError, OSError) as exc:
            self._fail(str(exc) or type(exc).__name__)
            return
        if not self._closing:
            self._fail(f"tor stopped: {reason}")

    async def watch_stalls(self, client: TorClient) -> None:
        """Until 100 %: each stall time-out without a new phase is a `TorStalled`."""
        while True:
            try:
                await client.watch_bootstrap(stall_after_s=self.settings.stall_after_s)
            except BootstrapStalled as exc:
                self._emit(stall_event(exc.stall, self.settings))
            except TorError:
                return  # tor is gone: run() reports that
            else:
                return

    def _fail(self, error: str) -> None:
        self.error = error
        if not self._closing:  # our own close is not a failure to report
            self._emit(TorFailed(error))
        self.ready.set()  # accounts now fail with "no tor" instead of waiting forever

    def describe(self) -> TorInfo:
        return self.settings.describe(private_network=self.private_network)

    async def publish(self, local_port: int, virtual_port: int) -> OnionAddress:
        """Publish 127.0.0.1:``local_port`` as an ephemeral onion service on ``virtual_port``
        (a new key, not kept: the service ends when the control connection closes) and wait for
        its descriptor to be uploaded.

        Raises: Unavailable (no tor, or tor failed), TorError (tor refused or timed out).
        """
        client = await self.dialer()
        if client is None:
            raise Unavailable("no tor configured: give a tor control port (--tor-control)")
        service = await client.add_onion(
            [(virtual_port, local_port)], discard_key=True, await_publication=True
        )
        return service.address

    async def unpublish(self, address: OnionAddress) -> None:
        """Raises: Unavailable (no tor), TorError (tor does not know the service)."""
        client = await self.dialer()
        if client is None:
            raise Unavailable("no tor configured: give a tor control port (--tor-control)")
        await client.del_onion(address)

    async def _attach(self) -> TorClient:
        settings = self.settings
        if not settings.managed:
            assert settings.control_port is not None
            return await TorClient.attach(
                settings.control_host, settings.control_port, cookie_path=settings.cookie_path
            )
        tor = ManagedTor(managed_torrc(settings, os.getpid()))
        self._managed = tor
        endpoints = await tor.start(timeout_s=START_TIMEOUT_S)
        return await TorClient.attach(LOOPBACK, endpoints.control_port, cookie_path=endpoints.cookie_path)

    async def close(self) -> None:
        """Close the control connection and stop a tor we started (idempotent)."""
        self._closing = True
        client, self.client = self.client, None
        if client is not None:
            await client.close()
        tor, self._managed = self._managed, None
        if tor is not None:
            await asyncio.to_thread(tor.stop)


def stall_event(stall: Stall, settings: TorSettings) -> TorStalled:
    """The stall in words, with what the user can do about it."""
    if not settings.managed:
        advice = "this tor is run elsewhere: configure bridges in that tor (e.g. Tor Browser's settings)"
    elif settings.bridge_options or settings.hold_network:
        advice = "try another transport (obfs4, snowflake, meek) or other bridges in the Tor settings"
    else:
        advice = "Tor may be blocked here: choose bridges (obfs4, snowflake, meek) in the Tor settings"
    status = stall.status
    return TorStalled(status.progress, status.tag, stall.reason.name, stall.describe(), advice)


async def _on_private_network(client: TorClient) -> bool:
    """True if the tor runs with ``TestingTorNetwork 1`` (under TIMB_OFFLINE=1 the offline guard
    has already refused any other when attaching)."""
    values = (await client.control.get_conf("TestingTorNetwork")).get("TestingTorNetwork", [])
    return values == ["1"]
