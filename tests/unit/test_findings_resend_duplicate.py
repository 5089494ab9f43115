"""Issue 14 finding 3, fixed by core/seen_ids.py (the ids shown are kept in the profile).

Chaos campaign, seed 20261203 in the short test, cycle 4 "kill -9 mid-vault-save"; seed 1414
cycle 39: Bob's process displayed two of Alice's messages and was killed before its
acknowledgement went out (it goes at the next poll, about a second later); Alice, seeing Bob
come back as a new instance, re-sent everything he had not confirmed, and Bob's next process
displayed them again: shown twice, although docs/core.md promises nothing twice across restarts
"where what was on the wire has arrived".

Where: timb.core.conversations re-sends unconfirmed messages to a new instance of the peer
(`_gone_secure`), and nothing on the receiving side remembers what a previous process displayed.
Closing it needs the acknowledgement to go out with the display (issue 9's per-message acks
shrink the window) and, for a crash between the two, the receiver to recognise a re-sent
message (an id inside the encrypted channel, remembered in the profile).

The lowest layer that shows it: two `Conversations` cores over the in-order link of
test_core_conversations_property, one fixed schedule.
"""

from __future__ import annotations

from tests.unit.test_core_conversations_property import A, B, run

# AKE; Bob reads Alice's message and dies before his acknowledgement goes out; his next
# process writes to Alice (the new AKE makes her re-send what he did not confirm).
SCRIPT: list[tuple[object, ...]] = [
    ("send", A),
    *[("deliver", n, 3) for n in (B, A, B, A, B, A, B)],
    ("send", A),
    ("deliver", B, 3),
    ("crash", B),
    ("send", B),
]


def test_a_message_displayed_before_a_crash_is_not_displayed_again() -> None:
    world = run(SCRIPT)
    shown = [t for life in world.lives[B] for t in life.received]
    assert shown, "the schedule displayed nothing: it no longer tests the window"
    assert len(shown) == len(set(shown)), f"shown twice across Bob's restart: {shown}"
