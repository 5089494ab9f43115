"""Preparing a file to send: cleaned by default, measured and hashed as it will leave."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from timb.core.files import FileTooLarge
from timb.core.files.outgoing import prepare_outgoing

from .test_ft_metadata import PLAIN_JPEG, _gps_exif


def test_a_photo_is_cleaned_by_default_and_the_offer_describes_the_clean_copy(tmp_path: Path) -> None:
    photo = tmp_path / "IMG_0001.JPG"
    photo.write_bytes(PLAIN_JPEG[:2] + _gps_exif() + PLAIN_JPEG[2:])
    work = tmp_path / "work"
    work.mkdir()
    prepared = prepare_outgoing(photo, work)
    assert prepared.cleaned and prepared.path != photo
    sent = prepared.path.read_bytes()
    assert b"Exif\0\0" not in sent
    assert prepared.size == len(sent) and prepared.digest == hashlib.sha3_512(sent).digest()
    assert prepared.name == "IMG_0001.JPG"
    assert prepared.metadata is not None
    assert "GPSLatitude" in {field.name for field in prepared.metadata.removed}


def test_the_user_may_send_the_original(tmp_path: Path) -> None:
    note = tmp_path / "note.bin"
    note.write_bytes(b"as it is")
    prepared = prepare_outgoing(note, tmp_path, strip=False)
    assert prepared.path == note and prepared.metadata is None and not prepared.cleaned
    assert prepared.digest == hashlib.sha3_512(b"as it is").digest()


def test_an_unknown_type_goes_as_it_is_and_says_so(tmp_path: Path) -> None:
    blob = tmp_path / "data.bin"
    blob.write_bytes(b"\x00opaque")
    prepared = prepare_outgoing(blob, tmp_path)
    assert prepared.path == blob and prepared.metadata is not None
    assert not prepared.metadata.supported and not prepared.cleaned


def test_over_the_cap_is_refused(tmp_path: Path) -> None:
    blob = tmp_path / "big.bin"
    blob.write_bytes(bytes(2048))
    with pytest.raises(FileTooLarge):
        prepare_outgoing(blob, tmp_path, strip=False, size_cap=1024)
