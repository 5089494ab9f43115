"""timb.core.outbox: what the profile keeps of the messages not yet delivered, and reading it back."""

from __future__ import annotations

from timb.common.ids import Fingerprint
from timb.common.secret import Secret
from timb.core.outbox import MAX_KEPT, KeptMessage, outbox_section, parse_outbox

KEY = Fingerprint(bytes(range(20)))


def test_kept_messages_come_back_whole_and_in_order() -> None:
    messages = [
        KeptMessage(f"id{n}", "bob@x", Secret(f"text {n}"), n % 2 == 0, frozenset({KEY})) for n in range(3)
    ]
    back = parse_outbox(outbox_section(messages))
    assert [(m.id, m.contact, m.text.reveal(), m.needs_otr, m.written_for) for m in back] == [
        (m.id, m.contact, m.text.reveal(), m.needs_otr, m.written_for) for m in messages
    ]
    many = [KeptMessage(f"id{n}", "bob@x", Secret("t"), True, frozenset()) for n in range(MAX_KEPT + 3)]
    kept = outbox_section(many)
    assert len(kept) == MAX_KEPT and kept[0]["id"] == "id3"


def test_a_damaged_entry_is_skipped_never_half_read() -> None:
    good = outbox_section([KeptMessage("a", "bob@x", Secret("hi"), True, frozenset({KEY}))])[0]
    damaged: list[object] = [
        {**good, "written_for": ["not hex"]},  # its keys unreadable: sent nowhere
        {**good, "needs_otr": "yes"},
        {**good, "text": "nul\x00inside"},
        {**good, "id": ""},
        "not an entry",
        good,
    ]
    assert [m.id for m in parse_outbox(damaged)] == ["a"]
    assert parse_outbox({"not": "a list"}) == []
