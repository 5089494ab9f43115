"""The received-name sanitiser against hostile names (issue 15)."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from timb.core.files.names import MAX_NAME_BYTES, candidate_names, sanitise_name

HOSTILE = [
    "../../.ssh/authorized_keys",
    "..\\..\\Windows\\system.ini",
    "/etc/passwd",
    ".bashrc",
    "...",
    "..",
    ".",
    "",
    "a/",
    "report\u202egpj.exe",  # right-to-left override: shows as "reportexe.jpg"
    "in\x00voice.pdf",
    "line\nbreak\r.txt",
    "zero\u200bwidth\u2066.txt",
    "x" * 5000 + ".pdf",
    "é" * 300 + ".jpeg",
    "C:evil.txt",
    " .hidden ",
]


def _safe(name: str) -> None:
    assert name
    assert "/" not in name and "\\" not in name
    assert ".." not in name
    assert not name.startswith(".")
    assert len(name.encode()) <= MAX_NAME_BYTES
    for char in name:
        assert unicodedata.category(char) not in {"Cc", "Cf", "Zl", "Zp", "Cn", "Co", "Cs"}


def test_the_hostile_set_is_made_safe() -> None:
    for offered in HOSTILE:
        _safe(sanitise_name(offered))


def test_a_path_keeps_only_its_last_component() -> None:
    assert sanitise_name("../../.ssh/authorized_keys") == "authorized_keys"
    assert sanitise_name("..\\..\\Windows\\system.ini") == "system.ini"


def test_bidi_and_control_characters_are_dropped() -> None:
    assert sanitise_name("report\u202egpj.exe") == "reportgpj.exe"
    assert sanitise_name("in\x00voice.pdf") == "invoice.pdf"


def test_a_long_name_keeps_its_suffix() -> None:
    name = sanitise_name("x" * 5000 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode()) <= MAX_NAME_BYTES
    multibyte = sanitise_name("é" * 300 + ".jpeg")
    assert multibyte.endswith(".jpeg") and len(multibyte.encode()) <= MAX_NAME_BYTES


def test_nothing_left_gives_the_fallback() -> None:
    assert sanitise_name("...") == sanitise_name("") == "received-file"


def test_plain_names_are_unchanged() -> None:
    for plain in ["notes.txt", "Photo 2026-12-03.jpg", "дело.pdf", "archive.tar.gz"]:
        assert sanitise_name(plain) == plain


def test_candidates_are_new_safe_names_keeping_the_suffix() -> None:
    names = list(candidate_names("notes.txt"))
    assert names[:3] == ["notes.txt", "notes (1).txt", "notes (2).txt"]
    assert len(set(names)) == len(names)
    long = sanitise_name("y" * 400 + ".odt")
    for candidate in list(candidate_names(long))[:20]:
        _safe(candidate)
        assert candidate.endswith(".odt")


@given(st.text(max_size=600))
def test_any_name_is_made_safe_and_stays_stable(offered: str) -> None:
    name = sanitise_name(offered)
    _safe(name)
    assert sanitise_name(name) == name


@given(st.lists(st.sampled_from(["..", ".", "/", "\\", "a", "\u202e", "\x00", " ", "é"]), max_size=80))
def test_names_built_from_hostile_pieces_are_safe(pieces: list[str]) -> None:
    _safe(sanitise_name("".join(pieces)))
