"""The built-in bridges and a generated bridge torrc, checked by the real tor with
``tor --verify-config`` only: tor parses and exits. It runs inside ``unshare -rn`` (a network
namespace with no interface up), so even a tor that misbehaved could not reach anything; and a
stand-in transport program proves tor starts no transport while verifying."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from timb.tor.bridges import parse_bridge_line
from timb.tor.builtin import load_builtin
from timb.tor.errors import OfflineGuardError, TorStartError
from timb.tor.process import ManagedTor, verify_config
from timb.tor.torrc import TorConfig
from timb.tor.transports import TransportProgram, bridge_options, detect_programs

NO_NETWORK = ("unshare", "-rn")
FAKE_PT = '#!/bin/sh\ntouch "{marker}"\n'


@pytest.fixture(scope="module", autouse=True)
def _network_namespaces_work() -> None:
    # Fails (never skips): without a namespace the built-in lines are not shown to tor at all.
    subprocess.run([*NO_NETWORK, "true"], check=True)


def _base(tmp_path: Path) -> TorConfig:
    return TorConfig(
        (("DataDirectory", str(tmp_path / "data")), ("SocksPort", "127.0.0.1:auto"), ("RunAsDaemon", "0"))
    )


def test_tor_accepts_the_builtin_bridges_with_the_installed_transports(tmp_path: Path) -> None:
    builtin = load_builtin()
    programs = detect_programs()
    assert {p.name for p in programs} >= {"obfs4proxy", "snowflake-client"}  # make installs both
    for transport in builtin.transports():
        opts = bridge_options(builtin.lines(transport), programs)
        verify_config(_base(tmp_path).plus(*opts), tmp_path / transport, wrapper=NO_NETWORK)
    assert not (tmp_path / "data").exists()  # tor did not even create its data directory


def test_the_builtin_bridges_can_never_be_started_offline(tmp_path: Path) -> None:
    opts = bridge_options(load_builtin().lines("obfs4"), detect_programs())
    tor = ManagedTor(_base(tmp_path).plus(("TestingTorNetwork", "1"), *opts), tor_binary="/bin/false")
    with pytest.raises(OfflineGuardError):
        tor.spawn()


def test_verifying_starts_no_transport_program(tmp_path: Path) -> None:
    marker = tmp_path / "pt-started"
    script = tmp_path / "fake-pt"
    script.write_text(FAKE_PT.format(marker=marker))
    script.chmod(0o755)
    fake = TransportProgram("obfs4proxy", str(script), (0, 0, 14))
    bridge = parse_bridge_line(
        "obfs4 127.0.0.1:9 CDF2E852BF539B82BD10E27E9115A31734E378C2 "
        "cert=qUVQ0srL1JI/vO6V6m/24anYXiJD3QP2HgzUKQtQ7GRqqUvs7P+tG43RtAqdhLOALP7DJQ iat-mode=0"
    )
    verify_config(_base(tmp_path).plus(*bridge_options([bridge], [fake])), tmp_path, wrapper=NO_NETWORK)
    assert not marker.exists()


def test_a_config_tor_refuses_is_a_start_error_with_tors_words(tmp_path: Path) -> None:
    bad = _base(tmp_path).plus(("UseBridges", "1"))  # bridges on, but not one Bridge line
    with pytest.raises(TorStartError) as info:
        verify_config(bad, tmp_path, wrapper=NO_NETWORK)
    assert "bridge" in info.value.log_tail.lower()
