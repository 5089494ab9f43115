"""The benchmark's world: a private Tor network, Prosody on loopback, Prosody as an onion service.

The same parts the integration tests use (timb.tor.testnet, tests/fixtures/prosody.py's
`ProsodyServer`), brought up outside pytest. Everything started here is stopped on the way out of
`world()`, also on an exception, Ctrl-C or SIGTERM (the bench turns SIGTERM into
KeyboardInterrupt); every tor also has ``__OwningControllerProcess`` set to this process, so it
dies with it even after a SIGKILL.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "src"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from tests.fixtures.prosody import ProsodyServer, free_port  # noqa: E402

from timb.tor.client import TorClient  # noqa: E402
from timb.tor.errors import TorError  # noqa: E402
from timb.tor.testnet import TestNetwork  # noqa: E402

BOOTSTRAP_TIMEOUT = 180.0
PUBLICATION_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class World:
    """What the measurements need: tor's ports, the onion host, the server and its pin."""

    socks_port: int
    control_port: int
    cookie_path: Path
    onion: str
    server: ProsodyServer
    setup_seconds: dict[str, float]
    network: TestNetwork  # for more clients (bench/onion_bench.py)

    @property
    def pin(self) -> str:
        return self.server.cert_pin

    def register(self, user: str) -> tuple[str, str]:
        """A fresh account ``(jid, password)``."""
        password = f"pw-{user}-bench"
        return self.server.register(user, password), password


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


@contextlib.asynccontextmanager
async def world(workdir: Path) -> AsyncIterator[World]:
    """Bring everything up in ``workdir``; stop all of it on the way out."""
    os.environ["TIMB_OFFLINE"] = "1"  # TorClient.attach refuses any tor not on a private network
    network = TestNetwork(workdir / "tor", exit_relay=False, owner_pid=os.getpid())
    server = ProsodyServer(dir=workdir / "prosody", port=free_port(), tls_port=free_port())
    atexit.register(server.stop)  # idempotent; for a death between here and the finally
    atexit.register(network.down)
    tor: TorClient | None = None
    seconds: dict[str, float] = {}
    try:
        say("starting the private Tor network and Prosody")
        started = time.monotonic()
        await asyncio.to_thread(server.start)
        client = await network.up(timeout_s=BOOTSTRAP_TIMEOUT)
        seconds["Prosody + tor network bootstrap"] = time.monotonic() - started
        started = time.monotonic()
        tor = await TorClient.attach("127.0.0.1", client.control_port, cookie_path=client.cookie_path)
        service = await tor.add_onion(
            [(5222, server.port)], await_publication=True, publication_timeout=PUBLICATION_TIMEOUT
        )
        seconds["onion service published"] = time.monotonic() - started
        say(f"Prosody on 127.0.0.1:{server.port} is reachable as {service.address.host}:5222")
        yield World(
            socks_port=client.socks_port,
            control_port=client.control_port,
            cookie_path=client.cookie_path,
            onion=service.address.host,
            server=server,
            setup_seconds=seconds,
            network=network,
        )
    finally:
        say("stopping Prosody and the Tor network")
        if tor is not None:
            with contextlib.suppress(TorError, OSError):  # tor may be gone already
                await tor.close()
        server.stop()
        network.down()
        atexit.unregister(server.stop)
        atexit.unregister(network.down)
