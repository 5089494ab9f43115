"""Stock slixmpp over tor's SOCKS port (`BareClient`), and arrival times (`Arrivals`).

Kept apart from the TIMB side so a memory child measuring the bare client imports no TIMB code
beyond the SOCKS door (`timb.tor.socks`).

slixmpp has no proxy support, so `BareClient` overrides the one method that dials
(``_attempt_connection``) to take its socket from tor's SOCKS port (`timb.tor.socks.open_socket`,
the same door TIMB uses) and ``get_dns_records`` so nothing is resolved; nothing else changes:
STARTTLS, SCRAM, no stream management, no OTR.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import slixmpp

from timb.tor.socks import open_socket, rearm_quickack

CONNECT_TIMEOUT = 180.0


class Arrivals:
    """When each body arrived at the receiving side (time.perf_counter)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.plaintext = 0  # messages that arrived outside OTR (TIMB only; must stay 0)
        self._waiters: dict[str, asyncio.Future[float]] = {}
        self._changed = asyncio.Event()

    def arrived(self, body: str) -> None:
        now = time.perf_counter()
        self.times.setdefault(body, now)
        waiter = self._waiters.pop(body, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(now)
        self._changed.set()

    async def wait(self, body: str, limit: float) -> float:
        if body in self.times:
            return self.times[body]
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[body] = waiter
        try:
            return await asyncio.wait_for(waiter, limit)
        finally:
            self._waiters.pop(body, None)

    async def wait_all(self, bodies: list[str], limit: float) -> float:
        """The arrival time of the last of ``bodies``."""
        async with asyncio.timeout(limit):
            while not all(b in self.times for b in bodies):
                self._changed.clear()
                await self._changed.wait()
        return max(self.times[b] for b in bodies)


class BareClient(slixmpp.ClientXMPP):
    """Stock slixmpp whose TCP stream comes from tor's SOCKS port (see the module docstring).

    ``quickack``: re-arm TCP_QUICKACK after each read, as TIMB's client does (for the A/B).
    """

    quickack = False

    def __init__(self, jid: str, password: str, *, socks_port: int, ca_file: Path) -> None:
        super().__init__(jid, password)
        self.ca_certs = ca_file  # trust exactly the server's self-signed certificate
        self.enable_direct_tls = False
        self.enable_plaintext = False
        self.use_aiodns = False
        self._socks_port = socks_port
        self._sock: object | None = None

    async def get_dns_records(self, domain: str, port: int | None = None) -> list[tuple[str, str, str, int]]:
        return []

    async def _attempt_connection(self, host: str, port: int, tls: bool, server_hostname: str | None) -> bool:
        self.event_when_connected = "connected"
        if self._current_connection_attempt is None:
            return False
        sock = await open_socket("127.0.0.1", self._socks_port, host, port, isolation=str(self.boundjid.bare))
        self._sock = sock
        await self.loop.create_connection(
            lambda: self,
            sock=sock,
            ssl=self.get_ssl_context() if tls else None,
            server_hostname=server_hostname if tls else None,
        )
        return True

    def data_received(self, data: bytes | str) -> None:
        if BareClient.quickack and self._sock is not None:
            rearm_quickack(self._sock)
        super().data_received(data)

    async def start(self, host: str, port: int) -> None:
        """Connect, authenticate, send presence, fetch the roster.

        Raises:
            RuntimeError: authentication failed; TimeoutError: no session in time.
        """
        ready: asyncio.Future[None] = self.loop.create_future()

        def started(_: Any) -> None:
            if not ready.done():
                ready.set_result(None)

        def failed(_: Any) -> None:
            if not ready.done():
                ready.set_exception(RuntimeError(f"{self.boundjid.bare}: authentication failed"))

        self.add_event_handler("session_start", started)
        self.add_event_handler("failed_all_auth", failed)
        self.connect(host, port)
        await asyncio.wait_for(ready, CONNECT_TIMEOUT)
        self.send_presence()
        await self.get_roster(timeout=CONNECT_TIMEOUT)

    async def stop(self) -> None:
        if self.is_connected():
            await self.disconnect(wait=2.0)
        for _ in range(3):  # let slixmpp's cancelled internal tasks finish before they are dropped
            await asyncio.sleep(0)
