"""A received file's name, made safe to save: the sender chooses it, so it is hostile.

The rules (issue 15): no path separators, no ``..``, no leading dot, no control or bidi
characters, a length limit; an existing file is never overwritten (`candidate_names` gives
the alternatives to try, in order).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

# Linux allows 255 bytes per name; room is kept for " (999)" and for the filesystems of
# USB sticks, which count differently.
MAX_NAME_BYTES = 200
MAX_SUFFIX_CHARS = 16
FALLBACK_NAME = "received-file"
MAX_CANDIDATES = 1000

# Separators of every system the file may later be copied to, and characters Windows and
# SMB shares refuse: a name valid here should stay one name elsewhere.
_REPLACED = frozenset('/\\:*?"<>|')
# Cc control, Cf format (the bidi overrides U+202A..U+202E, U+2066..U+2069, zero-width
# joiners, the BOM), line and paragraph separators, unassigned, private use, surrogates.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cn", "Co", "Cs"})


def sanitise_name(offered: str) -> str:
    """The name to save a received file under, derived from the sender's `offered` name.

    Always non-empty, at most `MAX_NAME_BYTES` in UTF-8, and idempotent: a sanitised name
    sanitises to itself. Never raises.
    """
    text = unicodedata.normalize("NFC", offered)
    # The last component only: "../../.ssh/authorized_keys" is "authorized_keys".
    for separator in "/\\":
        text = text.rsplit(separator, 1)[-1]
    kept = []
    for char in text:
        if unicodedata.category(char) in _DROPPED_CATEGORIES:
            continue
        kept.append("_" if char in _REPLACED else " " if char.isspace() else char)
    text = "".join(kept)
    while ".." in text:
        text = text.replace("..", ".")
    text = text.strip(" .")
    text = _fit(text)
    return text or FALLBACK_NAME


def candidate_names(name: str) -> Iterator[str]:
    """`name` (already sanitised), then "stem (1).ext", "stem (2).ext", ... up to a bound."""
    yield name
    stem, suffix = _split(name)
    for number in range(1, MAX_CANDIDATES):
        tag = f" ({number})"
        yield _truncate(stem, MAX_NAME_BYTES - len(tag) - len(suffix.encode())) + tag + suffix


def _split(name: str) -> tuple[str, str]:
    """(stem, ".ext"); a suffix only if short and the stem is not empty."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix) > MAX_SUFFIX_CHARS:
        return name, ""
    return stem, "." + suffix


def _fit(name: str) -> str:
    """`name` cut to `MAX_NAME_BYTES`, keeping its suffix (the type the user sees)."""
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    stem, suffix = _split(name)
    fitted = _truncate(stem, MAX_NAME_BYTES - len(suffix.encode())) + suffix
    return fitted.strip(" .")


def _truncate(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` within `max_bytes` of UTF-8, never half a character."""
    encoded = text.encode()[: max(max_bytes, 0)]
    return encoded.decode(errors="ignore").rstrip(" .")
