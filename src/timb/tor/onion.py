"""Ephemeral v3 onion services through the control port, and the loopback listener behind them.

An onion service is created with ``ADD_ONION`` (control-spec §3.27) from a key the caller keeps
(`OnionKey`, stored by the caller, e.g. in the vault) or from ``NEW:ED25519-V3``, in which case
tor's new key is handed back so the address can live on. The service maps a virtual port to a
listener on 127.0.0.1 (tor's own loopback side); `OnionListener` runs that listener as an asyncio
server and removes the service with ``DEL_ONION`` when closed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Self

from timb.common.errors import InvalidIdentifier
from timb.common.ids import OnionAddress
from timb.common.secret import Secret
from timb.tor.control.client import ControlConnection, EventSubscription
from timb.tor.control.events import HsDescEvent
from timb.tor.errors import ControlError, TorError, TorNotReady, TorUnavailable
from timb.tor.socks import require_loopback

KEY_TYPE = "ED25519-V3"
# tor's ED25519-V3 blob: the 64-byte expanded secret key (rend-spec-v3 appendix), base64.
_EXPANDED_KEY_LEN = 64
DEFAULT_PUBLICATION_TIMEOUT = 90.0

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass(frozen=True, slots=True, eq=False)
class OnionKey:
    """An onion service's secret key, in tor's ``ED25519-V3:<base64>`` form, held in a Secret.

    ``str``/``repr`` never show it; `serialise` is the one way out (for the caller to store).
    """

    blob: Secret[str]  # base64 of the 64-byte expanded ed25519 secret key

    @classmethod
    def parse(cls, text: str | Secret[str]) -> OnionKey:
        """Read ``ED25519-V3:<base64>`` (what ADD_ONION returns and `serialise` writes).

        Raises:
            ValueError: another key type, or the blob is not 64 bytes of base64.
        """
        raw = text.reveal() if isinstance(text, Secret) else text
        kind, colon, blob = raw.partition(":")
        if kind != KEY_TYPE or not colon:
            raise ValueError("not an ED25519-V3 onion service key")
        try:
            decoded = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("onion service key is not base64") from None
        if len(decoded) != _EXPANDED_KEY_LEN:
            raise ValueError("an ED25519-V3 onion service key is 64 bytes")
        return cls(Secret(blob))

    def serialise(self) -> Secret[str]:
        return Secret(f"{KEY_TYPE}:{self.blob.reveal()}")

    def __repr__(self) -> str:
        return "OnionKey(<redacted>)"


@dataclass(frozen=True, slots=True)
class OnionService:
    """A running ephemeral onion service.

    ``ports`` pairs each virtual port with its loopback target; ``key`` is the key tor made for a
    ``NEW`` service (None when the caller supplied the key or asked tor to discard it).
    """

    address: OnionAddress
    ports: tuple[tuple[int, str], ...]
    key: OnionKey | None = None


def loopback_target(target: str | int) -> str:
    """Normalise a port target to ``127.0.0.1:PORT`` / ``[::1]:PORT``; refuse anything else.

    Raises:
        ValueError: a target that is not a loopback address literal and a port in 1..65535.
    """
    if isinstance(target, int):
        target = f"127.0.0.1:{target}"
    host, colon, port = target.rpartition(":")
    if not colon or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"onion service target must be 127.0.0.1:PORT, got {target!r}")
    require_loopback(host.removeprefix("[").removesuffix("]"))
    return target


async def create_onion_service(
    control: ControlConnection,
    ports: Iterable[tuple[int, str | int]],
    *,
    key: OnionKey | None = None,
    discard_key: bool = False,
    await_publication: bool = False,
    publication_timeout: float = DEFAULT_PUBLICATION_TIMEOUT,
) -> OnionService:
    """``ADD_ONION`` with ``key`` (or ``NEW:ED25519-V3``) mapping virtual ports to loopback targets.

    With ``await_publication``, wait until tor reports ``HS_DESC UPLOADED`` for the service (the
    point from which clients can find it).

    Raises:
        ValueError: a target off loopback or a bad virtual port.
        ControlError: tor refused (e.g. the service is already running).
        ControlProtocolError: tor returned no ServiceID, an invalid one, or a malformed key.
        TorNotReady: ``await_publication`` and no upload within ``publication_timeout``; the
            service is removed again.
        TorUnavailable: the control connection is lost.
    """
    mapped = tuple((_virtual_port(virt), loopback_target(target)) for virt, target in ports)
    spec = key.serialise() if key is not None else Secret(f"NEW:{KEY_TYPE}")
    flags = ["DiscardPK"] if discard_key and key is None else []
    uploads = None
    if await_publication:
        await control.enable_events(["HS_DESC"])
        uploads = control.subscribe()  # before ADD_ONION, so the upload event cannot be missed
    try:
        result = await control.add_onion(spec, mapped, flags=flags)
        try:
            address = OnionAddress(result.service_id)
        except InvalidIdentifier as e:
            raise TorError(f"tor returned an invalid service id: {e}") from e
        new_key = OnionKey.parse(result.private_key) if result.private_key and key is None else None
        service = OnionService(address, mapped, new_key)
        if uploads is not None:
            try:
                async with asyncio.timeout(publication_timeout):
                    await _await_upload(uploads, address)
            except TimeoutError:
                await remove_onion_service(control, service)
                raise TorNotReady(f"onion service not published within {publication_timeout:g} s") from None
        return service
    finally:
        if uploads is not None:
            uploads.close()


async def _await_upload(events: EventSubscription, address: OnionAddress) -> None:
    async for event in events:
        match event:
            case HsDescEvent(action="UPLOADED", address=uploaded) if uploaded == address.service_id:
                return
            case _:
                pass


async def remove_onion_service(control: ControlConnection, service: OnionService | OnionAddress) -> None:
    """``DEL_ONION``.

    Raises:
        ControlError: tor does not know the service (552).
        TorUnavailable: the control connection is lost.
    """
    address = service.address if isinstance(service, OnionService) else service
    await control.del_onion(address.service_id)


def _virtual_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise ValueError(f"virtual port out of range: {port}")
    return port


class OnionListener:
    """An onion service whose virtual port leads to an asyncio server on 127.0.0.1:<free port>.

    Every stream a client opens to ``address:virtual_port`` arrives as a call of ``handler``
    with an asyncio (reader, writer) pair. `close` removes the service, then stops the server.
    """

    def __init__(self, control: ControlConnection, server: asyncio.Server, service: OnionService) -> None:
        self._control = control
        self._server = server
        self.service = service

    @property
    def address(self) -> OnionAddress:
        return self.service.address

    @classmethod
    async def start(
        cls,
        control: ControlConnection,
        handler: Handler,
        *,
        virtual_port: int = 80,
        key: OnionKey | None = None,
        discard_key: bool = False,
        await_publication: bool = True,
        publication_timeout: float = DEFAULT_PUBLICATION_TIMEOUT,
    ) -> Self:
        """Start the loopback server, then the onion service that maps onto it.

        Raises:
            The same as `create_onion_service` (the server is closed again on failure).
        """
        server = await asyncio.start_server(handler, host="127.0.0.1", port=0)
        try:
            local_port = server.sockets[0].getsockname()[1]
            service = await create_onion_service(
                control,
                [(virtual_port, local_port)],
                key=key,
                discard_key=discard_key,
                await_publication=await_publication,
                publication_timeout=publication_timeout,
            )
        except BaseException:
            server.close()
            await server.wait_closed()
            raise
        return cls(control, server, service)

    async def close(self) -> None:
        """Remove the onion service (if tor is still there) and stop the listener."""
        try:
            if not self._control.is_closed:
                # Already gone (tor removed it or died meanwhile): nothing left to undo.
                with contextlib.suppress(ControlError, TorUnavailable):
                    await remove_onion_service(self._control, self.service)
        finally:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
