"""Onion services a script publishes through the service (``onion.publish`` in JSON-RPC).

A local server or service (an XMPP server, a bot's web hook) becomes reachable as an onion
service through the service's own tor, with a new key that is not kept: it lasts until it is
unpublished or the service closes (tor removes ephemeral services with the control connection).
"""

from __future__ import annotations

from timb.common.ids import OnionAddress
from timb.core.errors import InvalidRequest
from timb.core.service.results import OnionInfo
from timb.core.service.translate import translated
from timb.core.tor_link import TorLink


class Onions:
    def __init__(self, tor: TorLink) -> None:
        self._tor = tor

    async def publish(self, local_port: int, virtual_port: int | None) -> OnionInfo:
        virtual = local_port if virtual_port is None else virtual_port
        if not (0 < local_port < 65536 and 0 < virtual < 65536):
            raise InvalidRequest("a port is 1-65535")
        with translated():
            address = await self._tor.publish(local_port, virtual)
        return OnionInfo(address, virtual, local_port)

    async def unpublish(self, address: str) -> None:
        with translated():
            await self._tor.unpublish(OnionAddress(address))
