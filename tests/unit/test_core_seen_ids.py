"""timb.core.seen_ids: what the profile keeps of the ids shown, and reading it back."""

from __future__ import annotations

from timb.core.seen_ids import KEPT_IDS, SEEN_IDS, parse_seen, remember, seen_section


def test_memory_and_profile_keep_the_newest_ids_in_order() -> None:
    seen: dict[bytes, None] = {}
    for n in range(SEEN_IDS + 5):
        remember(seen, n.to_bytes(8, "big"))
    assert len(seen) == SEEN_IDS and next(iter(seen)) == (5).to_bytes(8, "big")
    section = seen_section([("bob@x", seen), ("nobody@x", {})])
    assert list(section) == ["bob@x"] and len(section["bob@x"]) == KEPT_IDS
    assert section["bob@x"][-1] == (SEEN_IDS + 4).to_bytes(8, "big").hex()
    back = parse_seen(section)
    assert list(back["bob@x"]) == list(seen)[-KEPT_IDS:]


def test_damage_is_skipped_not_raised() -> None:
    good = "00112233aabbccdd"
    section: dict[str, object] = {
        "a@x": [good, "zz" * 8, "0011", 7, good.upper()],
        "b@x": "not a list",
        "c@x": [],
    }
    assert parse_seen(section) == {"a@x": {bytes.fromhex(good): None}}
