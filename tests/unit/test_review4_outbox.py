"""Review 4 (hostile review of issue 14's kept outbox, `Conversations.outbox_section` /
`restore_outbox` / `resume`): what a restart does with the messages the profile kept.

Each test is one client's life, a save of its outbox section (what the service's vault keeps,
core/outbox.py), a crash, and the next life restoring that section and resuming (what
`AccountBook.load` and `AccountRuntime._on_link_up` do). The peers are real OTR: a TIMB core for
bob, a bare `timb.otr.Conversation` for a libotr-like client (no TIMB records), and the server's
own TIMB core with its own key (CAROL_KEY) answering as bob.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.unit.otr_link import ALICE_KEY, BOB_KEY, CAROL_KEY
from timb.common.clock import FakeClock
from timb.common.ids import Fingerprint
from timb.common.random import DeterministicRandom
from timb.core.conversations import Conversations
from timb.core.events import MessageReceived, MessageState
from timb.otr import Conversation, Policy, PrivateKey
from timb.otr import events as ev

ALICE, BOB = "alice@timb.test", "bob@timb.test"
SECRET = "the source meets us at nine"


@dataclass
class Net:
    """Alice's core and whoever answers as bob; the server may drop bob's replies."""

    clock: FakeClock = field(default_factory=FakeClock)
    contacts: set[str] = field(default_factory=lambda: {BOB})
    lives: int = 0
    distrusted: set[Fingerprint] = field(default_factory=set)  # the keys the user marked as not bob's
    wires: list[str] = field(default_factory=list)  # everything alice put on the wire
    shown: dict[str, list[str]] = field(default_factory=dict)  # texts each peer's user saw

    def alice(self, policy: Policy = Policy.ALWAYS, section: object = None) -> Conversations:
        """A life of alice's client; ``section``: the outbox her last save kept (restored, resumed)."""
        self.lives += 1
        core = Conversations(
            ALICE,
            ALICE_KEY,
            instance_tag=0x1000 + self.lives,
            clock=self.clock,
            rng=DeterministicRandom(b"alice%d" % self.lives),
            policy=policy,
            is_contact=lambda c: c in self.contacts,
            is_distrusted=lambda _c, f: f in self.distrusted,
            known_keys=lambda c: (BOB_KEY.fingerprint(),) if c == BOB else (),  # the trust store
        )
        if section is not None:
            core.restore_outbox(section)
            core.resume()
        return core

    def timb_peer(self, name: str, key: PrivateKey = BOB_KEY, tag: int = 0x2222) -> Conversations:
        """A TIMB core answering as bob (``name``: whose screen its shown texts are counted on)."""
        self.shown.setdefault(name, [])
        rng = DeterministicRandom(name.encode() + b"%d" % tag)
        return Conversations(BOB, key, instance_tag=tag, clock=self.clock, rng=rng)

    def pump(
        self,
        alice: Conversations,
        peer: Conversations | Conversation | None,
        name: str,
        *,
        drop_replies: bool = False,
    ) -> None:
        polled = False
        for _ in range(100):
            moved = False
            for _contact, wire in alice.data_to_send():
                moved = True
                self.wires.append(wire)
                if isinstance(peer, Conversations):
                    peer.receive(ALICE, wire)
                elif peer is not None:
                    peer.receive(wire)
            replies: list[str] = []
            if isinstance(peer, Conversations):
                replies = [w for _c, w in peer.data_to_send()]
                while (event := peer.next_event()) is not None:
                    if isinstance(event, MessageReceived) and event.text:
                        self.shown[name].append(event.text)
            elif peer is not None:
                replies = peer.data_to_send()
                while (otr_event := peer.next_event()) is not None:
                    if isinstance(otr_event, ev.MessageReceived) and otr_event.text:
                        self.shown.setdefault(name, []).append(otr_event.text)
            for wire in replies:
                moved = True
                if not drop_replies:
                    alice.receive(BOB, wire)
            while alice.next_event() is not None:
                pass
            if not moved and not polled:
                # Both services tick (the clock stands still: nothing is due but the owed
                # acknowledgements, which a TIMB core sends at its tick).
                alice.poll()
                if isinstance(peer, Conversations):
                    peer.poll()
                polled = True
                continue
            if not moved:
                return
            polled = False
        raise AssertionError("did not settle")


def _timb_bob_session(net: Net, alice: Conversations, bob: Conversations) -> None:
    """A private session with bob's TIMB client, which has spoken in it (so alice knows it is TIMB)."""
    alice.start(BOB)
    net.pump(alice, bob, "bob")
    bob.send(ALICE, "hello alice")
    net.pump(alice, bob, "bob")
    assert alice.their_fingerprint(BOB) == BOB_KEY.fingerprint()


@pytest.mark.parametrize("how", ["sent-to-a-timb-peer", "held-after-the-servers-key"])
def test_a_message_sent_encrypted_is_never_resent_in_plaintext_after_a_restart(how: str) -> None:
    net = Net()
    alice = net.alice(Policy.OPPORTUNISTIC)
    if how == "sent-to-a-timb-peer":
        bob = net.timb_peer("bob")
        _timb_bob_session(net, alice, bob)
        msg = alice.send(BOB, SECRET)
        net.pump(alice, bob, "bob", drop_replies=True)  # the server swallows bob's acknowledgement
        assert alice.message_state(msg) is MessageState.SENT
    else:  # bob's libotr client read it; a bounce; then the server's own key as a new instance
        pidgin = Conversation(
            BOB_KEY, clock=net.clock, rng=DeterministicRandom(b"pidgin"), instance_tag=0x3333
        )
        pidgin.start()
        net.pump(alice, pidgin, "pidgin")
        pidgin.send("hello alice")  # bob just wrote: no heartbeat confirms alice's answer yet
        net.pump(alice, pidgin, "pidgin")
        msg = alice.send(BOB, SECRET)
        net.pump(alice, pidgin, "pidgin")
        # A bounce (real or forged) makes bob's session suspect: its messages go again, and the
        # next session is the server's own key, as a new instance: they are held.
        alice.delivery_failed(BOB)
        mallory = net.timb_peer("mallory", CAROL_KEY, tag=0x7777)
        mallory.start(ALICE)
        net.pump(alice, mallory, "mallory")
        assert alice.held(BOB) == [msg]  # the user is asked (HeldForKeyChange)
    section = alice.outbox_section()
    assert [m["id"] for m in section] == [msg]
    # The crash; the next life restores the outbox and the account connects (resume).
    net.wires.clear()
    alice2 = net.alice(Policy.OPPORTUNISTIC, section)
    net.pump(alice2, None, "nobody")  # bob is offline: only the server reads what leaves
    leaked = [w for w in net.wires if SECRET in w]
    assert leaked == [], f"a message typed in a private session left in plaintext: {leaked[0][:40]!r}"


def test_a_removed_contacts_messages_leave_the_vault_and_are_not_sent_again() -> None:
    net = Net()
    alice = net.alice()
    bob = net.timb_peer("bob")
    _timb_bob_session(net, alice, bob)
    msg = alice.send(BOB, SECRET)
    net.pump(alice, bob, "bob", drop_replies=True)
    # The user removes (or blocks) bob: Contacts.remove/block call runtime.fail_pending([bob]).
    net.contacts.discard(BOB)
    alice.fail_pending(BOB)
    section = alice.outbox_section()
    # Bob's client restarts too (nothing of alice's was acknowledged); the next life of alice.
    bob2 = net.timb_peer("bob2", tag=0x2223)
    alice2 = net.alice(section=section)
    net.pump(alice2, bob2, "bob2")
    assert (section, net.shown["bob2"]) == ([], []), (
        f"kept: {[m['contact'] for m in section]}, sent again to the removed contact: {net.shown['bob2']}, "
        f"state {alice2.message_state(msg) if msg in [m['id'] for m in section] else 'gone'}"
    )


@pytest.mark.parametrize("then", ["bob-writes-and-alice-sends-more", "alice-restarts"])
def test_a_libotr_peer_never_gets_a_shown_message_again_after_the_servers_key(then: str) -> None:
    net = Net()
    alice = net.alice()
    pidgin = Conversation(BOB_KEY, clock=net.clock, rng=DeterministicRandom(b"pidgin"), instance_tag=0x3333)
    pidgin.start()
    net.pump(alice, pidgin, "pidgin")
    pidgin.send("hello alice")
    net.pump(alice, pidgin, "pidgin")
    alice.send(BOB, SECRET)
    net.pump(alice, pidgin, "pidgin")  # shown; libotr is silent: nothing confirms it yet
    assert net.shown["pidgin"] == [SECRET]
    # The server runs an AKE as a new instance of bob with its own key (the user sees a key change).
    mallory = net.timb_peer("mallory", CAROL_KEY, tag=0x7777)
    mallory.start(ALICE)
    net.pump(alice, mallory, "mallory")
    assert net.shown["mallory"] == []  # held: not written for the server's key (issue 9)
    if then == "alice-restarts":  # bob's libotr client is still there and answers the new AKE
        alice2 = net.alice(section=alice.outbox_section())
        net.pump(alice2, pidgin, "pidgin")
    else:  # bob's libotr client writes to alice's instance again; she answers
        pidgin.send("still here")
        net.pump(alice, pidgin, "pidgin")
        alice.send(BOB, "and the next one")
        net.pump(alice, pidgin, "pidgin")
    assert net.shown["pidgin"].count(SECRET) == 1, f"shown twice by the libotr client: {net.shown['pidgin']}"


@pytest.mark.parametrize("session", ["first-session", "bob-restarted"])
def test_a_message_sent_to_a_timb_peer_before_its_first_record_survives_a_crash(session: str) -> None:
    net = Net()
    alice = net.alice()
    bob = net.timb_peer("bob")
    if session == "first-session":
        alice.start(BOB)  # bob's TIMB client, which has not written anything yet
        net.pump(alice, bob, "bob")
    else:
        _timb_bob_session(net, alice, bob)
        bob = net.timb_peer("bob", tag=0x2223)  # bob's client restarted: a new instance, an AKE
        bob.start(ALICE)
        net.pump(alice, bob, "bob")
    assert alice.their_fingerprint(BOB) == BOB_KEY.fingerprint()
    msg = alice.send(BOB, SECRET)
    alice.data_to_send()  # the server swallows it: bob never sees it
    assert alice.message_state(msg) is MessageState.SENT
    section = alice.outbox_section()
    # Alice's client crashes now: what the vault kept is all the next life has.
    alice2 = net.alice(section=section)
    net.pump(alice2, bob, "bob")
    assert net.shown["bob"].count(SECRET) == 1, f"lost with the crash (kept: {section})"


def test_a_message_typed_after_a_key_change_notice_is_not_written_for_the_new_key() -> None:
    net = Net()  # the trust store's usable keys for bob: his first key only (trust_keeper.usable_keys)
    alice = net.alice()
    bob = net.timb_peer("bob")
    alice.start(BOB)
    net.pump(alice, bob, "bob")
    # The server runs an AKE as bob with its own key (KeyChanged, LOUD), then ends that session.
    mallory = net.timb_peer("mallory", CAROL_KEY, tag=0x7777)
    mallory.start(ALICE)
    net.pump(alice, mallory, "mallory")
    assert alice.their_fingerprint(BOB) == CAROL_KEY.fingerprint()
    mallory.end(ALICE)
    net.pump(alice, mallory, "mallory")
    msg = alice.send(BOB, SECRET)  # not private now: written for bob's known keys
    net.pump(alice, mallory, "mallory")
    section = alice.outbox_section()
    assert [m["id"] for m in section] == [msg]
    # Alice's client restarts; the server answers her AKE with its key again.
    alice2 = net.alice(section=section)
    again = net.timb_peer("mallory-again", CAROL_KEY, tag=0x7778)
    again.start(ALICE)
    net.pump(alice2, again, "mallory-again")
    assert net.shown["mallory-again"] == [], (
        f"read by the server's key; written for {section[0]['written_for']}, held: {alice2.held(BOB)}"
    )
