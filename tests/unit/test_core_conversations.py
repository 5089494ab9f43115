"""The conversations core, two of them paired through a fake link (no sockets, no sleeping).

Every wire string on the link is checked: with policy ALWAYS it starts with ``?OTR`` and never
contains any text the users typed.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from timb.common.clock import FakeClock
from timb.common.random import DeterministicRandom
from timb.common.secret import Secret
from timb.core.conversations import AKE_TIMEOUT, Conversations
from timb.core.events import (
    ErrorEvent,
    MessageReceived,
    MessageState,
    MessageStateChanged,
    OtrState,
    OtrStateChanged,
    OtrUnavailable,
    SmpFinished,
    SmpRequested,
)
from timb.otr import Conversation, LocalError, Policy, PolicyViolation, PrivateKey
from timb.otr.instances import peek

ALICE, BOB = "alice@timb.test", "bob@timb.test"


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {ALICE: PrivateKey.generate(), BOB: PrivateKey.generate()}


@dataclass
class Peer:
    name: str
    core: Conversations
    received: list[MessageReceived] = field(default_factory=list)
    events: list[object] = field(default_factory=list)

    def collect(self) -> None:
        while (event := self.core.next_event()) is not None:
            self.events.append(event)
            if isinstance(event, MessageReceived):
                self.received.append(event)

    def texts(self) -> list[str]:
        return [m.text for m in self.received]

    def states(self, msg_id: str) -> list[MessageState]:
        return [e.state for e in self.events if isinstance(e, MessageStateChanged) and e.id == msg_id]


class Link:
    """Carries wire messages both ways, checking each; ``down`` peers' mail waits (offline store)."""

    def __init__(self, clock: FakeClock, typed: list[str], *, check: bool = True) -> None:
        self.clock = clock
        self.typed = typed
        self.check = check
        self.peers: dict[str, Peer] = {}
        self.waiting: dict[str, list[tuple[str, str]]] = {ALICE: [], BOB: []}
        self.wires: list[str] = []

    def attach(self, peer: Peer) -> None:
        self.peers[peer.name] = peer

    def detach(self, name: str) -> None:
        del self.peers[name]

    def _inspect(self, wire: str) -> None:
        self.wires.append(wire)
        if self.check:
            assert wire.startswith("?OTR"), wire[:40]
            for text in self.typed:
                assert text not in wire

    def pump(self, rounds: int = 200) -> None:
        for _ in range(rounds):
            moved = False
            for name, peer in list(self.peers.items()):
                peer.collect()
                other = BOB if name == ALICE else ALICE
                for _contact, wire in peer.core.data_to_send():
                    self._inspect(wire)
                    self.waiting[other].append((name, wire))
                    moved = True
            for name, peer in list(self.peers.items()):
                queue, self.waiting[name] = self.waiting[name], []
                for sender, wire in queue:
                    peer.core.receive(sender, wire)
                    moved = True
            if not moved:
                for peer in self.peers.values():
                    peer.collect()
                return
        raise AssertionError("the link did not settle")

    def poll(self) -> None:
        for peer in self.peers.values():
            peer.core.poll()
        self.pump()


def make(
    name: str,
    keys: dict[str, PrivateKey],
    clock: FakeClock,
    seed: bytes,
    tag: int,
    policy: Policy = Policy.ALWAYS,
    fragment: int | None = None,
) -> Peer:
    core = Conversations(
        name,
        keys[name],
        instance_tag=tag,
        clock=clock,
        rng=DeterministicRandom(seed),
        policy=policy,
        max_fragment_size=fragment,
    )
    return Peer(name, core)


@pytest.fixture
def world(keys: dict[str, PrivateKey]) -> Iterator[tuple[Link, Peer, Peer, list[str]]]:
    clock = FakeClock()
    typed: list[str] = []
    link = Link(clock, typed)
    alice = make(ALICE, keys, clock, b"alice", 0x1111)
    bob = make(BOB, keys, clock, b"bob", 0x2222)
    link.attach(alice)
    link.attach(bob)
    yield link, alice, bob, typed
    assert link.wires  # every test put something on the link, and every string was checked


def say(peer: Peer, to: str, text: str, typed: list[str]) -> str:
    # A space is not in the base64 alphabet, so "text in wire" cannot match by chance.
    assert " " in text
    typed.append(text)
    return peer.core.send(to, text)


def test_messages_are_held_until_private_then_sent_once_in_order(world) -> None:
    link, alice, bob, typed = world
    ids = [say(alice, BOB, f"held secret number {i}", typed) for i in range(3)]
    alice.collect()
    assert all(alice.core.message_state(i) is MessageState.PENDING for i in ids)
    first = alice.core.data_to_send()
    assert [peek(w).kind.value for _c, w in first] == ["query"]  # only the query went out
    link.waiting[BOB].extend((ALICE, w) for _c, w in first)
    link.pump()
    assert bob.texts() == [f"held secret number {i}" for i in range(3)]
    assert all(m.encrypted and not m.verified for m in bob.received)
    link.poll()  # bob acknowledges (his OTR heartbeat may already have done it)
    for i in ids:
        assert alice.states(i) == [MessageState.PENDING, MessageState.SENT, MessageState.DELIVERED]
    assert all(alice.core.message_state(i) is MessageState.DELIVERED for i in ids)
    assert alice.core.otr_state(BOB) is OtrState.PRIVATE_UNVERIFIED
    states = [e for e in bob.events if isinstance(e, OtrStateChanged)]
    assert states[-1].state is OtrState.PRIVATE_UNVERIFIED
    assert states[-1].fingerprint == alice.core._key.fingerprint()


def test_many_messages_both_ways_interleaved(world) -> None:
    link, alice, bob, typed = world
    for i in range(40):
        say(alice, BOB, f"a->b {i} confidential", typed)
        if i % 3 == 0:
            say(bob, ALICE, f"b->a {i} confidential", typed)
        if i % 5 == 0:
            link.pump()
    link.pump()
    link.poll()
    assert bob.texts() == [f"a->b {i} confidential" for i in range(40)]
    assert alice.texts() == [f"b->a {i} confidential" for i in range(0, 40, 3)]


def test_restart_with_a_new_instance_tag_rekeys_and_resends_what_was_lost(world, keys) -> None:
    link, alice, bob, typed = world
    say(alice, BOB, "before the crash", typed)
    link.pump()
    say(bob, ALICE, "reply before the crash", typed)
    link.pump()
    link.poll()
    # Bob's client dies; Alice keeps typing. The server stores what she sends.
    link.detach(BOB)
    lost = [say(alice, BOB, f"while bob was away {i}", typed) for i in range(3)]
    link.pump()
    assert all(alice.core.message_state(i) is MessageState.SENT for i in lost)
    # Bob comes back: same key, new instance tag, nothing remembered.
    bob2 = make(BOB, keys, link.clock, b"bob-again", 0x3333)
    link.attach(bob2)
    link.pump()
    link.poll()
    assert bob.texts() + bob2.texts() == [
        "before the crash",
        "while bob was away 0",
        "while bob was away 1",
        "while bob was away 2",
    ]
    assert all(m.encrypted for m in bob2.received)
    for i in lost:
        assert alice.states(i) == [
            MessageState.PENDING,
            MessageState.SENT,
            MessageState.PENDING,  # re-sent after the re-key
            MessageState.SENT,
            MessageState.DELIVERED,
        ]
    # The conversation goes on normally in the new session, both ways.
    say(bob2, ALICE, "back again", typed)
    say(alice, BOB, "welcome back", typed)
    link.pump()
    assert alice.texts() == ["reply before the crash", "back again"]
    assert bob2.texts()[-1] == "welcome back"


def test_restarted_peer_that_speaks_first_gets_a_session_and_nothing_is_repeated(world, keys) -> None:
    link, alice, bob, typed = world
    say(alice, BOB, "hello bob", typed)
    link.pump()
    link.poll()  # delivered and acknowledged
    link.detach(BOB)
    bob2 = make(BOB, keys, link.clock, b"bob-again", 0x4444)
    link.attach(bob2)
    say(bob2, ALICE, "I restarted", typed)
    link.pump()
    link.poll()
    assert alice.texts() == ["I restarted"]
    assert bob.texts() == ["hello bob"]
    assert bob2.texts() == []  # "hello bob" had been acknowledged: it is not shown twice


def test_restart_with_the_same_instance_tag_recovers_through_the_error_message(world, keys) -> None:
    link, alice, _bob, typed = world
    say(alice, BOB, "first message", typed)
    link.pump()
    link.poll()
    link.detach(BOB)
    bob2 = make(BOB, keys, link.clock, b"bob-same-tag", 0x2222)  # a persisted instance tag
    link.attach(bob2)
    msg = say(alice, BOB, "after restart", typed)
    link.pump()
    link.poll()
    assert bob2.texts() == ["after restart"]
    assert alice.core.message_state(msg) is MessageState.DELIVERED
    assert alice.core.otr_state(BOB) is OtrState.PRIVATE_UNVERIFIED


def test_a_peer_that_refuses_otr_never_gets_plaintext(world, keys) -> None:
    link, alice, _bob, typed = world
    link.detach(BOB)
    never = make(BOB, keys, link.clock, b"never", 0x5555, policy=Policy.NEVER)
    link.attach(never)
    msg = say(alice, BOB, "this must stay secret", typed)
    link.pump()
    assert alice.core.message_state(msg) is MessageState.PENDING
    # The refusing client shows our query as text; it is the only thing it got.
    assert [m.text.startswith("?OTRv") for m in never.received] == [True]
    link.clock.advance(AKE_TIMEOUT + 1)
    link.poll()
    unavailable = [e for e in alice.events if isinstance(e, OtrUnavailable)]
    assert len(unavailable) == 1 and "no answer" in unavailable[0].reason
    assert alice.core.message_state(msg) is MessageState.PENDING


def test_a_plaintext_answer_says_the_contact_does_not_speak_otr(world, keys) -> None:
    link, alice, _bob, typed = world
    link.check = False  # the refusing side sends plaintext; checked by hand below
    link.detach(BOB)
    never = make(BOB, keys, link.clock, b"never", 0x5555, policy=Policy.NEVER)
    link.attach(never)
    msg = say(alice, BOB, "still secret", typed)
    link.pump()
    never.core.send(ALICE, "what is this?")
    link.pump()
    assert [m.text for m in alice.received] == ["what is this?"]
    assert alice.received[0].encrypted is False
    assert any(isinstance(e, OtrUnavailable) and "without OTR" in e.reason for e in alice.events)
    assert alice.core.message_state(msg) is MessageState.PENDING
    assert all("still secret" not in w for w in link.wires)
    alice_wires = [w for w in link.wires if w != "what is this?"]
    assert all(w.startswith("?OTR") for w in alice_wires)


def test_both_sides_start_at_once(world) -> None:
    link, alice, bob, typed = world
    alice.core.start(BOB)
    bob.core.start(ALICE)
    link.pump()
    assert alice.core.otr_state(BOB) is OtrState.PRIVATE_UNVERIFIED
    assert bob.core.otr_state(ALICE) is OtrState.PRIVATE_UNVERIFIED
    say(alice, BOB, "after a crossed start", typed)
    say(bob, ALICE, "crossed too", typed)
    link.pump()
    assert bob.texts() == ["after a crossed start"]
    assert alice.texts() == ["crossed too"]


def test_fragmented_messages_route_and_arrive(keys) -> None:
    clock = FakeClock()
    typed: list[str] = []
    link = Link(clock, typed)
    alice = make(ALICE, keys, clock, b"a", 0x1111, fragment=150)
    bob = make(BOB, keys, clock, b"b", 0x2222, fragment=150)
    link.attach(alice)
    link.attach(bob)
    long_text = "a long confidential paragraph " * 20
    say(alice, BOB, long_text, typed)
    link.pump()
    link.poll()
    assert bob.texts() == [long_text]
    assert any(peek(w).kind.value == "fragment" for w in link.wires)


def test_after_the_peer_ended_nothing_goes_until_the_user_goes_private_again(world) -> None:
    link, alice, bob, typed = world
    say(alice, BOB, "message one", typed)
    link.pump()
    alice.core.end(BOB)
    link.pump()
    assert alice.core.otr_state(BOB) is OtrState.NOT_PRIVATE
    assert bob.core.otr_state(ALICE) is OtrState.FINISHED
    msg = say(bob, ALICE, "message two", typed)
    assert bob.core.message_state(msg) is MessageState.PENDING
    link.pump()
    assert alice.texts() == []  # MSGSTATE_FINISHED: not even a Query left on its own
    bob.core.start(ALICE)
    link.pump()
    assert alice.texts() == ["message two"]
    assert bob.core.otr_state(ALICE) is OtrState.PRIVATE_UNVERIFIED


def test_peek_reads_instance_tags_and_types() -> None:
    assert peek("?OTRv3?").kind.value == "query"
    assert peek("?OTR Error: nope").kind.value == "error"
    assert peek("hello").kind.value == "plain"
    assert peek("hi \t  \t\t\t\t \t \t \t    \t\t  \t\t").kind.value == "tagged"
    # version 3, type 0x03 (data), sender 0x00000111, receiver 0x00000222
    raw = bytes([0, 3, 3]) + (0x111).to_bytes(4, "big") + (0x222).to_bytes(4, "big") + b"\x00" * 9
    header = peek("?OTR:" + base64.b64encode(raw).decode() + ".")
    assert (header.type, header.sender, header.receiver) == (3, 0x111, 0x222)
    frag = peek("?OTR|00000111|00000222,00001,00002,?OTR:" + base64.b64encode(raw).decode()[:20] + ",")
    assert (frag.type, frag.sender, frag.receiver, frag.first_fragment) == (3, 0x111, 0x222, True)
    assert peek("?OTR|zz|00000222,1,2,x,").type is None  # malformed: no crash


def test_a_bounced_message_is_resent_after_a_rekey(world) -> None:
    link, alice, bob, typed = world
    say(alice, BOB, "first and fine", typed)
    link.pump()
    link.poll()
    msg = say(alice, BOB, "this one bounces", typed)
    alice.collect()
    bounced = alice.core.data_to_send()  # the server returned it with an error: never delivered
    assert len(bounced) == 1
    alice.core.delivery_failed(BOB)
    link.pump()
    link.poll()
    assert bob.texts() == ["first and fine", "this one bounces"]
    assert alice.core.message_state(msg) is MessageState.DELIVERED
    assert alice.states(msg).count(MessageState.SENT) == 2


@pytest.mark.parametrize(("answer", "outcome"), [("the blue door", "succeeded"), ("a red door", "failed")])
def test_smp_with_a_question(world, answer: str, outcome: str) -> None:
    link, alice, bob, typed = world
    with pytest.raises(PolicyViolation):
        alice.core.smp_start(BOB, Secret("the blue door"), "Where did we meet?")
    say(alice, BOB, "hello there", typed)
    link.pump()
    alice.core.smp_start(BOB, Secret("the blue door"), "Where did we meet?")
    link.pump()
    asked = [e for e in bob.events if isinstance(e, SmpRequested)]
    assert asked == [SmpRequested(BOB, ALICE, "Where did we meet?")]
    bob.core.smp_respond(ALICE, Secret(answer))
    link.pump()
    (a_done,) = [e for e in alice.events if isinstance(e, SmpFinished)]
    (b_done,) = [e for e in bob.events if isinstance(e, SmpFinished)]
    assert a_done.outcome.value == b_done.outcome.value == outcome
    # Only the asker learns something about the other's key; answering proves nothing to Bob.
    assert a_done.verified is (outcome == "succeeded")
    assert b_done.verified is False
    assert a_done.fingerprint == bob.core._key.fingerprint()
    assert all("door" not in w for w in link.wires)


def test_lowering_the_policy_never_releases_text_typed_under_always(world, keys) -> None:
    link, alice, _bob, typed = world
    link.check = False  # plaintext may be allowed now; checked by hand
    link.detach(BOB)
    never = make(BOB, keys, link.clock, b"never", 0x5555, policy=Policy.NEVER)
    link.attach(never)
    held = say(alice, BOB, "typed under always", typed)
    link.pump()
    alice.core.set_policy(BOB, Policy.OPPORTUNISTIC)
    later = say(alice, BOB, "typed under opportunistic", typed)
    link.pump()
    assert alice.core.message_state(held) is MessageState.PENDING
    assert alice.core.message_state(later) is MessageState.PENDING  # behind the held one: order kept
    assert not any(t in w for w in link.wires for t in typed)


def test_a_text_otr_cannot_carry_is_refused_at_send_and_never_breaks_receive(world) -> None:
    # A NUL would smuggle TLVs into a Data Message: OTR refuses it. It must be refused when the
    # user sends it, not later inside receive() when the session comes up (that raised there).
    link, alice, bob, typed = world
    with pytest.raises(LocalError):
        alice.core.send(BOB, "held text with a NUL\x00 in it")
    assert alice.core.pending(BOB) == []
    msg = say(alice, BOB, "the next message goes through", typed)
    link.pump()
    assert bob.texts() == ["the next message goes through"]
    assert alice.core.message_state(msg) in (MessageState.SENT, MessageState.DELIVERED)


def test_a_wire_string_that_only_looks_like_otr_is_refused(world, monkeypatch) -> None:
    # Defence in depth: if the OTR layer ever emitted the user's text, even text that begins
    # with "?OTR", the core must not pass it on while the policy requires encryption.
    link, alice, _bob, typed = world
    say(alice, BOB, "a first message to go private", typed)
    link.pump()
    assert alice.core.otr_state(BOB) is OtrState.PRIVATE_UNVERIFIED

    def leak(self: Conversation, text: str, _record: object = None) -> None:
        self._outbox.append(text)

    monkeypatch.setattr(Conversation, "send", leak)
    alice.core.send(BOB, "?OTR meet at the north gate")
    wires = [w for _c, w in alice.core.data_to_send()]
    assert not any("north gate" in w for w in wires)
    alice.collect()
    assert any(isinstance(e, ErrorEvent) and "not OTR-encoded" in e.message for e in alice.events)


@pytest.mark.parametrize(
    "wire",
    [
        "?OTR,\u00b2,1,piece,",  # superscript two: str.isdigit() says yes, int() says no
        "?OTR|00000100|00001111,1,\u0663,piece,",  # an Arabic-Indic digit
        "?OTR|0000\u0661100|00001111,1,1,piece,",
    ],
)
def test_a_hostile_fragment_header_never_escapes_receive(world, wire: str) -> None:
    link, alice, bob, typed = world
    alice.core.receive(BOB, wire)  # must not raise: anything a peer sends is data
    say(alice, BOB, "and the chat goes on", typed)
    link.pump()
    assert bob.texts() == ["and the chat goes on"]
