"""The private Tor network on loopback (timb.tor.testnet), with the real tor binary."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from tests.fixtures.tor import TorNetwork
from timb.tor.client import TorClient
from timb.tor.control.events import BootstrapStatus
from timb.tor.errors import TorError, TorStartError
from timb.tor.process import tor_pid_alive
from timb.tor.socks import open_stream
from timb.tor.testnet import CLIENT, TestNetwork, bootstrap_status
from timb.tor.testnet.keys import restore_keys, save_keys
from timb.tor.testnet.state import ClientInfo, NetworkState

pytestmark = pytest.mark.integration


def _ports(state: NetworkState) -> set[int]:
    ports: set[int] = set()
    for a in state.authorities:
        ports |= {a.or_port, a.dir_port}
    for n in state.nodes:
        ports |= {p for p in (n.control_port, n.socks_port) if p is not None}
    return ports


def _alive(state: NetworkState) -> list[bool]:
    return [tor_pid_alive(n.pid, Path(n.data_dir) / "torrc") for n in state.nodes]


def _assert_in_order_to_100(seen: list[BootstrapStatus]) -> None:
    assert seen, "no bootstrap progress was reported"
    progress = [s.progress for s in seen]
    assert progress == sorted(progress), progress
    assert progress[-1] == 100
    assert seen[-1].tag == "done"


async def test_session_network_is_up(tor_network: TorNetwork) -> None:
    state = tor_network.network.status()
    assert state is not None
    roles = sorted(
        n.role for n in state.nodes if n.nickname in {"auth0", "auth1", "auth2", "relay0", "relay1"}
    )
    assert roles == ["authority", "authority", "authority", "exit", "relay"]
    assert all(_alive(state))
    relays = [n for n in state.nodes if n.role != "client"]
    fingerprints = {n.fingerprint for n in relays}
    assert len(fingerprints) == 5 and None not in fingerprints
    assert {a.fingerprint for a in state.authorities} <= fingerprints
    # Only clients listen for SOCKS (else every relay fights for 9050).
    assert all(n.socks_port is None for n in relays)
    status = await bootstrap_status(tor_network.client)
    assert status.done
    # The JSON state file says the same thing to other processes.
    data = json.loads((tor_network.data_dir / "state.json").read_text())
    assert {n["pid"] for n in data["nodes"]} >= {n.pid for n in state.nodes if n.role != "client"}


def test_up_progress_was_observed_in_order(tor_network: TorNetwork) -> None:
    _assert_in_order_to_100(tor_network.up_progress)
    assert tor_network.up_progress[0].progress < 100  # it really was watched from the start


async def test_up_reuses_a_live_network(tor_network: TorNetwork) -> None:
    before = tor_network.network.status()
    again = TestNetwork(tor_network.data_dir)  # as a second `timb testnet up` would
    client = await asyncio.wait_for(again.up(timeout_s=10), 10)
    assert client == tor_network.client
    assert tor_network.network.status() == before  # no node was restarted


async def test_add_client_bootstraps_and_carries_onion_traffic(tor_network: TorNetwork) -> None:
    seen: list[BootstrapStatus] = []
    client = await tor_network.network.add_client(f"added{os.getpid() % 1000}", on_progress=seen.append)
    try:
        _assert_in_order_to_100(seen)
        assert client.socks_port != tor_network.socks_port
        assert tor_network.network.alive()[client.nickname]

        async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(await reader.readexactly(5))
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        host_tor = await TorClient.attach(
            "127.0.0.1", tor_network.control_port, cookie_path=tor_network.control_cookie
        )
        try:
            service = await host_tor.add_onion([(80, port)], await_publication=True)
            reader, writer = await open_stream(
                "127.0.0.1", client.socks_port, service.address.host, 80, isolation="t"
            )
            writer.write(b"hello")
            assert await asyncio.wait_for(reader.readexactly(5), 30) == b"hello"
            writer.close()
        finally:
            await host_tor.close()
            server.close()
    finally:
        assert tor_network.network.stop_client(client.nickname)
    assert not tor_network.network.alive().get(client.nickname, False)
    assert not tor_pid_alive(client.pid, client.data_dir / "torrc")


async def test_exit_client_reaches_loopback_only_servers(exit_tor_client: ClientInfo) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readexactly(4))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await open_stream(
            "127.0.0.1", exit_tor_client.socks_port, "127.0.0.1", port, isolation="x"
        )
        writer.write(b"ping")
        assert await asyncio.wait_for(reader.readexactly(4), 30) == b"ping"
        writer.close()
    finally:
        server.close()


async def test_add_client_refuses_bad_names_and_missing_network(
    tor_network: TorNetwork, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="letters or digits"):
        await tor_network.network.add_client("no-dashes")
    with pytest.raises(ValueError, match="already a node"):
        await tor_network.network.add_client("client0")
    with pytest.raises(TorError, match="no private network"):
        await TestNetwork(tmp_path / "empty").add_client("c1")
    # stop_client stops only clients added later; the network's own nodes stay recorded.
    for own in ("auth0", "relay1", "client0", "nosuchnode"):
        assert tor_network.network.stop_client(own) is False
    assert all(tor_network.network.alive()[n] for n in ("auth0", "relay1", "client0"))


async def test_second_network_side_by_side_then_down_stops_every_pid(
    tor_network: TorNetwork, tmp_path: Path
) -> None:
    second = TestNetwork(tmp_path / "net2", owner_pid=os.getpid())
    try:
        client = await second.up(timeout_s=60)
        state = second.status()
        first = tor_network.network.status()
        assert state is not None and first is not None
        assert not _ports(state) & _ports(first)
        assert client.socks_port not in _ports(first)
        assert all(_alive(state))
        extra = await second.add_client("extra")
        assert tor_pid_alive(extra.pid, extra.data_dir / "torrc")
    finally:
        stopped = second.down()
    assert sorted(stopped) == sorted([n.pid for n in state.nodes] + [extra.pid])
    assert not any(_alive(state))
    assert not tor_pid_alive(extra.pid, extra.data_dir / "torrc")
    assert second.status() is None
    assert second.down() == []  # idempotent
    assert all(_alive(first))  # the session network was not touched


async def test_up_on_a_half_dead_network_starts_afresh(tmp_path: Path) -> None:
    cache = Path(platformdirs.user_cache_dir("timb")) / "testnet-keys"
    first = TestNetwork(tmp_path / "net3", owner_pid=os.getpid(), key_cache=cache)
    second = TestNetwork(tmp_path / "net3", owner_pid=os.getpid(), key_cache=cache)  # a later `up`
    try:
        await first.up()
        before = first.status()
        assert before is not None
        os.kill(before.node("relay1").pid, signal.SIGKILL)
        for _ in range(100):
            if not first.alive()["relay1"]:
                break
            await asyncio.sleep(0.05)
        assert not first.alive()["relay1"]
        client = await second.up()
        after = second.status()
        assert after is not None
        assert all(_alive(after))
        assert not any(_alive(before))  # what was left of the old network was stopped
        assert {n.pid for n in after.nodes}.isdisjoint(n.pid for n in before.nodes)
        assert (await bootstrap_status(client)).done
        # A launch killed before its client started: relays alive, no client recorded.
        assert second.stop_client(CLIENT) is False  # the network's own client is not "added"
        gone = second.state_file.remove_node(CLIENT)
        assert gone is not None
        os.kill(gone.pid, signal.SIGKILL)
        third = await second.up()
        assert third.pid != client.pid
        assert (await bootstrap_status(third)).done
    finally:
        second.down()
        first.down()  # reaps the old tors (our children)


# ---- the command line (timb testnet, timb demo), run as a user would ----


def _pgrep(pattern: str) -> str:
    return subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True, check=False).stdout


def _timb(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timb.ui.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_cli_up_reuses_the_network_and_status_describes_it(tor_network: TorNetwork) -> None:
    up = _timb("testnet", "up", "--dir", str(tor_network.data_dir))
    assert up.returncode == 0, up.stderr
    printed = json.loads(up.stdout)
    assert printed["socks_port"] == tor_network.socks_port
    assert printed["control_port"] == tor_network.control_port
    assert printed["control_cookie"] == str(tor_network.control_cookie)
    assert "bootstrap 100%" in up.stderr
    status = _timb("testnet", "status", "--dir", str(tor_network.data_dir))
    assert status.returncode == 0, status.stderr
    described = json.loads(status.stdout)
    assert described["running"] is True
    assert described["bootstrap"] == 100
    assert {"auth0", "auth1", "auth2", "relay0", "relay1", "client0"} <= {
        n["nickname"] for n in described["nodes"]
    }


def test_cli_status_and_down_of_an_empty_directory(tmp_path: Path) -> None:
    status = _timb("testnet", "status", "--dir", str(tmp_path))
    assert status.returncode == 1
    assert json.loads(status.stdout)["running"] is False
    down = _timb("testnet", "down", "--dir", str(tmp_path))
    assert down.returncode == 0
    assert json.loads(down.stdout)["stopped_pids"] == []


async def test_failed_launch_is_retried_then_reported_and_leaves_nothing_running(tmp_path: Path) -> None:
    net = TestNetwork(tmp_path / "hurried", owner_pid=os.getpid())
    with pytest.raises(TorStartError, match="consensus did not list all 5 relays") as info:
        await net.up(timeout_s=0.5)  # no consensus comes together this fast
    assert "[notice.log]" in info.value.log_tail  # the authority's own words come with it
    assert net.status() is None
    assert _pgrep(str(tmp_path / "hurried")) == ""


def test_key_cache_keeps_and_restores_relay_keys(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = tmp_path / "net1" / "relay0"
    (first / "keys").mkdir(parents=True)
    (first / "keys" / "secret_id_key").write_bytes(b"key material")
    (first / "fingerprint").write_text("relay0 " + "A" * 40 + "\n")
    save_keys(cache, first)
    assert (cache / "relay0" / "keys" / "secret_id_key").read_bytes() == b"key material"
    (first / "keys" / "secret_id_key").write_bytes(b"changed later")
    save_keys(cache, first)  # kept once: the first copy stays
    assert (cache / "relay0" / "keys" / "secret_id_key").read_bytes() == b"key material"

    fresh = tmp_path / "net2" / "relay0"
    fresh.mkdir(parents=True)
    assert restore_keys(cache, fresh)
    assert (fresh / "keys" / "secret_id_key").read_bytes() == b"key material"
    assert (fresh / "fingerprint").read_text() == "relay0 " + "A" * 40 + "\n"
    assert not restore_keys(cache, first)  # a node with keys keeps its own
    assert not restore_keys(cache, tmp_path / "net2" / "relay1")  # nothing cached for it
    assert not restore_keys(None, tmp_path / "net3" / "relay0")
    assert not list(cache.glob(".*.tmp"))
