"""Review 3, item 3 (`ContactState.lost_session`): a client that gets Data for a dead instance of
itself retries its AKE on time-out even with nothing of its own to send. Attacked with a hostile
server replaying one stale Data Message: the retries stay bounded (AKE_RETRIES), a flood of the
same message gets at most one Query per AKE_TIMEOUT, and nothing is reported as unavailable when
nothing of ours waits. Plain regression tests (no finding): nothing covered these bounds.
"""

from __future__ import annotations

from tests.unit.otr_link import ALICE_KEY, BOB_KEY
from tests.unit.test_core_conversations import ALICE, BOB, Link, Peer, make
from timb.common.clock import FakeClock
from timb.core.conversations import AKE_RETRIES, AKE_TIMEOUT
from timb.core.events import OtrState, OtrUnavailable
from timb.otr.instances import Kind, peek

KEYS = {ALICE: ALICE_KEY, BOB: BOB_KEY}
HOUR = 3600


def _stale_data_and_a_restarted_alice() -> tuple[FakeClock, str, Peer]:
    clock, _link, stale, _bob = _stale_data_for_a_dead_alice()
    return clock, stale, make(ALICE, KEYS, clock, b"alice again", 0x1112)


def _stale_data_for_a_dead_alice() -> tuple[FakeClock, Link, str, Peer]:
    """Alice and bob chatted; bob's next message is for alice's instance 0x1111, now dead."""
    clock = FakeClock()
    link = Link(clock, [])
    alice, bob = make(ALICE, KEYS, clock, b"alice", 0x1111), make(BOB, KEYS, clock, b"bob", 0x2222)
    link.attach(alice)
    link.attach(bob)
    alice.core.send(BOB, "hello bob, before my restart")
    link.pump()
    link.poll()
    bob.core.send(ALICE, "for alice's dead instance")
    (stale,) = [wire for _contact, wire in bob.core.data_to_send()]
    assert peek(stale).receiver == 0x1111
    return clock, link, stale, bob


def _an_hour(clock: FakeClock, alice: Peer, stale: str, *, replay_every: int | None) -> int:
    """Polls once a second for an hour (the server replays ``stale`` as told); the Queries sent."""
    queries = 0
    alice.core.receive(BOB, stale)
    for second in range(HOUR):
        clock.advance(1.0)
        if replay_every is not None and second % replay_every == 0:
            alice.core.receive(BOB, stale)
        alice.core.poll()
        queries += sum(peek(w).kind is Kind.QUERY for _c, w in alice.core.data_to_send())
    alice.collect()
    assert not [e for e in alice.events if isinstance(e, OtrUnavailable)]  # nothing of ours waits
    return queries


def test_one_stale_data_message_gets_a_bounded_number_of_queries() -> None:
    clock, stale, alice = _stale_data_and_a_restarted_alice()
    assert _an_hour(clock, alice, stale, replay_every=None) == 1 + AKE_RETRIES


def test_a_server_replaying_stale_data_gets_at_most_one_query_per_ake_timeout() -> None:
    clock, stale, alice = _stale_data_and_a_restarted_alice()
    assert _an_hour(clock, alice, stale, replay_every=1) <= HOUR / AKE_TIMEOUT + 1


def test_stale_data_after_the_re_key_starts_no_second_one() -> None:
    """The restarted alice re-keyed with bob's instance because of a Data Message for her dead
    one; the same message again (late, or replayed by the server) is stale: no Query, no re-key,
    and what bob writes next still reads."""
    clock, link, stale, bob = _stale_data_for_a_dead_alice()
    alice = make(ALICE, KEYS, clock, b"alice again", 0x1112)
    link.attach(alice)
    alice.core.receive(BOB, stale)
    link.pump()
    link.poll()
    assert alice.core.otr_state(BOB) is OtrState.PRIVATE_UNVERIFIED
    for _ in range(3):
        clock.advance(AKE_TIMEOUT + 1)
        alice.core.receive(BOB, stale)
        alice.core.poll()
        assert alice.core.data_to_send() == []  # (nothing owed: the AKE is all she sent)
    bob.core.send(ALICE, "bob, in the new session")
    link.pump()
    assert alice.texts()[-1:] == ["bob, in the new session"]
