"""Property test: two conversations cores over a reliable, in-order link (OTR's network model),
with random interleavings of sends, partial deliveries, polls, time passing and restarts of either
client at any moment (mid-AKE, between a message and its acknowledgement...).

Whatever happens: no wire string ever carries a typed text or anything but OTR; after the link
heals, every message typed by a client that kept running reaches the other side (at least once
over its lives, exactly once and in order within one life), and ends DELIVERED.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timb.common.clock import FakeClock
from timb.common.random import DeterministicRandom
from timb.core.conversations import Conversations
from timb.core.events import MessageReceived, MessageState
from timb.otr import PrivateKey

A, B = "alice@timb.test", "bob@timb.test"
_KEYS: dict[str, PrivateKey] = {}
STATS = {"delivered": 0, "restarts": 0}


def key(name: str) -> PrivateKey:
    if name not in _KEYS:
        _KEYS[name] = PrivateKey.generate()
    return _KEYS[name]


@dataclass
class Life:
    core: Conversations
    received: list[str] = field(default_factory=list)


@dataclass
class World:
    clock: FakeClock = field(default_factory=FakeClock)
    lives: dict[str, list[Life]] = field(default_factory=lambda: {A: [], B: []})
    queues: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: {A: [], B: []})
    typed: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: {A: [], B: []})  # (id, text)
    all_typed: list[str] = field(default_factory=list)
    wires: int = 0
    seeds: int = 0
    # The profile's seen section of each client as last saved (timb.core.seen_ids).
    saved: dict[str, dict[str, object]] = field(default_factory=lambda: {A: {}, B: {}})
    instant_disk: bool = True  # every collect saves; else only "save" actions and heal do

    def start(self, name: str) -> None:
        self.seeds += 1
        tag = 0x1000 + self.seeds
        core = Conversations(
            name,
            key(name),
            instance_tag=tag,
            clock=self.clock,
            rng=DeterministicRandom(b"%d" % self.seeds),
            is_contact=lambda _contact: True,
        )
        core.restore_seen(dict(self.saved[name]))
        self.lives[name].append(Life(core))
        self.typed[name] = []  # a restarted client forgot what it had typed (and will not resend it)

    def now(self, name: str) -> Life:
        return self.lives[name][-1]

    def save(self, name: str) -> None:
        """The service's save of the profile (its seen section)."""
        self.saved[name] = dict(self.now(name).core.seen_section())

    def collect(self, name: str) -> None:
        life = self.now(name)
        while (event := life.core.next_event()) is not None:
            if isinstance(event, MessageReceived):
                assert event.encrypted
                life.received.append(event.text)
        if self.instant_disk:
            self.save(name)
        other = B if name == A else A
        for _contact, wire in life.core.data_to_send():
            self.wires += 1
            assert wire.startswith("?OTR")
            for text in self.all_typed:
                assert text not in wire
            self.queues[other].append((name, wire))

    def deliver(self, name: str, count: int | None = None) -> None:
        queue = self.queues[name]
        batch = queue if count is None else queue[:count]
        self.queues[name] = [] if count is None else queue[count:]
        for sender, wire in batch:
            self.now(name).core.receive(sender, wire)
            self.collect(name)

    def settle(self) -> None:
        for _ in range(100):
            self.collect(A)
            self.collect(B)
            if not self.queues[A] and not self.queues[B]:
                return
            self.deliver(A)
            self.deliver(B)
        raise AssertionError("no quiescence")


_send = st.tuples(st.just("send"), st.sampled_from([A, B]))
_deliver = st.tuples(st.just("deliver"), st.sampled_from([A, B]), st.integers(0, 3))


def schedules(restart: str) -> st.SearchStrategy[list[tuple[object, ...]]]:
    return st.lists(
        st.one_of(
            # sends and deliveries most of the time; restarts are the rare, interesting event
            _send,
            _send,
            _deliver,
            _deliver,
            _deliver,
            st.tuples(st.just("poll"), st.sampled_from([A, B])),
            st.tuples(st.just("tick"), st.sampled_from([0.5, 2.0, 61.0])),
            st.tuples(st.just(restart), st.sampled_from([A, B])),
        ),
        min_size=10,
        max_size=60,
    )


def run(script: list[tuple[object, ...]], *, instant_disk: bool = True) -> World:
    world = World(instant_disk=instant_disk)
    world.start(A)
    world.start(B)
    counter = 0
    for action in script:
        kind, name = action[0], str(action[1]) if action[0] != "tick" else ""
        if kind == "send":
            counter += 1
            text = f"message number {counter} from {name}"
            other = B if name == A else A
            world.all_typed.append(text)
            world.typed[name].append((world.now(name).core.send(other, text), text))
            world.collect(name)
        elif kind == "deliver":
            world.deliver(name, int(action[2]))  # type: ignore[arg-type]
        elif kind == "poll":
            world.now(name).core.poll()
            world.collect(name)
        elif kind == "tick":
            world.clock.advance(float(action[1]))  # type: ignore[arg-type]
        elif kind == "save":
            world.save(name)
            world.collect(name)
        elif kind == "restart":  # at a quiet moment: everything delivered and acknowledged
            heal(world)
            world.start(name)
        elif kind == "crash":  # at any moment at all
            world.start(name)
    heal(world)
    return world


def heal(world: World) -> None:
    """Let everything through, acknowledge, and give stalled AKEs a reason to run again."""
    for _ in range(3):
        world.settle()
        for name in (A, B):
            world.save(name)
            world.now(name).core.poll()
        world.settle()
        world.clock.advance(61.0)
        for name in (A, B):
            world.now(name).core.poll()
        world.settle()


def check_lives(world: World) -> None:
    """Within one life of a client, nothing is shown twice and the order is kept."""
    for name, other in ((A, B), (B, A)):
        for life in world.lives[other]:
            mine = [int(t.split()[2]) for t in life.received if t.endswith(f"from {name}")]
            assert mine == sorted(set(mine)), f"shown twice or out of order in one life: {mine}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules("restart"))
def test_restarts_at_quiet_moments_lose_nothing_and_repeat_nothing(script: list[tuple[object, ...]]) -> None:
    world = run(script)
    check_lives(world)
    for name, other in ((A, B), (B, A)):
        everything = [t for life in world.lives[other] for t in life.received if t.endswith(f"from {name}")]
        assert len(everything) == len(set(everything)), "shown twice across lives"
        missing = [text for _id, text in world.typed[name] if text not in everything]
        assert not missing, f"lost: {missing}"
        for msg_id, _text in world.typed[name]:
            assert world.now(name).core.message_state(msg_id) is MessageState.DELIVERED
        STATS["delivered"] += len(world.typed[name])
        STATS["restarts"] += len(world.lives[other]) - 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules("crash"))
def test_crashes_at_any_moment_never_leak_and_the_chat_recovers(script: list[tuple[object, ...]]) -> None:
    # A crash can lose a message that crossed one the dying client had just sent (docs/core.md);
    # what must hold: no plaintext, nothing twice or out of order within a life, no deadlock.
    world = run(script)
    check_lives(world)
    for name, other in ((A, B), (B, A)):
        text = f"after healing, from {name}"
        world.all_typed.append(text)
        msg_id = world.now(name).core.send(other, text)
        heal(world)
        assert world.now(other).received.count(text) == 1
        assert world.now(name).core.message_state(msg_id) is MessageState.DELIVERED


def bob_crashes(script: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return [("crash", B) if action[0] == "crash" else action for action in script]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules("crash").map(bob_crashes))
def test_a_timb_peer_crashing_mid_burst_loses_nothing(script: list[tuple[object, ...]]) -> None:
    # With TIMB's acknowledgements DELIVERED means *that* message was decrypted: whatever bob's
    # client had not read when it died is sent again (at least once over his lives, once per life).
    world = run(script)
    check_lives(world)
    everything = [t for life in world.lives[B] for t in life.received if t.endswith(f"from {A}")]
    missing = [text for _id, text in world.typed[A] if text not in everything]
    assert not missing, f"lost: {missing}"
    # Bob's client saves the ids it showed: shown once over all his lives when each save completes
    # before the next crash (here: at once; the slow disk below has the window).
    assert len(everything) == len(set(everything)), f"shown twice across bob's lives: {everything}"
    for msg_id, _text in world.typed[A]:
        assert world.now(A).core.message_state(msg_id) is MessageState.DELIVERED


def with_saves(script: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Bob's saves at chosen moments (every third poll of his): crashes land between a message
    shown and the save of its id."""
    return [("save", B) if a[0] == "poll" and i % 3 == 0 else a for i, a in enumerate(bob_crashes(script))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules("crash").map(with_saves))
def test_a_slow_disk_may_show_a_message_again_but_never_loses_one(script: list[tuple[object, ...]]) -> None:
    # A crash between showing a message and saving its id: if the acknowledgement had not
    # reached alice either, she re-sends and bob's next life shows it again (the lesser harm);
    # nothing is lost, and nothing is DELIVERED that bob's client did not show.
    world = run(script, instant_disk=False)
    check_lives(world)
    everything = [t for life in world.lives[B] for t in life.received if t.endswith(f"from {A}")]
    missing = [text for _id, text in world.typed[A] if text not in everything]
    assert not missing, f"lost: {missing}"
    for msg_id, _text in world.typed[A]:
        assert world.now(A).core.message_state(msg_id) is MessageState.DELIVERED


MALLORY = PrivateKey.generate()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules("mallory"))
def test_a_server_substituting_its_key_gets_nothing_written_for_another(
    script: list[tuple[object, ...]],
) -> None:
    # The server, as bob, runs AKEs with its own key at random moments. It may read only what
    # alice typed while her session with "bob" had its key (the UI showed that key).
    world = World()
    world.start(A)
    world.start(B)
    # As the service tells it from the trust store: alice has talked to bob before.
    world.now(A).core._known_keys = lambda _contact: (key(B).fingerprint(),)
    mallory = Conversations(B, MALLORY, instance_tag=0x7777, clock=world.clock, rng=DeterministicRandom(b"m"))
    stolen: list[str] = []
    for_mallory: set[str] = set()
    counter = 0
    for action in script:
        kind, name = action[0], str(action[1]) if action[0] != "tick" else ""
        if kind == "send":
            counter += 1
            text = f"message number {counter} from {name}"
            other = B if name == A else A
            world.all_typed.append(text)
            if name == A and world.now(A).core.their_fingerprint(B) == MALLORY.fingerprint():
                for_mallory.add(text)
            world.typed[name].append((world.now(name).core.send(other, text), text))
            world.collect(name)
        elif kind == "deliver":
            if name == B:  # the server reads alice's wires too
                for sender, wire in world.queues[B][: int(action[2])]:  # type: ignore[misc]
                    mallory.receive(sender, wire)
            world.deliver(name, int(action[2]))  # type: ignore[arg-type]
        elif kind == "poll":
            world.now(name).core.poll()
            world.collect(name)
        elif kind == "tick":
            world.clock.advance(float(action[1]))  # type: ignore[arg-type]
        elif kind == "mallory":  # the server keeps bob away and answers alone, until quiet
            mallory.start(A)
            for _ in range(20):
                _pump_mallory(mallory, world, stolen)
                world.deliver(A)
                sent_by_alice, world.queues[B] = world.queues[B], []
                for sender, wire in sent_by_alice:
                    mallory.receive(sender, wire)
                _pump_mallory(mallory, world, stolen)
        _pump_mallory(mallory, world, stolen)
    heal(world)
    assert set(stolen) <= for_mallory, f"sent to a key it was not written for: {set(stolen) - for_mallory}"
    STATS["stolen"] = STATS.get("stolen", 0) + len(stolen)


def _pump_mallory(mallory: Conversations, world: World, stolen: list[str]) -> None:
    while (event := mallory.next_event()) is not None:
        if isinstance(event, MessageReceived):
            stolen.append(event.text)
    for _contact, wire in mallory.data_to_send():
        world.queues[A].append((B, wire))


def test_a_restarted_peer_whose_query_met_a_stale_ake_still_gets_the_messages() -> None:
    # Found by the property test: alice's AKE with bob's dying client hangs half-way (she answered
    # its last D-H Commit), so she drops the Query of bob's next client as "mid-AKE"; her messages
    # sit SENT in a session with the dead instance and neither side had anything queued to retry
    # for. Bob's client now retries its AKE while alice writes to an instance that is gone.
    script: list[tuple[object, ...]] = [
        *[("send", A)] * 3,
        ("deliver", B, 1),
        ("deliver", A, 1),
        ("deliver", B, 1),
        ("tick", 61.0),
        ("send", A),
        ("deliver", B, 1),
        ("crash", B),
    ]
    world = run(script)
    shown = world.now(B).received
    assert [t for _id, t in world.typed[A] if t not in shown] == []
    assert all(world.now(A).core.message_state(i) is MessageState.DELIVERED for i, _t in world.typed[A])
