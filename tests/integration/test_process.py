"""ManagedTor (timb.tor.process): the offline guard before any spawn, a real tor that joins the
session's private network, owner-process death, clean stop and readable start errors."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.tor import TorNetwork
from timb.tor.client import TorClient
from timb.tor.control.client import ControlConnection
from timb.tor.errors import OfflineGuardError, TorStartError, TorUnavailable
from timb.tor.process import ManagedTor, pick_free_ports, tor_pid_alive
from timb.tor.torrc import DirAuthority, NodeSpec, TorConfig, client_torrc

FAKE_TOR = """#!/bin/sh
# Stands in for tor: proves whether ManagedTor spawned anything at all.
touch "{marker}"
echo "fake tor ran with: $*"
exit 3
"""


def _fake_tor(tmp_path: Path) -> tuple[str, Path]:
    marker = tmp_path / "spawned"
    script = tmp_path / "fake-tor"
    script.write_text(FAKE_TOR.format(marker=marker))
    script.chmod(0o755)
    return str(script), marker


def _process_exists(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}")


def _public_torrc(data_dir: Path) -> TorConfig:
    # What a default tor would be: no TestingTorNetwork, the public authorities.
    return TorConfig(
        (("DataDirectory", str(data_dir)), ("ControlPort", "127.0.0.1:auto"), ("SocksPort", "0"))
    )


def _private_client(data_dir: Path, authorities: tuple[DirAuthority, ...], owner: int | None) -> TorConfig:
    (socks,) = pick_free_ports(1)
    return client_torrc(NodeSpec("managed", str(data_dir), socks_port=socks, owner_pid=owner), authorities)


FAR_AUTHORITIES = (
    DirAuthority("moria1", 9101, 9131, "D" * 40, "9695DFC35FFEB861329B9F1AB04C46397020CE31", "128.31.0.39"),
)
LOOPBACK_AUTHORITIES = (DirAuthority("auth0", 5000, 5100, "A" * 40, "B" * 40),)


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(_public_torrc, id="public-network"),
        pytest.param(lambda d: _private_client(d, FAR_AUTHORITIES, None), id="authority-off-loopback"),
        pytest.param(
            lambda d: _private_client(d, LOOPBACK_AUTHORITIES, None).without("TestingTorNetwork"),
            id="no-testing-network",
        ),
    ],
)
async def test_offline_guard_refuses_without_spawning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: object
) -> None:
    monkeypatch.setenv("TIMB_OFFLINE", "1")
    binary, marker = _fake_tor(tmp_path)
    tor = ManagedTor(config(tmp_path / "data"), tor_binary=binary)  # type: ignore[operator]
    with pytest.raises(OfflineGuardError):
        await tor.start()
    assert tor.pid is None
    assert not marker.exists()  # nothing ran


async def test_private_torrc_passes_the_guard_and_is_spawned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control for the test above: the same fake binary does run for a private torrc, and
    # its early exit is reported with its output.
    monkeypatch.setenv("TIMB_OFFLINE", "1")
    binary, marker = _fake_tor(tmp_path)
    tor = ManagedTor(_private_client(tmp_path / "data", LOOPBACK_AUTHORITIES, None), tor_binary=binary)
    with pytest.raises(TorStartError, match="exited early with status 3") as info:
        await tor.start(timeout_s=10)
    assert marker.exists()
    assert "--defaults-torrc /dev/null" in info.value.log_tail
    assert not tor.running


async def test_guard_is_off_without_timb_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only with TIMB_OFFLINE=1 is a public torrc refused (the fake binary never dials anything).
    monkeypatch.delenv("TIMB_OFFLINE", raising=False)
    binary, marker = _fake_tor(tmp_path)
    with pytest.raises(TorStartError, match="exited early"):
        await ManagedTor(_public_torrc(tmp_path / "data"), tor_binary=binary).start(timeout_s=10)
    assert marker.exists()


async def test_missing_binary(tmp_path: Path) -> None:
    tor = ManagedTor(
        _private_client(tmp_path, LOOPBACK_AUTHORITIES, None), tor_binary=str(tmp_path / "no-tor")
    )
    with pytest.raises(TorStartError, match="cannot execute"):
        await tor.start()


def test_torrc_must_name_one_data_directory() -> None:
    with pytest.raises(ValueError, match="DataDirectory"):
        ManagedTor(TorConfig((("SocksPort", "0"),)))


@pytest.mark.integration
async def test_bad_torrc_is_reported_with_tors_complaint(tmp_path: Path) -> None:
    config = _private_client(tmp_path / "data", LOOPBACK_AUTHORITIES, os.getpid()).plus(
        ("CircuitBuildTimeout", "banana")
    )
    tor = ManagedTor(config)
    with pytest.raises(TorStartError, match="exited early") as info:
        await tor.start(timeout_s=20)
    assert "CircuitBuildTimeout" in info.value.log_tail
    assert not tor.running


@pytest.mark.integration
async def test_managed_tor_joins_the_network_and_dies_when_stopped(
    tor_network: TorNetwork, tmp_path: Path
) -> None:
    state = tor_network.network.status()
    assert state is not None
    tor = ManagedTor(_private_client(tmp_path / "managed", state.authorities, os.getpid()))
    try:
        endpoints = await tor.start()
        assert (tmp_path / "managed").stat().st_mode & 0o777 == 0o700
        assert endpoints.cookie_path.exists()
        assert tor_pid_alive(endpoints.pid, tmp_path / "managed" / "torrc")
        conn = await ControlConnection.connect("127.0.0.1", endpoints.control_port)
        try:
            await conn.authenticate(cookie_path=endpoints.cookie_path)
            conf = await conn.get_conf("__OwningControllerProcess", "TestingTorNetwork")
        finally:
            await conn.close()
        assert conf["__OwningControllerProcess"] == [str(os.getpid())]
        assert conf["TestingTorNetwork"] == ["1"]
        # It is a working member of the private network (T2's client applies the guard too).
        async with await TorClient.attach(
            "127.0.0.1", endpoints.control_port, cookie_path=endpoints.cookie_path
        ) as client:
            status = await client.wait_bootstrapped(timeout_s=60)
            assert status.done
    finally:
        tor.stop()
    assert not tor.running
    assert not _process_exists(endpoints.pid)  # stopped and reaped
    with pytest.raises(TorUnavailable):
        await ControlConnection.connect("127.0.0.1", endpoints.control_port)


@pytest.mark.integration
async def test_tor_exits_when_its_owner_dies(tor_network: TorNetwork, tmp_path: Path) -> None:
    state = tor_network.network.status()
    assert state is not None
    owner = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(120)")
    tor = ManagedTor(_private_client(tmp_path / "owned", state.authorities, owner.pid))
    try:
        await tor.start()
        owner.kill()
        await owner.wait()
        deadline = time.monotonic() + 40  # tor polls its owner every 15 s
        while tor.running and time.monotonic() < deadline:  # noqa: ASYNC110 (a process, not an event)
            await asyncio.sleep(0.2)
        assert not tor.running, "tor outlived its owning process"
    finally:
        if owner.returncode is None:
            owner.kill()
            await owner.wait()
        tor.stop()
