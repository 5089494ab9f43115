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
from collections.abc import Sequence
from pathlib import Path

from timb.tor.bridges import BridgeLine, parse_bridge_line
from timb.tor.errors import BridgeLineError, TorStartError
from timb.tor.process import log_tail
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
