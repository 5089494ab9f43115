"""A bridge relay for the private network: its torrc and the bridge line obfs4proxy writes.

Measured here (tor 0.4.9.11, obfs4proxy 0.0.14): a bridge needs no bridge authority in the
private network. With ``BridgeRelay 1`` and ``PublishServerDescriptor 0`` it stays out of the
consensus; a client that has it as its only bridge fetches the bridge's descriptor from the
bridge itself, so the client is started once the bridge has bootstrapped (about 3-4 s later it
is at 100 % too). obfs4proxy writes the line to hand out in ``pt_state/obfs4_bridgeline.txt``
with placeholders for the address, port and fingerprint, which are filled in here.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from timb.tor.bridges import BridgeLine, parse_bridge_line
from timb.tor.errors import BridgeLineError, TorStartError
from timb.tor.process import ManagedTor, log_tail, pick_free_ports
from timb.tor.testnet.keys import relay_fingerprint, restore_keys, save_keys
from timb.tor.testnet.state import NetworkState, StateFile
from timb.tor.testnet.wait import node_state, pending_node, wait_bootstrapped
from timb.tor.torrc import LOOPBACK, DirAuthority, NodeSpec, TorConfig, common_options

BRIDGE = "bridge0"
TRANSPORTS = ("obfs4",)
BRIDGELINE_FILE = Path("pt_state") / "obfs4_bridgeline.txt"


def obfs4proxy_path() -> str:
    """The server program: obfs4proxy, or its successor lyrebird.

    Raises:
        TorStartError: neither is installed (``make`` installs obfs4proxy).
    """
    for name in ("obfs4proxy", "lyrebird"):
        path = shutil.which(name)
        if path is not None and path.startswith("/"):
            return path
    raise TorStartError("a bridge needs obfs4proxy (apt-get install obfs4proxy)")


def bridge_relay_torrc(
    node: NodeSpec, authorities: Sequence[DirAuthority], *, transport_port: int, program: str
) -> TorConfig:
    """An obfs4 bridge on loopback: ORPort ``node.or_port``, obfs4 on ``transport_port``.

    Raises:
        ValueError: ``node`` has no or_port.
    """
    if node.or_port is None:
        raise ValueError(f"{node.nickname}: or_port is required for a bridge")
    return TorConfig(
        (
            *common_options(node, authorities),
            ("BridgeRelay", "1"),
            ("ORPort", f"{LOOPBACK}:{node.or_port}"),
            ("ExtORPort", "auto"),
            ("ServerTransportPlugin", f"obfs4 exec {program}"),
            ("ServerTransportListenAddr", f"obfs4 {LOOPBACK}:{transport_port}"),
            ("PublishServerDescriptor", "0"),
            ("ExitRelay", "0"),
            ("ExitPolicy", "reject *:*"),
            ("SocksPort", "0"),
            *node.extra,
        )
    )


def bridge_line_from(text: str, *, port: int, fingerprint: str) -> BridgeLine:
    """The client line from obfs4proxy's bridge-line file, placeholders filled in.

    Raises:
        BridgeLineError: the file holds no obfs4 line, or a malformed one.
    """
    for raw in text.splitlines():
        if raw.startswith("Bridge obfs4 "):
            filled = raw.replace("<IP ADDRESS>", LOOPBACK).replace("<PORT>", str(port))
            return parse_bridge_line(filled.replace("<FINGERPRINT>", fingerprint))
    raise BridgeLineError(0, "file", "holds no obfs4 bridge line")


async def wait_bridge_line(data_dir: Path, *, port: int, fingerprint: str, timeout_s: float) -> BridgeLine:
    """Wait for obfs4proxy to write its bridge line, and read it.

    Raises:
        TorStartError: not written within ``timeout_s`` (with the bridge's log tail).
        BridgeLineError: written, but not a valid line.
    """
    path = data_dir / BRIDGELINE_FILE
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            text = path.read_text()
        except FileNotFoundError:
            text = ""
        if "Bridge obfs4 " in text and text.endswith("\n"):
            return bridge_line_from(text, port=port, fingerprint=fingerprint)
        if time.monotonic() > deadline:
            raise TorStartError("the bridge's obfs4proxy wrote no bridge line", log_tail=log_tail(data_dir))
        await asyncio.sleep(0.05)


async def start_bridge(
    node_dir: Path,
    network: NetworkState,
    *,
    key_cache: Path | None,
    owner_pid: int | None,
    tor_binary: str,
    track: Callable[[ManagedTor], None],
    timeout_s: float,
) -> BridgeLine:
    """Start the bridge relay in ``node_dir`` (emptied but for its keys) on ``network``, wait
    until it has bootstrapped (a client fetches its descriptor from it, so none can use it
    before) and obfs4proxy has written its line. ``track`` gets the tor as soon as it runs (so
    that whoever stops the network stops it too); on failure it is stopped here.

    Raises:
        TorStartError: it did not start, bootstrap or write its line in time.
    """
    or_port, transport_port = pick_free_ports(2)
    restore_keys(key_cache, node_dir)
    fingerprint = await relay_fingerprint(tor_binary, node_dir, BRIDGE, or_port)
    save_keys(key_cache, node_dir)
    spec = NodeSpec(BRIDGE, str(node_dir), or_port=or_port, owner_pid=owner_pid)
    cfg = bridge_relay_torrc(
        spec, network.authorities, transport_port=transport_port, program=obfs4proxy_path()
    )
    tor = ManagedTor(cfg, tor_binary=tor_binary)
    tor.spawn()
    track(tor)
    state_file = StateFile(Path(network.directory) / "state.json")
    try:
        state_file.add_node(pending_node("bridge", tor))
        ep = await tor.wait_ready(timeout_s=30)
        state_file.add_node(node_state("bridge", ep))
        await wait_bootstrapped(ep, timeout_s=timeout_s)
        return await wait_bridge_line(
            node_dir, port=transport_port, fingerprint=fingerprint, timeout_s=timeout_s
        )
    except BaseException:
        tor.stop()
        state_file.remove_node(BRIDGE)
        raise
