"""A private Tor network on loopback: 3 directory authorities, 2 relays and a client.

Built from the real ``tor`` binary per the field notes (§1): authority keys from
``tor-gencert``, fingerprints from ``tor --list-fingerprint`` (both cached in the network
directory), every node ``TestingTorNetwork 1`` on 127.0.0.1 with free ports picked at start (so
several networks run side by side), every node launched at once (the authorities' first vote
placed just after the relays are ready, see schedule.py; the client's network disabled until
the consensus lists them all), and the client's bootstrap read from its control port until
100 %. Onion circuits need 4 distinct relays, hence 5 relays.

Layout of the network directory::

    DIR/state.json      pids, ports, fingerprints (what ``down`` stops, what ``up`` reuses)
    DIR/auth0..2/       authority data directories (keys/ survives restarts)
    DIR/relay0..1/      relays (relay0 exits to 127.0.0.1 only when ``exit_relay``)
    DIR/client0/        the client; DIR/<name>/ for clients added later
    DIR/bridge0/        the obfs4 bridge (``bridge="obfs4"``), outside the consensus

Helpers: keys (tor-gencert, --list-fingerprint), wait (consensus and bootstrap
polling), state (the state file).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from timb.tor.bridges import BridgeLine, parse_bridge_line
from timb.tor.errors import TorError, TorStartError
from timb.tor.process import (
    ManagedTor,
    pick_free_ports,
    port_conflict,
    stop_pids,
    tor_pid_alive,
)
from timb.tor.testnet.bridge import BRIDGE, TRANSPORTS, start_bridge
from timb.tor.testnet.keys import (
    authority_certificate,
    emptied_but_keys,
    refresh_cached_certificate,
    relay_fingerprint,
    restore_keys,
    save_keys,
)
from timb.tor.testnet.schedule import INITIAL_INTERVAL, first_vote_offset
from timb.tor.testnet.state import ClientInfo, NetworkState, StateFile
from timb.tor.testnet.wait import (
    ProgressCallback,
    bootstrap_status,
    client_node,
    enable_network,
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
from timb.tor.transports import bridge_options, detect_programs

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
    ``bridge="obfs4"`` adds an obfs4 bridge relay (``bridge_line()`` is the line for clients).
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
        bridge: str | None = None,
    ) -> None:
        if bridge is not None and bridge not in TRANSPORTS:
            raise ValueError(f"the private network's bridges speak {', '.join(TRANSPORTS)}, not {bridge!r}")
        self.bridge = bridge
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
            await self._with_bridge(timeout_s=timeout_s)
            return client
        if state is not None:
            self.down()  # half-dead: stop what is left, start afresh
        for attempt in range(_UP_ATTEMPTS):
            try:
                state = await self._launch(timeout_s=timeout_s)
                client = state.client(CLIENT)
                await asyncio.gather(
                    wait_bootstrapped(client, timeout_s=timeout_s, on_progress=on_progress, watch=state),
                    self._with_bridge(timeout_s=timeout_s),
                )
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
            relay_ports = ports[2 * AUTHORITIES :]
            await asyncio.gather(*(self._prepare_relay(f"relay{j}", p) for j, p in enumerate(relay_ports)))
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
        return emptied_but_keys(self._node_dir(nickname))

    async def _prepare_authorities(self, ports: Sequence[int]) -> list[DirAuthority]:
        async def one(i: int) -> DirAuthority:
            nick = f"auth{i}"
            or_port, dir_port = ports[2 * i], ports[2 * i + 1]
            d = self._fresh_node_dir(nick)
            restore_keys(self.key_cache, d)
            (d / "keys").mkdir(mode=0o700, exist_ok=True)
            v3ident, issued = await authority_certificate(d / "keys")
            fingerprint = await relay_fingerprint(self.tor_binary, d, nick, or_port)
            save_keys(self.key_cache, d)
            if issued:
                refresh_cached_certificate(self.key_cache, d)
            return DirAuthority(nick, or_port, dir_port, v3ident, fingerprint)

        return list(await asyncio.gather(*(one(i) for i in range(AUTHORITIES))))

    async def _prepare_relay(self, nickname: str, or_port: int) -> None:
        d = self._fresh_node_dir(nickname)
        restore_keys(self.key_cache, d)
        await relay_fingerprint(self.tor_binary, d, nickname, or_port)
        save_keys(self.key_cache, d)

    def _node_configs(
        self, authorities: Sequence[DirAuthority], ports: Sequence[int]
    ) -> list[tuple[str, TorConfig]]:
        def spec(nick: str, *, or_port: int | None = None, dir_port: int | None = None) -> NodeSpec:
            # Authority directories were emptied (keeping keys) when their keys were prepared.
            d = self._node_dir(nick) if nick.startswith("auth") else self._fresh_node_dir(nick)
            return NodeSpec(nick, str(d), or_port=or_port, dir_port=dir_port, owner_pid=self.owner_pid)

        first_vote = (INITIAL_INTERVAL, first_vote_offset(time.time()))
        nodes = [
            (
                "authority",
                authority_torrc(
                    spec(a.nickname, or_port=a.or_port, dir_port=a.dir_port),
                    authorities,
                    initial_voting=first_vote,
                ),
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
        """Launch every node at once: the authorities with their first vote placed just after
        the relays will be ready (testnet/schedule.py), the client with its network disabled;
        let the client go once the consensus lists every relay.

        A client that joins with the network takes the first consensus, which may list only 2-3
        relays; its first circuits then reuse the guard as the last hop and fail until the next
        consensus (10-70 s stalls at 95 %). Let go once the consensus is complete, a client
        bootstraps in about 2 s; started beforehand, its start-up (keys, state) is done by then.
        """
        relays = [
            (role, ManagedTor(cfg, tor_binary=self.tor_binary)) for role, cfg in nodes if role != "client"
        ]
        (client_cfg,) = [cfg for role, cfg in nodes if role == "client"]
        client = ManagedTor(client_cfg.plus(("DisableNetwork", "1")), tor_binary=self.tor_binary)
        tors = [*relays, ("client", client)]
        for _role, tor in tors:  # all at once: every authority makes the first vote
            tor.spawn()
            self._managed.append(tor)
        state = NetworkState(
            directory=str(self.directory),
            exit_relay=self.exit_relay,
            authorities=tuple(authorities),
            nodes=tuple(pending_node(role, tor) for role, tor in tors),
            started_at=time.time(),
        )
        self.state_file.write(state)  # first, so that `down` finds them whatever happens next
        ready = await asyncio.gather(*(tor.wait_ready(timeout_s=30) for _r, tor in tors))
        state = replace(
            state, nodes=tuple(node_state(role, ep) for (role, _t), ep in zip(tors, ready, strict=True))
        )
        self.state_file.write(state)
        await wait_full_consensus(
            [Path(n.data_dir) for n in state.nodes if n.role == "authority"],
            AUTHORITIES + RELAYS,
            timeout_s=timeout_s,
            watch=state,
        )
        await enable_network(ready[-1])
        self.state_file.add_node(await client_node(ready[-1]))
        final = self.state_file.read()
        assert final is not None
        return final

    async def _with_bridge(self, *, timeout_s: float) -> None:
        if self.bridge is not None:
            await self.add_bridge(timeout_s=timeout_s)

    async def add_bridge(self, *, timeout_s: float = 60.0) -> BridgeLine:
        """Add the obfs4 bridge to the running network (if it has none yet) and return its line.

        Raises:
            TorError: the network is not up.
            TorStartError: the bridge did not start, bootstrap or write its line (it is stopped).
        """
        state = self.state_file.read()
        if state is None or not self._all_alive(state):
            raise TorError(f"no private network is running in {self.directory}")
        if state.bridge_line is not None:
            return parse_bridge_line(state.bridge_line)
        line = await start_bridge(
            self._fresh_node_dir(BRIDGE),
            state,
            key_cache=self.key_cache,
            owner_pid=self.owner_pid,
            tor_binary=self.tor_binary,
            track=self._managed.append,
            timeout_s=timeout_s,
        )
        self.state_file.set_bridge_line(line.torrc_value())
        return line

    def _complete(self, state: NetworkState) -> bool:
        # A launch killed half-way leaves relays without the client, or nodes without ports.
        names = {n.nickname for n in state.nodes if n.control_port is not None}
        wanted = {f"auth{i}" for i in range(AUTHORITIES)} | {f"relay{j}" for j in range(RELAYS)} | {CLIENT}
        return wanted <= names  # a missing bridge is added to the running network (add_bridge)

    def _all_alive(self, state: NetworkState) -> bool:
        return all(tor_pid_alive(n.pid, Path(n.data_dir) / "torrc") for n in state.nodes)

    # ---- clients ----

    async def add_client(
        self,
        name: str,
        *,
        use_microdescriptors: bool = True,
        bridges: Sequence[BridgeLine] = (),
        bootstrap: bool = True,
        timeout_s: float = 60.0,
        on_progress: ProgressCallback | None = None,
    ) -> ClientInfo:
        """Start one more client tor joining the running network and wait for its bootstrap.

        ``use_microdescriptors=False`` is what a client needs to use the loopback exit.
        ``bridges``: the client reaches the network only through these (``UseBridges 1``), e.g.
        ``[network.bridge_line()]``; their transports run from the installed programs.
        ``bootstrap=False`` returns once tor listens, without waiting for 100 %.

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
        cfg = client_torrc(spec, state.authorities, use_microdescriptors=use_microdescriptors)
        if bridges:
            cfg = cfg.plus(*bridge_options(bridges, detect_programs()))
        tor = ManagedTor(cfg, tor_binary=self.tor_binary)
        tor.spawn()
        self._managed.append(tor)
        try:
            self.state_file.add_node(pending_node("client", tor))
            node = await client_node(await tor.wait_ready(timeout_s=30))
            self.state_file.add_node(node)
            client = ClientInfo.of(node)
            if bootstrap:
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

    def bridge_line(self) -> BridgeLine:
        """The line that reaches the network's bridge (``bridge="obfs4"``).

        Raises:
            TorError: no network with a bridge is running here.
        """
        state = self.state_file.read()
        if state is None or state.bridge_line is None:
            raise TorError(f"no private network with a bridge is running in {self.directory}")
        return parse_bridge_line(state.bridge_line)

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
