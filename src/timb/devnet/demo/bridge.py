"""``timb demo --bridge obfs4``: the user's tor reaches the private network only through the
network's loopback obfs4 bridge, and the demo shows that it did.

The network's own client tor (client0) stays direct: it stands for the server side and hosts
Prosody's onion service. The user's tor is one more client of the network started with
``UseBridges 1``, the one ``Bridge obfs4 127.0.0.1:PORT FP cert=... iat-mode=0`` line the
bridge's obfs4proxy wrote, and ``ClientTransportPlugin obfs4 exec`` the installed obfs4proxy.

The proof (`prove_bridge`) asks that tor itself, over its control port, once the account is
logged in (so circuits exist): ``GETCONF UseBridges Bridge`` (bridges on, exactly our line),
``GETINFO entry-guards`` (the bridge is its only guard), ``GETINFO orconn-status`` (its only
connections to the Tor network go to the bridge) and ``GETINFO circuit-status`` (the first hop
of every built circuit is the bridge's fingerprint).

Raises (every function): Unavailable, saying which check failed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from timb.core.errors import Unavailable
from timb.devnet import network as devnet
from timb.tor.bridge_control import bridge_state, parse_entry_guards
from timb.tor.bridges import BridgeLine
from timb.tor.client import TorClient
from timb.tor.control.events import BootstrapStatus, parse_circuit_status
from timb.tor.errors import TorError
from timb.tor.testnet import TestNetwork

TRANSPORTS = ("obfs4",)


@contextlib.contextmanager
def _as_unavailable(what: str) -> Iterator[None]:
    try:
        yield
    except TorError as exc:
        raise Unavailable(f"{what}: {exc}") from exc


def server_fingerprint(server_id: str) -> str:
    """``$FP~nick``, ``$FP=nick`` or ``$FP`` (control-spec ServerID) -> ``FP`` upper-case;
    anything else (an ``addr:port`` target) comes back as it is, so it never matches a
    fingerprint."""
    if not server_id.startswith("$"):
        return server_id
    return server_id[1:].split("~", 1)[0].split("=", 1)[0].upper()


def parse_orconn_status(value: str) -> list[tuple[str, str]]:
    """``GETINFO orconn-status``: one ``Target Status`` per line -> [(target, status)]."""
    return [(w[0], w[1]) for w in (line.split() for line in value.splitlines()) if len(w) >= 2]


@dataclass(frozen=True, slots=True)
class BridgeProof:
    """What the user's tor said about its way into the network."""

    fingerprint: str
    guards: tuple[str, ...]  # fingerprints of every entry guard
    connections: tuple[str, ...]  # fingerprints (or addresses) of every open OR connection
    first_hops: tuple[str, ...]  # fingerprint of the first hop of each built circuit

    def problems(self) -> list[str]:
        """Every way in which this is not "only through the bridge" (empty: it is)."""
        fp = self.fingerprint
        found: list[str] = []
        if set(self.guards) != {fp}:
            found.append(f"its entry guards are {list(self.guards)}, not only the bridge")
        if not self.connections or set(self.connections) != {fp}:
            found.append(f"its connections go to {list(self.connections)}, not only to the bridge")
        if not self.first_hops or set(self.first_hops) != {fp}:
            found.append(f"its circuits start at {sorted(set(self.first_hops))}, not only at the bridge")
        return found

    def summary(self, pid: int) -> str:
        conns = "only connection" if len(self.connections) == 1 else f"{len(self.connections)} connections"
        return (
            f"  went over the obfs4 bridge: your tor (pid {pid}) has UseBridges 1 and only the "
            f"bridge's line; its only guard, its {conns} and the first hop of all "
            f"{len(self.first_hops)} built circuits are the bridge {self.fingerprint[:8]}... "
            "(asked over its control port: entry-guards, orconn-status, circuit-status)"
        )


def describe_line(line: BridgeLine) -> str:
    """The line without its ``cert=`` (what lets a client in is handed out, not printed)."""
    return f"{line.kind} {line.address} {line.fingerprint or ''}".rstrip() + " cert=..."


def bridge_line(tor_dir: Path) -> BridgeLine:
    """The line of the network's bridge (``devnet.up(bridge="obfs4")``)."""
    with _as_unavailable("the private network has no bridge"):
        return TestNetwork(tor_dir).bridge_line()


async def add_bridged_client(
    tor_dir: Path,
    name: str,
    line: BridgeLine,
    *,
    owner_pid: int,
    on_progress: devnet.ProgressCallback | None = None,
) -> devnet.DevnetClient:
    """One more client tor of the network that reaches it only through ``line``."""

    def progress(status: BootstrapStatus) -> None:
        if on_progress is not None:
            on_progress(devnet.Progress(status.progress, status.tag, status.summary))

    net = TestNetwork(tor_dir, owner_pid=owner_pid)
    with _as_unavailable("your tor did not bootstrap through the bridge"):
        info = await net.add_client(name, bridges=[line], on_progress=progress)
    return devnet.DevnetClient(info.socks_port, info.control_port, info.cookie_path, info.data_dir, info.pid)


async def prove_bridge(client: devnet.DevnetClient, line: BridgeLine) -> BridgeProof:
    """Ask ``client``'s tor how it reaches the network; raises Unavailable unless it is only
    through ``line``'s bridge."""
    if line.fingerprint is None:
        raise Unavailable("the bridge line names no fingerprint to check the circuits against")
    with _as_unavailable("could not ask your tor about its bridge"):
        tor = await TorClient.attach("127.0.0.1", client.control_port, cookie_path=client.control_cookie)
        try:
            state = await bridge_state(tor)
            info = await tor.control.get_info("entry-guards", "orconn-status", "circuit-status")
        finally:
            await tor.close()
    if not state.uses_bridges or [b.split() for b in state.bridges] != [line.torrc_value().split()]:
        raise Unavailable(f"your tor is not set to use only the demo's bridge (it has {len(state.bridges)})")
    circuits = parse_circuit_status(info["circuit-status"])
    proof = BridgeProof(
        line.fingerprint,
        tuple(server_fingerprint(g) for g, _status in parse_entry_guards(info["entry-guards"])),
        tuple(
            server_fingerprint(t) for t, s in parse_orconn_status(info["orconn-status"]) if s == "CONNECTED"
        ),
        tuple(server_fingerprint(c.path[0]) for c in circuits if c.status == "BUILT" and c.path),
    )
    if problems := proof.problems():
        raise Unavailable("your tor did not go only over the bridge: " + "; ".join(problems))
    return proof
