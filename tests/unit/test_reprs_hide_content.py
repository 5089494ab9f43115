"""What a user typed, an SMP question, and session keys never appear in a repr (logs, crash
reports and test failures print reprs)."""

from __future__ import annotations

from timb.core.events import MessageReceived, SmpRequested
from timb.otr.ake import _AkeKeys
from timb.otr.smp import SmpQuestion

TEXT = "meet at the north gate 7f3a"


def test_a_received_message_hides_its_text() -> None:
    event = MessageReceived("main", "bob@timb.test", TEXT, encrypted=True, verified=False)
    assert TEXT not in repr(event)
    assert "bob@timb.test" in repr(event)
    assert event.text == TEXT


def test_an_smp_question_is_not_in_a_repr() -> None:
    assert TEXT not in repr(SmpRequested("main", "bob@timb.test", TEXT))
    assert TEXT not in repr(SmpQuestion(TEXT))


def test_the_ake_keys_do_not_print() -> None:
    keys = _AkeKeys.derive(0x1234567890ABCDEF)
    shown = repr(keys)
    for value in (keys.c, keys.c_prime, keys.m1, keys.m2, keys.m1_prime, keys.m2_prime):
        assert value.hex() not in shown and repr(value) not in shown
