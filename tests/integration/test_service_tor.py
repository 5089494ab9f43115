"""The service's tor on the private network: attached to a client, or started by the service
itself (managed), with bootstrap progress reaching the UI in order and ending at 100."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from tests.fixtures.tor import TorNetwork
from timb.common.secret import Secret
from timb.core.events import CoreEvent, TorBootstrap, TorFailed
from timb.core.service import TimbService, TorSettings, Unavailable

pytestmark = pytest.mark.integration


async def bootstrap_of(service: TimbService) -> list[int]:
    """Every TorBootstrap progress until 100 (fails on TorFailed)."""
    seen: list[int] = []
    events = service.events()
    while not seen or seen[-1] < 100:
        event: CoreEvent = await anext(events)
        assert not isinstance(event, TorFailed), event.message
        if isinstance(event, TorBootstrap):
            seen.append(event.progress)
    return seen


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_attached_client_reports_its_bootstrap(tor_network: TorNetwork, tmp_path: Path) -> None:
    client = await tor_network.add_client("att")
    try:
        settings = TorSettings(control_port=client.control_port, cookie_path=client.cookie_path)
        async with TimbService(tmp_path / "p", tor=settings) as service:
            assert await bootstrap_of(service) == [100]  # add_client waited for it already
            await service.create_profile(Secret("a passphrase"))
            tor = service.settings().tor
            assert (tor.mode, tor.private_network) == ("attach", True)  # TestingTorNetwork 1
            # A local port published as an onion service: tor answers with a v3 address and
            # knows the service until it is unpublished.
            published = await service.publish_onion(5999, virtual_port=80)
            assert (published.virtual_port, published.local_port) == (80, 5999)
            assert str(published.address).endswith(".onion")
            await service.unpublish_onion(str(published.address))
            with pytest.raises(Unavailable):
                await service.unpublish_onion(str(published.address))
    finally:
        tor_network.stop_client(client)


async def test_managed_tor_joins_the_private_network_and_stops_with_the_service(
    tor_network: TorNetwork, tmp_path: Path
) -> None:
    data_dir = tmp_path / "tor"
    settings = TorSettings(managed=True, data_dir=data_dir, devnet_dir=tor_network.data_dir)
    async with TimbService(tmp_path / "p", tor=settings) as service:
        progress = await bootstrap_of(service)
        assert progress[-1] == 100
        assert progress == sorted(progress)  # in order
        assert len(progress) > 1  # a tor started from nothing passes through several steps
        pid = int((data_dir / "pid").read_text())
        assert alive(pid)
        torrc = (data_dir / "torrc").read_text()
        assert "TestingTorNetwork 1" in torrc and "DirAuthority" in torrc
    assert not alive(pid)


async def test_a_tor_that_dies_after_bootstrap_is_reported(tor_network: TorNetwork, tmp_path: Path) -> None:
    data_dir = tmp_path / "tor"
    settings = TorSettings(managed=True, data_dir=data_dir, devnet_dir=tor_network.data_dir)
    async with TimbService(tmp_path / "p", tor=settings) as service:
        await bootstrap_of(service)
        pid = int((data_dir / "pid").read_text())
        os.kill(pid, signal.SIGKILL)
        events = service.events()
        async with asyncio.timeout(30):
            while not isinstance(event := await anext(events), TorFailed):
                pass
        assert "tor stopped" in event.message


async def test_closing_the_service_is_not_a_tor_failure(tor_network: TorNetwork, tmp_path: Path) -> None:
    client = await tor_network.add_client("quiet")
    try:
        settings = TorSettings(control_port=client.control_port, cookie_path=client.cookie_path)
        service = TimbService(tmp_path / "p", tor=settings)
        async with service:
            await bootstrap_of(service)
        seen = [event async for event in service.events()]
        assert not any(isinstance(event, TorFailed) for event in seen)
    finally:
        tor_network.stop_client(client)
