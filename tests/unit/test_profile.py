"""Profile: safe defaults, settings, per-conversation overrides, paths, and history staying off."""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from timb.common.secret import Secret
from timb.core.profile import OTR_POLICIES, Profile, ProfilePaths, Settings
from timb.core.storage import (
    Argon2idParams,
    Direction,
    History,
    HistoryEntry,
    ProfileInUse,
    ScryptParams,
    VaultLocked,
    VaultNotFound,
    WrongPassphrase,
)
from timb.core.storage.vault import argon2id_available

FAST = Argon2idParams(memory_cost=8, iterations=1, lanes=1) if argon2id_available() else ScryptParams(4, 1, 1)
PW = Secret("profile passphrase")
ALICE = History.conversation_id("me@example.org", "alice@example.org")
BOB = History.conversation_id("me@example.org", "bob@example.org")
PLAINTEXT = "the source's name is on page four"


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    p = Profile.create(PW, tmp_path / "profile", kdf=FAST)
    yield p
    p.close()


def _entry(text: str) -> HistoryEntry:
    return HistoryEntry(Direction.INCOMING, 1_700_000_000.0, Secret(text), encrypted=True, verified=True)


def _disk(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dir>" for p in root.rglob("*")}


def test_defaults_are_safe(profile: Profile) -> None:
    assert profile.settings == Settings(history=False, otr_policy="always", auto_connect=False)
    assert profile.history_enabled_for(ALICE) is False
    assert profile.otr_policy_for("alice@example.org") == "always"


def test_create_and_unlock_round_trip(tmp_path: Path) -> None:
    d = tmp_path / "p"
    with Profile.create(PW, d, kdf=FAST) as p:
        p.set_settings(dataclasses.replace(p.settings, auto_connect=True, otr_policy="opportunistic"))
        p.vault.section("accounts")["a1"] = {"jid": "me@example.org"}
        p.vault.save()
    assert p.is_closed
    with Profile.unlock(PW, d) as again:
        assert again.settings == Settings(history=False, otr_policy="opportunistic", auto_connect=True)
        assert again.vault.section("accounts") == {"a1": {"jid": "me@example.org"}}
    with pytest.raises(WrongPassphrase):
        Profile.unlock(Secret("nope"), d)


def test_unknown_policy_is_refused(profile: Profile) -> None:
    with pytest.raises(ValueError, match="OTR policy"):
        Settings(otr_policy="sometimes")
    with pytest.raises(ValueError, match="OTR policy"):
        profile.set_otr_policy_override("alice@example.org", "sometimes")
    assert set(OTR_POLICIES) == {"always", "opportunistic", "manual", "never"}


def test_damaged_settings_read_as_safe_defaults(profile: Profile) -> None:
    doc = profile.vault.section("settings")
    doc.update({"history": "yes", "otr_policy": 3, "auto_connect": 1, "future_option": [1]})
    assert profile.settings == Settings()
    profile.set_settings(Settings(history=True))
    assert doc["future_option"] == [1]  # a newer TIMB's setting survives


def test_history_stays_off_and_writes_nothing(profile: Profile) -> None:
    before = _disk(profile.directory)
    for n in range(10):
        assert profile.history.record(ALICE, _entry(f"{PLAINTEXT} {n}")) is False
    assert _disk(profile.directory) == before
    assert not profile.paths.history.exists()
    assert not any(PLAINTEXT.encode() in data for data in before.values())


def test_history_override_for_one_contact(profile: Profile) -> None:
    profile.set_history_override(ALICE, True)
    assert profile.history.record(ALICE, _entry(PLAINTEXT)) is True
    assert profile.history.record(BOB, _entry("bob's words")) is False
    assert [e.body.reveal() for e in profile.history.read(ALICE)] == [PLAINTEXT]
    assert profile.history.conversations() == [ALICE]
    everything = b"".join(_disk(profile.directory).values())
    assert PLAINTEXT.encode() not in everything and b"bob's words" not in everything

    profile.set_settings(Settings(history=True))
    profile.set_history_override(BOB, False)
    assert profile.history_enabled_for(BOB) is False
    assert profile.history_enabled_for(History.conversation_id("me@example.org", "carol@x.org")) is True
    profile.set_history_override(BOB, None)
    assert profile.history_enabled_for(BOB) is True
    profile.set_history_override(ALICE, False)
    assert profile.history.record(ALICE, _entry("off again")) is False
    assert len(profile.history.read(ALICE)) == 1  # turning it off keeps, not deletes


def test_otr_policy_override(profile: Profile) -> None:
    profile.set_otr_policy_override("alice@example.org", "opportunistic")
    assert profile.otr_policy_for("alice@example.org") == "opportunistic"
    assert profile.otr_policy_for("bob@example.org") == "always"
    profile.set_otr_policy_override("alice@example.org", None)
    assert profile.otr_policy_for("alice@example.org") == "always"


def test_settings_survive_reopen_and_overrides_persist(tmp_path: Path) -> None:
    d = tmp_path / "p"
    with Profile.create(PW, d, kdf=FAST) as p:
        p.set_history_override(ALICE, True)
        p.history.record(ALICE, _entry("kept"))
    with Profile.unlock(PW, d) as p:
        assert p.history_enabled_for(ALICE) is True
        assert [e.body.reveal() for e in p.history.read(ALICE)] == ["kept"]


def test_paths(profile: Profile) -> None:
    root = profile.directory
    assert profile.paths == ProfilePaths.of(root)
    assert profile.paths.vault.exists() and profile.paths.lock.exists()
    assert profile.paths.history == root / "history"


def test_default_directory_comes_from_platformdirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert Profile.default_directory() == tmp_path / "xdg" / "timb"
    assert not Profile.exists()
    with Profile.create(PW, kdf=FAST) as p:
        assert p.directory == tmp_path / "xdg" / "timb"
    assert Profile.exists()
    Profile.unlock(PW).close()


def test_one_process_per_profile(profile: Profile) -> None:
    with pytest.raises(ProfileInUse):
        Profile.unlock(PW, profile.directory)
    profile.close()
    Profile.unlock(PW, profile.directory).close()


def test_closed_profile_refuses_use(profile: Profile) -> None:
    profile.close()
    profile.close()
    with pytest.raises(VaultLocked):
        _ = profile.settings
    with pytest.raises(VaultLocked):
        profile.history.read(ALICE)
    assert "closed" in repr(profile)


def test_change_passphrase(profile: Profile) -> None:
    new = Secret("new profile passphrase")
    profile.change_passphrase(PW, new)
    d = profile.directory
    profile.close()
    with pytest.raises(WrongPassphrase):
        Profile.unlock(PW, d)
    Profile.unlock(new, d).close()


def test_missing_profile(tmp_path: Path) -> None:
    with pytest.raises(VaultNotFound):
        Profile.unlock(PW, tmp_path / "none")


def test_history_directory_permissions_are_fixed_on_open(tmp_path: Path) -> None:
    d = tmp_path / "p"
    with Profile.create(PW, d, kdf=FAST) as p:
        p.set_history_override(ALICE, True)
        p.history.record(ALICE, _entry("x"))
        (log,) = p.paths.history.iterdir()
    os.chmod(d / "history", 0o755)
    os.chmod(log, 0o644)
    with Profile.unlock(PW, d) as p:
        assert stat.S_IMODE((d / "history").stat().st_mode) == 0o700
        assert [e.body.reveal() for e in p.history.read(ALICE)] == ["x"]
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
