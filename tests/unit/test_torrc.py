"""torrc rendering, the private-network templates, and the offline guard (pure)."""

from __future__ import annotations

import pytest

from timb.tor.client import GUARD_OPTIONS
from timb.tor.errors import OfflineGuardError, TorStartError
from timb.tor.process import offline_mode
from timb.tor.torrc import (
    DirAuthority,
    NodeSpec,
    TorConfig,
    authority_torrc,
    check_private_network,
    client_torrc,
    onion_host_torrc,
    relay_torrc,
)

FP = "A" * 40
AUTHS = [
    DirAuthority(f"auth{i}", or_port=5000 + i, dir_port=5100 + i, v3ident=f"{i}" * 40, fingerprint=FP)
    for i in range(3)
]


def _node(**kw: object) -> NodeSpec:
    base: dict[str, object] = {"nickname": "n", "data_dir": "/tmp/net/n", "control_port": 6000}
    base.update(kw)
    return NodeSpec(**base)  # type: ignore[arg-type]


def _lines(cfg: TorConfig) -> list[str]:
    return cfg.render().splitlines()


def test_render_is_one_option_per_line_in_order() -> None:
    cfg = TorConfig((("SocksPort", "0"), ("DirAuthority", "a 127.0.0.1:1 F"), ("DirAuthority", "b")))
    assert cfg.render() == "SocksPort 0\nDirAuthority a 127.0.0.1:1 F\nDirAuthority b\n"
    assert cfg.get("dirauthority") == ["a 127.0.0.1:1 F", "b"]
    assert cfg.get("Nope") == []


def test_render_quotes_comment_characters() -> None:
    cfg = TorConfig((("DataDirectory", '/tmp/a#b"c'),))
    assert cfg.render() == 'DataDirectory "/tmp/a#b\\"c"\n'


@pytest.mark.parametrize("bad", ["x\nControlPort 9051", "x\rY", "x\0"])
def test_values_cannot_inject_lines(bad: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        TorConfig((("Nickname", bad),))


@pytest.mark.parametrize("name", ["", "Socks Port", "a\nb", "x="])
def test_option_names_are_words(name: str) -> None:
    with pytest.raises(ValueError, match="option name"):
        TorConfig(((name, "1"),))


def test_plus_and_without() -> None:
    cfg = TorConfig((("A", "1"), ("B", "2"), ("a", "3")))
    assert cfg.without("a").options == (("B", "2"),)
    assert cfg.plus(("C", "4")).options[-1] == ("C", "4")


def test_dirauthority_line() -> None:
    a = DirAuthority("auth0", or_port=5000, dir_port=5100, v3ident="B" * 40, fingerprint="C" * 40)
    assert a.line() == f"auth0 orport=5000 no-v2 v3ident={'B' * 40} 127.0.0.1:5100 {'C' * 40}"


def test_common_lines_on_every_role() -> None:
    roles = [
        authority_torrc(_node(or_port=1, dir_port=2), AUTHS),
        relay_torrc(_node(or_port=1), AUTHS),
        relay_torrc(_node(or_port=1), AUTHS, exit_to_loopback=True),
        client_torrc(_node(socks_port=3), AUTHS),
        onion_host_torrc(_node(socks_port=3), AUTHS, "/tmp/hs", [(80, 8080)]),
    ]
    for cfg in roles:
        assert cfg.get("TestingTorNetwork") == ["1"]
        assert cfg.get("ControlPort") == ["127.0.0.1:6000"]
        assert cfg.get("CookieAuthentication") == ["1"]
        assert cfg.get("DataDirectory") == ["/tmp/net/n"]
        assert cfg.get("AssumeReachable") == ["1"]
        assert cfg.get("PathsNeededToBuildCircuits") == ["0.25"]
        assert cfg.get("GeoIPFile") == ["/dev/null"]
        assert cfg.get("DirAuthority") == [a.line() for a in AUTHS]
        assert cfg.get("__OwningControllerProcess") == []
        check_private_network(cfg.as_getconf())  # every template passes the guard


def test_owner_pid() -> None:
    cfg = client_torrc(_node(socks_port=3, owner_pid=4242), AUTHS)
    assert cfg.get("__OwningControllerProcess") == ["4242"]


def test_non_clients_have_no_socks_port() -> None:
    assert authority_torrc(_node(or_port=1, dir_port=2), AUTHS).get("SocksPort") == ["0"]
    assert relay_torrc(_node(or_port=1), AUTHS).get("SocksPort") == ["0"]


def test_authority_votes_fast_and_never_exits() -> None:
    cfg = authority_torrc(_node(or_port=1, dir_port=2), AUTHS)
    assert cfg.get("ORPort") == ["127.0.0.1:1"]
    assert cfg.get("DirPort") == ["127.0.0.1:2"]
    assert cfg.get("V3AuthoritativeDirectory") == ["1"]
    assert cfg.get("TestingV3AuthInitialVotingInterval") == ["5"]
    assert cfg.get("V3AuthVotingInterval") == ["10"]
    assert cfg.get("ExitPolicy") == ["reject *:*"]
    assert cfg.get("TestingDirAuthVoteHSDir") == [",".join(f"${a.fingerprint}" for a in AUTHS)]


def test_relays_are_not_directory_caches() -> None:
    # Else a client may ask a relay for microdescriptors before it has them (404, 10 s wait).
    assert relay_torrc(_node(or_port=1), AUTHS).get("DirCache") == ["0"]
    assert relay_torrc(_node(or_port=1), AUTHS, exit_to_loopback=True).get("DirCache") == ["0"]
    assert authority_torrc(_node(or_port=1, dir_port=2), AUTHS).get("DirCache") == []


def test_exit_relay_exits_to_loopback_only() -> None:
    cfg = relay_torrc(_node(or_port=1), AUTHS, exit_to_loopback=True)
    assert cfg.get("ExitPolicy") == ["accept 127.0.0.1:*, reject *:*"]
    assert cfg.get("ExitPolicyRejectPrivate") == ["0"]
    assert cfg.get("ExitPolicyRejectLocalInterfaces") == ["0"]
    assert "accept *:*" not in cfg.render()
    assert relay_torrc(_node(or_port=1), AUTHS).get("ExitPolicy") == ["reject *:*"]


def test_client_circuit_timeouts_and_microdescriptors() -> None:
    cfg = client_torrc(_node(socks_port=3), AUTHS)
    assert cfg.get("SocksPort") == ["127.0.0.1:3"]
    assert cfg.get("LearnCircuitBuildTimeout") == ["0"]
    assert cfg.get("CircuitBuildTimeout") == ["2"]
    assert cfg.get("UseMicrodescriptors") == []
    assert cfg.get("VanguardsLiteEnabled") == ["0"]
    assert cfg.get("TestingClientMaxIntervalWithoutRequest") == ["1"]
    no_md = client_torrc(_node(socks_port=3), AUTHS, use_microdescriptors=False)
    assert no_md.get("UseMicrodescriptors") == ["0"]


def test_onion_host() -> None:
    cfg = onion_host_torrc(_node(socks_port=3), AUTHS, "/tmp/hs", [(80, 8080), (5222, 25222)])
    assert cfg.get("HiddenServiceDir") == ["/tmp/hs"]
    assert cfg.get("HiddenServicePort") == ["80 127.0.0.1:8080", "5222 127.0.0.1:25222"]
    with pytest.raises(ValueError, match="at least one port"):
        onion_host_torrc(_node(socks_port=3), AUTHS, "/tmp/hs", [])


def test_missing_ports_are_refused() -> None:
    with pytest.raises(ValueError, match="dir_port"):
        authority_torrc(_node(or_port=1), AUTHS)
    with pytest.raises(ValueError, match="or_port"):
        relay_torrc(_node(), AUTHS)


def test_client_socks_port_auto_when_not_given() -> None:
    assert client_torrc(_node(), AUTHS).get("SocksPort") == ["127.0.0.1:auto"]


# --- the offline guard ------------------------------------------------------------------------

MORIA = f"moria1 orport=9101 128.31.0.39:9131 {FP}"
PRIVATE = {
    "TestingTorNetwork": ["1"],
    "DirAuthority": [a.line() for a in AUTHS],
}


def test_guard_accepts_the_private_network() -> None:
    check_private_network(PRIVATE)
    # GETCONF shapes: defaults missing, [] or [""]; names in any case; IPv6 loopback.
    check_private_network(
        {
            "testingtornetwork": ["1"],
            "DIRAUTHORITY": [f"a orport=1 ipv6=[::1]:9 v3ident={FP} 127.0.0.2:5 {FP}"],
            "Bridge": [""],
            "UseBridges": [],
            "FallbackDir": ["127.0.0.1:5 orport=1 id=" + FP],
            "Socks5Proxy": ["127.0.0.1:1080"],
            "ExitPolicy": ["accept 127.0.0.0/8:*, accept [::1]:*, reject *:*"],
        }
    )


def test_guard_error_is_a_start_error() -> None:
    assert issubclass(OfflineGuardError, TorStartError)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({}, "TestingTorNetwork"),
        ({"DirAuthority": PRIVATE["DirAuthority"]}, "TestingTorNetwork"),
        ({**PRIVATE, "TestingTorNetwork": ["0"]}, "TestingTorNetwork"),
        ({"TestingTorNetwork": ["1"]}, "no private DirAuthority"),
        ({"TestingTorNetwork": ["1"], "DirAuthority": [""]}, "no private DirAuthority"),
        (
            {
                **PRIVATE,
                "DirAuthority": [*PRIVATE["DirAuthority"], MORIA],
            },
            "128.31.0.39",
        ),
        ({**PRIVATE, "DirAuthority": [f"x orport=1 ipv6=[2001:db8::1]:9 127.0.0.1:5 {FP}"]}, "2001:db8::1"),
        ({**PRIVATE, "DirAuthority": [f"x orport=1 localhost:5 {FP}"]}, "localhost"),
        ({**PRIVATE, "DirAuthority": ["nonsense"]}, "cannot find the address"),
        ({**PRIVATE, "AlternateDirAuthority": [f"y 10.0.0.1:80 {FP}"]}, "10.0.0.1"),
        ({**PRIVATE, "AlternateBridgeAuthority": [f"y bridge 1.2.3.4:80 {FP}"]}, "1.2.3.4"),
        ({**PRIVATE, "FallbackDir": [f"5.6.7.8:80 orport=443 id={FP}"]}, "5.6.7.8"),
        ({**PRIVATE, "Bridge": ["192.0.2.1:5 " + FP]}, "192.0.2.1"),
        ({**PRIVATE, "Bridge": ["127.0.0.1:5 nonsense"]}, "Bridge line refused"),
        ({**PRIVATE, "Socks5Proxy": ["192.0.2.1:1080"]}, "Socks5Proxy"),
        ({**PRIVATE, "HTTPSProxy": ["proxy.example:3128"]}, "HTTPSProxy"),
        ({**PRIVATE, "ExitPolicy": ["accept *:*"]}, "beyond loopback"),
        ({**PRIVATE, "ExitPolicy": ["accept 127.0.0.1:*, accept private:*"]}, "beyond loopback"),
        ({**PRIVATE, "ExitPolicy": ["accept 127.0.0.1/0:*"]}, "beyond loopback"),
        ({**PRIVATE, "ExitPolicy": ["accept6 *6:*"]}, "beyond loopback"),
    ],
)
def test_guard_refuses(options: dict[str, list[str]], match: str) -> None:
    with pytest.raises(OfflineGuardError, match=match):
        check_private_network(options)


def test_guard_lets_reject_rules_pass() -> None:
    check_private_network({**PRIVATE, "ExitPolicy": ["reject *:*", "reject6 *6:*"]})


def test_control_port_auto_when_not_given() -> None:
    cfg = client_torrc(NodeSpec("c", "/tmp/c", socks_port=3), AUTHS)
    assert cfg.get("ControlPort") == ["127.0.0.1:auto"]


@pytest.mark.parametrize(
    ("options", "match"),
    [
        # TCPProxy: tor makes every OR connection through this proxy (tor >= 0.4.7).
        ({**PRIVATE, "TCPProxy": ["haproxy 203.0.113.5:8080"]}, "TCPProxy"),
        ({**PRIVATE, "tcpproxy": ["haproxy proxy.example:8080"]}, "TCPProxy"),
        # An exit policy that does not end in reject *:* gets tor's default policy appended.
        ({**PRIVATE, "ExitPolicy": ["accept 127.0.0.1:*"]}, "reject \\*:\\*"),
        ({**PRIVATE, "ExitRelay": ["1"]}, "reject \\*:\\*"),
        ({**PRIVATE, "ReducedExitPolicy": ["1"]}, "reject \\*:\\*"),
    ],
)
def test_guard_refuses_a_proxy_or_an_open_exit_policy(options: dict[str, list[str]], match: str) -> None:
    with pytest.raises(OfflineGuardError, match=match):
        check_private_network(options)


def test_guard_accepts_a_loopback_proxy_and_closed_exit_policies() -> None:
    check_private_network({**PRIVATE, "TCPProxy": ["haproxy 127.0.0.1:8080"]})
    check_private_network({**PRIVATE, "ExitRelay": ["1"], "ExitPolicy": ["accept 127.0.0.1:*, reject *:*"]})
    check_private_network({**PRIVATE, "ExitRelay": ["auto"], "ReducedExitPolicy": ["0"]})
    check_private_network({**PRIVATE, "ExitRelay": ["0"], "ExitPolicy": ["accept 127.0.0.1:*"]})


def test_an_attached_tor_is_asked_for_every_option_the_guard_judges() -> None:
    assert {"TCPProxy", "ExitRelay", "ReducedExitPolicy"} <= set(GUARD_OPTIONS)


@pytest.mark.parametrize(
    ("value", "on"),
    [
        (None, False),
        ("", False),
        ("0", False),
        ("false", False),
        ("off", False),
        ("no", False),
        ("1", True),
        ("yes", True),
        ("true", True),
        ("TRUE", True),
        (" 1 ", True),
        ("on", True),
    ],
)
def test_offline_mode_fails_closed_on_any_affirmative_value(value: str | None, on: bool) -> None:
    environ = {} if value is None else {"TIMB_OFFLINE": value}
    assert offline_mode(environ) is on
