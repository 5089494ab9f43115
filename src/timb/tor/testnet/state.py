"""The private network's state file (``DIR/state.json``): which tors run, where they listen.

It is what lets ``timb testnet up`` reuse a live network and ``timb testnet down`` stop exactly
the pids it started, from another process. Updates take an exclusive ``flock`` on
``DIR/state.lock`` so two processes adding clients do not lose each other's entries.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from timb.tor.errors import TorError
from timb.tor.torrc import DirAuthority

STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class NodeState:
    """One tor of the network. Ports and fingerprint are None until the node is up (or for
    roles without them)."""

    nickname: str
    role: str  # "authority", "relay", "exit", "client"
    pid: int
    data_dir: str
    control_port: int | None = None
    socks_port: int | None = None
    cookie_path: str | None = None
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """What a program needs to use one client tor of the network."""

    nickname: str
    pid: int
    socks_port: int
    control_port: int
    cookie_path: Path
    data_dir: Path

    @classmethod
    def of(cls, node: NodeState) -> ClientInfo:
        """Raises: TorError if ``node`` is not a started client."""
        if node.socks_port is None or node.control_port is None or node.cookie_path is None:
            raise TorError(f"{node.nickname} is not a running client")
        return cls(
            node.nickname,
            node.pid,
            node.socks_port,
            node.control_port,
            Path(node.cookie_path),
            Path(node.data_dir),
        )

    def as_json(self) -> dict[str, object]:
        return {
            "socks_port": self.socks_port,
            "control_port": self.control_port,
            "control_cookie": str(self.cookie_path),
            "data_dir": str(self.data_dir),
            "pid": self.pid,
        }


@dataclass(frozen=True, slots=True)
class NetworkState:
    directory: str
    exit_relay: bool
    authorities: tuple[DirAuthority, ...]
    nodes: tuple[NodeState, ...]
    started_at: float
    bridge_line: str | None = None  # the line that reaches the bridge relay, if there is one

    def node(self, nickname: str) -> NodeState:
        """Raises: TorError if there is no such node."""
        for n in self.nodes:
            if n.nickname == nickname:
                return n
        raise TorError(f"no node {nickname} in the network at {self.directory}")

    def client(self, nickname: str) -> ClientInfo:
        """Raises: TorError if there is no such running client."""
        return ClientInfo.of(self.node(nickname))

    def to_json(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NetworkState:
        """Raises: TorError for a state file of another version or shape."""
        try:
            if data["version"] != STATE_VERSION:
                raise TorError(f"state file version {data['version']} is not {STATE_VERSION}")
            return cls(
                directory=str(data["directory"]),
                exit_relay=bool(data["exit_relay"]),
                authorities=tuple(DirAuthority(**a) for a in data["authorities"]),
                nodes=tuple(NodeState(**n) for n in data["nodes"]),
                started_at=float(data["started_at"]),
                bridge_line=None if data.get("bridge_line") is None else str(data["bridge_line"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise TorError(f"unreadable network state: {e}") from e


class StateFile:
    """``state.json`` next to a lock file; every write is atomic (write + rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name("state.lock")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self._lock_path.open("a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def read(self) -> NetworkState | None:
        """The state, or None if there is none.

        Raises:
            TorError: the file exists but cannot be understood.
        """
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise TorError(f"{self.path} is not valid JSON: {e}") from e
        return NetworkState.from_json(data)

    def _write_unlocked(self, state: NetworkState) -> None:
        tmp = self.path.with_name(f".state.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state.to_json(), indent=2) + "\n")
        tmp.replace(self.path)

    def write(self, state: NetworkState) -> None:
        with self._locked():
            self._write_unlocked(state)

    def add_node(self, node: NodeState) -> None:
        """Record one more node. Raises: TorError if no network is recorded."""
        with self._locked():
            state = self.read()
            if state is None:
                raise TorError(f"no network recorded in {self.path}")
            nodes = (*(n for n in state.nodes if n.nickname != node.nickname), node)
            self._write_unlocked(replace(state, nodes=nodes))

    def set_bridge_line(self, line: str) -> None:
        """Record the bridge's line. Raises: TorError if no network is recorded."""
        with self._locked():
            state = self.read()
            if state is None:
                raise TorError(f"no network recorded in {self.path}")
            self._write_unlocked(replace(state, bridge_line=line))

    def remove_node(self, nickname: str) -> NodeState | None:
        """Forget one node; returns it (None if it was not recorded)."""
        with self._locked():
            state = self.read()
            if state is None:
                return None
            gone = [n for n in state.nodes if n.nickname == nickname]
            if gone:
                self._write_unlocked(
                    replace(state, nodes=tuple(n for n in state.nodes if n.nickname != nickname))
                )
            return gone[0] if gone else None

    def remove(self) -> None:
        with self._locked():
            self.path.unlink(missing_ok=True)
