"""mat2 removes a photo's GPS position before it leaves (issue 15). Runs the real mat2."""

from __future__ import annotations

import base64
import struct
from pathlib import Path

import pytest

from timb.core.files import MetadataStripError, strip_metadata

# An 8x8 baseline JPEG (JFIF, no metadata), made once with GdkPixbuf.
PLAIN_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19i"
    "Z2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2P/wAARCAAIAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUF"
    "BAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVW"
    "V1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi"
    "4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAEC"
    "AxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVm"
    "Z2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq"
    "8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDNooor0DhP/9k="
)


def _entry(tag: int, kind: int, count: int, value: bytes) -> bytes:
    return struct.pack(">HHI", tag, kind, count) + value.ljust(4, b"\0")


def _gps_exif() -> bytes:
    """An APP1 Exif segment whose GPS IFD puts the photo at 48°51'N 2°21'E (Paris)."""
    ascii_, byte, long_, rational = 2, 1, 4, 5
    gps_ifd = 26  # 8 (TIFF header) + 2 + 12 + 4 (IFD0 with one entry)
    values = gps_ifd + 2 + 5 * 12 + 4
    gps = (
        struct.pack(">H", 5)
        + b"".join(
            [
                _entry(0x0000, byte, 4, bytes([2, 3, 0, 0])),
                _entry(0x0001, ascii_, 2, b"N\0"),
                _entry(0x0002, rational, 3, struct.pack(">I", values)),
                _entry(0x0003, ascii_, 2, b"E\0"),
                _entry(0x0004, rational, 3, struct.pack(">I", values + 24)),
            ]
        )
        + b"\0\0\0\0"
    )
    degrees = struct.pack(">6I", 48, 1, 51, 1, 0, 1) + struct.pack(">6I", 2, 1, 21, 1, 0, 1)
    ifd0 = struct.pack(">H", 1) + _entry(0x8825, long_, 1, struct.pack(">I", gps_ifd)) + b"\0\0\0\0"
    tiff = b"MM\0*" + struct.pack(">I", 8) + ifd0 + gps + degrees
    body = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def test_a_jpeg_with_gps_exif_leaves_without_it(tmp_path: Path) -> None:
    photo = tmp_path / "IMG_0001.JPG"
    photo.write_bytes(PLAIN_JPEG[:2] + _gps_exif() + PLAIN_JPEG[2:])
    work = tmp_path / "work"
    work.mkdir()
    report = strip_metadata(photo, work)
    assert report.supported
    found = {item.name for item in report.found}
    assert {"GPSLatitude", "GPSLongitude"} <= found
    assert report.remaining == ()
    assert {"GPSLatitude", "GPSLongitude"} <= {item.name for item in report.removed}
    assert report.cleaned is not None
    cleaned = report.cleaned.read_bytes()
    assert cleaned.startswith(b"\xff\xd8") and b"Exif\0\0" not in cleaned
    assert photo.read_bytes().count(b"Exif\0\0") == 1  # the user's original is untouched
    position = next(item.value for item in report.found if item.name == "GPSLatitude")
    assert position not in repr(report)  # values are shown to the user, never printed in logs


def test_a_type_mat2_does_not_know_is_reported_unsupported(tmp_path: Path) -> None:
    blob = tmp_path / "data.bin"
    blob.write_bytes(b"\x00\x01opaque")
    report = strip_metadata(blob, tmp_path)
    assert not report.supported and report.cleaned is None


def test_a_broken_file_of_a_known_type_is_a_typed_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(MetadataStripError):
        strip_metadata(broken, tmp_path)
