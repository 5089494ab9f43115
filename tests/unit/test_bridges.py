"""Bridge lines (timb.tor.bridges), transports (timb.tor.transports) and the offline guard's
bridge rules: a corpus of real-format lines, valid and broken. Pure: no tor is started."""

from __future__ import annotations

import pytest

from timb.tor.bridge_control import parse_entry_guards
from timb.tor.bridges import BridgeLine, parse_bridge_line, parse_bridge_lines
from timb.tor.errors import BridgeLineError, OfflineGuardError
from timb.tor.testnet.bridge import bridge_line_from
from timb.tor.torrc import TorConfig, check_private_network
from timb.tor.transports import (
    TransportProgram,
    adapt_bridge,
    available_transports,
    bridge_options,
    detect_programs,
    parse_version,
)

FP = "CDF2E852BF539B82BD10E27E9115A31734E378C2"
CERT = "qUVQ0srL1JI/vO6V6m/24anYXiJD3QP2HgzUKQtQ7GRqqUvs7P+tG43RtAqdhLOALP7DJQ"
OBFS4 = f"obfs4 192.95.36.142:443 {FP} cert={CERT} iat-mode=1"
SNOWFLAKE = (
    "snowflake 192.0.2.3:80 2B280B23E1107BB62ABFC40DDCC8824814F80A72 "
    "fingerprint=2B280B23E1107BB62ABFC40DDCC8824814F80A72 url=https://voluble-torrone-fc39bf.netlify.app/ "
    "fronts=vuejs.org,foo.example ice=stun:stun.epygi.com:3478,stun:stun.uls.co.za:3478 "
    "utls-imitate=hellorandomizedalpn"
)
MEEK = (
    "meek_lite 192.0.2.20:80 url=https://1603026938.rsc.cdn77.org front=www.phpmyadmin.net "
    "utls=HelloRandomizedALPN"
)
WEBTUNNEL = (
    f"webtunnel [2001:db8:3d87:5e5a:a5e4:9a5b:9a50:1]:443 {FP} url=https://example.org/a1b2c3 ver=0.0.1"
)
OBFS4_PROXY = TransportProgram("obfs4proxy", "/usr/bin/obfs4proxy", (0, 0, 14))
SNOWFLAKE_OLD = TransportProgram("snowflake-client", "/usr/bin/snowflake-client", (2, 5, 1))
SNOWFLAKE_NEW = TransportProgram("snowflake-client", "/usr/bin/snowflake-client", (2, 11, 0))
LYREBIRD = TransportProgram("lyrebird", "/usr/bin/lyrebird", (0, 6, 1))


@pytest.mark.parametrize(
    ("text", "kind", "address", "fingerprint"),
    [
        (OBFS4, "obfs4", "192.95.36.142:443", FP),
        ("Bridge " + OBFS4, "obfs4", "192.95.36.142:443", FP),
        ("bridge " + OBFS4, "obfs4", "192.95.36.142:443", FP),
        (f"obfs4 1.2.3.4:1 {FP.lower()} cert={CERT} iat-mode=0", "obfs4", "1.2.3.4:1", FP),
        (
            f"obfs4 1.2.3.4:1 node-id={'ab' * 20} public-key={'cd' * 32} iat-mode=2",
            "obfs4",
            "1.2.3.4:1",
            None,
        ),
        (SNOWFLAKE, "snowflake", "192.0.2.3:80", "2B280B23E1107BB62ABFC40DDCC8824814F80A72"),
        (MEEK, "meek_lite", "192.0.2.20:80", None),
        (WEBTUNNEL, "webtunnel", "[2001:db8:3d87:5e5a:a5e4:9a5b:9a50:1]:443", FP),
        ("192.0.2.5:9001", "vanilla", "192.0.2.5:9001", None),
        (f"Bridge 192.0.2.5:9001 {FP}", "vanilla", "192.0.2.5:9001", FP),
        (f"[2001:db8::7]:443 {FP}", "vanilla", "[2001:db8::7]:443", FP),
        (f"\t{OBFS4}  ", "obfs4", "192.95.36.142:443", FP),
    ],
)
def test_real_format_lines_parse(text: str, kind: str, address: str, fingerprint: str | None) -> None:
    bridge = parse_bridge_line(text)
    assert (bridge.kind, bridge.address, bridge.fingerprint) == (kind, address, fingerprint)
    assert parse_bridge_line(bridge.torrc_value()) == bridge  # rendering round-trips


def test_arguments_keep_their_order_and_values() -> None:
    bridge = parse_bridge_line(SNOWFLAKE)
    assert [k for k, _ in bridge.params] == ["fingerprint", "url", "fronts", "ice", "utls-imitate"]
    assert bridge.param("url") == "https://voluble-torrone-fc39bf.netlify.app/"
    assert parse_bridge_line(OBFS4).torrc_value() == OBFS4


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "line"),
        ("Bridge", "line"),
        ("obfs4", "address"),
        (f"obfs4 192.95.36.142 {FP} cert={CERT} iat-mode=1", "address"),
        (f"obfs4 192.95.36.142:0 {FP} cert={CERT} iat-mode=1", "port"),
        (f"obfs4 192.95.36.142:65536 {FP} cert={CERT} iat-mode=1", "port"),
        (f"obfs4 192.95.36.142:4x3 {FP} cert={CERT} iat-mode=1", "port"),
        (f"obfs4 bridge.example:443 {FP} cert={CERT} iat-mode=1", "address"),  # no name lookups
        (f"obfs4 999.1.1.1:443 {FP} cert={CERT} iat-mode=1", "address"),
        (f"obfs4 2001:db8::1:443 {FP} cert={CERT} iat-mode=1", "address"),  # IPv6 needs brackets
        (f"obfs4 [2001:db8::1] {FP} cert={CERT} iat-mode=1", "address"),
        (f"obfs4 [nonsense]:443 {FP} cert={CERT} iat-mode=1", "address"),
        (f"obfs4 1.2.3.4:443 {FP[:-1]} cert={CERT} iat-mode=1", "fingerprint"),
        (f"obfs4 1.2.3.4:443 {FP[:-1]}G cert={CERT} iat-mode=1", "fingerprint"),
        (f"obfs4 1.2.3.4:443 {FP} iat-mode=1", "cert"),
        (f"obfs4 1.2.3.4:443 {FP} cert={CERT}", "iat-mode"),
        (f"obfs4 1.2.3.4:443 {FP} cert={CERT[:-4]} iat-mode=1", "cert"),
        (f"obfs4 1.2.3.4:443 {FP} cert=!!!{CERT[3:]} iat-mode=1", "cert"),
        (f"obfs4 1.2.3.4:443 {FP} cert={CERT} iat-mode=3", "iat-mode"),
        (f"obfs4 1.2.3.4:443 {FP} cert={CERT} iat-mode=1 iat-mode=0", "iat-mode"),
        (f"obfs4 1.2.3.4:443 {FP} cert={CERT} iat-mode=1 url=https://x.example/", "url"),
        (f"obfs4 1.2.3.4:443 {FP} cert={CERT} iat-mode=1 stray", "arguments"),
        (f"obfs4 1.2.3.4:443 {FP} cert= iat-mode=1", "cert"),
        (f"1.2.3.4:443 {FP} cert={CERT}", "cert"),  # vanilla takes no arguments
        (f"obfs3 1.2.3.4:443 {FP}", "transport"),
        (f"ob-fs4 1.2.3.4:443 {FP}", "transport"),
        ("meek_lite 192.0.2.20:80 front=www.example.org", "url"),
        ("meek_lite 192.0.2.20:80 url=http://plain.example/", "url"),
        ("meek_lite 192.0.2.20:80 url=https://user:pw@x.example/", "url"),
        ("meek_lite 192.0.2.20:80 url=https://x.example/ front=bad_host!", "front"),
        ("snowflake 192.0.2.3:80 fronts=vuejs.org", "url"),
        ("snowflake 192.0.2.3:80 url=https://b.example/ ice=http://stun.example:1", "ice"),
        ("snowflake 192.0.2.3:80 url=https://b.example/ ice=stun:stun.example:99999", "ice"),
        ("snowflake 192.0.2.3:80 url=https://b.example/ fingerprint=abc", "fingerprint"),
        ("webtunnel [2001:db8::1]:443 ver=0.0.1", "url"),
        # torrc injection: quotes, escapes, comments, control characters, a second line.
        (f'obfs4 1.2.3.4:443 {FP} cert={CERT} iat-mode="1"', "line"),
        (f"obfs4 1.2.3.4:443 {FP} cert={CERT} iat-mode=1#x", "line"),
        (f"obfs4 1.2.3.4:443 {FP} cert={CERT} iat-mode=1\\", "line"),
        (f"obfs4 1.2.3.4:443 {FP} cert={CERT} iat-mode=1\nSocksPort 0.0.0.0:9050", "line"),
        (f"obfs4 1.2.3.4:443 {FP} cert={CERT} iat-mode=1\rExitRelay 1", "line"),
        (f"obfs4 1.2.3.4:443 {FP} cert={CERT} iat-mode=1\0", "line"),
        (f"obfs4 1.2.3.4:443 {FP} cert={CERT} iat-mode=1\u00a0", "line"),
        ("1.2.3.4:443 " + "A" * 5000, "line"),
    ],
)
def test_broken_lines_name_their_field(text: str, field: str) -> None:
    with pytest.raises(BridgeLineError) as info:
        parse_bridge_line(text, line_no=7)
    assert (info.value.line, info.value.field) == (7, field)
    assert str(info.value).startswith(f"bridge line 7: {field} ")


def test_an_error_does_not_echo_the_bridge_address() -> None:
    with pytest.raises(BridgeLineError) as info:
        parse_bridge_line(f"obfs4 203.0.113.77:99999 {FP} cert={CERT} iat-mode=0")
    assert "203.0.113.77" not in str(info.value) and CERT not in str(info.value)


PASTE = f"""
# from bridges.torproject.org

Bridge {OBFS4}
   {MEEK}

{SNOWFLAKE}
"""


def test_several_lines_with_blanks_and_comments() -> None:
    bridges = parse_bridge_lines(PASTE)
    assert [b.kind for b in bridges] == ["obfs4", "meek_lite", "snowflake"]


def test_several_lines_are_all_or_nothing_and_name_the_line() -> None:
    broken = PASTE.replace("iat-mode=1", "iat-mode=9")
    with pytest.raises(BridgeLineError) as info:
        parse_bridge_lines(broken)
    assert (info.value.line, info.value.field) == (4, "iat-mode")


@pytest.mark.parametrize("text", ["", "\n\n# only a comment\n", "\n" * 300 + OBFS4])
def test_empty_or_oversize_pastes_are_refused(text: str) -> None:
    with pytest.raises(BridgeLineError) as info:
        parse_bridge_lines(text)
    assert info.value.line == 0


def test_a_rendered_line_cannot_break_out_of_its_torrc_option() -> None:
    bridges = parse_bridge_lines(PASTE)
    rendered = TorConfig(tuple(bridge_options(bridges, [OBFS4_PROXY, SNOWFLAKE_NEW]))).render()
    assert rendered.count("\n") == 1 + len(bridges) + 2
    allowed = {"UseBridges", "Bridge", "ClientTransportPlugin"}
    assert all(line.split(" ", 1)[0] in allowed for line in rendered.splitlines())


# ---- transports ------------------------------------------------------------------------------


def test_versions_are_read_from_each_programs_output() -> None:
    assert parse_version("obfs4proxy-0.0.14") == (0, 0, 14)
    assert parse_version("snowflake-client 2.5.1\nKnown utls-imitate values:\n") == (2, 5, 1)
    assert parse_version("lyrebird-0.6") == (0, 6, 0)
    assert parse_version("no version here") is None


def test_only_installed_answering_programs_are_offered() -> None:
    found = {"obfs4proxy": "/usr/bin/obfs4proxy", "snowflake-client": "/usr/bin/snowflake-client"}
    outputs = {"/usr/bin/obfs4proxy": "obfs4proxy-0.0.14", "/usr/bin/snowflake-client": "garbage"}
    programs = detect_programs(which=found.get, run=lambda argv: outputs[argv[0]])
    assert programs == (OBFS4_PROXY,)
    assert available_transports(programs) == {"obfs4", "meek_lite"}


def test_relative_or_spaced_paths_are_not_offered() -> None:
    paths = {"obfs4proxy": "bin/obfs4proxy", "lyrebird": "/opt/my pt/lyrebird"}
    assert detect_programs(which=paths.get, run=lambda argv: "x-1.0.0") == ()


def test_old_snowflake_client_gets_front_instead_of_fronts() -> None:
    bridge = parse_bridge_line(SNOWFLAKE)
    old = adapt_bridge(bridge, SNOWFLAKE_OLD)
    assert old.param("front") == "vuejs.org" and old.param("fronts") is None
    assert [k for k, _ in old.params] == ["fingerprint", "url", "front", "ice", "utls-imitate"]
    assert adapt_bridge(bridge, SNOWFLAKE_NEW) == bridge
    assert adapt_bridge(parse_bridge_line(OBFS4), SNOWFLAKE_OLD) == parse_bridge_line(OBFS4)


def test_bridge_options_name_one_plugin_per_program() -> None:
    bridges = parse_bridge_lines(PASTE)
    opts = bridge_options(bridges, [LYREBIRD, OBFS4_PROXY, SNOWFLAKE_OLD])
    assert opts[0] == ("UseBridges", "1")
    assert ("ClientTransportPlugin", "meek_lite,obfs4 exec /usr/bin/lyrebird") in opts
    assert ("ClientTransportPlugin", "snowflake exec /usr/bin/snowflake-client") in opts
    assert any(v.startswith("snowflake ") and " front=vuejs.org " in v for k, v in opts if k == "Bridge")


def test_a_transport_nobody_carries_is_refused() -> None:
    with pytest.raises(ValueError, match="snowflake-client"):
        bridge_options(parse_bridge_lines(SNOWFLAKE), [OBFS4_PROXY])
    with pytest.raises(ValueError, match="no bridges"):
        bridge_options((), [OBFS4_PROXY])


def test_vanilla_bridges_need_no_plugin() -> None:
    opts = bridge_options([BridgeLine(None, "127.0.0.1", 5000, FP)], [])
    assert opts == [("UseBridges", "1"), ("Bridge", f"127.0.0.1:5000 {FP}")]


# ---- the offline guard -----------------------------------------------------------------------

PRIVATE = {
    "TestingTorNetwork": ["1"],
    "DirAuthority": [f"auth0 orport=5000 no-v2 v3ident={'1' * 40} 127.0.0.1:5100 {FP}"],
}
LOOPBACK_OBFS4 = f"obfs4 127.0.0.1:5002 {FP} cert={CERT} iat-mode=0"


def test_guard_accepts_loopback_bridges_and_exec_plugins() -> None:
    check_private_network(
        {
            **PRIVATE,
            "UseBridges": ["1"],
            "Bridge": [LOOPBACK_OBFS4, f"[::1]:5003 {FP}"],
            "ClientTransportPlugin": ["obfs4 exec /usr/bin/obfs4proxy", "obfs4 socks5 127.0.0.1:7000"],
            "ServerTransportPlugin": ["obfs4 exec /usr/bin/obfs4proxy"],
            "ServerTransportListenAddr": ["obfs4 127.0.0.1:5004"],
        }
    )


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"Bridge": [OBFS4]}, "192.95.36.142"),
        ({"Bridge": [f"[2001:db8::7]:443 {FP}"]}, "2001:db8::7"),
        ({"Bridge": ["localhost:5000"]}, "address"),
        ({"Bridge": [MEEK.replace("192.0.2.20", "127.0.0.1")]}, "meek_lite"),
        ({"Bridge": [SNOWFLAKE.replace("192.0.2.3", "127.0.0.1")]}, "snowflake"),
        ({"Bridge": [WEBTUNNEL.replace("[2001:db8:3d87:5e5a:a5e4:9a5b:9a50:1]", "127.0.0.1")]}, "webtunnel"),
        ({"ClientTransportPlugin": ["obfs4 socks5 192.0.2.1:1080"]}, "ClientTransportPlugin"),
        ({"ClientTransportPlugin": ["obfs4 socks5 proxy.example:1080"]}, "ClientTransportPlugin"),
        ({"ServerTransportPlugin": ["obfs4 proxy 1.2.3.4:5"]}, "ServerTransportPlugin"),
        ({"ServerTransportListenAddr": ["obfs4 0.0.0.0:443"]}, "ServerTransportListenAddr"),
    ],
)
def test_guard_refuses_public_bridges_and_transports(options: dict[str, list[str]], match: str) -> None:
    with pytest.raises(OfflineGuardError, match=match):
        check_private_network({**PRIVATE, "UseBridges": ["1"], **options})


# ---- the private network's bridge line file ----

BRIDGELINE_TXT = f"""# obfs4 torrc client bridge line
#
# This file is an automatically generated bridge line based on
# the current obfs4proxy configuration.  EDITING IT WILL HAVE NO
# EFFECT.
#
# Before distributing this Bridge, edit the placeholder fields
# to contain the actual values:
#  <IP ADDRESS>  - The public IP address of your obfs4 bridge.
#  <PORT>        - The TCP/IP port of your obfs4 bridge.
#  <FINGERPRINT> - The bridge's fingerprint.

Bridge obfs4 <IP ADDRESS>:<PORT> <FINGERPRINT> cert={CERT} iat-mode=0
"""


def test_obfs4proxys_bridge_line_file_is_filled_in_for_loopback() -> None:
    line = bridge_line_from(BRIDGELINE_TXT, port=5002, fingerprint=FP)
    assert line == parse_bridge_line(LOOPBACK_OBFS4)
    with pytest.raises(BridgeLineError):
        bridge_line_from("# nothing here\n", port=5002, fingerprint=FP)


def test_entry_guards_are_read_with_their_status() -> None:
    value = f"${FP}~bridge0 up\n${'B' * 40}~x down 2026-12-03 14:00:00\n${'C' * 40} never-connected\nnoise"
    assert parse_entry_guards(value) == [
        (f"${FP}~bridge0", "up"),
        (f"${'B' * 40}~x", "down"),
        (f"${'C' * 40}", "never-connected"),
    ]
