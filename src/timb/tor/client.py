"""`TorClient`: the face of timb.tor for the other layers.

It attaches to a running tor by its control port (a tor TIMB manages itself or one already
running), checks the offline guard, learns the SOCKS port from tor, reports bootstrap progress,
and opens streams through the one SOCKS door (`timb.tor.socks`) — only once tor has bootstrapped,
and never by any other route.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Self, TypeVar

from timb.common.ids import OnionAddress
from timb.common.secret import Secret
from timb.tor import socks
from timb.tor.control.client import ControlConnection
from timb.tor.control.events import BootstrapEvent, BootstrapStatus, ControlEvent, parse_bootstrap
from timb.tor.control.reply import ControlProtocolError, split_arguments
from timb.tor.errors import BootstrapStalled, TorError, TorNotReady, TorUnavailable
from timb.tor.onion import (
    DEFAULT_PUBLICATION_TIMEOUT,
    Handler,
    OnionKey,
    OnionListener,
    OnionService,
    create_onion_service,
    remove_onion_service,
)
from timb.tor.process import offline_mode
from timb.tor.stall import BootstrapWatch
from timb.tor.torrc import check_private_network

T = TypeVar("T")

# Every option the offline guard (timb.tor.torrc.check_private_network) judges.
GUARD_OPTIONS = (
    "TestingTorNetwork",
    "DirAuthority",
    "AlternateDirAuthority",
    "AlternateBridgeAuthority",
    "FallbackDir",
    "UseBridges",
    "Bridge",
    "ClientTransportPlugin",
    "ServerTransportPlugin",
    "ServerTransportListenAddr",
    "Socks4Proxy",
    "Socks5Proxy",
    "HTTPSProxy",
    "HTTPProxy",
    "ExitPolicy",
    "ExitRelay",
    "ReducedExitPolicy",
    "TCPProxy",
)


def parse_socks_listener(value: str) -> tuple[str, int] | None:
    """The first loopback TCP listener in ``GETINFO net/listeners/socks`` (``"127.0.0.1:9050" ...``),
    or None when tor has none open (``SocksPort 0``, or ``DisableNetwork 1``: tor opens its
    listeners only once the network is enabled)."""
    for entry in split_arguments(value).positional:
        host, colon, port = entry.rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        if not colon or not port.isdigit():
            continue  # "unix:/path" and the like
        try:
            return socks.require_loopback(host), int(port)
        except ValueError:
            continue
    return None


async def _guarded_socks_listener(control: ControlConnection) -> tuple[str, int] | None:
    """The offline guard's verdict on this tor (when TIMB_OFFLINE=1), then its loopback SOCKS
    listener as tor's control port reports it now (`parse_socks_listener`).

    Raises:
        OfflineGuardError: TIMB_OFFLINE=1 and this tor is not on the private test network.
        TorUnavailable: tor is gone.
    """
    if offline_mode():
        check_private_network(await control.get_conf(*GUARD_OPTIONS))
    listeners = await control.get_info("net/listeners/socks")
    return parse_socks_listener(listeners["net/listeners/socks"])


class TorClient:
    """A tor that TIMB may use: authenticated control connection plus its SOCKS port."""

    def __init__(self, control: ControlConnection, socks_endpoint: tuple[str, int] | None = None) -> None:
        self.control = control
        if socks_endpoint is not None:
            socks.require_loopback(socks_endpoint[0])
        self.socks_endpoint = socks_endpoint  # (host, port); None until tor opens its SOCKS port
        self._bootstrapped = False

    @classmethod
    async def attach(
        cls,
        control_host: str = "127.0.0.1",
        control_port: int = 9051,
        *,
        cookie_path: str | Path | None = None,
        password: Secret[str] | None = None,
    ) -> Self:
        """Connect to tor's control port, authenticate, apply the offline guard, find SOCKS.

        Raises:
            ValueError: ``control_host`` is not a loopback address literal.
            TorUnavailable: nothing listens on the control port (or the cookie is unreadable).
            OfflineGuardError: TIMB_OFFLINE=1 and this tor is not on the private test network.
            ControlError: tor rejected the authentication.
        """
        control = await ControlConnection.connect(control_host, control_port)
        try:
            await control.authenticate(cookie_path=cookie_path, password=password)
            endpoint = await _guarded_socks_listener(control)
        except BaseException:
            await control.close()
            raise
        return cls(control, endpoint)

    # ---- bootstrap ----

    async def bootstrap_status(self) -> BootstrapStatus:
        """Tor's bootstrap phase now (``GETINFO status/bootstrap-phase``).

        Raises:
            TorUnavailable: tor is gone.
            ControlProtocolError: tor answered something that is not a bootstrap status.
        """
        info = await self.control.get_info("status/bootstrap-phase")
        status = parse_bootstrap(info["status/bootstrap-phase"])
        if status is None:
            raise ControlProtocolError("status/bootstrap-phase is not a BOOTSTRAP status")
        if status.done:
            self._bootstrapped = True
        return status

    async def bootstrap_events(self) -> AsyncIterator[BootstrapStatus]:
        """The current status first, then each ``STATUS_CLIENT BOOTSTRAP`` event; ends after 100 %.

        Statuses never go backwards: a stale event (lower progress than already seen) is skipped.

        Raises:
            TorUnavailable: tor went away before reaching 100 %.
        """
        await self.control.enable_events(["STATUS_CLIENT"])
        events = self.control.subscribe()  # subscribed before the snapshot: nothing falls between
        try:
            current = await self.bootstrap_status()
            yield current
            if current.done:
                return
            async for event in events:
                if not isinstance(event, BootstrapEvent) or event.status.progress < current.progress:
                    continue
                if event.status == current:  # queued before the snapshot was taken
                    continue
                current = event.status
                if current.done:
                    self._bootstrapped = True
                yield current
                if current.done:
                    return
        finally:
            events.close()

    async def wait_bootstrapped(self, timeout_s: float = 120.0) -> BootstrapStatus:
        """Wait until tor reaches 100 %.

        Raises:
            TorNotReady: not bootstrapped within ``timeout_s`` (carries the last status).
            TorUnavailable: tor went away.
        """
        last: BootstrapStatus | None = None
        try:
            async with asyncio.timeout(timeout_s):
                async for status in self.bootstrap_events():
                    last = status
        except TimeoutError:
            where = f"{last.progress} % ({last.summary})" if last else "unknown"
            raise TorNotReady(f"tor did not bootstrap within {timeout_s:g} s; stuck at {where}") from None
        assert last is not None and last.done
        return last

    async def watch_bootstrap(
        self,
        *,
        stall_after_s: float,
        clock: Callable[[], float] = time.monotonic,
        tick_s: float = 0.5,
    ) -> BootstrapStatus:
        """Wait for 100 %, or report a stall: no new phase for ``stall_after_s`` seconds.

        Listens to BOOTSTRAP statuses, WARN log lines and ORCONN events (a dead bridge or a bad
        ``cert=`` shows only there, see `timb.tor.stall`). Reconfigures nothing: whatever tor
        does meanwhile, it does with the configuration it has (no direct fallback).

        Raises:
            BootstrapStalled: carries the `Stall` (where, how long, why) for the user.
            TorUnavailable: tor went away.
        """
        await self.control.enable_events(["STATUS_CLIENT", "WARN", "ORCONN"])
        events = self.control.subscribe()  # before the snapshot: nothing falls between
        try:
            watch = BootstrapWatch(await self.bootstrap_status(), clock(), stall_after_s=stall_after_s)
            while not watch.done:
                event: ControlEvent | None = None
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(tick_s):
                        event = await anext(events)
                now = clock()
                if isinstance(event, BootstrapEvent):
                    watch.bootstrap(event.status, now)
                elif event is not None:
                    watch.event(event, now)
                stall = watch.check(now)
                if stall is not None:
                    raise BootstrapStalled(stall)
        finally:
            events.close()
        self._bootstrapped = True
        return watch.status

    def forget_bootstrap(self) -> None:
        """Ask tor again before the next stream: it was reconfigured and bootstraps anew."""
        self._bootstrapped = False

    async def _require_ready(self) -> tuple[str, int]:
        """The SOCKS endpoint, once tor can carry streams.

        Raises:
            TorUnavailable: the control connection is gone (so is tor).
            TorNotReady: bootstrap is below 100 %.
            TorError: bootstrapped, yet no SOCKS listener on loopback (``SocksPort 0``).
        """
        if self.control.is_closed:
            raise TorUnavailable("tor's control connection is closed: tor is gone")
        if not self._bootstrapped:
            status = await self.bootstrap_status()
            if not status.done:
                raise TorNotReady(f"tor is bootstrapping: {status.progress} % ({status.summary})")
        if self.socks_endpoint is None:
            self.socks_endpoint = await _guarded_socks_listener(self.control)
            if self.socks_endpoint is None:
                raise TorError("tor has no SOCKS port on loopback (is SocksPort 0?)")
        return self.socks_endpoint

    async def _dial(self, dial: Callable[[str, int], Awaitable[T]]) -> T:
        """``dial(socks_host, socks_port)`` on tor's SOCKS listener, found again if it moved.

        ``DisableNetwork 1`` closes tor's listeners and ``0`` reopens them: with ``SocksPort
        auto`` (every client of the private network, many a desktop tor) on a new port. So when
        the listener refuses, ask tor's control port where it is now (never anything else, and
        through the offline guard and the loopback check again) and dial once more if it moved.
        """
        endpoint = await self._require_ready()
        try:
            return await dial(*endpoint)
        except TorUnavailable:
            if self.control.is_closed:
                raise
            self.socks_endpoint = None  # forgotten even if tor has none now: the next try asks again
            moved = await _guarded_socks_listener(self.control)
            self.socks_endpoint = moved
            if moved is None or moved == endpoint:
                raise
        return await dial(*moved)

    # ---- the one door ----

    async def open_socket(
        self, host: str, port: int, *, isolation: str, connect_timeout: float = socks.DEFAULT_CONNECT_TIMEOUT
    ) -> socket.socket:
        """A socket tunnelled through tor to host:port (the name is resolved by tor, not here).

        Raises:
            TorNotReady: tor has not bootstrapped yet.
            TorUnavailable: tor is gone, or its SOCKS listener refused and tor reports no other.
            OfflineGuardError: TIMB_OFFLINE=1 and, asked again, this tor is off the private network.
            TorError: tor has no SOCKS port on loopback.
            StreamError: tor could not reach host:port.
            ValueError: a bad destination or an empty isolation key.
        """
        return await self._dial(
            lambda socks_host, socks_port: socks.open_socket(
                socks_host, socks_port, host, port, isolation=isolation, connect_timeout=connect_timeout
            )
        )

    async def open_stream(
        self, host: str, port: int, *, isolation: str, connect_timeout: float = socks.DEFAULT_CONNECT_TIMEOUT
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """`open_socket` as asyncio streams.

        Raises:
            The same as `open_socket`.
        """
        return await self._dial(
            lambda socks_host, socks_port: socks.open_stream(
                socks_host, socks_port, host, port, isolation=isolation, connect_timeout=connect_timeout
            )
        )

    # ---- onion services ----

    async def add_onion(
        self,
        ports: Iterable[tuple[int, str | int]],
        *,
        key: OnionKey | None = None,
        discard_key: bool = False,
        await_publication: bool = False,
        publication_timeout: float = DEFAULT_PUBLICATION_TIMEOUT,
    ) -> OnionService:
        """An ephemeral onion service (see `timb.tor.onion.create_onion_service`).

        Raises:
            The same as `create_onion_service`.
        """
        return await create_onion_service(
            self.control,
            ports,
            key=key,
            discard_key=discard_key,
            await_publication=await_publication,
            publication_timeout=publication_timeout,
        )

    async def listen_onion(
        self,
        handler: Handler,
        *,
        virtual_port: int = 80,
        key: OnionKey | None = None,
        await_publication: bool = True,
    ) -> OnionListener:
        """An onion service whose streams arrive at ``handler`` (see `OnionListener.start`).

        Raises:
            The same as `create_onion_service`.
        """
        return await OnionListener.start(
            self.control, handler, virtual_port=virtual_port, key=key, await_publication=await_publication
        )

    async def del_onion(self, service: OnionService | OnionAddress) -> None:
        """``DEL_ONION``.

        Raises:
            ControlError: tor does not know the service.
        """
        await remove_onion_service(self.control, service)

    async def wait_lost(self) -> str:
        """Wait until tor is gone (its control connection closed), and say why."""
        return await self.control.wait_lost()

    async def close(self) -> None:
        """Close the control connection (tor itself keeps running; see timb.tor.process)."""
        await self.control.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
