"""Watching the private network come up: the consensus at the authorities, the client's
bootstrap over its control port, and the state of each node as it starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from timb.tor.client import parse_socks_listener
from timb.tor.control.client import ControlConnection
from timb.tor.control.events import BootstrapStatus, parse_bootstrap
from timb.tor.errors import TorError, TorStartError
from timb.tor.process import ManagedTor, TorEndpoints, log_tail, tor_pid_alive
from timb.tor.testnet.keys import read_fingerprint
from timb.tor.testnet.state import ClientInfo, NetworkState, NodeState

ProgressCallback = Callable[[BootstrapStatus], None]


async def bootstrap_status(client: ClientInfo | TorEndpoints) -> BootstrapStatus:
    """One ``GETINFO status/bootstrap-phase`` on the client's control port.

    Raises:
        TorUnavailable: the control port is not reachable.
    """
    conn = await ControlConnection.connect("127.0.0.1", client.control_port)
    try:
        await conn.authenticate(cookie_path=client.cookie_path)
        return await _poll_once(conn)
    finally:
        await conn.close()


async def _poll_once(conn: ControlConnection) -> BootstrapStatus:
    text = (await conn.get_info("status/bootstrap-phase"))["status/bootstrap-phase"]
    status = parse_bootstrap(text)
    if status is None:
        raise TorError(f"unexpected bootstrap phase {text!r}")
    return status


async def wait_bootstrapped(
    client: ClientInfo | TorEndpoints,
    *,
    timeout_s: float,
    on_progress: ProgressCallback | None = None,
    watch: NetworkState | None = None,
) -> BootstrapStatus:
    """Poll the client's bootstrap every 0.1 s until 100 %, reporting each change.

    ``watch``: nodes that must stay alive meanwhile (a dead authority fails fast).

    Raises:
        TorStartError: not at 100 % within ``timeout_s``, or a watched node died (with log tails).
    """
    deadline = time.monotonic() + timeout_s
    last: BootstrapStatus | None = None
    conn = await ControlConnection.connect("127.0.0.1", client.control_port)
    try:
        await conn.authenticate(cookie_path=client.cookie_path)
        while True:
            status = await _poll_once(conn)
            if status != last and on_progress is not None:
                on_progress(status)
            last = status
            if status.done:
                return status
            check_watched(watch)
            if time.monotonic() > deadline:
                raise TorStartError(
                    f"{Path(client.data_dir).name} did not bootstrap within {timeout_s:.0f} s "
                    f"(stuck at {status.progress} % {status.tag})",
                    log_tail=log_tail(Path(client.data_dir)),
                )
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


async def wait_full_consensus(
    node_dirs: Sequence[Path], relays: int, *, timeout_s: float, watch: NetworkState | None = None
) -> None:
    """Wait until every directory cache in ``node_dirs`` (the authorities: relays are no
    caches here) holds a consensus listing ``relays`` Running, Valid relays and the
    microdescriptors of all of them (read from the ``cached-microdesc*`` files, which tor
    replaces atomically or appends to).

    Raises:
        TorStartError: not within ``timeout_s``, or a watched node died.
    """
    deadline = time.monotonic() + timeout_s
    while not all(_directory_complete(d, relays) for d in node_dirs):
        check_watched(watch)
        if time.monotonic() > deadline:
            lagging = [d for d in node_dirs if not _directory_complete(d, relays)]
            raise TorStartError(
                f"the consensus did not list all {relays} relays within {timeout_s:.0f} s "
                f"at {', '.join(d.name for d in lagging)}",
                log_tail=log_tail(lagging[0]) if lagging else "",
            )
        await asyncio.sleep(0.1)


def _directory_complete(node_dir: Path, relays: int) -> bool:
    consensus = _read_lines(node_dir / "cached-microdesc-consensus")
    # Each router's "s" line lists its flags.
    running = sum(
        1 for line in consensus if line.startswith("s ") and {"Running", "Valid"} <= set(line.split())
    )
    if running < relays:
        return False
    mds = _read_lines(node_dir / "cached-microdescs") + _read_lines(node_dir / "cached-microdescs.new")
    return sum(1 for line in mds if line.startswith("onion-key")) >= relays


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return []


def check_watched(state: NetworkState | None) -> None:
    """Raises: TorStartError (with its log tail) if a node of ``state`` is no longer running."""
    if state is None:
        return
    for n in state.nodes:
        if not tor_pid_alive(n.pid, Path(n.data_dir) / "torrc"):
            raise TorStartError(f"{n.nickname} exited", log_tail=log_tail(Path(n.data_dir)))


def pending_node(role: str, tor: ManagedTor) -> NodeState:
    """A just-spawned node: its pid is known (so ``down`` can stop it), its ports are not yet."""
    assert tor.pid is not None
    return NodeState(nickname=tor.data_dir.name, role=role, pid=tor.pid, data_dir=str(tor.data_dir))


def node_state(role: str, ep: TorEndpoints) -> NodeState:
    """A node whose control port is open."""
    fp_file = ep.data_dir / "fingerprint"
    fingerprint = read_fingerprint(fp_file) if fp_file.exists() else None
    return NodeState(
        nickname=ep.data_dir.name,
        role=role,
        pid=ep.pid,
        data_dir=str(ep.data_dir),
        control_port=ep.control_port,
        socks_port=ep.socks_port,
        cookie_path=str(ep.cookie_path),
        fingerprint=fingerprint,
    )


async def _command(ep: TorEndpoints, line: str) -> str:
    conn = await ControlConnection.connect("127.0.0.1", ep.control_port)
    try:
        await conn.authenticate(cookie_path=ep.cookie_path)
        reply = await conn.command(line)
        reply.raise_for_status()
        return reply.message
    finally:
        await conn.close()


async def enable_network(ep: TorEndpoints) -> None:
    """``SETCONF DisableNetwork=0`` on a tor started with its network disabled.

    Raises:
        ControlError: tor refused.
        TorUnavailable: its control port went away.
    """
    await _command(ep, "SETCONF DisableNetwork=0")


async def client_node(ep: TorEndpoints) -> NodeState:
    """The client's state, with the SOCKS port tor picked (``SocksPort 127.0.0.1:auto``).

    Raises:
        TorStartError: tor opened no loopback SOCKS port.
        TorUnavailable: its control port went away.
    """
    conn = await ControlConnection.connect("127.0.0.1", ep.control_port)
    try:
        await conn.authenticate(cookie_path=ep.cookie_path)
        listeners = (await conn.get_info("net/listeners/socks"))["net/listeners/socks"]
    finally:
        await conn.close()
    endpoint = parse_socks_listener(listeners)
    if endpoint is None:
        raise TorStartError(f"{ep.data_dir.name} opened no SOCKS port", log_tail=log_tail(ep.data_dir))
    return replace(node_state("client", ep), socks_port=endpoint[1])
