"""The connection assistant's setting (`timb.core.service.tor_settings`): stored encrypted in the
profile, pasted lines all-or-nothing, only runnable transports offered, and under TIMB_OFFLINE=1
the built-in (public) bridges refused before any tor starts. No tor is started here; the one
real tor run is ``--verify-config`` inside a namespace without network."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from timb.common.secret import Secret
from timb.core.profile import Profile
from timb.core.service.tor_settings import (
    SECTION,
    BridgeChoice,
    bridge_torrc,
    chosen_bridges,
    load_choice,
    offered_transports,
    store_choice,
)
from timb.core.storage import ScryptParams
from timb.core.tor_link import TorSettings, managed_torrc
from timb.tor.builtin import load_builtin
from timb.tor.errors import BridgeLineError, OfflineGuardError
from timb.tor.process import verify_config
from timb.tor.torrc import DirAuthority, check_private_network
from timb.tor.transports import TransportProgram

FAST = ScryptParams(4, 1, 1)
OBFS4PROXY = TransportProgram("obfs4proxy", "/usr/bin/obfs4proxy", (0, 0, 14))
SNOWFLAKE = TransportProgram("snowflake-client", "/usr/bin/snowflake-client", (2, 5, 1))
CERT = "A" * 70
LOOPBACK_OBFS4 = f"obfs4 127.0.0.1:7001 {'C' * 40} cert={CERT} iat-mode=0"
SECRET_BRIDGE = f"obfs4 198.51.100.77:443 {'D' * 40} cert={CERT} iat-mode=0"
AUTH = DirAuthority("auth0", 5000, 5001, "A" * 40, "B" * 40)
ONLINE: dict[str, str] = {}


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    p = Profile.create(Secret("passphrase"), tmp_path / "profile", kdf=FAST)
    yield p
    p.close()


def test_nothing_stored_means_the_first_run_question(profile: Profile) -> None:
    assert load_choice(profile.vault) is None


def test_the_choice_is_kept_encrypted_across_unlocks(profile: Profile, tmp_path: Path) -> None:
    store_choice(profile.vault, BridgeChoice.custom(f"# from a friend\n\nBridge {SECRET_BRIDGE}\n"))
    profile.close()
    assert b"198.51.100.77" not in profile.paths.vault.read_bytes()
    again = Profile.unlock(Secret("passphrase"), tmp_path / "profile")
    try:
        choice = load_choice(again.vault)
        assert choice is not None and choice.mode == "custom"
        assert [b.host for b in choice.bridges] == ["198.51.100.77"]
        store_choice(again.vault, BridgeChoice.builtin("snowflake"))
        assert load_choice(again.vault) == BridgeChoice.builtin("snowflake")
    finally:
        again.close()


def test_a_given_bridge_is_not_in_a_repr() -> None:
    choice = BridgeChoice.custom(SECRET_BRIDGE)
    assert "198.51.100.77" not in repr(choice)


def test_pasted_lines_are_all_or_nothing(profile: Profile) -> None:
    store_choice(profile.vault, BridgeChoice.builtin("obfs4"))
    with pytest.raises(BridgeLineError) as caught:
        pasted = f"{LOOPBACK_OBFS4}\nobfs4 127.0.0.1:99999 {'C' * 40}"
        store_choice(profile.vault, BridgeChoice.custom(pasted))
    assert (caught.value.line, caught.value.field) == (2, "port")
    assert load_choice(profile.vault) == BridgeChoice.builtin("obfs4")  # unchanged
    with pytest.raises(BridgeLineError, match="no bridge"):
        BridgeChoice.custom("# only a comment\n\n")


@pytest.mark.parametrize(
    "doc",
    [{"mode": "custom", "bridges": ["obfs4 nonsense"]}, {"mode": "builtin"}, {"mode": "x"}, {}],
)
def test_a_damaged_setting_asks_again(profile: Profile, doc: dict[str, object]) -> None:
    # never read as a direct connection
    profile.vault.section(SECTION).update(doc)
    assert load_choice(profile.vault) is None


def test_only_transports_that_can_run_are_offered() -> None:
    builtin = load_builtin()
    assert offered_transports(builtin, [OBFS4PROXY, SNOWFLAKE]) == ("meek_lite", "obfs4", "snowflake")
    assert offered_transports(builtin, [SNOWFLAKE]) == ("snowflake",)
    assert offered_transports(builtin, []) == ()
    with pytest.raises(ValueError, match="obfs4proxy"):
        bridge_torrc(BridgeChoice.builtin("obfs4"), builtin, [SNOWFLAKE], ONLINE)


def test_offline_the_builtin_choice_is_refused_before_tor_starts() -> None:
    for transport in ("obfs4", "snowflake", "meek_lite"):
        with pytest.raises(OfflineGuardError, match="refused before tor starts"):
            bridge_torrc(BridgeChoice.builtin(transport), load_builtin(), [OBFS4PROXY, SNOWFLAKE])
    with pytest.raises(OfflineGuardError, match="not on loopback"):
        bridge_torrc(BridgeChoice.custom(SECRET_BRIDGE), load_builtin(), [OBFS4PROXY])


def test_a_direct_connection_adds_nothing() -> None:
    assert bridge_torrc(BridgeChoice.direct(), load_builtin(), []) == ()
    assert chosen_bridges(BridgeChoice.direct(), load_builtin()) == ()


def test_offline_a_loopback_bridge_goes_into_the_managed_torrc(tmp_path: Path) -> None:
    options = bridge_torrc(BridgeChoice.custom(LOOPBACK_OBFS4), load_builtin(), [OBFS4PROXY])
    settings = TorSettings(
        managed=True, data_dir=tmp_path, dir_authorities=(AUTH.line(),), bridge_options=options
    )
    config = managed_torrc(settings, owner_pid=1)
    check_private_network(config.as_getconf())
    assert config.get("UseBridges") == ["1"]
    assert config.get("Bridge") == [LOOPBACK_OBFS4]
    assert config.get("ClientTransportPlugin") == ["obfs4 exec /usr/bin/obfs4proxy"]


def test_tor_accepts_the_managed_torrc_with_builtin_bridges(tmp_path: Path) -> None:
    # --verify-config only, in a namespace without network: tor parses and exits.
    subprocess.run(["unshare", "-rn", "true"], check=True)
    options = bridge_torrc(BridgeChoice.builtin("obfs4"), load_builtin(), [OBFS4PROXY], ONLINE)
    config = managed_torrc(TorSettings(managed=True, data_dir=tmp_path / "d", bridge_options=options), 1)
    with pytest.raises(OfflineGuardError):
        check_private_network(config.as_getconf())  # a public line: never started, only verified
    verify_config(config, tmp_path / "verify", wrapper=("unshare", "-rn"))


def test_a_held_managed_tor_starts_with_its_network_disabled(tmp_path: Path) -> None:
    held = TorSettings(managed=True, data_dir=tmp_path, dir_authorities=(AUTH.line(),), hold_network=True)
    assert managed_torrc(held, owner_pid=1).get("DisableNetwork") == ["1"]
    free = TorSettings(managed=True, data_dir=tmp_path, dir_authorities=(AUTH.line(),))
    assert managed_torrc(free, owner_pid=1).get("DisableNetwork") == []
