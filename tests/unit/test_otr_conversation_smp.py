"""SMP through `Conversation`: the TLVs ride in encrypted data messages between two TIMB peers."""

from __future__ import annotations

import base64

import pytest

from timb.common.secret import Secret
from timb.otr import (
    Conversation,
    DataMessageAuthenticated,
    LocalError,
    MessageReceived,
    PolicyViolation,
    SmpAborted,
    SmpFailed,
    SmpQuestion,
    SmpSucceeded,
)
from timb.otr.smp import SmpAbortReason
from timb.otr.wire import FLAG_IGNORE_UNREADABLE, DataMessage, parse_encoded

from .otr_link import ALICE_KEY, BOB_KEY, Link, drain, make_conv


def pair() -> tuple[Conversation, Conversation, Link]:
    a = make_conv("alice", ALICE_KEY)
    b = make_conv("bob", BOB_KEY)
    link = Link(a, b)
    a.start()
    link.pump()
    drain(a)
    drain(b)
    return a, b, link


@pytest.mark.parametrize(("answer", "succeeds"), [("correct horse", True), ("battery staple", False)])
@pytest.mark.parametrize("question", [None, "Where did we meet?"])
def test_smp_with_and_without_question(answer: str, succeeds: bool, question: str | None) -> None:
    a, b, link = pair()
    a.smp_start("correct horse", question=question)
    (smp1,) = a.data_to_send()
    parsed = parse_encoded(base64.b64decode(smp1[5:-1]))
    assert isinstance(parsed, DataMessage) and parsed.flags & FLAG_IGNORE_UNREADABLE
    b.receive(smp1)
    events_b = [e for e in drain(b) if not isinstance(e, DataMessageAuthenticated)]
    assert events_b == [SmpQuestion(question)]
    assert not any(isinstance(e, MessageReceived) for e in events_b)
    b.smp_respond(Secret(answer))
    link.pump()
    result_a = [e for e in drain(a) if isinstance(e, SmpSucceeded | SmpFailed)]
    result_b = [e for e in drain(b) if isinstance(e, SmpSucceeded | SmpFailed)]
    expected = SmpSucceeded if succeeds else SmpFailed
    assert [type(e) for e in result_a] == [expected]
    assert [type(e) for e in result_b] == [expected]
    if succeeds:
        assert isinstance(result_a[0], SmpSucceeded) and isinstance(result_b[0], SmpSucceeded)
        assert result_a[0].verifies_peer
        assert result_b[0].verifies_peer is (question is None)


def test_smp_abort_and_restart() -> None:
    a, b, link = pair()
    a.smp_start("s")
    link.pump()
    b.smp_abort()
    link.pump()
    assert any(isinstance(e, SmpAborted) for e in drain(a))
    assert not a.smp_in_progress
    a.smp_start("again")
    link.pump()
    b.smp_respond("again")
    link.pump()
    assert any(isinstance(e, SmpSucceeded) for e in drain(a))


def test_smp_needs_an_encrypted_session_and_resets_when_it_ends() -> None:
    a = make_conv("alice", ALICE_KEY)
    with pytest.raises(PolicyViolation):
        a.smp_start("x")
    with pytest.raises(PolicyViolation):
        a.smp_respond("x")
    a2, b2, link = pair()
    with pytest.raises(LocalError):
        b2.smp_respond("nobody asked")
    a2.smp_start("x")
    link.pump()
    a2.end()
    assert not a2.smp_in_progress
    assert SmpAborted(SmpAbortReason.SESSION_ENDED) in drain(a2)
