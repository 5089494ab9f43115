"""Review 3, item 4: the newest OTR version of a key is kept in the trust store
(`KeyTrust.best_version`), so a v3 -> v2 downgrade with the same key is warned after our restart.

The trust keeper learns versions only from `OtrStateChanged`, and the conversations core emits
that event only when the *state or the key* changes (`ConversationsBase._update_state`). A
session that goes from v2 to v3 with the same key (a refresh while private: same state, same
key) is never reported, so the store keeps "2" and the next run does not warn when a man in the
middle strips "3" again. The keeper here is the service's own, fed as `AccountRuntime._apply`
feeds it (contacts only) and read back through its vault form.

The same gap from the service side: a stranger's sessions are not observed (issue 9, item 7), and
`AccountRuntime.accept` records the key without its version, so a contact accepted during a v3
session has no best version at all until its session changes state or key.
"""

from __future__ import annotations

from pathlib import Path

from tests.unit.fake_network import FakeServer
from tests.unit.otr_link import ALICE_KEY, BOB_KEY
from tests.unit.test_core_conversations import ALICE, BOB, Link, Peer, make, say
from tests.unit.test_core_service import PASS, connection, running, setup
from timb.common.clock import FakeClock
from timb.common.random import DeterministicRandom
from timb.common.secret import Secret
from timb.core.conversations import Conversations
from timb.core.events import ConnectionState, OtrStateChanged, ProtocolDowngraded
from timb.core.service.trust_keeper import TrustKeeper
from timb.otr import Policy

KEYS = {ALICE: ALICE_KEY, BOB: BOB_KEY}
V2_ONLY = Policy.ALWAYS & ~Policy.ALLOW_V3


def _feed(keeper: TrustKeeper, peer: Peer) -> None:
    peer.collect()
    for event in peer.events:
        if isinstance(event, OtrStateChanged):
            keeper.observe(event)
    peer.events.clear()


def test_a_v3_session_after_a_v2_one_with_the_same_key_is_remembered() -> None:
    clock, typed = FakeClock(), []
    link = Link(clock, typed)
    keeper = TrustKeeper(clock, lambda _e: None, lambda: None)
    alice = make(ALICE, KEYS, clock, b"alice", 0x1111)
    bob = make(BOB, KEYS, clock, b"bob", 0x2222, policy=V2_ONLY)
    link.attach(alice)
    link.attach(bob)
    say(alice, BOB, "hello bob, over v2 first", typed)
    link.pump()
    _feed(keeper, alice)
    bob.core.set_policy(ALICE, Policy.ALWAYS)  # bob's client can do v3 after all: he refreshes
    bob.core.start(ALICE)
    link.pump()
    say(alice, BOB, "now over v3, same key", typed)
    link.pump()
    assert alice.core._contacts[BOB].current.conv.protocol_version == 3
    _feed(keeper, alice)
    # Our restart; the profile gives the trust store back; a man in the middle strips "3" again.
    link.detach(ALICE)
    link.detach(BOB)
    keeper.load(keeper.to_dict())
    fingerprint = BOB_KEY.fingerprint()
    core = Conversations(
        ALICE,
        ALICE_KEY,
        instance_tag=0x1112,
        clock=clock,
        rng=DeterministicRandom(b"alice again"),
        known_keys=lambda c: keeper.usable_keys(ALICE, c),
        best_version=lambda c, fp: keeper.best_version(ALICE, c, fp),
    )
    alice2 = Peer(ALICE, core)
    bob2 = make(BOB, KEYS, clock, b"bob v2 again", 0x2223, policy=V2_ONLY)
    link.attach(alice2)
    link.attach(bob2)
    say(alice2, BOB, "after the restart, v2 again", typed)
    link.pump()
    assert alice2.core.their_fingerprint(BOB) == fingerprint
    assert any(isinstance(e, ProtocolDowngraded) for e in alice2.events)


async def test_a_contact_accepted_during_a_v3_session_has_its_version_kept(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice, running(tmp_path / "b", server) as bob:
        await alice.service.create_profile(PASS)
        await alice.service.add_account("main", ALICE, Secret("pw"))
        await alice.service.connect("main")
        await alice.wait(connection(ConnectionState.CONNECTED))
        await setup(bob, BOB, ALICE)
        bob.service.send_message("main", ALICE, "hello alice, from a stranger")
        await alice.wait(lambda _ev: "hello alice, from a stranger" in alice.received())
        await alice.service.add_contact("main", BOB)  # the user accepts him, mid-session (v3)
        runtime = alice.service._accounts.runtime("main")
        fingerprint = runtime.their_fingerprint(BOB)
        assert fingerprint is not None
        assert runtime._conversations._contacts[BOB].current.conv.protocol_version == 3
        assert alice.service._trust.best_version("main", BOB, fingerprint) == 3
