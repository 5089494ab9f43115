"""TorClient against real tor processes on the private network (tests/fixtures/tor.py).

Tests that prove "no direct connection" install `no_direct_network`: from then on any local name
resolution, and any connect to something other than the tor ports the test names, raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest

from tests.fixtures.tor import TorNetwork
from timb.common.errors import InvalidIdentifier
from timb.common.ids import OnionAddress
from timb.tor import socks
from timb.tor.client import GUARD_OPTIONS, TorClient, parse_socks_listener
from timb.tor.control.events import BootstrapStatus, parse_circuit_status, parse_stream_status
from timb.tor.control.reply import parse_getconf, parse_replies
from timb.tor.errors import ControlError, OfflineGuardError, StreamError, TorNotReady, TorUnavailable
from timb.tor.onion import OnionKey, OnionListener
from timb.tor.process import ManagedTor, pick_free_ports
from timb.tor.testnet.state import ClientInfo
from timb.tor.torrc import NodeSpec, check_private_network, client_torrc

pytestmark = pytest.mark.integration


class DirectNetworkUsed(AssertionError):
    pass


def no_direct_network(monkeypatch: pytest.MonkeyPatch, tor_ports: Iterable[int]) -> list[object]:
    """Make local resolution and every connect except to 127.0.0.1:<tor_ports> raise.

    Returns the list of refused attempts (tests assert it stays empty).
    """
    allowed = {("127.0.0.1", p) for p in tor_ports}
    refused: list[object] = []

    def resolve(*args: object, **kwargs: object) -> None:
        refused.append(("resolve", args))
        raise DirectNetworkUsed(f"local name resolution: {args!r}")

    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address: object) -> None:
        if not (isinstance(address, tuple) and address[:2] in allowed):
            refused.append(("connect", address))
            raise DirectNetworkUsed(f"direct connect to {address!r}")

    def connect(self: socket.socket, address: object) -> None:
        check(address)
        real_connect(self, address)  # type: ignore[arg-type]

    def connect_ex(self: socket.socket, address: object) -> int:
        check(address)
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo"):
        monkeypatch.setattr(socket, name, resolve)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return refused


async def attach(client: ClientInfo) -> TorClient:
    return await TorClient.attach("127.0.0.1", client.control_port, cookie_path=client.cookie_path)


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(4096):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def open_with_retry(
    tor: TorClient, host: str, *, isolation: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    # After the first HS_DESC UPLOADED, the HSDir the client asks may not have the descriptor
    # yet (field notes §2): a short, bounded retry, reported if it is ever needed.
    for attempt in range(4):
        try:
            return await tor.open_stream(host, 80, isolation=isolation, connect_timeout=60)
        except StreamError:
            if attempt == 3:
                raise
            await asyncio.sleep(1.0)
    raise AssertionError("unreachable")


@pytest.fixture
async def service_tor(tor_network: TorNetwork) -> AsyncIterator[TorClient]:
    tor = await attach(tor_network.client)
    yield tor
    await tor.close()


@pytest.fixture
async def echo_service(service_tor: TorClient) -> AsyncIterator[OnionListener]:
    listener = await service_tor.listen_onion(echo, virtual_port=80, await_publication=True)
    yield listener
    await listener.close()


@contextlib.asynccontextmanager
async def held_client(tor_network: TorNetwork, tmp_path: Path) -> AsyncIterator[ClientInfo]:
    """A new client tor started with DisableNetwork 1: it sits at 0 % until told to go."""
    state = tor_network.network.status()
    assert state is not None
    (socks_port,) = pick_free_ports(1)
    spec = NodeSpec(
        "held",
        str(tmp_path / "held"),
        socks_port=socks_port,
        owner_pid=os.getpid(),
        extra=(("DisableNetwork", "1"),),
    )
    tor = ManagedTor(client_torrc(spec, state.authorities))
    ep = await tor.start(timeout_s=30)
    try:
        yield ClientInfo("held", ep.pid, socks_port, ep.control_port, ep.cookie_path, ep.data_dir)
    finally:
        tor.stop()


# ---- bootstrap ----


async def test_open_stream_before_bootstrap_is_not_ready_and_events_run_to_100(
    tor_network: TorNetwork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with held_client(tor_network, tmp_path) as client:
        tor = await attach(client)
        try:
            first = await tor.bootstrap_status()
            assert first.progress < 100
            refused = no_direct_network(monkeypatch, [client.socks_port, client.control_port])
            with pytest.raises(TorNotReady):
                await tor.open_stream("example.org", 443, isolation="early")
            with pytest.raises(TorNotReady):
                await tor.open_socket(OnionAddress.from_public_key(bytes(32)).host, 80, isolation="early")
            assert refused == []
            monkeypatch.undo()

            seen: list[BootstrapStatus] = []

            async def collect() -> None:
                async for status in tor.bootstrap_events():
                    seen.append(status)

            collector = asyncio.create_task(collect())
            await asyncio.sleep(0)  # let it subscribe and take the snapshot
            (await tor.control.command("SETCONF DisableNetwork=0")).raise_for_status()
            await asyncio.wait_for(collector, 90)
        finally:
            await tor.close()
    progress = [s.progress for s in seen]
    assert progress == sorted(progress), progress
    assert progress[0] < 100 and progress[-1] == 100 and seen[-1].tag == "done"
    assert len(set(progress)) >= 4, progress  # real phases in between, not just start and end


async def test_wait_bootstrapped_on_a_ready_tor(tor_network: TorNetwork) -> None:
    tor = await attach(tor_network.client)
    try:
        status = await tor.wait_bootstrapped(30)
        assert status.done and status.tag == "done"
    finally:
        await tor.close()


# ---- onion service echo through the one door ----


async def test_onion_echo_through_open_stream(
    tor_client: ClientInfo,
    echo_service: OnionListener,
    service_tor: TorClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert isinstance(echo_service.service.key, OnionKey)  # NEW: tor handed the key back to us
    tor = await attach(tor_client)
    try:
        refused = no_direct_network(monkeypatch, [tor_client.socks_port])
        reader, writer = await open_with_retry(tor, echo_service.address.host, isolation="echo")
        message = os.urandom(64)
        writer.write(message)
        await writer.drain()
        assert await reader.readexactly(64) == message
        writer.close()
        assert refused == []
    finally:
        await tor.close()


async def test_onion_service_from_a_stored_key_keeps_its_address(service_tor: TorClient) -> None:
    first = await service_tor.add_onion([(80, 9)])
    assert first.key is not None
    stored = first.key.serialise()  # what the caller would keep in its vault
    assert "ED25519-V3" not in repr(first) and stored.reveal().startswith("ED25519-V3:")
    await service_tor.del_onion(first)
    again = await service_tor.add_onion([(80, 9)], key=OnionKey.parse(stored))
    try:
        assert again.address == first.address and again.key is None
        current = await service_tor.control.get_info("onions/current")
        assert first.address.service_id in current["onions/current"]
    finally:
        await service_tor.del_onion(again)
    with pytest.raises(ControlError):
        await service_tor.del_onion(again)


async def test_listener_close_removes_the_service(service_tor: TorClient) -> None:
    listener = await service_tor.listen_onion(echo, await_publication=False)
    address = listener.address.service_id
    assert address in (await service_tor.control.get_info("onions/current"))["onions/current"]
    await listener.close()
    assert address not in (await service_tor.control.get_info("onions/current"))["onions/current"]


async def test_after_disable_network_1_then_0_the_moved_socks_listener_is_found(
    tor_client: ClientInfo, echo_service: OnionListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 14 finding 1: with SocksPort auto, tor reopens its listener on a new port.
    tor = await attach(tor_client)
    try:
        old = tor.socks_endpoint
        assert old is not None
        (await tor.control.command("SETCONF DisableNetwork=1")).raise_for_status()
        (await tor.control.command("SETCONF DisableNetwork=0")).raise_for_status()
        listeners = (await tor.control.get_info("net/listeners/socks"))["net/listeners/socks"]
        new = parse_socks_listener(listeners)
        assert new is not None and new != old, (old, listeners)  # else this test proves nothing
        refused = no_direct_network(monkeypatch, [old[1], new[1], tor_client.control_port])
        reader, writer = await open_with_retry(tor, echo_service.address.host, isolation="moved")
        writer.write(b"back")
        await writer.drain()
        assert await reader.readexactly(4) == b"back"
        writer.close()
        assert tor.socks_endpoint == new and refused == []
    finally:
        await tor.close()


# ---- isolation ----


async def _stream_circuits(tor: TorClient, target: str) -> dict[str, str]:
    info = await tor.control.get_info("stream-status")
    return {
        s.stream_id: s.circuit_id for s in parse_stream_status(info["stream-status"]) if s.target == target
    }


async def _open_and_find_circuit(
    tor: TorClient, host: str, key: str, known: set[str]
) -> tuple[asyncio.StreamWriter, str]:
    _, writer = await open_with_retry(tor, host, isolation=key)
    streams = await _stream_circuits(tor, f"{host}:80")
    new = {sid: circ for sid, circ in streams.items() if sid not in known}
    assert len(new) == 1, streams
    ((sid, circuit),) = new.items()
    known.add(sid)
    return writer, circuit


async def test_two_isolation_keys_ride_different_circuits(
    tor_client: ClientInfo, echo_service: OnionListener
) -> None:
    tor = await attach(tor_client)
    writers: list[asyncio.StreamWriter] = []
    try:
        host, known = echo_service.address.host, set[str]()
        w1, alice = await _open_and_find_circuit(tor, host, "contact:alice", known)
        w2, bob = await _open_and_find_circuit(tor, host, "contact:bob", known)
        w3, alice_again = await _open_and_find_circuit(tor, host, "contact:alice", known)
        writers += [w1, w2, w3]
        assert alice != bob, "two isolation keys shared a circuit"
        assert alice == alice_again, "the same key should reuse its circuit"
        circuits = {
            c.circuit_id: c
            for c in parse_circuit_status((await tor.control.get_info("circuit-status"))["circuit-status"])
        }
        assert circuits[alice].socks_username == socks.isolation_credentials("contact:alice")[0]
        assert circuits[bob].socks_username == socks.isolation_credentials("contact:bob")[0]
    finally:
        for w in writers:
            w.close()
        await tor.close()


# ---- tor gone ----


async def test_after_tor_is_killed_open_stream_is_unavailable_never_direct(
    tor_network: TorNetwork, tor_client: ClientInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    tor = await attach(tor_client)
    try:
        assert (await tor.bootstrap_status()).done
        tor_network.stop_client(tor_client)
        refused = no_direct_network(monkeypatch, [tor_client.socks_port, tor_client.control_port])
        for host in ("example.org", OnionAddress.from_public_key(bytes(32)).host, "127.0.0.1"):
            with pytest.raises(TorUnavailable):
                await tor.open_stream(host, 80, isolation="after-death")
        # The door itself, without the facade's control-port check: tor's SOCKS port is closed.
        with pytest.raises(TorUnavailable):
            await socks.open_stream("127.0.0.1", tor_client.socks_port, "example.org", 80, isolation="k")
        assert refused == []
    finally:
        await tor.close()


# ---- offline guard and addresses ----


async def test_offline_guard_accepts_the_private_network_and_refuses_its_public_twin(
    tor_network: TorNetwork,
) -> None:
    assert os.environ.get("TIMB_OFFLINE") == "1"
    tor = await attach(tor_network.client)  # the private network passes the guard
    try:
        reply = await tor.control.command("GETCONF " + " ".join(GUARD_OPTIONS))
    finally:
        await tor.close()
    raw = "".join(f"{ln.status}{ln.divider}{ln.text}\r\n" for ln in reply.lines)
    check_private_network(parse_getconf(parse_replies(raw.encode())[0]))
    # The same answer from a tor on the public network: no TestingTorNetwork, no DirAuthority.
    public = raw.replace("TestingTorNetwork=1", "TestingTorNetwork=0")
    with pytest.raises(OfflineGuardError):
        check_private_network(parse_getconf(parse_replies(public.encode())[0]))
    off_loopback = "".join(
        line.replace("127.0.0.1:", "198.51.100.7:") if "DirAuthority=" in line else line
        for line in raw.splitlines(keepends=True)
    )
    with pytest.raises(OfflineGuardError):
        check_private_network(parse_getconf(parse_replies(off_loopback.encode())[0]))


@pytest.mark.parametrize(
    "host",
    ["expyuzz4wqqyqhjn.onion", "a" * 56 + ".onion", "notanonion.onion"],
)
async def test_invalid_onion_addresses_are_rejected(
    tor_network: TorNetwork, host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tor = await attach(tor_network.client)
    try:
        refused = no_direct_network(monkeypatch, [])
        with pytest.raises(InvalidIdentifier):
            await tor.open_stream(host, 80, isolation="k")
        assert refused == []
    finally:
        await tor.close()
