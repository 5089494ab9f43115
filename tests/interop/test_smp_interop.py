"""SMP between TIMB and libotr 4.1.1 (v3, and v2 by policy) and python-potr 1.0.2 (v2), each side initiating.

Same secret succeeds on both sides; different secrets fail on both sides (python-potr, as the
responder, aborts instead of sending SMP4, so its initiator sees an abort); the question arrives
intact; an abort at either side and at either point ends SMP on both sides, the session survives,
and a fresh SMP afterwards succeeds.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.otr_peers import Link, TimbPeer
from tests.interop import libotr

pytestmark = pytest.mark.interop

T = "timb@timb.test"
REFS = ["libotr", "libotr-v2", "potr"]
QUESTION = "Where did we first meet? (café, 2019)"


@pytest.fixture
def session(libotr_peer_factory: Any, potr_peer_factory: Any, timb_peer_factory: Any) -> Any:
    def make(ref_kind: str) -> tuple[Any, TimbPeer, Link]:
        if ref_kind == "potr":
            ref = potr_peer_factory("ref@potr.test")
        else:
            policy = libotr.POLICY_ALWAYS if ref_kind == "libotr" else libotr.POLICY_ALWAYS_V2
            ref = libotr_peer_factory("ref@libotr.test", policy=policy)
        timb = timb_peer_factory(T)
        link = Link(ref, timb)
        link.start(T, ref.name)
        assert timb.is_encrypted(ref.name) and ref.is_encrypted(T)
        assert timb.protocol_version(ref.name) == (3 if ref_kind == "libotr" else 2)
        return ref, timb, link

    return make


def timb_smp(timb: TimbPeer, since: int = 0) -> list[Any]:
    """TIMB's SMP events (by class name: SmpQuestion, SmpProgress, SmpSucceeded, ...)."""
    return [e for _c, e in timb.events[since:] if type(e).__name__.startswith("Smp")]


def names(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def still_talking(ref: Any, timb: TimbPeer, link: Link) -> None:
    assert timb.is_encrypted(ref.name) and ref.is_encrypted(T)
    link.send(T, ref.name, "after SMP, timb")
    link.send(ref.name, T, "after SMP, ref")
    assert link.inbox[ref.name][-1] == "after SMP, timb"
    assert link.inbox[T][-1] == "after SMP, ref"


def run_smp(
    ref: Any, timb: TimbPeer, link: Link, initiator: str, secrets: tuple[str, str], question: str | None
) -> None:
    """The initiator starts with secrets[0]; the responder checks the prompt, answers secrets[1]."""
    ref_mark, timb_mark = len(ref.events), len(timb.events)
    if initiator == "timb":
        link.post(T, ref.name, timb.smp_start(ref.name, secrets[0], question))
        link.flush()
        new = [e for e in ref.events[ref_mark:] if isinstance(e, libotr.SmpEvent)]
        asked = [e for e in new if e.kind.startswith("ask_for")]
        assert len(asked) == 1, [e.kind for e in new]
        assert asked[0].kind == ("ask_for_secret" if question is None else "ask_for_answer")
        assert asked[0].question == question
        link.post(ref.name, T, ref.smp_respond(T, secrets[1]))
    else:
        link.post(ref.name, T, ref.smp_start(T, secrets[0], question))
        link.flush()
        asked = [e for e in timb_smp(timb, timb_mark) if type(e).__name__ == "SmpQuestion"]
        assert len(asked) == 1, names(timb_smp(timb, timb_mark))
        assert asked[0].question == question
        link.post(T, ref.name, timb.smp_respond(ref.name, secrets[1]))
    link.flush()


@pytest.mark.parametrize("ref_kind", REFS)
@pytest.mark.parametrize("initiator", ["timb", "ref"])
@pytest.mark.parametrize("question", [None, QUESTION])
def test_same_secret_succeeds(session: Any, ref_kind: str, initiator: str, question: str | None) -> None:
    ref, timb, link = session(ref_kind)
    run_smp(ref, timb, link, initiator, ("correct horse", "correct horse"), question)
    ours = timb_smp(timb)
    assert "SmpSucceeded" in names(ours), names(ours)
    assert not {"SmpFailed", "SmpAborted", "SmpCheated"} & set(names(ours))
    assert "success" in ref.smp_kinds() and "cheated" not in ref.smp_kinds()
    [done] = [e for e in ours if type(e).__name__ == "SmpSucceeded"]
    # Answering someone else's question proves nothing about them (libotr does not trust then).
    assert done.verifies_peer == (initiator == "timb" or question is None)
    still_talking(ref, timb, link)


@pytest.mark.parametrize("ref_kind", REFS)
@pytest.mark.parametrize("initiator", ["timb", "ref"])
@pytest.mark.parametrize("question", [None, QUESTION])
def test_different_secret_fails(session: Any, ref_kind: str, initiator: str, question: str | None) -> None:
    ref, timb, link = session(ref_kind)
    run_smp(ref, timb, link, initiator, ("correct horse", "battery staple"), question)
    ours = names(timb_smp(timb))
    assert "SmpSucceeded" not in ours and "success" not in ref.smp_kinds()
    assert "SmpCheated" not in ours and "cheated" not in ref.smp_kinds()
    assert "failure" in ref.smp_kinds() or (ref_kind == "potr" and initiator == "ref")
    if ref_kind == "potr" and initiator == "timb":
        # python-potr as the responder never sends SMP4 on a mismatch, only an abort TLV.
        assert {"SmpFailed", "SmpAborted"} & set(ours), ours
    else:
        assert "SmpFailed" in ours, ours
    still_talking(ref, timb, link)


@pytest.mark.parametrize("ref_kind", REFS)
@pytest.mark.parametrize("initiator", ["timb", "ref"])
@pytest.mark.parametrize("who_aborts", ["initiator", "responder"])
def test_abort_after_the_question_ends_both(
    session: Any, ref_kind: str, initiator: str, who_aborts: str
) -> None:
    ref, timb, link = session(ref_kind)
    starter, other = (timb, ref) if initiator == "timb" else (ref, timb)
    link.post(starter.name, other.name, starter.smp_start(other.name, "secret", QUESTION))
    link.flush()
    aborter, told = (starter, other) if who_aborts == "initiator" else (other, starter)
    mark = len(timb.events)
    link.post(aborter.name, told.name, aborter.smp_abort(told.name))
    link.flush()
    if told is timb:
        assert "SmpAborted" in names(timb_smp(timb, mark)), names(timb_smp(timb, mark))
    else:
        assert ref.smp_kinds()[-1] == "abort", ref.smp_kinds()
    assert "SmpSucceeded" not in names(timb_smp(timb)) and "success" not in ref.smp_kinds()
    still_talking(ref, timb, link)
    # Both sides are back at the start: a new SMP runs to the end.
    run_smp(ref, timb, link, initiator, ("again", "again"), None)
    assert names(timb_smp(timb))[-1] == "SmpSucceeded" and ref.smp_kinds()[-1] == "success"


@pytest.mark.parametrize("ref_kind", REFS)
@pytest.mark.parametrize("initiator", ["timb", "ref"])
def test_abort_in_the_middle_of_the_exchange(session: Any, ref_kind: str, initiator: str) -> None:
    """SMP2 has reached the initiator and its SMP3 is lost; the responder gives up and aborts."""
    ref, timb, link = session(ref_kind)
    starter, other = (timb, ref) if initiator == "timb" else (ref, timb)
    link.post(starter.name, other.name, starter.smp_start(other.name, "secret"))
    link.flush()
    smp2 = other.smp_respond(starter.name, "secret")
    for wire in smp2:
        assert starter.receive(other.name, wire) is None
    lost = starter.take_outgoing()  # SMP3 (and anything else) never arrives
    assert lost
    link.post(other.name, starter.name, other.smp_abort(starter.name))
    link.flush()
    if starter is timb:
        assert "SmpAborted" in names(timb_smp(timb))
    else:
        assert "abort" in ref.smp_kinds()
    assert "SmpSucceeded" not in names(timb_smp(timb)) and "success" not in ref.smp_kinds()
    still_talking(ref, timb, link)
    run_smp(ref, timb, link, initiator, ("fresh", "fresh"), None)
    assert names(timb_smp(timb))[-1] == "SmpSucceeded" and ref.smp_kinds()[-1] == "success"
