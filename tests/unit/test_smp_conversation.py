"""SMP through `Conversation`, beyond the basics in test_otr_conversation_smp.py: crossing starts,
a relaying man in the middle, chat and re-keying during SMP, fragments, and the secret's forms."""

from __future__ import annotations

import pytest

from timb.common.secret import Secret
from timb.otr import (
    Conversation,
    MessageReceived,
    SmpAborted,
    SmpFailed,
    SmpProgress,
    SmpQuestion,
    SmpSucceeded,
)
from timb.otr.smp import SmpAbortReason, SmpOutcome
from timb.otr.tlv import Tlv

from .otr_link import ALICE_KEY, BOB_KEY, CAROL_KEY, Link, drain, make_conv


def _pair(**kw: object) -> tuple[Conversation, Conversation, Link]:
    a = make_conv("alice", ALICE_KEY, **kw)  # type: ignore[arg-type]
    b = make_conv("bob", BOB_KEY, **kw)  # type: ignore[arg-type]
    link = Link(a, b)
    a.start()
    link.pump()
    drain(a)
    drain(b)
    return a, b, link


def _smp_events(conv: Conversation) -> list[object]:
    return [e for e in drain(conv) if type(e).__name__.startswith("Smp")]


def test_initiator_sees_progress_then_result() -> None:
    a, b, link = _pair()
    a.smp_start("s3cret")
    link.pump()
    assert _smp_events(b) == [SmpQuestion(None)]
    b.smp_respond("s3cret")
    link.pump()
    assert _smp_events(a) == [SmpProgress(60), SmpSucceeded()]
    assert _smp_events(b) == [SmpSucceeded()]
    assert not a.smp_in_progress and not b.smp_in_progress


def test_crossing_starts_abort_both_and_a_retry_succeeds() -> None:
    # Both users press "verify" at once: each SMP1 meets an engine in SMPSTATE_EXPECT2, and the
    # spec answers an unexpected step with an abort.
    a, b, link = _pair()
    a.smp_start("pw")
    b.smp_start("pw")
    link.pump()
    for conv in (a, b):
        events = _smp_events(conv)
        assert SmpAborted(SmpAbortReason.OUT_OF_ORDER) in events
        assert not any(isinstance(e, (SmpSucceeded, SmpFailed, SmpQuestion)) for e in events)
        assert not conv.smp_in_progress
    a.smp_start("pw")
    link.pump()
    b.smp_respond("pw")
    link.pump()
    assert SmpSucceeded() in _smp_events(a)
    assert SmpSucceeded() in _smp_events(b)


@pytest.mark.parametrize(
    ("asked", "answered"),
    [
        ("pässwört", "pässwört".encode()),
        (Secret("pässwört"), "pässwört"),
        (Secret("pässwört".encode()), Secret("pässwört")),
    ],
)
def test_the_secret_is_its_utf8_bytes_in_any_form(asked: object, answered: object) -> None:
    a, b, link = _pair()
    a.smp_start(asked)  # type: ignore[arg-type]
    link.pump()
    b.smp_respond(answered)  # type: ignore[arg-type]
    link.pump()
    assert SmpSucceeded() in _smp_events(a)


def test_chat_between_smp_steps_does_not_disturb_it() -> None:
    a, b, link = _pair()
    a.smp_start("pw", question="Our café?")
    link.pump()
    a.send("while you think: hello")
    b.send("thinking...")
    link.pump()
    texts_b = [e.text for e in drain(b) if isinstance(e, MessageReceived)]
    assert texts_b == ["while you think: hello"]
    b.smp_respond("pw")
    a.send("and another")
    link.pump()
    events_a = drain(a)
    assert SmpSucceeded() in events_a
    assert [e.text for e in events_a if isinstance(e, MessageReceived)] == ["thinking..."]
    result_b = [e for e in drain(b) if isinstance(e, SmpSucceeded)]
    assert result_b == [SmpSucceeded(answered_question=True)]
    assert not result_b[0].verifies_peer


def test_a_new_ake_during_smp_starts_smp_afresh() -> None:
    # A new session has a new ssid, so the old exchange could never succeed: both forget it.
    a, b, link = _pair()
    a.smp_start("pw")
    link.pump()
    assert b.smp_in_progress
    a.start()
    link.pump()
    assert not a.smp_in_progress and not b.smp_in_progress
    a.smp_start("pw")
    link.pump()
    b.smp_respond("pw")
    link.pump()
    assert SmpSucceeded() in _smp_events(a)


def test_smp_through_small_fragments() -> None:
    a, b, link = _pair(max_fragment_size=120)
    a.smp_start("pw", question="fragmented?")
    link.pump()
    assert SmpQuestion("fragmented?") in _smp_events(b)
    b.smp_respond("pw")
    link.pump()
    assert SmpSucceeded() in _smp_events(a)
    assert SmpSucceeded(answered_question=True) in _smp_events(b)


class _Relay:
    """Stands in for a man in the middle's SMP engine: whatever SMP TLV one of its sessions
    receives, it re-sends unchanged in its other session (it cannot compute anything itself)."""

    def __init__(self) -> None:
        self.other: Conversation | None = None

    def receive(self, tlv: Tlv) -> SmpOutcome:
        assert self.other is not None
        self.other._send_smp([tlv])
        return SmpOutcome()

    def reset(self) -> None:
        pass

    in_progress = False


def test_a_man_in_the_middle_relaying_smp_fails_even_with_the_right_secret() -> None:
    # Alice <-> Mallory (CAROL_KEY) and Mallory <-> Bob are two sessions. Mallory relays every SMP
    # TLV between them. Alice and Bob type the same secret, but each secret is bound to the
    # fingerprints and ssid of its own session, so the comparison must fail on both sides.
    alice = make_conv("alice", ALICE_KEY)
    bob = make_conv("bob", BOB_KEY)
    m_alice = make_conv("mallory-a", CAROL_KEY)
    m_bob = make_conv("mallory-b", CAROL_KEY)
    left, right = Link(alice, m_alice), Link(m_bob, bob)
    alice.start()
    m_bob.start()
    left.pump()
    right.pump()
    relay_left, relay_right = _Relay(), _Relay()
    relay_left.other, relay_right.other = m_bob, m_alice
    m_alice._smp = relay_left  # type: ignore[assignment]
    m_bob._smp = relay_right  # type: ignore[assignment]
    drain(alice)
    drain(bob)

    def pump_all() -> None:
        while left.pump() + right.pump():
            pass

    alice.smp_start("our shared secret")
    pump_all()
    assert _smp_events(bob) == [SmpQuestion(None)]
    bob.smp_respond("our shared secret")
    pump_all()
    # Every proof verified through the relay (Alice got to SMP3), only the comparison failed.
    assert _smp_events(alice) == [SmpProgress(60), SmpFailed()]
    assert _smp_events(bob) == [SmpFailed()]
