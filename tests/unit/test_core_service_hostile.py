"""One bad network event never stops the service (issue 9, item 6).

A hostile server (or a peer) controls every event an account receives. Whatever one event makes go
wrong, it becomes an `ErrorEvent` for that account and contact (its text: the exception's type,
never what the peer sent), and the service goes on with the next event, for every account.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.hostile_network import ALICE, BOB, HostileRig, error_events
from timb.common.ids import Jid
from timb.core.conversations import Conversations
from timb.core.events import MessageReceived
from timb.net import base as net

MARK = "HOSTILE-7f3a"  # in every hostile body: it must never reach an error text or a log


@pytest.fixture(scope="module")
def rig() -> Iterator[HostileRig]:
    rig = HostileRig().start()
    yield rig
    rig.stop()


def test_an_exception_handling_one_message_is_an_error_event_for_it_and_the_service_goes_on(
    rig: HostileRig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    receive = Conversations.receive

    def failing(self: Conversations, contact: str, wire: str) -> None:
        if MARK in wire:
            raise RuntimeError(f"could not parse {wire!r}")  # a bug whose text quotes the input
        receive(self, contact, wire)

    monkeypatch.setattr(Conversations, "receive", failing)
    with caplog.at_level(logging.DEBUG):
        seen = rig.feed([net.MessageIn(Jid.parse(BOB + "/phone"), f"{MARK} the body")])
    [error] = error_events(seen)
    assert (error.account, error.contact) == ("main", BOB)
    assert "RuntimeError" in error.message
    assert MARK not in error.message
    assert MARK not in caplog.text
    assert "RuntimeError" in caplog.text  # logged, as its type
    # The next event (a replay of Bob's genuine traffic) is handled as usual.
    seen = rig.feed([net.MessageIn(Jid.parse(BOB), rig.genuine[-1])])
    assert not rig.plaintext_leaked()


def test_an_oversize_body_with_history_on_does_not_stop_the_service(rig: HostileRig) -> None:
    rig.run(rig.alice_service().set_history("main", BOB, True))
    try:
        huge = MARK + "\ufffd" * 400_000  # 1.2 MB of UTF-8, as 400 kB of invalid UTF-8 becomes
        seen = rig.feed([net.MessageIn(Jid.parse(BOB), huge), net.MessageIn(Jid.parse(BOB), "after")])
    finally:
        rig.run(rig.alice_service().set_history("main", BOB, None))
    texts = [e.text for e in seen if isinstance(e, MessageReceived)]
    assert "after" in texts
    assert all(MARK not in e.message for e in error_events(seen))


# -- random hostile sequences ---------------------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)  # XML carries no surrogates
_OTRISH = st.sampled_from(["?OTR:", "?OTR|", "?OTR,", "?OTRv23?", "?OTRv2?", "?OTR?", "?OTR Error:", "AAMD"])
_SENDERS = st.sampled_from([BOB, BOB + "/phone", BOB + "/other", "mallory@evil.test", "evil.test", ALICE])


@st.composite
def _body(draw: st.DrawFn, genuine: list[str]) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return MARK + draw(_TEXT)
    if kind == 1:
        return draw(_OTRISH) + MARK + draw(_TEXT)
    wire = draw(st.sampled_from(genuine))
    if kind == 2:
        return wire  # a replay
    cut = draw(st.integers(0, len(wire)))
    return wire[:cut] + draw(_TEXT) + wire[cut + draw(st.integers(0, 8)) :]  # a forgery


@st.composite
def _event(draw: st.DrawFn, genuine: list[str]) -> net.NetEvent:
    sender = Jid.parse(draw(_SENDERS))
    match draw(st.integers(0, 6)):
        case 0 | 1 | 2:
            return net.MessageIn(sender, draw(_body(genuine)))
        case 3:
            return net.PresenceChanged(
                sender, draw(st.booleans()), draw(st.sampled_from([None, "away", "dnd", "x"]))
            )
        case 4:
            return net.SubscriptionRequest(sender)
        case 5:
            return net.MessageFailed(draw(st.sampled_from([None, "1"])), sender, draw(_TEXT))
        case _:
            items = tuple(
                net.RosterItem(Jid.parse(s), None, draw(st.sampled_from(list(net.Subscription))))
                for s in draw(st.lists(_SENDERS, max_size=3))
            )
            return net.RosterChanged(items)


def test_random_hostile_sequences_never_stop_the_service_nor_leak_plaintext(rig: HostileRig) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(_event(rig.genuine), max_size=12))
    def check(events: list[net.NetEvent]) -> None:
        seen = rig.feed(events)  # raises TimeoutError if the canary never comes out
        assert not rig.plaintext_leaked()
        assert all(MARK not in e.message for e in error_events(seen))

    check()
