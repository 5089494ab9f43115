"""The connection assistant end to end on the private network: a service's managed tor, held
with ``DisableNetwork 1`` until the choice is known, reaches 100 % only through the private
network's obfs4 bridge once the user pastes its line; and after a restart the stored choice
is applied at unlock, before the tor connects anywhere."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fixtures.tor import TorNetwork
from timb.common.secret import Secret
from timb.core.events import CoreEvent, TorBootstrap, TorFailed
from timb.core.service import TimbService
from timb.core.tor_link import TorSettings
from timb.tor.bridges import BridgeLine
from timb.tor.client import TorClient

PASS = Secret("a passphrase")


async def _until_bootstrapped(service: TimbService) -> list[CoreEvent]:
    seen: list[CoreEvent] = []
    async with asyncio.timeout(60):
        async for event in service.events():
            seen.append(event)
            if isinstance(event, TorFailed):
                pytest.fail(f"tor failed: {event}")
            if isinstance(event, TorBootstrap) and event.progress == 100:
                return seen
    pytest.fail("the service closed before tor bootstrapped")


def _settings(tmp_path: Path, network: TorNetwork) -> TorSettings:
    return TorSettings(
        managed=True, data_dir=tmp_path / "tor", devnet_dir=network.data_dir, hold_network=True
    )


async def _conf(service: TimbService, *keys: str) -> dict[str, list[str]]:
    client = await service._tor.dialer()  # the test reads the real tor's configuration
    assert isinstance(client, TorClient)
    return await client.control.get_conf(*keys)


async def test_the_managed_tor_waits_for_the_choice_then_uses_only_the_bridge(
    tor_network: TorNetwork, tor_bridge: BridgeLine, tmp_path: Path
) -> None:
    profile_dir = tmp_path / "profile"
    async with TimbService(profile_dir, tor=_settings(tmp_path, tor_network)) as service:
        await service.create_profile(PASS)
        assert (await _conf(service, "DisableNetwork"))["DisableNetwork"] == ["1"]
        await service.set_tor_connection("custom", lines=f"# the private network's bridge\n{tor_bridge}")
        await _until_bootstrapped(service)
        conf = await _conf(service, "UseBridges", "Bridge", "DisableNetwork")
        assert (conf["UseBridges"], conf["DisableNetwork"]) == (["1"], ["0"])
        assert conf["Bridge"] == [tor_bridge.torrc_value()]

    async with TimbService(profile_dir, tor=_settings(tmp_path / "again", tor_network)) as service:
        await service.unlock_profile(PASS)
        await _until_bootstrapped(service)  # held until unlock applied the stored choice
        conf = await _conf(service, "UseBridges", "Bridge")
        assert (conf["UseBridges"], conf["Bridge"]) == (["1"], [tor_bridge.torrc_value()])
