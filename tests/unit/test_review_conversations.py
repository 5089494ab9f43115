"""Review of issue 9 against `Conversations`: a v3 -> v2 downgrade must be warned across a restart
of our own client (when a man in the middle strips "3" from the Query most easily: at start-up)."""

from __future__ import annotations

import pytest

from tests.unit.test_core_conversations import ALICE, BOB, Peer, keys, make, say, world
from timb.common.random import DeterministicRandom
from timb.core.conversations import Conversations
from timb.core.events import ProtocolDowngraded
from timb.otr import Policy

__all__ = ["keys", "world"]  # fixtures


@pytest.mark.xfail(strict=True, reason="review: the v3 history per key lives in memory only (ContactState)")
def test_a_downgrade_to_v2_with_the_same_key_is_warned_after_our_restart(world, keys) -> None:
    link, alice, _bob, typed = world
    say(alice, BOB, "hello bob, over v3", typed)
    link.pump()
    fingerprint = keys[BOB].fingerprint()
    assert alice.core.their_fingerprint(BOB) == fingerprint
    # Alice restarts (her trust store knows bob's key); the server strips v3 from the Query, so
    # bob's client answers with v2 only: same key, no instance tags.
    link.detach(ALICE)
    link.detach(BOB)
    core = Conversations(
        ALICE,
        keys[ALICE],
        instance_tag=0x1112,
        clock=link.clock,
        rng=DeterministicRandom(b"alice again"),
        known_keys=lambda c: (fingerprint,) if c == BOB else (),
    )
    alice2 = Peer(ALICE, core)
    bob2 = make(BOB, keys, link.clock, b"bob v2", 0x2223, policy=Policy.ALWAYS & ~Policy.ALLOW_V3)
    link.attach(alice2)
    link.attach(bob2)
    say(alice2, BOB, "hello again, now over v2", typed)
    link.pump()
    assert alice2.core.their_fingerprint(BOB) == fingerprint
    assert any(isinstance(e, ProtocolDowngraded) for e in alice2.events)
