"""Issue 14 finding (chaos campaign, seed 3, fault "DisableNetwork 1/0" on bob's tor): after
``SETCONF DisableNetwork=1`` then ``=0`` a tor with ``SocksPort 127.0.0.1:auto`` (every client of
the private network, and any tor configured so) reopens its SOCKS listener on a new port. TIMB's
`TorClient` read ``net/listeners/socks`` once (at attach, `_require_ready`) and keeps dialling the
old port, so every reconnection of the account fails ("connection refused") for ever: the
client never comes back after the laptop's Wi-Fi does, and what it showed as sent stays lost.

Fixed: a refused dial makes `TorClient` ask tor's control port again (offline guard and loopback
check included) and dial the moved listener; nothing else is ever dialled.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from tests.unit.test_control_client import COOKIE, PUBLIC_CONF, FakeTor
from timb.tor import socks as socks_door
from timb.tor.client import TorClient
from timb.tor.errors import OfflineGuardError, TorError
from timb.tor.process import pick_free_ports

ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
DONE = 'NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"'


async def test_a_moved_socks_listener_is_found_again(tmp_path: Path) -> None:
    cookie = tmp_path / "control_auth_cookie"
    cookie.write_bytes(COOKIE)
    old_port = pick_free_ports(1)[0]  # nothing listens here any more: tor closed it
    reached: list[bool] = []

    async def new_listener(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reached.append(True)
        writer.close()

    socks = await asyncio.start_server(new_listener, "127.0.0.1", 0)
    new_port = socks.sockets[0].getsockname()[1]
    listener = {"port": old_port}

    def getinfo(key: str) -> str:
        if key == "status/bootstrap-phase":
            return f"250-{key}={DONE}\r\n250 OK\r\n"
        return f'250-{key}="127.0.0.1:{listener["port"]}"\r\n250 OK\r\n'

    fake = FakeTor(cookie, on_getinfo=getinfo)
    control = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    fake.port = control.sockets[0].getsockname()[1]
    try:
        async with await TorClient.attach("127.0.0.1", fake.port) as tor:
            assert tor.socks_endpoint == ("127.0.0.1", old_port)
            listener["port"] = new_port  # DisableNetwork 1, then 0: the listener reopened elsewhere
            for _ in range(2):  # the first attempt may meet the old port; the next must not
                with contextlib.suppress(TorError, OSError):
                    await tor.open_stream(ONION, 5222, isolation="t", connect_timeout=5)
            assert reached, "TorClient kept dialling tor's old SOCKS port"
    finally:
        control.close()
        socks.close()


async def _moved_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moved: str, *, getconf_after: str | None = None
) -> tuple[list[tuple[str, int]], BaseException | None]:
    """Attach to a fake tor whose SOCKS listener (closed) then "moves" to ``moved`` (a
    ``net/listeners/socks`` value); open a stream; return every endpoint dialled and the error."""
    monkeypatch.setenv("TIMB_OFFLINE", "1")
    cookie = tmp_path / "control_auth_cookie"
    cookie.write_bytes(COOKIE)
    old_port = pick_free_ports(1)[0]
    listener = {"value": f'"127.0.0.1:{old_port}"'}

    def getinfo(key: str) -> str:
        if key == "status/bootstrap-phase":
            return f"250-{key}={DONE}\r\n250 OK\r\n"
        return f"250-{key}={listener['value']}\r\n250 OK\r\n"

    dialled: list[tuple[str, int]] = []
    real_open_stream = socks_door.open_stream

    async def spy(socks_host: str, socks_port: int, *args: object, **kwargs: object) -> object:
        dialled.append((socks_host, socks_port))
        return await real_open_stream(socks_host, socks_port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socks_door, "open_stream", spy)
    fake = FakeTor(cookie, on_getinfo=getinfo)
    control = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    fake.port = control.sockets[0].getsockname()[1]
    error: BaseException | None = None
    try:
        async with await TorClient.attach("127.0.0.1", fake.port) as tor:
            listener["value"] = moved
            if getconf_after is not None:
                fake.getconf = getconf_after
            try:
                await tor.open_stream(ONION, 5222, isolation="t", connect_timeout=5)
            except (TorError, ValueError) as e:
                error = e
    finally:
        control.close()
    return dialled, error


@pytest.mark.parametrize("moved", ['"203.0.113.7:9050"', '"0.0.0.0:9050"', '"[2001:db8::1]:9050"'])
async def test_a_listener_that_moved_off_loopback_is_refused_never_dialled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moved: str
) -> None:
    dialled, error = await _moved_to(tmp_path, monkeypatch, moved)
    assert isinstance(error, TorError) and not isinstance(error, ValueError), error
    assert all(host == "127.0.0.1" for host, _ in dialled), dialled
    assert len(dialled) == 1  # only the old loopback port, which refused


async def test_a_moved_listener_is_dialled_only_if_the_offline_guard_still_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_port = pick_free_ports(1)[0]
    dialled, error = await _moved_to(
        tmp_path, monkeypatch, f'"127.0.0.1:{new_port}"', getconf_after=PUBLIC_CONF
    )
    assert isinstance(error, OfflineGuardError), error
    assert len(dialled) == 1 and dialled[0][1] != new_port
