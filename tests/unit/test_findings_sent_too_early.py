"""Issue 14 finding (chaos campaign, seed 20261203 in the short test, cycle 2: bob's #16; seed 1414:
bob's #107-108): Bob's UI showed a message as sent, his process was killed, and the message never
reached Alice: lost although "sent" promised it had gone out.

Where: `timb.core.conversations.Conversations._flush` reports SENT as soon as the OTR conversation
has encrypted the text, while its wire string is still in the core's own outbox: `data_to_send()`
has not handed it to the network yet (and the account link and the XMPP stream hold it a while
longer). A crash in between loses a message the user was told was sent, and nothing re-sends it
(the re-send queue lives in the dead process). The promise docs/core.md makes for SENT ("handed to
the network encrypted") needs SENT to wait for the wire to leave, and a crash-proof outbox for
the rest of the way.

The lowest layer that shows it: one `Conversations` core in a private session.
"""

from __future__ import annotations

from tests.unit.test_core_conversations_property import A, B, run
from timb.core.events import MessageState

# The AKE, and one message each way, so both sides are in MSGSTATE_ENCRYPTED.
SCRIPT: list[tuple[object, ...]] = [("send", A), *[("deliver", n, 3) for n in (B, A, B, A, B, A, B)]]


def test_a_message_is_not_shown_sent_before_its_wire_left_the_core() -> None:
    world = run(SCRIPT)
    core = world.now(A).core
    msg_id = core.send(B, "typed in a private session")
    assert core.message_state(msg_id) is not MessageState.SENT, "SENT, yet data_to_send() not called"
    assert any(contact == B for contact, _wire in core.data_to_send())
    assert core.message_state(msg_id) is MessageState.SENT
