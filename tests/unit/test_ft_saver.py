"""Saving a received file: 0600, the cap, the hash before the final name, no overwrite."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from timb.core.files import FileIntegrityError, FileTooLarge, FileTransferError, IncomingFile
from timb.core.files.saver import PARTIAL_PREFIX

DATA = b"the leaked memo\n" * 1000
DIGEST = hashlib.sha3_512(DATA).digest()
CAP = 1 << 20


def _receive(folder: Path, name: str, data: bytes = DATA, digest: bytes = DIGEST) -> Path:
    incoming = IncomingFile(folder, name, len(data), digest, cap=CAP)
    for start in range(0, len(data), 4096):
        incoming.write(data[start : start + 4096])
    return incoming.finish()


def test_a_checked_file_is_saved_0600_under_its_sanitised_name(tmp_path: Path) -> None:
    saved = _receive(tmp_path, "../../memo.txt")
    assert saved == tmp_path / "memo.txt"
    assert saved.read_bytes() == DATA
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["memo.txt"]


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "memo.txt").write_bytes(b"mine")
    first = _receive(tmp_path, "memo.txt")
    second = _receive(tmp_path, "memo.txt")
    assert (first.name, second.name) == ("memo (1).txt", "memo (2).txt")
    assert (tmp_path / "memo.txt").read_bytes() == b"mine"


def test_a_symlink_under_the_final_name_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    (tmp_path / "memo.txt").symlink_to(target)
    saved = _receive(tmp_path, "memo.txt")
    assert saved.name == "memo (1).txt"
    assert not target.exists()


def test_the_partial_file_never_has_the_final_name(tmp_path: Path) -> None:
    incoming = IncomingFile(tmp_path, "memo.txt", len(DATA), DIGEST, cap=CAP)
    incoming.write(DATA[:100])
    (partial,) = os.listdir(tmp_path)
    assert partial.startswith(PARTIAL_PREFIX)
    assert stat.S_IMODE((tmp_path / partial).stat().st_mode) == 0o600
    incoming.abort()
    assert os.listdir(tmp_path) == []


def test_a_corrupted_chunk_saves_nothing(tmp_path: Path) -> None:
    corrupted = bytearray(DATA)
    corrupted[5000] ^= 0x01
    with pytest.raises(FileIntegrityError):
        _receive(tmp_path, "memo.txt", bytes(corrupted))
    assert os.listdir(tmp_path) == []


def test_a_short_file_saves_nothing(tmp_path: Path) -> None:
    incoming = IncomingFile(tmp_path, "memo.txt", len(DATA), DIGEST, cap=CAP)
    incoming.write(DATA[:-1])
    with pytest.raises(FileIntegrityError):
        incoming.finish()
    assert os.listdir(tmp_path) == []


def test_more_bytes_than_declared_are_refused(tmp_path: Path) -> None:
    incoming = IncomingFile(tmp_path, "memo.txt", 10, DIGEST, cap=CAP)
    with pytest.raises(FileIntegrityError):
        incoming.write(b"x" * 11)
    assert os.listdir(tmp_path) == []


def test_a_file_over_the_cap_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(FileTooLarge):
        IncomingFile(tmp_path, "big.iso", CAP + 1, DIGEST, cap=CAP)
    assert os.listdir(tmp_path) == []


def test_an_empty_file_is_saved(tmp_path: Path) -> None:
    saved = _receive(tmp_path, "empty", b"", hashlib.sha3_512(b"").digest())
    assert saved.read_bytes() == b""


def test_leaving_the_context_without_finishing_removes_the_partial(tmp_path: Path) -> None:
    with IncomingFile(tmp_path, "memo.txt", len(DATA), DIGEST, cap=CAP) as incoming:
        incoming.write(DATA[:10])
    assert os.listdir(tmp_path) == []
    with pytest.raises(FileTransferError):
        incoming.write(b"more")


def test_a_missing_folder_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(FileTransferError):
        IncomingFile(tmp_path / "missing", "memo.txt", 1, DIGEST, cap=CAP)


def test_the_repr_names_no_file(tmp_path: Path) -> None:
    with IncomingFile(tmp_path, "secret-source-name.txt", 1, DIGEST, cap=CAP) as incoming:
        assert "secret" not in repr(incoming)
