"""Issue 14 finding (chaos campaign, seed 3, fault "DisableNetwork 1/0" on bob's tor): after
``SETCONF DisableNetwork=1`` then ``=0`` a tor with ``SocksPort 127.0.0.1:auto`` (every client of
the private network, and any tor configured so) reopens its SOCKS listener on a new port. TIMB's
`TorClient` read ``net/listeners/socks`` once (at attach, `_require_ready`) and keeps dialling the
old port, so every reconnection of the account fails ("connection refused") for ever: the
client never comes back after the laptop's Wi-Fi does, and what it showed as sent stays lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from tests.unit.test_control_client import COOKIE, FakeTor
from timb.tor.client import TorClient
from timb.tor.errors import TorError
from timb.tor.process import pick_free_ports

ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
DONE = 'NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"'


@pytest.mark.xfail(
    strict=True,
    reason="issue 14 finding: TorClient caches tor's SOCKS port; after DisableNetwork 1/0 an auto "
    "SocksPort moves and TIMB keeps dialling the old one",
)
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
