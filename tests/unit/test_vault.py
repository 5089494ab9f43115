"""The profile vault: round trips, errors, tampering, crash safety, permissions, the lock."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timb.common.secret import Secret
from timb.core.storage import (
    Argon2idParams,
    InsecureProfile,
    ProfileInUse,
    ScryptParams,
    StorageIOError,
    UnsupportedVault,
    Vault,
    VaultCorrupted,
    VaultExists,
    VaultLocked,
    VaultNotFound,
    WrongPassphrase,
    default_kdf_params,
)
from timb.core.storage.vault import BACKUP_NAME, LOCK_NAME, VAULT_NAME, argon2id_available

# Tiny KDF parameters keep the tests fast; the real defaults are checked separately.
FAST = Argon2idParams(memory_cost=8, iterations=1, lanes=1) if argon2id_available() else ScryptParams(4, 1, 1)
PW = Secret("correct horse battery staple")
REPO = Path(__file__).resolve().parents[2]


def _create(directory: Path, data: dict[str, object] | None = None) -> Vault:
    return Vault.create(directory, PW, kdf=FAST, data=data or {"otr": {"key": "k1"}})  # type: ignore[arg-type]


def _reseal(body: bytes) -> bytes:
    """What an attacker who knows the format (but not the passphrase) can do: fix the digest."""
    return body + hashlib.sha256(body).digest()


def _layout(blob: bytes) -> tuple[int, int]:
    """(end of header, start of ciphertext)."""
    header_len = int.from_bytes(blob[10:12], "big")
    end = 12 + header_len
    return end, end + 32 + 12


def test_round_trip(tmp_path: Path) -> None:
    d = tmp_path / "profile"
    v = _create(d, {"otr": {"key": "k1"}, "settings": {"history": False}})
    v.section("trust")["alice@example.org"] = ["ABCD", "verified"]
    v.save()
    v.lock()
    with Vault.unlock(d, PW) as again:
        assert again.data == {
            "otr": {"key": "k1"},
            "settings": {"history": False},
            "trust": {"alice@example.org": ["ABCD", "verified"]},
        }
        assert again.kdf_params == FAST
    assert again.is_locked


def test_unicode_passphrase_is_normalised(tmp_path: Path) -> None:
    Vault.create(tmp_path, Secret("caf\u00e9 \u00fcber"), kdf=FAST).lock()
    Vault.unlock(tmp_path, Secret("cafe\u0301 u\u0308ber")).lock()


def test_wrong_passphrase_is_a_clear_error_and_releases_the_lock(tmp_path: Path) -> None:
    _create(tmp_path).lock()
    before = (tmp_path / VAULT_NAME).read_bytes()
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        Vault.unlock(tmp_path, Secret("tr0ub4dor&3"))
    assert (tmp_path / VAULT_NAME).read_bytes() == before
    Vault.unlock(tmp_path, PW).lock()


def test_empty_passphrase_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        Vault.create(tmp_path, Secret(""), kdf=FAST)
    assert not Vault.exists(tmp_path)


def test_missing_and_existing(tmp_path: Path) -> None:
    with pytest.raises(VaultNotFound):
        Vault.unlock(tmp_path / "nowhere", PW)
    with pytest.raises(VaultNotFound):
        Vault.unlock(tmp_path, PW)
    _create(tmp_path).lock()
    before = (tmp_path / VAULT_NAME).read_bytes()
    with pytest.raises(VaultExists):
        _create(tmp_path)
    assert (tmp_path / VAULT_NAME).read_bytes() == before
    Vault.unlock(tmp_path, PW).lock()  # the failed create released the lock


def test_locked_vault_refuses_use(tmp_path: Path) -> None:
    v = _create(tmp_path)
    v.lock()
    v.lock()  # idempotent
    for use in (lambda: v.data, v.save, lambda: v.section("x"), lambda: v.change_passphrase(PW, PW)):
        with pytest.raises(VaultLocked):
            use()


def test_repr_reveals_nothing(tmp_path: Path) -> None:
    v = _create(tmp_path, {"otr": {"key": "very-secret-key"}})
    assert "very-secret" not in repr(v) and PW.reveal() not in repr(v)
    v.lock()


def test_unserialisable_data_leaves_the_file_unchanged(tmp_path: Path) -> None:
    v = _create(tmp_path)
    before = (tmp_path / VAULT_NAME).read_bytes()
    v.data["bad"] = {1, 2}  # type: ignore[assignment]
    with pytest.raises(TypeError):
        v.save()
    assert (tmp_path / VAULT_NAME).read_bytes() == before
    v.lock()


def test_size_is_padded(tmp_path: Path) -> None:
    _create(tmp_path / "a", {"x": "y"}).lock()
    _create(tmp_path / "b", {"x": "y" * 500}).lock()
    assert (tmp_path / "a" / VAULT_NAME).stat().st_size == (tmp_path / "b" / VAULT_NAME).stat().st_size


# -- tampering ---------------------------------------------------------------------------------


def test_every_flipped_byte_is_vault_corrupted_and_the_file_is_unchanged(tmp_path: Path) -> None:
    _create(tmp_path).lock()
    path = tmp_path / VAULT_NAME
    good = path.read_bytes()
    for i in range(len(good)):
        bad = bytearray(good)
        bad[i] ^= 0x01 << (i % 8)
        path.write_bytes(bytes(bad))
        with pytest.raises(VaultCorrupted):
            Vault.unlock(tmp_path, PW)
        assert path.read_bytes() == bytes(bad)
    path.write_bytes(good)
    Vault.unlock(tmp_path, PW).lock()


@pytest.mark.parametrize("cut", [0, 1, 8, 12, 40, -33, -32, -1])
def test_truncated_file_is_vault_corrupted(tmp_path: Path, cut: int) -> None:
    _create(tmp_path).lock()
    path = tmp_path / VAULT_NAME
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(VaultCorrupted):
        Vault.unlock(tmp_path, PW)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.data())
def test_any_mutation_is_vault_corrupted(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    d = tmp_path_factory.mktemp("v")
    _create(d).lock()
    path = d / VAULT_NAME
    good = path.read_bytes()
    pos = data.draw(st.integers(0, len(good) - 1))
    replacement = data.draw(st.binary(min_size=0, max_size=8))
    bad = good[:pos] + replacement + good[pos + data.draw(st.integers(0, 8)) :]
    if bad == good:
        return
    path.write_bytes(bad)
    with pytest.raises(VaultCorrupted):
        Vault.unlock(d, PW)
    assert path.read_bytes() == bad


def test_resealed_ciphertext_tamper_is_vault_corrupted(tmp_path: Path) -> None:
    _create(tmp_path).lock()
    path = tmp_path / VAULT_NAME
    blob = path.read_bytes()
    _end, body = _layout(blob)
    for pos in (body, body + 17, len(blob) - 33):  # first byte, middle, the GCM tag
        bad = bytearray(blob[:-32])
        bad[pos] ^= 0x80
        path.write_bytes(_reseal(bytes(bad)))
        with pytest.raises(VaultCorrupted, match="authentication"):
            Vault.unlock(tmp_path, PW)


def test_resealed_header_tamper_cannot_pass(tmp_path: Path) -> None:
    """A rewritten salt or check value reads as a wrong passphrase (indistinguishable from a vault
    made under another passphrase); a rewritten header never opens."""
    _create(tmp_path).lock()
    path = tmp_path / VAULT_NAME
    blob = path.read_bytes()
    end, _body = _layout(blob)
    header = json.loads(blob[12:end])
    salt_pos = blob.index(header["salt"].encode())
    for pos, error in ((salt_pos + 2, WrongPassphrase), (end + 5, WrongPassphrase)):
        bad = bytearray(blob[:-32])
        bad[pos] = ord("A") if bad[pos] != ord("A") else ord("B")
        path.write_bytes(_reseal(bytes(bad)))
        with pytest.raises(error):
            Vault.unlock(tmp_path, PW)


def _with_header(blob: bytes, header: dict[str, object]) -> bytes:
    raw = json.dumps(header).encode()
    end, _ = _layout(blob)
    return _reseal(blob[:10] + len(raw).to_bytes(2, "big") + raw + blob[end:-32])


@pytest.mark.parametrize(
    "kdf,error",
    [
        ({"name": "argon2id", "m": 2**40, "t": 3, "p": 4}, VaultCorrupted),  # must not allocate 1 PiB
        ({"name": "scrypt", "log2_n": 40, "r": 8, "p": 1}, VaultCorrupted),
        ({"name": "argon2id", "m": "8", "t": 1, "p": 1}, VaultCorrupted),
        ({"name": "pbkdf2", "iterations": 1}, UnsupportedVault),
    ],
)
def test_hostile_kdf_parameters(tmp_path: Path, kdf: dict[str, object], error: type[Exception]) -> None:
    _create(tmp_path).lock()
    path = tmp_path / VAULT_NAME
    blob = path.read_bytes()
    end, _ = _layout(blob)
    header = json.loads(blob[12:end])
    header["kdf"] = kdf
    path.write_bytes(_with_header(blob, header))
    with pytest.raises(error):
        Vault.unlock(tmp_path, PW)


def test_newer_format_is_unsupported(tmp_path: Path) -> None:
    _create(tmp_path).lock()
    path = tmp_path / VAULT_NAME
    blob = path.read_bytes()
    path.write_bytes(_reseal(blob[:8] + (2).to_bytes(2, "big") + blob[10:-32]))
    with pytest.raises(UnsupportedVault, match="format 2"):
        Vault.unlock(tmp_path, PW)


@pytest.mark.parametrize("header", [b"[" * 60_000, b'{"kdf":' * 9_000 + b"1"])
def test_deeply_nested_header_is_vault_corrupted(tmp_path: Path, header: bytes) -> None:
    """Nested JSON in a resealed header must not escape as RecursionError (a fuzzing finding)."""
    _create(tmp_path).lock()
    path = tmp_path / VAULT_NAME
    blob = path.read_bytes()
    end, _ = _layout(blob)
    path.write_bytes(_reseal(blob[:10] + len(header).to_bytes(2, "big") + header + blob[end:-32]))
    with pytest.raises(VaultCorrupted, match="header"):
        Vault.unlock(tmp_path, PW)


# -- backups and crash safety ------------------------------------------------------------------


def test_backup_keeps_the_previous_version(tmp_path: Path) -> None:
    v = _create(tmp_path, {"n": 1})
    v.data["n"] = 2
    v.save()
    v.data["n"] = 3
    v.save()
    v.lock()
    with Vault.unlock(tmp_path, PW, from_backup=True) as b:
        assert b.data == {"n": 2}
    with Vault.unlock(tmp_path, PW) as m:
        assert m.data == {"n": 3}


def test_damaged_vault_recovers_from_backup_without_losing_it(tmp_path: Path) -> None:
    v = _create(tmp_path, {"n": 1})
    v.data["n"] = 2
    v.save()
    v.lock()
    main = tmp_path / VAULT_NAME
    main.write_bytes(main.read_bytes()[:-1] + b"\x00")
    with pytest.raises(VaultCorrupted):
        Vault.unlock(tmp_path, PW)
    with Vault.unlock(tmp_path, PW, from_backup=True) as b:
        assert b.data == {"n": 1}
        b.data["n"] = 5
        b.save()  # the damaged main must not become the backup
    with Vault.unlock(tmp_path, PW, from_backup=True) as b:
        assert b.data == {"n": 1}
    with Vault.unlock(tmp_path, PW) as m:
        assert m.data == {"n": 5}


def test_missing_vault_with_backup_says_so(tmp_path: Path) -> None:
    v = _create(tmp_path)
    v.save()
    v.lock()
    (tmp_path / VAULT_NAME).unlink()
    with pytest.raises(VaultNotFound, match="backup exists"):
        Vault.unlock(tmp_path, PW)


CRASH = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from timb.common.secret import Secret
    from timb.core.storage.vault import Vault
    crash_at, calls, real = int(sys.argv[2]), [0], os.replace
    def replace(src, dst):
        calls[0] += 1
        if calls[0] == crash_at:
            os._exit(17)  # the process dies between writing the temp file and renaming it
        real(src, dst)
    os.replace = replace
    v = Vault.unlock(Path(sys.argv[1]), Secret(sys.argv[3]))
    v.data["n"] = 2
    v.save()
    os._exit(0)
    """
)


@pytest.mark.parametrize("crash_at", [1, 2])  # 1: while rotating the backup, 2: before the main rename
def test_crash_before_rename_leaves_the_old_vault(tmp_path: Path, crash_at: int) -> None:
    v = _create(tmp_path, {"n": 1})
    v.save()
    v.lock()
    result = subprocess.run(
        [sys.executable, "-c", CRASH, str(tmp_path), str(crash_at), PW.reveal()], cwd=REPO, check=False
    )
    assert result.returncode == 17
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1
    with Vault.unlock(tmp_path, PW) as again:  # the dead process's lock is gone with it
        assert again.data == {"n": 1}
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with Vault.unlock(tmp_path, PW, from_backup=True) as b:
        assert b.data == {"n": 1}


def test_garbage_temp_file_is_ignored_and_cleaned(tmp_path: Path) -> None:
    _create(tmp_path, {"n": 1}).lock()
    junk = tmp_path / f".{VAULT_NAME}.0123456789abcdef.tmp"
    junk.write_bytes(b"half a vault")
    with Vault.unlock(tmp_path, PW) as v:
        assert v.data == {"n": 1}
    assert not junk.exists()


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    v = _create(tmp_path, {"n": 1})
    before = (tmp_path / VAULT_NAME).read_bytes()

    def no_space(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    v.data["n"] = 2
    with pytest.raises(StorageIOError, match="No space left"):
        v.save()
    assert (tmp_path / VAULT_NAME).read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    monkeypatch.undo()
    v.save()
    v.lock()
    with Vault.unlock(tmp_path, PW) as again:
        assert again.data == {"n": 2}


# -- permissions -------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_permissions_on_create_even_with_a_lax_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        v = _create(tmp_path / "p")
        v.save()
    finally:
        os.umask(old)
    d = tmp_path / "p"
    assert _mode(d) == 0o700
    for name in (VAULT_NAME, BACKUP_NAME, LOCK_NAME):
        assert _mode(d / name) == 0o600, name
    v.lock()


def test_permissions_are_fixed_on_unlock(tmp_path: Path) -> None:
    v = _create(tmp_path)
    v.save()
    v.lock()
    os.chmod(tmp_path, 0o755)
    for name in (VAULT_NAME, BACKUP_NAME, LOCK_NAME):
        os.chmod(tmp_path / name, 0o644)
    Vault.unlock(tmp_path, PW).lock()
    assert _mode(tmp_path) == 0o700
    for name in (VAULT_NAME, BACKUP_NAME, LOCK_NAME):
        assert _mode(tmp_path / name) == 0o600, name


def test_directory_of_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "p"
    _create(d).lock()
    if os.geteuid() == 0:
        os.chown(d, 65534, 65534)
    else:
        monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 1)
    with pytest.raises(InsecureProfile, match="another user"):
        Vault.unlock(d, PW)


def test_file_of_another_user_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to chown")
    _create(tmp_path).lock()
    os.chown(tmp_path / VAULT_NAME, 65534, 65534)
    with pytest.raises(InsecureProfile, match="another user"):
        Vault.unlock(tmp_path, PW)


def test_symlinked_vault_is_refused(tmp_path: Path) -> None:
    _create(tmp_path / "real").lock()
    d = tmp_path / "p"
    d.mkdir(mode=0o700)
    (d / VAULT_NAME).symlink_to(tmp_path / "real" / VAULT_NAME)
    with pytest.raises(InsecureProfile, match="symbolic link"):
        Vault.unlock(d, PW)


# -- the profile lock --------------------------------------------------------------------------


def test_second_open_in_process_is_profile_in_use(tmp_path: Path) -> None:
    v = _create(tmp_path)
    with pytest.raises(ProfileInUse, match="open in another TIMB"):
        Vault.unlock(tmp_path, PW)
    with pytest.raises(ProfileInUse):
        Vault.create(tmp_path, PW, kdf=FAST)
    v.lock()
    Vault.unlock(tmp_path, PW).lock()


HOLD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from timb.common.secret import Secret
    from timb.core.storage.vault import Vault
    v = Vault.unlock(Path(sys.argv[1]), Secret(sys.argv[2]))
    print("locked", flush=True)
    sys.stdin.read()
    v.lock()
    """
)


def test_other_process_holding_the_profile_is_profile_in_use(tmp_path: Path) -> None:
    _create(tmp_path).lock()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path), PW.reveal()],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(ProfileInUse, match=f"process {holder.pid}"):
            Vault.unlock(tmp_path, PW)
    finally:
        holder.communicate("", timeout=30)
    assert holder.returncode == 0
    Vault.unlock(tmp_path, PW).lock()


# -- passphrase change and KDF parameters --------------------------------------------------------


def _salt(path: Path) -> str:
    blob = path.read_bytes()
    end, _ = _layout(blob)
    salt: str = json.loads(blob[12:end])["salt"]
    return salt


def test_change_passphrase(tmp_path: Path) -> None:
    v = _create(tmp_path, {"n": 1})
    old_salt = _salt(tmp_path / VAULT_NAME)
    new = Secret("a much longer new passphrase")
    v.change_passphrase(PW, new)
    v.lock()
    assert _salt(tmp_path / VAULT_NAME) != old_salt
    with pytest.raises(WrongPassphrase):
        Vault.unlock(tmp_path, PW)
    with Vault.unlock(tmp_path, new) as again:
        assert again.data == {"n": 1}


def test_change_passphrase_with_wrong_old_changes_nothing(tmp_path: Path) -> None:
    v = _create(tmp_path)
    before = (tmp_path / VAULT_NAME).read_bytes()
    with pytest.raises(WrongPassphrase):
        v.change_passphrase(Secret("not it"), Secret("new"))
    assert (tmp_path / VAULT_NAME).read_bytes() == before
    v.save()
    v.lock()
    Vault.unlock(tmp_path, PW).lock()


def test_kdf_parameters_can_be_raised(tmp_path: Path) -> None:
    v = _create(tmp_path)
    stronger = ScryptParams(log2_n=6, r=2, p=1)
    v.change_passphrase(PW, PW, kdf=stronger)
    v.lock()
    blob = (tmp_path / VAULT_NAME).read_bytes()
    end, _ = _layout(blob)
    assert json.loads(blob[12:end])["kdf"] == {"name": "scrypt", "log2_n": 6, "r": 2, "p": 1}
    with Vault.unlock(tmp_path, PW) as again:
        assert again.kdf_params == stronger


@pytest.mark.parametrize(
    "make",
    [
        lambda: Argon2idParams(memory_cost=4, iterations=1, lanes=1),
        lambda: Argon2idParams(memory_cost=8, iterations=0, lanes=1),
        lambda: ScryptParams(log2_n=0, r=1, p=1),
        lambda: ScryptParams(log2_n=24, r=64, p=1),
    ],
)
def test_kdf_parameters_are_validated(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_default_kdf_is_memory_hard() -> None:
    params = default_kdf_params()
    if isinstance(params, Argon2idParams):
        assert params.memory_cost >= 64 * 1024 and params.iterations >= 3  # RFC 9106 floor
    else:
        assert 128 * params.r * (1 << params.log2_n) >= 64 * 1024 * 1024


def test_change_passphrase_replaces_the_backup(tmp_path: Path) -> None:
    v = _create(tmp_path, {"n": 1})
    v.data["n"] = 2
    v.save()  # the backup now holds n=1 under PW
    new = Secret("new passphrase for the backup test")
    v.change_passphrase(PW, new)
    v.lock()
    with pytest.raises(WrongPassphrase):
        Vault.unlock(tmp_path, PW, from_backup=True)
    with Vault.unlock(tmp_path, new, from_backup=True) as b:
        assert b.data == {"n": 2}


def test_change_passphrase_failing_before_the_rename_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = _create(tmp_path, {"n": 1})

    def no_space(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(StorageIOError, match="No space left"):
        v.change_passphrase(PW, Secret("never"))
    monkeypatch.undo()
    v.save()  # still writes under the old passphrase
    v.lock()
    Vault.unlock(tmp_path, PW).lock()


def test_change_passphrase_failing_after_the_rename_follows_the_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = _create(tmp_path, {"n": 1})
    new = Secret("the new one")
    real_replace = os.replace

    def replace_then_fail(src: str, dst: str) -> None:
        real_replace(src, dst)
        if str(dst).endswith(VAULT_NAME):
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", replace_then_fail)
    with pytest.raises(StorageIOError, match="passphrase was changed"):
        v.change_passphrase(PW, new)
    monkeypatch.undo()
    v.data["n"] = 2
    v.save()
    v.lock()
    with Vault.unlock(tmp_path, new) as again:
        assert again.data == {"n": 2}


def test_create_refuses_a_foreign_non_empty_directory(tmp_path: Path) -> None:
    d = tmp_path / "documents"
    d.mkdir(mode=0o755)
    (d / "notes.txt").write_text("mine")
    os.chmod(d, 0o755)
    with pytest.raises(InsecureProfile, match="not empty"):
        _create(d)
    assert _mode(d) == 0o755 and sorted(p.name for p in d.iterdir()) == ["notes.txt"]


def test_a_dropped_vault_releases_the_profile(tmp_path: Path) -> None:
    v = _create(tmp_path)
    del v
    gc.collect()
    Vault.unlock(tmp_path, PW).lock()


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")  # a double close
def test_failed_create_releases_the_lock_exactly_once(tmp_path: Path) -> None:
    d = tmp_path / "p"
    with pytest.raises(TypeError):
        Vault.create(d, PW, kdf=FAST, data={"bad": {1, 2}})  # type: ignore[dict-item]
    assert not Vault.exists(d)
    fd = os.open(tmp_path / "unrelated", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        gc.collect()  # the failed vault's finaliser must not close a reused descriptor
        os.fstat(fd)
    finally:
        os.close(fd)
    _create(d).lock()


def test_saves_from_several_threads_leave_the_latest_state(tmp_path: Path) -> None:
    v = _create(tmp_path, {f"t{i}": 0 for i in range(6)})

    def work(i: int) -> None:
        for n in range(1, 11):
            v.data[f"t{i}"] = n
            v.save()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    v.lock()
    with Vault.unlock(tmp_path, PW) as again:
        assert again.data == {f"t{i}": 10 for i in range(6)}
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
