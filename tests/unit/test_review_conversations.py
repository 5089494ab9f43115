"""Review of issue 9 against `Conversations`: a v3 -> v2 downgrade must be warned across a restart
of our own client (when a man in the middle strips "3" from the Query most easily: at start-up)."""

from __future__ import annotations

from tests.unit.test_core_conversations import ALICE, BOB, Peer, keys, make, say, world
from timb.common.ids import Fingerprint
from timb.common.random import DeterministicRandom
from timb.core.conversations import Conversations
from timb.core.events import ProtocolDowngraded
from timb.core.trust import TrustStore, TrustStoreError
from timb.otr import Policy

__all__ = ["keys", "world"]  # fixtures


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
    # What the service's trust keeper recorded from the first run, as the vault gives it back.
    store = TrustStore()
    store.observe("alice", BOB, fingerprint)
    assert store.saw_version("alice", BOB, fingerprint, 3)
    store = TrustStore.from_dict(store.to_dict())

    def best_version(contact: str, fp: Fingerprint) -> int | None:
        key = store.get("alice", contact, fp)
        return key.best_version if key is not None else None

    core = Conversations(
        ALICE,
        keys[ALICE],
        instance_tag=0x1112,
        clock=link.clock,
        rng=DeterministicRandom(b"alice again"),
        known_keys=lambda c: (fingerprint,) if c == BOB else (),
        best_version=best_version,
    )
    alice2 = Peer(ALICE, core)
    bob2 = make(BOB, keys, link.clock, b"bob v2", 0x2223, policy=Policy.ALWAYS & ~Policy.ALLOW_V3)
    link.attach(alice2)
    link.attach(bob2)
    say(alice2, BOB, "hello again, now over v2", typed)
    link.pump()
    assert alice2.core.their_fingerprint(BOB) == fingerprint
    assert any(isinstance(e, ProtocolDowngraded) for e in alice2.events)


def test_the_best_version_of_a_key_is_kept_and_checked() -> None:
    fp = Fingerprint.from_hex("11" * 20)
    store = TrustStore()
    assert not store.saw_version("a", "bob@x", fp, 3)  # an unknown key is not recorded here
    store.observe("a", "bob@x", fp)
    assert store.saw_version("a", "bob@x", fp, 2) and store.saw_version("a", "bob@x", fp, 3)
    assert not store.saw_version("a", "bob@x", fp, 2)  # never lowered
    data = store.to_dict()
    again = TrustStore.from_dict(data).get("a", "bob@x", fp)
    assert again is not None and again.best_version == 3
    data["fingerprints"][0]["best_version"] = "3"
    try:
        TrustStore.from_dict(data)
    except TrustStoreError as exc:
        assert "entry 0" in str(exc)
    else:
        raise AssertionError("a damaged version was accepted")
