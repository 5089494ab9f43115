"""Issue 14 finding (chaos campaign, seed 1414, 110 cycles of kill -9 of the jsonrpc client):
Alice's client never crashed, yet 84 of her 941 messages were shown DELIVERED and never
displayed by any process of Bob's; whole bursts (e.g. her messages 1-12 in cycle 1, a kill
during a vault save).

Where (timb.core.conversations, the delivery rule of docs/core.md): every message of a burst
announces the same next key until the peer's answer arrives, so Bob's acknowledgement of the
burst's *predecessor* (written when he had read only that one) names the key the whole burst
announced and marks every message of it DELIVERED. Bob dies before reading them; his next life
drops them (Data for an instance of him that no longer exists) and starts an AKE; Alice re-sends
only what is not DELIVERED, so the burst is lost while shown delivered. docs/core.md calls this
"the inherent window" and names the fix: per-message acknowledgements inside the encrypted
channel (issue 9). The campaign shows the window is not narrow: one kill in ten loses messages.

The lowest layer that shows it: two `Conversations` cores over the in-order link of
test_core_conversations_property (a crash keeps what was on its way for the next life, as XMPP
offline storage does), one fixed schedule.
"""

from __future__ import annotations

from tests.unit.test_core_conversations_property import A, B, run
from timb.core.events import MessageState

# AKE, then one message Bob reads and acknowledges; three more leave Alice before his
# acknowledgement reaches her; it arrives, Bob dies before reading the three.
SCRIPT: list[tuple[object, ...]] = [
    ("send", A),
    *[("deliver", n, 3) for n in (B, A, B, A, B, A, B)],
    ("send", A),
    ("deliver", B, 3),
    ("poll", B),
    ("send", A),
    ("send", A),
    ("send", A),
    ("deliver", A, 3),
    ("crash", B),
]


# Fixed by issue 9, item 5: with a TIMB peer, DELIVERED means that message was decrypted (TIMB
# records, docs/core.md); the burst's predecessor's acknowledgement confirms only it.
def test_nothing_shown_delivered_is_missing_from_every_life_of_the_peer() -> None:
    world = run(SCRIPT)
    shown = {t for life in world.lives[B] for t in life.received}
    core = world.now(A).core
    false = [
        t for i, t in world.typed[A] if core.message_state(i) is MessageState.DELIVERED and t not in shown
    ]
    assert not false, f"shown delivered, never displayed: {false}"
