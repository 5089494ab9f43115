"""Policy rules of the conversations core against a hostile server (issue 9, items 2 and 3):
a message typed while encryption was required only ever leaves encrypted, and after the peer
ended the session (MSGSTATE_FINISHED) nothing leaves until the user ends or restarts it.
"""

from __future__ import annotations

import pytest

from tests.unit.test_core_conversations import ALICE, BOB, keys, say, world
from timb.core.events import MessageState, OtrState, OtrStateChanged, OtrUnavailable
from timb.otr import Conversation, Policy
from timb.otr.instances import Kind, peek

__all__ = ["keys", "world"]  # fixtures

ERROR = "?OTR Error: You transmitted an unreadable encrypted message."


@pytest.mark.parametrize("policy", [Policy.OPPORTUNISTIC, Policy.MANUAL, Policy.ALWAYS])
def test_nothing_leaves_a_finished_session_until_the_user_acts(world, policy: Policy) -> None:
    link, alice, bob, typed = world
    link.check = False  # checked by hand: the test is that nothing at all leaves
    alice.core.set_policy(BOB, policy)
    alice.core.start(BOB)
    link.pump()
    say(alice, BOB, "while private", typed)
    link.pump()
    bob.core.end(ALICE)
    link.pump()
    assert alice.core.otr_state(BOB) is OtrState.FINISHED
    msg = say(alice, BOB, "after the peer ended it", typed)
    link.clock.advance(1)
    link.poll()
    assert alice.core.data_to_send() == []
    assert not any("after the peer ended it" in w for w in link.wires)
    assert alice.core.message_state(msg) is MessageState.PENDING
    alice.collect()
    assert any(isinstance(e, OtrUnavailable) and "ended" in e.reason for e in alice.events)
    alice.core.start(BOB)  # the user goes private again
    link.pump()
    assert bob.texts()[-1] == "after the peer ended it"
    assert all(w.startswith("?OTR") for w in link.wires)


def test_lowering_to_never_while_private_ends_the_session_before_anything_leaves(world) -> None:
    link, alice, _bob, typed = world
    link.check = False
    say(alice, BOB, "a first private message", typed)
    link.pump()
    link.poll()
    link.detach(BOB)  # the server keeps bob away and says he could not read something
    alice.core.receive(BOB, ERROR)
    held = say(alice, BOB, "held under always", typed)
    link.pump()
    assert alice.core.message_state(held) is MessageState.PENDING
    alice.core.set_policy(BOB, Policy.NEVER)
    assert alice.core.otr_state(BOB) is OtrState.NOT_PRIVATE  # the badge changes first
    alice.collect()
    assert isinstance([e for e in alice.events if isinstance(e, OtrStateChanged)][-1], OtrStateChanged)
    start = len(link.wires)
    later = say(alice, BOB, "typed under never", typed)
    link.pump()
    link.poll()
    assert not any("held under always" in w for w in link.wires)
    assert alice.core.message_state(held) is MessageState.PENDING
    # The new text waits behind the held one (the order is kept); neither leaves in the clear.
    assert not any("typed under never" in w for w in link.wires[start:])
    assert alice.core.message_state(later) is MessageState.PENDING


def test_the_last_line_judges_the_message_not_the_current_policy(world, monkeypatch) -> None:
    link, alice, _bob, typed = world
    say(alice, BOB, "a first private message", typed)
    link.pump()
    link.detach(BOB)
    alice.core.receive(BOB, ERROR)  # suspect: the next message is held
    held = say(alice, BOB, "typed under always", typed)
    alice.core.set_policy(BOB, Policy.OPPORTUNISTIC)  # still private: the session stays

    def leak(self: Conversation, text: str, _record: object = None) -> None:
        self._outbox.append(text)

    monkeypatch.setattr(Conversation, "send", leak)
    alice.core._contacts[BOB].current.suspect = False  # as if the peer answered
    alice.core.peer_online(BOB)
    wires = [w for _c, w in alice.core.data_to_send()]
    assert not any("typed under always" in w for w in wires)
    assert alice.core.message_state(held) is MessageState.PENDING


def test_acknowledgements_are_never_plaintext(world) -> None:
    link, alice, bob, typed = world
    link.check = False
    say(alice, BOB, "hello bob", typed)
    link.pump()
    say(bob, ALICE, "hello alice", typed)
    link.pump()  # alice owes bob an acknowledgement now
    link.detach(BOB)
    alice.core.set_policy(BOB, Policy.NEVER)
    alice.core.poll()
    wires = [w for _c, w in alice.core.data_to_send()]
    assert all(peek(w).kind in (Kind.ENCODED, Kind.FRAGMENT) for w in wires)
