"""A TIMB peer that acknowledges a later message and not an earlier one did not get the earlier
one (a server restarting drops what it holds): it goes again at once, once, into the same key
(`Receipts._resend_skipped`), not a minute later (the probe) or at the next reconnect (`resume`).

Found by the fault campaign (issue 14): bob's messages sent as Prosody restarted were lost while
the chat went on; the probe waits for a silent peer, so they came ~a cycle later, out of order."""

from __future__ import annotations

from tests.unit.test_core_conversations_property import A, B, World
from timb.core.events import MessageState


def _acknowledged(world: World) -> None:
    """Everything through, and alice's acknowledgements (sent at her poll) back to bob."""
    world.settle()
    world.now(A).core.poll()
    world.collect(A)
    world.settle()


def _world_with_a_session() -> World:
    world = World()
    world.start(A)
    world.start(B)
    first = world.now(B).core.send(A, "hello")
    world.collect(B)
    _acknowledged(world)
    assert world.state(B, first) is MessageState.DELIVERED
    return world


def _bob_sends(world: World, texts: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Bob writes ``texts``; their ids and the wires they went in (one each: the session is up)."""
    ids, wires = [], []
    for text in texts:
        world.all_typed.append(text)
        ids.append(world.now(B).core.send(A, text))
        before = len(world.queues[A])
        world.collect(B)
        assert len(world.queues[A]) == before + 1
        wires.append(world.queues[A][-1])
    return ids, wires


def test_a_message_the_peer_skipped_goes_again_at_once_and_only_once() -> None:
    world = _world_with_a_session()
    ids, wires = _bob_sends(world, ["one", "two", "three"])
    world.queues[A].remove(wires[1])  # the server lost "two"
    world.deliver(A)
    assert world.now(A).received[-2:] == ["one", "three"]
    world.now(A).core.poll()  # alice's acknowledgements of "one" and "three"
    world.collect(A)
    sent_before = world.wires
    world.deliver(B)  # no clock moves: neither the probe nor a reconnect sends it
    assert world.state(B, ids[1]) is MessageState.SENT
    assert world.wires == sent_before + 1, "exactly one message again: 'two'"
    world.deliver(A)
    assert world.now(A).received.count("two") == 1
    _acknowledged(world)
    assert [world.state(B, i) for i in ids] == [MessageState.DELIVERED] * 3
    assert world.now(A).received.count("two") == 1


def test_a_peer_that_keeps_skipping_gets_the_message_again_once_not_in_a_loop() -> None:
    world = _world_with_a_session()
    ids, wires = _bob_sends(world, ["one", "two"])
    world.queues[A].remove(wires[0])
    world.deliver(A)  # alice read "two"
    world.now(A).core.poll()
    world.collect(A)
    world.deliver(B)  # bob sends "one" again...
    world.queues[A].clear()  # ...and it is lost again
    ids2, _ = _bob_sends(world, ["three"])
    world.deliver(A)
    world.now(A).core.poll()
    world.collect(A)
    before = world.wires
    world.deliver(B)  # alice acknowledged "three", still not "one": not sent a second time now
    assert world.wires == before
    assert world.state(B, ids[0]) is MessageState.SENT
    world.clock.advance(61.0)  # the probe (a minute without progress) covers a second loss
    world.now(B).core.poll()
    world.collect(B)
    _acknowledged(world)
    assert world.now(A).received.count("one") == 1
    assert [world.state(B, i) for i in (ids[0], ids2[0])] == [MessageState.DELIVERED] * 2
