"""The private Tor network for developers and the demo, as the UI may see it.

A thin facade over `timb.tor.testnet`: plain dataclasses in and out, and one error type
(`timb.core.errors.Unavailable`), so ``timb testnet`` and ``timb demo`` never import timb.tor.

Raises (every function): Unavailable, with tor's own explanation (and log tail) in the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from timb.core.errors import Unavailable
from timb.tor.client import TorClient
from timb.tor.control.events import BootstrapStatus
from timb.tor.errors import TorError
from timb.tor.testnet import TestNetwork, bootstrap_status
from timb.tor.testnet.state import ClientInfo

_ECHO_MAX = 1 << 20


@dataclass(frozen=True, slots=True)
class Progress:
    """One bootstrap step of the network's client: ``percent`` 0..100, tor's tag and summary."""

    percent: int
    tag: str
    summary: str


@dataclass(frozen=True, slots=True)
class DevnetClient:
    """Where the network's client tor listens (all on 127.0.0.1)."""

    socks_port: int
    control_port: int
    control_cookie: Path
    data_dir: Path
    pid: int

    def as_json(self) -> dict[str, object]:
        return {
            "socks_port": self.socks_port,
            "control_port": self.control_port,
            "control_cookie": str(self.control_cookie),
            "data_dir": str(self.data_dir),
            "pid": self.pid,
        }


@dataclass(frozen=True, slots=True)
class DevnetNode:
    nickname: str
    role: str
    pid: int
    alive: bool


@dataclass(frozen=True, slots=True)
class DevnetStatus:
    """``running`` when every recorded tor is alive; ``bootstrap`` is the client's percent
    (None when it cannot be asked)."""

    directory: Path
    running: bool
    nodes: tuple[DevnetNode, ...]
    client: DevnetClient | None
    bootstrap: int | None
    uptime_s: float | None


ProgressCallback = Callable[[Progress], None]


@contextlib.contextmanager
def _as_unavailable() -> Iterator[None]:
    try:
        yield
    except TorError as e:
        raise Unavailable(str(e)) from e
    except (asyncio.IncompleteReadError, ConnectionError) as e:
        raise Unavailable(f"the stream through tor closed early: {e}") from e


def _client(info: ClientInfo) -> DevnetClient:
    return DevnetClient(info.socks_port, info.control_port, info.cookie_path, info.data_dir, info.pid)


def _progress_adapter(callback: ProgressCallback | None) -> Callable[[BootstrapStatus], None] | None:
    if callback is None:
        return None
    return lambda s: callback(Progress(s.progress, s.tag, s.summary))


def default_key_cache() -> Path:
    """Where relay keys of private networks are kept between runs (the user's cache dir)."""
    return Path(platformdirs.user_cache_dir("timb")) / "testnet-keys"


async def up(
    directory: Path,
    *,
    exit_relay: bool = False,
    owner_pid: int | None = None,
    key_cache: Path | None = None,
    on_progress: ProgressCallback | None = None,
    timeout_s: float = 60.0,
    bridge: str | None = None,
) -> DevnetClient:
    """Bring up (or reuse) the private network in ``directory``; returns when its client is at
    100 %. With ``owner_pid`` every tor exits when that process does; without, the network
    outlives the caller until `down`. ``key_cache``: see `default_key_cache`. ``bridge="obfs4"``
    adds an obfs4 bridge relay (its line: `bridge_line`)."""
    net = TestNetwork(
        directory, exit_relay=exit_relay, owner_pid=owner_pid, key_cache=key_cache, bridge=bridge
    )
    with _as_unavailable():
        return _client(await net.up(timeout_s=timeout_s, on_progress=_progress_adapter(on_progress)))


async def add_client(
    directory: Path, name: str, *, owner_pid: int | None = None, on_progress: ProgressCallback | None = None
) -> DevnetClient:
    """Start one more client tor (nickname ``name``: 1-19 letters/digits) on the running network."""
    net = TestNetwork(directory, owner_pid=owner_pid)
    with _as_unavailable():
        return _client(await net.add_client(name, on_progress=_progress_adapter(on_progress)))


def bridge_line(directory: Path) -> str:
    """The bridge line of the network's bridge relay (``up(bridge="obfs4")``)."""
    with _as_unavailable():
        return TestNetwork(directory).bridge_line().torrc_value()


def down(directory: Path) -> list[int]:
    """Stop every tor of the network in ``directory``; returns the pids signalled."""
    with _as_unavailable():
        return TestNetwork(directory).down()


async def status(directory: Path) -> DevnetStatus:
    """What runs in ``directory`` (nothing recorded: ``running`` False, no nodes)."""
    net = TestNetwork(directory)
    with _as_unavailable():
        state = net.status()
        alive = net.alive()
    if state is None:
        return DevnetStatus(net.directory, False, (), None, None, None)
    nodes = tuple(DevnetNode(n.nickname, n.role, n.pid, alive.get(n.nickname, False)) for n in state.nodes)
    running = bool(nodes) and all(n.alive for n in nodes)
    client: DevnetClient | None = None
    percent: int | None = None
    with contextlib.suppress(TorError):
        info = state.client("client0")
        client = _client(info)
        if running:
            percent = (await bootstrap_status(info)).progress
    return DevnetStatus(net.directory, running, nodes, client, percent, time.time() - state.started_at)


@dataclass(frozen=True, slots=True)
class EchoRoundTrip:
    """The result of `onion_echo`: the service's address and what came back."""

    onion: str
    sent: bytes
    received: bytes
    publish_s: float
    round_trip_s: float


async def onion_echo(
    host: DevnetClient,
    visitor: DevnetClient,
    message: bytes,
    *,
    on_step: Callable[[str], None] | None = None,
) -> EchoRoundTrip:
    """Publish an ephemeral onion service on ``host`` whose loopback server echoes, open a
    stream to it from ``visitor`` (another tor) through the SOCKS door and send ``message``
    across it, length-prefixed. Removes the service.
    """
    step = on_step or (lambda _text: None)
    with _as_unavailable():
        async with _echo_server() as port, _attached(host) as service_tor, _attached(visitor) as visitor_tor:
            t0 = time.monotonic()
            service = await service_tor.add_onion([(80, port)], await_publication=True)
            publish_s = time.monotonic() - t0
            step(f"onion service {service.address.host} published in {publish_s:.1f} s")
            try:
                t1 = time.monotonic()
                reader, writer = await visitor_tor.open_stream(
                    service.address.host, 80, isolation="timb-demo"
                )
                try:
                    writer.write(len(message).to_bytes(4, "big") + message)
                    await writer.drain()
                    length = int.from_bytes(await reader.readexactly(4), "big")
                    received = await reader.readexactly(length)
                finally:
                    writer.close()
                round_trip_s = time.monotonic() - t1
            finally:
                await service_tor.del_onion(service)
    if received != message:
        raise Unavailable("the echo that came back differs from what was sent")
    return EchoRoundTrip(service.address.host, message, received, publish_s, round_trip_s)


@contextlib.asynccontextmanager
async def _attached(client: DevnetClient) -> AsyncIterator[TorClient]:
    tor = await TorClient.attach("127.0.0.1", client.control_port, cookie_path=client.control_cookie)
    try:
        yield tor
    finally:
        await tor.close()


@contextlib.asynccontextmanager
async def _echo_server() -> AsyncIterator[int]:
    """A length-prefixed echo server on 127.0.0.1 (tor streams have no half-close)."""

    handlers: set[asyncio.Task[None]] = set()
    writers: set[asyncio.StreamWriter] = set()

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        writers.add(writer)
        try:
            while True:
                header = await reader.readexactly(4)
                length = int.from_bytes(header, "big")
                if length > _ECHO_MAX:
                    return
                body = await reader.readexactly(length)
                writer.write(header + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the peer closed the stream: the echo is over
        finally:
            writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        # Closing our ends lets each handler see EOF and finish, so none is left running
        # (and cancelled) when the event loop shuts down.
        for w in writers:
            w.close()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


__all__ = [
    "DevnetClient",
    "DevnetNode",
    "DevnetStatus",
    "EchoRoundTrip",
    "Progress",
    "add_client",
    "default_key_cache",
    "down",
    "onion_echo",
    "status",
    "up",
]
