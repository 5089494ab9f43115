"""The campaign's per-cycle check (issue 14): each client's vault as it is on disk, the state a
kill at that instant would leave, must unlock -- checked on a copy, while the client holds the
profile's lock."""

from __future__ import annotations

from pathlib import Path

from timb.common.secret import Secret
from timb.core.profile import Profile
from timb.devnet.chaos.peers import PASSPHRASE
from timb.devnet.chaos.runner import _unlock_a_copy


def test_an_open_profiles_vault_on_disk_unlocks_and_a_damaged_one_is_named(tmp_path: Path) -> None:
    root = tmp_path / "bob"
    root.mkdir(mode=0o700)
    profile = Profile.create(Secret(PASSPHRASE), root)
    try:
        assert _unlock_a_copy(root) is None  # (the running client keeps its lock meanwhile)
        vault = profile.paths.vault
        data = bytearray(vault.read_bytes())
        data[len(data) // 2] ^= 1
        vault.write_bytes(bytes(data))
        problem = _unlock_a_copy(root)
        assert problem is not None and problem.startswith("VaultCorrupted")
    finally:
        profile.close()
