"""The service's tor settings: the managed torrc (private network or public), DirAuthority lines,
and the jsonrpc options that choose the mode."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from timb.core.tor_link import TorSettings, managed_torrc, parse_dir_authority
from timb.tor.errors import OfflineGuardError, TorError
from timb.tor.torrc import DirAuthority, check_private_network
from timb.ui.cli.jsonrpc import tor_settings

AUTH = DirAuthority("auth0", 5000, 5001, "A" * 40, "B" * 40)


def test_a_dir_authority_line_round_trips() -> None:
    assert parse_dir_authority(AUTH.line()) == AUTH
    with pytest.raises(ValueError, match="DirAuthority"):
        parse_dir_authority("auth0 127.0.0.1:5001")


def test_managed_on_the_private_network_passes_the_offline_guard(tmp_path: Path) -> None:
    settings = TorSettings(managed=True, data_dir=tmp_path / "tor", dir_authorities=(AUTH.line(),))
    config = managed_torrc(settings, owner_pid=1234)
    check_private_network(config.as_getconf())  # raises if it were not private
    assert config.get("DataDirectory") == [str(tmp_path / "tor")]
    assert config.get("__OwningControllerProcess") == ["1234"]
    assert settings.describe().private_network is True


def test_managed_without_authorities_is_the_public_network(tmp_path: Path) -> None:
    config = managed_torrc(TorSettings(managed=True, data_dir=tmp_path), owner_pid=1)
    with pytest.raises(OfflineGuardError):
        check_private_network(config.as_getconf())
    assert config.get("SocksPort") == ["127.0.0.1:auto"]
    assert config.get("ControlPort") == ["127.0.0.1:auto"]


def test_managed_needs_a_data_dir_and_a_running_devnet(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="data directory"):
        managed_torrc(TorSettings(managed=True), owner_pid=1)
    with pytest.raises(TorError, match="no private network"):
        managed_torrc(TorSettings(managed=True, data_dir=tmp_path, devnet_dir=tmp_path / "none"), owner_pid=1)


def test_modes() -> None:
    assert TorSettings().mode == "none"
    assert TorSettings(control_port=9051).mode == "attach"
    assert TorSettings(managed=True).mode == "managed"


def test_jsonrpc_options_choose_the_mode(tmp_path: Path) -> None:
    attach = argparse.Namespace(tor_control=9051, tor_cookie=None, tor_managed=None, tor_devnet=None)
    assert tor_settings(attach) == TorSettings(control_port=9051)
    managed = argparse.Namespace(tor_control=None, tor_cookie=None, tor_managed=tmp_path, tor_devnet=tmp_path)
    assert tor_settings(managed) == TorSettings(managed=True, data_dir=tmp_path, devnet_dir=tmp_path)
