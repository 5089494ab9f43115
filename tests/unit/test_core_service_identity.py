"""Import an identity from files written by real libotr (ctypes), and export one libotr reads."""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path

import pytest

from tests.unit.fake_network import FakeServer
from tests.unit.test_core_service import ALICE, BOB, PASS, running
from timb.common.ids import Fingerprint
from timb.common.secret import Secret
from timb.core.service import InvalidRequest, TimbService
from timb.core.service.results import KeyExport, KeyImport

CAROL = "carol@timb.test"


def libotr_fingerprint(lib: ctypes.CDLL, key_file: Path, account: str, protocol: str) -> Fingerprint:
    """Read ``key_file`` with libotr and ask it for the account's fingerprint."""
    us = lib.otrl_userstate_create()
    try:
        assert lib.otrl_privkey_read(us, str(key_file).encode()) == 0
        buf = ctypes.create_string_buffer(45)
        human = lib.otrl_privkey_fingerprint(us, buf, account.encode(), protocol.encode())
        assert human is not None, "libotr has no key for that account"
        return Fingerprint.from_hex(human.decode())
    finally:
        lib.otrl_userstate_free(us)


def libotr_key_file(lib: ctypes.CDLL, path: Path, *accounts: tuple[str, str]) -> None:
    us = lib.otrl_userstate_create()
    try:
        for account, protocol in accounts:
            assert lib.otrl_privkey_generate(us, str(path).encode(), account.encode(), protocol.encode()) == 0
    finally:
        lib.otrl_userstate_free(us)


async def test_a_libotr_identity_imports_with_its_trust(libotr: ctypes.CDLL, tmp_path: Path) -> None:
    key_file = tmp_path / "otr.private_key"
    # Another account first, then ours as Pidgin names it: the import must pick ours.
    libotr_key_file(libotr, key_file, (CAROL, "prpl-jabber"), (f"{ALICE}/Pidgin", "prpl-jabber"))
    expected = libotr_fingerprint(libotr, key_file, f"{ALICE}/Pidgin", "prpl-jabber")
    bob_fp, old_fp = "ab" * 20, "cd" * 20
    fingerprints = tmp_path / "otr.fingerprints"
    fingerprints.write_text(
        f"{BOB}\t{ALICE}/Pidgin\tprpl-jabber\t{bob_fp}\tsmp\n"
        f"{BOB}\t{ALICE}/Pidgin\tprpl-jabber\t{old_fp}\t\n"
        f"{BOB}\t{CAROL}\tprpl-jabber\t{'ef' * 20}\tverified\n"  # another account's: not ours
    )
    async with running(tmp_path / "a", FakeServer()) as alice:
        s = alice.service
        await s.create_profile(PASS)
        await s.add_account("main", ALICE, Secret("pw"))
        await s.add_contact("main", BOB)
        result = await s.import_libotr("main", key_file, fingerprints)
        assert result == KeyImport(expected, 2)
        assert s.fingerprints("main").ours == expected
        known = {k.fingerprint.human(): k.trust.value for k in s.fingerprints("main", BOB).known or ()}
        assert known == {
            Fingerprint.from_hex(bob_fp).human(): "verified",
            Fingerprint.from_hex(old_fp).human(): "unverified",
        }
    # The imported key is the account's key from now on (it is in the vault).
    async with running(tmp_path / "a", FakeServer()) as again:
        await again.service.unlock_profile(PASS)
        assert again.service.list_accounts()[0].fingerprint == expected
        # ... and it goes back out in a file libotr reads to the same fingerprint.
        exported = tmp_path / "exported.private_key"
        out = await again.service.export_libotr("main", exported, tmp_path / "exported.fingerprints")
        assert out == KeyExport(expected, 2)
        assert exported.stat().st_mode & 0o777 == 0o600
        assert libotr_fingerprint(libotr, exported, ALICE, "prpl-jabber") == expected
        lines = (tmp_path / "exported.fingerprints").read_text().splitlines()
        assert f"{BOB}\t{ALICE}\tprpl-jabber\t{bob_fp}\tsmp" in lines


async def test_import_errors_are_clear(libotr: ctypes.CDLL, tmp_path: Path) -> None:
    key_file = tmp_path / "otr.private_key"
    libotr_key_file(libotr, key_file, (CAROL, "prpl-jabber"))
    broken = tmp_path / "broken"
    broken.write_text('(privkeys\n (account\n  (name "alice@timb.test")\n')
    async with TimbService(tmp_path / "a", adapter_factory=FakeServer().factory) as s:
        await s.create_profile(PASS)
        added = await s.add_account("main", ALICE, Secret("pw"))
        with pytest.raises(InvalidRequest, match=r"no key for alice@timb\.test"):
            await s.import_libotr("main", key_file)
        with pytest.raises(InvalidRequest, match="line"):
            await s.import_libotr("main", broken)
        with pytest.raises(InvalidRequest, match="cannot read"):
            await s.import_libotr("main", tmp_path / "missing")
        await s.connect("main")
        with pytest.raises(InvalidRequest, match="disconnect"):
            await s.import_libotr("main", key_file)
        assert s.list_accounts()[0].fingerprint == added.fingerprint  # unchanged


async def test_a_path_with_a_nul_is_refused_not_raised(tmp_path: Path) -> None:
    async with TimbService(tmp_path / "p") as service:
        await service.create_profile(Secret("a passphrase"))
        await service.add_account("main", "alice@timb.test", Secret("pw"))
        with pytest.raises(InvalidRequest, match="NUL"):
            await service.import_libotr("main", "key\x00file")
        with pytest.raises(InvalidRequest, match="NUL"):
            await service.export_libotr("main", tmp_path / "out\x00key")
