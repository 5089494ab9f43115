"""The passphrase hint is rough but ordered: short < repeated < mixed < several words."""

from __future__ import annotations

import pytest

from timb.ui.tui.strength import MIN_LENGTH, passphrase_strength

ORDER = ["too short", "weak", "fair", "good", "strong"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("short", "too short"),
        ("a" * (MIN_LENGTH - 1), "too short"),
        ("aaaaaaaaaaaaaaaaaaaa", "weak"),
        ("password12", "weak"),
        ("Tr0ub4dor&3xyz", "weak"),  # looks random, is not: hence the 3-bit cap
        ("x7#Kq9!mZ2@pL4$wR8^t", "fair"),
        ("correct horse battery staple", "good"),
        ("correct horse battery staple orbit", "strong"),
    ],
)
def test_labels(text: str, label: str) -> None:
    assert passphrase_strength(text).label == label


def test_more_words_never_weaker() -> None:
    words = ["lamp", "river", "quiet", "thunder", "maple", "orbit"]
    labels = [ORDER.index(passphrase_strength(" ".join(words[:n])).label) for n in range(2, 7)]
    assert labels == sorted(labels)
