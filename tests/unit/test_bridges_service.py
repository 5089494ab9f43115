"""The connection assistant through the service (`TimbService.tor_connection` /
`set_tor_connection`): every check before anything is stored, and a running managed tor
reconfigured with SETCONF (a recording fake control connection: no tor starts here)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from timb.common.random import SystemRandom
from timb.common.secret import Secret
from timb.core.errors import InvalidRequest
from timb.core.service import TimbService
from timb.core.service.session import ProfileSession
from timb.core.service.tor_connection import TorConnection
from timb.core.service.tor_settings import LIST_SECTION
from timb.core.tor_link import TorSettings
from timb.tor.builtin import FORMAT
from timb.tor.control.reply import Reply, ReplyLine
from timb.ui.cli.jsonrpc import JsonRpcServer

CERT = "A" * 70
LOOPBACK_OBFS4 = f"obfs4 127.0.0.1:7001 {'C' * 40} cert={CERT} iat-mode=0"
LOOPBACK_OBFS4_2 = f"obfs4 127.0.0.1:7002 {'D' * 40} cert={CERT} iat-mode=0"
PUBLIC_OBFS4 = f"obfs4 192.0.2.7:443 {'E' * 40} cert={CERT} iat-mode=0"


def _list_file(tmp_path: Path, bridges: dict[str, list[str]], name: str = "list.json") -> Path:
    path = tmp_path / name
    doc = {"format": FORMAT, "date": "2027-03-04", "source": "a friend's list", "bridges": bridges}
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[TimbService]:
    async with TimbService(tmp_path / "profile") as s:
        await s.create_profile(Secret("a passphrase"))
        yield s


async def test_offline_the_builtin_bridges_are_refused_with_a_clear_error(service: TimbService) -> None:
    for transport in ("obfs4", "snowflake", "meek_lite"):
        with pytest.raises(InvalidRequest, match="TIMB_OFFLINE=1: builtin bridges are refused before tor"):
            await service.set_tor_connection("builtin", transport=transport)
    assert (await service.tor_connection()).mode is None  # nothing stored: still the first question


async def test_a_bad_pasted_line_names_its_line_and_field_and_keeps_nothing(service: TimbService) -> None:
    await service.set_tor_connection("direct")
    with pytest.raises(InvalidRequest, match="bridge line 2: port"):
        await service.set_tor_connection("custom", lines=f"{LOOPBACK_OBFS4}\nobfs4 127.0.0.1:0 {'C' * 40}")
    with pytest.raises(InvalidRequest, match="unknown Tor connection"):
        await service.set_tor_connection("sideways")
    assert (await service.tor_connection()).mode == "direct"


async def test_given_bridges_are_stored_and_described_without_their_lines(service: TimbService) -> None:
    await service.set_tor_connection("custom", lines=f"# from a friend\n{LOOPBACK_OBFS4}\n")
    info = await service.tor_connection()
    assert (info.mode, info.bridge_count, info.managed) == ("custom", 1, False)
    assert info.attached_uses_bridges is None  # no tor at all here
    assert "obfs4" in info.transports and "snowflake" in info.transports  # make installs both
    assert info.builtin_date[:4].isdigit()
    assert "127.0.0.1" not in repr(info)


class _Control:
    def __init__(self) -> None:
        self.commands: list[str] = []

    async def command(self, line: str, **_: Any) -> Reply:
        self.commands.append(line)
        return Reply((ReplyLine(250, " ", "OK"),))

    async def get_conf(self, *keys: str) -> dict[str, list[str]]:
        authority = f"a orport=1 v3ident={'A' * 40} 127.0.0.1:2 {'B' * 40}"
        return {"TestingTorNetwork": ["1"], "DirAuthority": [authority]}


class _Client:
    def __init__(self) -> None:
        self.control = _Control()

    def forget_bootstrap(self) -> None:
        pass


class _Link:
    def __init__(self, managed: bool) -> None:
        self.settings = TorSettings(managed=managed)
        self.client = _Client()


async def test_a_running_managed_tor_is_reconfigured_without_restart(tmp_path: Path) -> None:
    session = ProfileSession(tmp_path / "p", SystemRandom(), lambda _: None)
    await session.create(Secret("pw"))
    link = _Link(managed=True)
    conn = TorConnection(session, link)  # type: ignore[arg-type]
    await conn.choose("custom", lines=LOOPBACK_OBFS4)
    (setconf,) = link.client.control.commands
    assert setconf.startswith('SETCONF UseBridges="1" Bridge="obfs4 127.0.0.1:7001')
    assert 'ClientTransportPlugin="obfs4 exec /' in setconf
    await conn.choose("direct")
    assert link.client.control.commands[-1] == "RESETCONF UseBridges Bridge ClientTransportPlugin"
    attached = _Link(managed=False)
    await TorConnection(session, attached).choose("custom", lines=LOOPBACK_OBFS4)  # type: ignore[arg-type]
    assert attached.client.control.commands == []  # an attached tor is configured where it runs
    await session.close()


async def _call(server: JsonRpcServer, method: str, params: dict[str, object]) -> dict[str, Any]:
    request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    line = await server.handle_line(json.dumps(request))
    assert line is not None
    reply: dict[str, Any] = json.loads(line)
    return reply


async def test_jsonrpc_get_and_set_bridges(service: TimbService) -> None:
    server = JsonRpcServer(service)
    assert (await _call(server, "tor.bridges.get", {}))["result"]["mode"] is None
    refused = await _call(server, "tor.bridges.set", {"mode": "builtin", "transport": "obfs4"})
    assert refused["error"]["code"] == -32602 and "TIMB_OFFLINE=1" in refused["error"]["message"]
    bad = await _call(server, "tor.bridges.set", {"mode": "custom", "lines": "obfs4 127.0.0.1:1 xyz"})
    assert bad["error"]["code"] == -32602 and "bridge line 1" in bad["error"]["message"]
    ok = await _call(server, "tor.bridges.set", {"mode": "custom", "lines": LOOPBACK_OBFS4})
    assert ok["result"] is None
    got = (await _call(server, "tor.bridges.get", {}))["result"]
    assert (got["mode"], got["bridge_count"], got["managed"]) == ("custom", 1, False)
    assert "127.0.0.1" not in json.dumps(got)  # given lines are never shown back


async def test_an_imported_list_replaces_the_builtin_one_in_the_profile(tmp_path: Path) -> None:
    async with TimbService(tmp_path / "profile") as service:
        await service.create_profile(Secret("a passphrase"))
        shipped = await service.tor_connection()
        path = _list_file(tmp_path, {"obfs4": [LOOPBACK_OBFS4, LOOPBACK_OBFS4_2]})
        info = await service.import_bridge_list(path)
        assert (info.builtin_date, info.builtin_source) == ("2027-03-04", "a friend's list")
        assert info.builtin_date != shipped.builtin_date and info.transports == ("obfs4",)
        # Offline, the shipped (public) obfs4 bridges are refused; the imported loopback ones
        # are what "built-in obfs4" now means, so the same choice is accepted.
        await service.set_tor_connection("builtin", transport="obfs4")
    path.unlink()  # kept in the (encrypted) profile, not read from the file again
    async with TimbService(tmp_path / "profile") as service:
        await service.unlock_profile(Secret("a passphrase"))
        kept = await service.tor_connection()
        assert (kept.builtin_date, kept.builtin_source, kept.mode) == (
            "2027-03-04",
            "a friend's list",
            "builtin",
        )


async def test_a_list_with_one_bad_line_is_refused_whole_naming_it(
    service: TimbService, tmp_path: Path
) -> None:
    bad_port = LOOPBACK_OBFS4_2.replace(":7002", ":0")
    path = _list_file(tmp_path, {"obfs4": [LOOPBACK_OBFS4, bad_port]})
    with pytest.raises(InvalidRequest, match="bridge list refused, bridge 2 of the file: port"):
        await service.import_bridge_list(path)
    # In a pt_config.json the lines of lists TIMB skips count too: the number is the file's.
    tor_browser = tmp_path / "pt_config.json"
    raw = {"conjure": ["conjure 143.110.214.222:80 url=x"], "obfs4": [LOOPBACK_OBFS4, bad_port]}
    tor_browser.write_text(json.dumps({"pluggableTransports": {}, "bridges": raw}))
    with pytest.raises(InvalidRequest, match="bridge 3 of the file: port"):
        await service.import_bridge_list(tor_browser)
    with pytest.raises(InvalidRequest, match="the file: file cannot be read"):
        await service.import_bridge_list(tmp_path / "missing.json")
    info = await service.tor_connection()
    assert info.builtin_source != "a friend's list" and "snowflake" in info.transports  # nothing kept


async def test_offline_a_list_with_a_public_bridge_is_refused(service: TimbService, tmp_path: Path) -> None:
    path = _list_file(tmp_path, {"obfs4": [LOOPBACK_OBFS4, PUBLIC_OBFS4]})
    with pytest.raises(InvalidRequest, match=r"TIMB_OFFLINE=1: obfs4 bridge 2 of the list.*192\.0\.2\.7"):
        await service.import_bridge_list(path)
    assert (await service.tor_connection()).builtin_source != "a friend's list"


async def test_a_list_that_cannot_serve_the_stored_choice_is_refused(
    service: TimbService, tmp_path: Path
) -> None:
    await service.import_bridge_list(_list_file(tmp_path, {"obfs4": [LOOPBACK_OBFS4]}, "first.json"))
    await service.set_tor_connection("builtin", transport="obfs4")
    vanilla_only = _list_file(tmp_path, {"vanilla": ["127.0.0.1:7003"]}, "second.json")
    with pytest.raises(InvalidRequest, match="no obfs4 bridge"):
        await service.import_bridge_list(vanilla_only)
    assert (await service.tor_connection()).transports == ("obfs4",)  # the first list stays


async def test_an_import_moves_a_running_managed_tor_on_builtin_bridges(tmp_path: Path) -> None:
    session = ProfileSession(tmp_path / "p", SystemRandom(), lambda _: None)
    await session.create(Secret("pw"))
    link = _Link(managed=True)
    conn = TorConnection(session, link)  # type: ignore[arg-type]
    await conn.import_list(_list_file(tmp_path, {"obfs4": [LOOPBACK_OBFS4]}, "first.json"))
    assert link.client.control.commands == []  # no built-in choice yet: tor is left alone
    await conn.choose("builtin", transport="obfs4")
    await conn.import_list(_list_file(tmp_path, {"obfs4": [LOOPBACK_OBFS4_2]}, "second.json"))
    first, second = link.client.control.commands
    assert "127.0.0.1:7001" in first and "127.0.0.1:7001" not in second
    assert second.startswith('SETCONF UseBridges="1" Bridge="obfs4 127.0.0.1:7002')
    await session.close()


async def test_jsonrpc_imports_a_bridge_list(service: TimbService, tmp_path: Path) -> None:
    server = JsonRpcServer(service)
    bad = _list_file(tmp_path, {"obfs4": ["obfs4 127.0.0.1:1 xyz"]}, "bad.json")
    refused = await _call(server, "tor.bridges.import", {"path": str(bad)})
    assert refused["error"]["code"] == -32602 and "bridge 1 of the file" in refused["error"]["message"]
    good = _list_file(tmp_path, {"obfs4": [LOOPBACK_OBFS4]})
    got = (await _call(server, "tor.bridges.import", {"path": str(good)}))["result"]
    assert (got["builtin_date"], got["builtin_source"], got["transports"]) == (
        "2027-03-04",
        "a friend's list",
        ["obfs4"],
    )


async def test_a_stored_list_that_no_longer_validates_reads_as_the_shipped_one(tmp_path: Path) -> None:
    session = ProfileSession(tmp_path / "p", SystemRandom(), lambda _: None)
    await session.create(Secret("pw"))
    conn = TorConnection(session, _Link(managed=False))  # type: ignore[arg-type]
    shipped = await conn.describe()
    imported = await conn.import_list(_list_file(tmp_path, {"obfs4": [LOOPBACK_OBFS4]}))
    assert imported.builtin_source == "a friend's list"
    vault = session.require().vault
    kept = vault.section(LIST_SECTION)
    assert kept["bridges"] == {"obfs4": [LOOPBACK_OBFS4]}  # in TIMB's format, as validated
    kept["bridges"] = {"obfs4": [LOOPBACK_OBFS4.replace(":7001", ":0")]}  # a stricter parser's view
    info = await conn.describe()
    assert (info.builtin_source, info.builtin_date) == (shipped.builtin_source, shipped.builtin_date)
    await session.close()
