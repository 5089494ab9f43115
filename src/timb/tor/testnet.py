"""A private Tor network on loopback: 3 directory authorities, 2 relays and a client.

Built from the real ``tor`` binary per the field notes (§1): authority keys from
``tor-gencert``, fingerprints from ``tor --list-fingerprint`` (both cached in the network
directory), every node ``TestingTorNetwork 1`` on 127.0.0.1 with free ports picked at start (so
several networks run side by side), the relays launched at once, the client started once the
consensus lists them all, and its bootstrap read from its control port until 100 %. Onion
circuits need 4 distinct relays, hence 5 relays.

Layout of the network directory::

    DIR/state.json      pids, ports, fingerprints (what ``down`` stops, what ``up`` reuses)
    DIR/auth0..2/       authority data directories (keys/ survives restarts)
    DIR/relay0..1/      relays (relay0 exits to 127.0.0.1 only when ``exit_relay``)
    DIR/client0/        the client; DIR/<name>/ for clients added later

Helpers: testnet_keys (tor-gencert, --list-fingerprint), testnet_wait (consensus and bootstrap
polling), testnet_state (the state file).
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from timb.tor.errors import TorError, TorStartError
from timb.tor.process import ManagedTor, pick_free_ports, port_conflict, stop_pids, tor_pid_alive
from timb.tor.testnet_keys import authority_certificate, relay_fingerprint, restore_keys, save_keys
from timb.tor.testnet_state import ClientInfo, NetworkState, StateFile
from timb.tor.testnet_wait import (
    ProgressCallback,
    bootstrap_status,
    client_node,
    node_state,
    pending_node,
    wait_bootstrapped,
    wait_full_consensus,
)
from timb.tor.torrc import (
    DirAuthority,
    NodeSpec,
    TorConfig,
    authority_torrc,
    client_torrc,
    relay_torrc,
)

AUTHORITIES = 3
RELAYS = 2
CLIENT = "client0"
_NICKNAME = re.compile(r"^[A-Za-z0-9]{1,19}$")
_LAUNCH_ATTEMPTS = 3  # fresh ports after a port conflict
_UP_ATTEMPTS = 2  # a whole new launch after a consensus or bootstrap timeout
_log = logging.getLogger(__name__)

__all__ = ["CLIENT", "ProgressCallback", "TestNetwork", "bootstrap_status", "wait_bootstrapped"]


class TestNetwork:
    """The private network in ``directory``.

    ``owner_pid``: tor exits when this process does (``__OwningControllerProcess``); None for a
    network that outlives its starter (``timb testnet up``). ``key_cache``: a directory where
    relay keys are kept across networks, so a network in a fresh directory need not make them
    (test sessions, the demo); networks never talk to each other, so sharing keys is harmless.
    """

    __test__ = False  # not a pytest test class despite its name

    def __init__(
        self,
        directory: Path,
        *,
        exit_relay: bool = False,
        owner_pid: int | None = None,
        tor_binary: str = "tor",
        key_cache: Path | None = None,
    ) -> None:
        self.directory = directory.resolve()
        self.key_cache = key_cache
        self.exit_relay = exit_relay
        self.owner_pid = owner_pid
        self.tor_binary = tor_binary
        self.state_file = StateFile(self.directory / "state.json")
        self._managed: list[ManagedTor] = []

    # ---- up ----

    async def up(self, *, timeout_s: float = 60.0, on_progress: ProgressCallback | None = None) -> ClientInfo:
        """Bring the network up (or reuse the one alive in the directory) and wait until the
        client has bootstrapped to 100 %. Returns the client's endpoints.

        ``timeout_s`` bounds each stage: the complete consensus (normally 5-12 s) and the
        client's bootstrap (normally 2-4 s). A launch that misses it is stopped and tried once
        more from scratch.

        Raises:
            OfflineGuardError: never for these templates, but the guard is applied.
            TorStartError: a node did not start, or the client did not bootstrap in time (the
                message carries log tails); every process started here is stopped.
            TorError: the directory's state file cannot be read.
        """
        state = self.state_file.read()
        if state is not None and self._complete(state) and self._all_alive(state):
            client = state.client(CLIENT)
            await wait_bootstrapped(client, timeout_s=timeout_s, on_progress=on_progress)
            return client
        if state is not None:
            self.down()  # half-dead: stop what is left, start afresh
        for attempt in range(_UP_ATTEMPTS):
            try:
                state = await self._launch(timeout_s=timeout_s)
                client = state.client(CLIENT)
                await wait_bootstrapped(client, timeout_s=timeout_s, on_progress=on_progress, watch=state)
            except TorStartError as e:
                self.down()
                if attempt == _UP_ATTEMPTS - 1:
                    raise
                _log.warning("private network in %s failed to come up, retrying: %s", self.directory, e)
            except BaseException:
                self.down()
                raise
            else:
                return client
        raise AssertionError("unreachable")

    async def _launch(self, *, timeout_s: float) -> NetworkState:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for attempt in range(_LAUNCH_ATTEMPTS):
            ports = pick_free_ports(2 * AUTHORITIES + RELAYS)  # clients let tor pick (auto)
            authorities = await self._prepare_authorities(ports[: 2 * AUTHORITIES])
            # Relay keys made beforehand too, so every fingerprint is known (and cached) at once.
            await asyncio.gather(*(self._prepare_relay(j, ports[2 * AUTHORITIES + j]) for j in range(RELAYS)))
            nodes = self._node_configs(authorities, ports[2 * AUTHORITIES :])
            try:
                return await self._start_nodes(nodes, authorities, timeout_s=timeout_s)
            except TorStartError as e:
                self.down()
                if not port_conflict(e) or attempt == _LAUNCH_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _node_dir(self, nickname: str) -> Path:
        return self.directory / nickname

    def _fresh_node_dir(self, nickname: str) -> Path:
        """The node's data directory, emptied of everything but its keys (a stale consensus
        or state from a previous run must not leak into this one)."""
        d = self._node_dir(nickname)
        d.mkdir(mode=0o700, parents=True, exist_ok=True)
        for entry in d.iterdir():
            if entry.name in {"keys", "fingerprint", "fingerprint-ed25519"}:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        return d

    async def _prepare_authorities(self, ports: Sequence[int]) -> list[DirAuthority]:
        async def one(i: int) -> DirAuthority:
            nick = f"auth{i}"
            or_port, dir_port = ports[2 * i], ports[2 * i + 1]
            d = self._fresh_node_dir(nick)
            restore_keys(self.key_cache, d)
            (d / "keys").mkdir(mode=0o700, exist_ok=True)
            v3ident = await authority_certificate(d / "keys", dir_port)
            fingerprint = await relay_fingerprint(self.tor_binary, d, nick, or_port)
            save_keys(self.key_cache, d)
            return DirAuthority(nick, or_port, dir_port, v3ident, fingerprint)

        return list(await asyncio.gather(*(one(i) for i in range(AUTHORITIES))))

    async def _prepare_relay(self, j: int, or_port: int) -> None:
        d = self._fresh_node_dir(f"relay{j}")
        restore_keys(self.key_cache, d)
        await relay_fingerprint(self.tor_binary, d, f"relay{j}", or_port)
        save_keys(self.key_cache, d)

    def _node_configs(
        self, authorities: Sequence[DirAuthority], ports: Sequence[int]
    ) -> list[tuple[str, TorConfig]]:
        def spec(nick: str, *, or_port: int | None = None, dir_port: int | None = None) -> NodeSpec:
            # Authority directories were emptied (keeping keys) when their keys were prepared.
            d = self._node_dir(nick) if nick.startswith("auth") else self._fresh_node_dir(nick)
            return NodeSpec(nick, str(d), or_port=or_port, dir_port=dir_port, owner_pid=self.owner_pid)

        nodes = [
            (
                "authority",
                authority_torrc(spec(a.nickname, or_port=a.or_port, dir_port=a.dir_port), authorities),
            )
            for a in authorities
        ]
        for j in range(RELAYS):
            exit_here = self.exit_relay and j == 0
            cfg = relay_torrc(spec(f"relay{j}", or_port=ports[j]), authorities, exit_to_loopback=exit_here)
            nodes.append(("exit" if exit_here else "relay", cfg))
        nodes.append(("client", client_torrc(spec(CLIENT), authorities)))
        return nodes

    async def _start_nodes(
        self,
        nodes: Sequence[tuple[str, TorConfig]],
        authorities: Sequence[DirAuthority],
        *,
        timeout_s: float,
    ) -> NetworkState:
        """Launch the relays at once; start the client when the consensus lists all of them.

        A client that starts with the network takes the first consensus, which often lists only
        2-3 relays; its first circuits then reuse the guard as the last hop and fail until the
        next consensus (10-70 s stalls at 95 %). Started once the consensus is complete, a
        client bootstraps in about 3 s.
        """
        relays = [
            (role, ManagedTor(cfg, tor_binary=self.tor_binary)) for role, cfg in nodes if role != "client"
        ]
        (client_cfg,) = [cfg for role, cfg in nodes if role == "client"]
        for _role, tor in relays:  # all at once: every authority makes the first vote
            tor.spawn()
            self._managed.append(tor)
        state = NetworkState(
            directory=str(self.directory),
            exit_relay=self.exit_relay,
            authorities=tuple(authorities),
            nodes=tuple(pending_node(role, tor) for role, tor in relays),
            started_at=time.time(),
        )
        self.state_file.write(state)  # first, so that `down` finds them whatever happens next
        ready = await asyncio.gather(*(tor.wait_ready(timeout_s=30) for _r, tor in relays))
        state = replace(
            state, nodes=tuple(node_state(role, ep) for (role, _t), ep in zip(relays, ready, strict=True))
        )
        self.state_file.write(state)
        await wait_full_consensus(
            [Path(n.data_dir) for n in state.nodes if n.role == "authority"],
            AUTHORITIES + RELAYS,
            timeout_s=timeout_s,
            watch=state,
        )
        client = ManagedTor(client_cfg, tor_binary=self.tor_binary)
        client.spawn()
        self._managed.append(client)
        self.state_file.add_node(pending_node("client", client))
        self.state_file.add_node(await client_node(await client.wait_ready(timeout_s=30)))
        final = self.state_file.read()
        assert final is not None
        return final

    def _complete(self, state: NetworkState) -> bool:
        # A launch killed half-way leaves relays without the client, or nodes without ports.
        names = {n.nickname for n in state.nodes if n.control_port is not None}
        return {f"auth{i}" for i in range(AUTHORITIES)} | {f"relay{j}" for j in range(RELAYS)} | {
            CLIENT
        } <= names

    def _all_alive(self, state: NetworkState) -> bool:
        return all(tor_pid_alive(n.pid, Path(n.data_dir) / "torrc") for n in state.nodes)

    # ---- clients ----

    async def add_client(
        self,
        name: str,
        *,
        use_microdescriptors: bool = True,
        timeout_s: float = 60.0,
        on_progress: ProgressCallback | None = None,
    ) -> ClientInfo:
        """Start one more client tor joining the running network and wait for its bootstrap.

        ``use_microdescriptors=False`` is what a client needs to use the loopback exit.

        Raises:
            ValueError: ``name`` is not 1-19 letters/digits, or already a node of the network.
            TorError: the network is not up.
            TorStartError: the client did not start or bootstrap (it is stopped again).
        """
        if not _NICKNAME.match(name):
            raise ValueError(f"client name {name!r} must be 1-19 letters or digits")
        state = self.state_file.read()
        if state is None or not self._all_alive(state):
            raise TorError(f"no private network is running in {self.directory}")
        if any(n.nickname == name for n in state.nodes):
            raise ValueError(f"{name} is already a node of this network")
        spec = NodeSpec(name, str(self._fresh_node_dir(name)), owner_pid=self.owner_pid)
        tor = ManagedTor(
            client_torrc(spec, state.authorities, use_microdescriptors=use_microdescriptors),
            tor_binary=self.tor_binary,
        )
        tor.spawn()
        self._managed.append(tor)
        try:
            self.state_file.add_node(pending_node("client", tor))
            node = await client_node(await tor.wait_ready(timeout_s=30))
            self.state_file.add_node(node)
            client = ClientInfo.of(node)
            await wait_bootstrapped(client, timeout_s=timeout_s, on_progress=on_progress)
        except BaseException:
            tor.stop()
            self.state_file.remove_node(name)
            raise
        return client

    def stop_client(self, name: str) -> bool:
        """Stop a client started with add_client. Returns False if there is no such added
        client (the network's own nodes, client0 included, are stopped only by `down`)."""
        state = self.state_file.read()
        known = [n for n in state.nodes if n.nickname == name] if state is not None else []
        if name == CLIENT or not known or known[0].role != "client":
            return False
        node = self.state_file.remove_node(name)
        if node is None:
            return False
        stopped = bool(stop_pids([(node.pid, Path(node.data_dir) / "torrc")]))
        self._reap()
        return stopped

    def _reap(self) -> None:
        # Our own children stay zombies until waited for; ManagedTor.stop() waits.
        for tor in [t for t in self._managed if not t.running]:
            tor.stop()
            self._managed.remove(tor)

    # ---- status and down ----

    def status(self) -> NetworkState | None:
        """The recorded state, or None when no network was ever started here."""
        return self.state_file.read()

    def alive(self) -> dict[str, bool]:
        """nickname -> is that tor (same pid, same torrc) still running."""
        state = self.state_file.read()
        if state is None:
            return {}
        return {n.nickname: tor_pid_alive(n.pid, Path(n.data_dir) / "torrc") for n in state.nodes}

    def down(self) -> list[int]:
        """Stop every tor this network started (by pid, checked against its torrc). Idempotent.

        Returns the pids that were signalled.
        """
        state = self.state_file.read()
        targets = [] if state is None else [(n.pid, Path(n.data_dir) / "torrc") for n in state.nodes]
        stopped = stop_pids(targets)
        for tor in self._managed:
            tor.stop()  # reaps our own children
        self._managed.clear()
        self.state_file.remove()
        return stopped
