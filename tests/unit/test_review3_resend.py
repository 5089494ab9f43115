"""Review 3 (hostile review of issue 9/14 changes), item 2: `Conversations._gone_secure` re-sends
instead of carrying on a healthy refresh as soon as *any* instance of the contact speaks TIMB.

The rule (docs/core.md, "Delivered, and the re-send rule") is per peer: a libotr / python-potr
peer has no message ids, so what it did not confirm must be *carried* into a refreshed session,
never sent again. The code decides with ``any(s.timb for s in c.instances.children.values())``:
one TIMB record from another instance under the contact's address -- the user's own second device,
or the server running its own AKE with its own key (a key the user never accepted) -- turns every
later in-place refresh of the libotr instance into a re-send, and the libotr client shows the
message twice.
"""

from __future__ import annotations

import pytest

from tests.unit.otr_link import ALICE_KEY, BOB_KEY, CAROL_KEY
from timb.common.clock import FakeClock
from timb.common.random import DeterministicRandom
from timb.core.conversations import Conversations
from timb.core.events import MessageState
from timb.otr import Conversation, PrivateKey
from timb.otr import events as ev

ALICE, BOB = "alice@timb.test", "bob@timb.test"


class Hub:
    """Alice's core; under bob's address a TIMB core (``other``) and a libotr-like client
    (``pidgin``: a bare OTR conversation, no TIMB records). The server delivers alice's
    messages to the instances a step names (XMPP resources)."""

    def __init__(self, other_key: PrivateKey) -> None:
        clock = FakeClock()
        self.alice = Conversations(
            ALICE, ALICE_KEY, instance_tag=0x1111, clock=clock, rng=DeterministicRandom(b"alice")
        )
        self.other = Conversations(
            BOB, other_key, instance_tag=0x2222, clock=clock, rng=DeterministicRandom(b"o")
        )
        self.pidgin = Conversation(
            BOB_KEY, clock=clock, rng=DeterministicRandom(b"pidgin"), instance_tag=0x3333
        )
        self.pidgin_shown: list[str] = []

    def pump(self, *, other: bool, pidgin: bool) -> None:
        for _ in range(100):
            moved = False
            for _contact, wire in self.alice.data_to_send():
                moved = True
                if other:
                    self.other.receive(ALICE, wire)
                if pidgin:
                    self.pidgin.receive(wire)
            for wire in [w for _c, w in self.other.data_to_send()] + self.pidgin.data_to_send():
                moved = True
                self.alice.receive(BOB, wire)
            while (event := self.pidgin.next_event()) is not None:
                if isinstance(event, ev.MessageReceived) and event.text:
                    self.pidgin_shown.append(event.text)
            while self.alice.next_event() is not None or self.other.next_event() is not None:
                pass
            if not moved:
                return
        raise AssertionError("the hub did not settle")


def _pidgin_refresh_after_one_unconfirmed_message(hub: Hub) -> str:
    hub.pidgin.start()
    hub.pump(other=False, pidgin=True)
    hub.pidgin.send("hello from pidgin")  # bob just wrote: no heartbeat confirms alice's next one
    hub.pump(other=False, pidgin=True)
    msg = hub.alice.send(BOB, "only once please")
    hub.pump(other=False, pidgin=True)
    assert hub.pidgin_shown == ["only once please"]
    assert hub.alice.message_state(msg) is MessageState.SENT  # not confirmed yet: libotr is silent
    # A healthy in-place refresh: bob's libotr answers a Query (the user's "refresh", or one the
    # server forged) with a D-H Commit to alice's known instance.
    hub.pidgin.receive("?OTRv3?")
    hub.pump(other=False, pidgin=True)
    return msg


def test_a_libotr_peer_gets_an_unconfirmed_message_carried_over_a_refresh() -> None:
    # The baseline the finding below breaks (plain regression test): carried, shown once.
    hub = Hub(BOB_KEY)
    _pidgin_refresh_after_one_unconfirmed_message(hub)
    assert hub.pidgin_shown == ["only once please"]


@pytest.mark.parametrize("other_key", [BOB_KEY, CAROL_KEY], ids=["bobs-second-device", "servers-own-key"])
def test_a_timb_instance_elsewhere_does_not_make_a_libotr_refresh_resend(other_key: PrivateKey) -> None:
    hub = Hub(other_key)
    # Another instance under bob's address speaks TIMB (one message each way).
    hub.alice.send(BOB, "hello other instance")
    hub.pump(other=True, pidgin=False)
    hub.other.send(ALICE, "a record from a timb instance")
    hub.pump(other=True, pidgin=False)
    _pidgin_refresh_after_one_unconfirmed_message(hub)
    assert hub.pidgin_shown == ["only once please"]
