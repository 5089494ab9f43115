"""Messages SENT to a peer that had not yet shown what it is (no TIMB record, no text without one)
are kept *unsure* across a crash (`Receipts.outbox_section`): the next run sends them again only
once its session shows a TIMB peer, which shows an id once. Against a libotr peer (which would
show them twice) and the server's own key (which must read none of them), as well as a TIMB peer.
"""

from __future__ import annotations

from tests.unit.otr_link import BOB_KEY, CAROL_KEY
from tests.unit.test_review4_outbox import ALICE, BOB, SECRET, Net
from timb.common.random import DeterministicRandom
from timb.common.secret import Secret
from timb.core.conversations import Conversations
from timb.core.events import MessageState
from timb.core.outbox import KeptMessage, outbox_section, parse_outbox
from timb.core.routing import ASK_TIMEOUT
from timb.otr import Conversation


def _pidgin(net: Net, tag: int = 0x3333) -> Conversation:
    return Conversation(
        BOB_KEY, clock=net.clock, rng=DeterministicRandom(b"pidgin%d" % tag), instance_tag=tag
    )


def _sent_before_any_word(
    net: Net, peer: Conversations | Conversation, name: str, *, read: bool = False
) -> tuple[Conversations, str]:
    """Alice goes private with ``peer``, which has written nothing. Her message is swallowed by
    the server, or (``read``) the peer reads it and the server swallows what it answers."""
    alice = net.alice()
    alice.start(BOB)
    net.pump(alice, peer, name)
    assert alice.their_fingerprint(BOB) == BOB_KEY.fingerprint()
    msg = alice.send(BOB, SECRET)
    if read:
        net.pump(alice, peer, name, drop_replies=True)
    else:
        alice.data_to_send()
    assert alice.message_state(msg) is MessageState.SENT
    return alice, msg


def test_a_message_sent_before_the_peer_spoke_is_kept_unsure() -> None:
    net = Net()
    alice, msg = _sent_before_any_word(net, net.timb_peer("bob"), "bob")
    section = alice.outbox_section()
    assert [(m["id"], m.get("unsure")) for m in section] == [(msg, True)]


def test_a_libotr_peer_never_sees_an_unsure_message_again() -> None:
    net = Net()
    pidgin = _pidgin(net)
    alice, msg = _sent_before_any_word(net, pidgin, "pidgin", read=True)
    assert net.shown["pidgin"] == [SECRET]
    section = alice.outbox_section()
    alice2 = net.alice(section=section)
    net.pump(alice2, pidgin, "pidgin")  # the new run's AKE and its question: libotr shows nothing
    assert alice2.message_state(msg) is MessageState.PENDING  # not known: neither sent nor lost
    assert alice2.outbox_section()[0].get("unsure") is True  # still unsure in the next save
    pidgin.send("hi")  # a text without a TIMB record: a libotr client
    net.pump(alice2, pidgin, "pidgin")
    assert net.shown["pidgin"].count(SECRET) == 1
    assert alice2.message_state(msg) is MessageState.SENT
    assert alice2.outbox_section() == []  # a libotr peer would show it twice: not kept


def test_an_unsure_message_never_reaches_the_servers_key_after_a_restart() -> None:
    net = Net()
    alice, msg = _sent_before_any_word(net, net.timb_peer("bob"), "bob")
    section = alice.outbox_section()
    # The next run: the server answers the AKE as bob with its own key, and speaks TIMB.
    alice2 = net.alice(section=section)
    mallory = net.timb_peer("mallory", CAROL_KEY, tag=0x7777)
    net.pump(alice2, mallory, "mallory")
    mallory.send(ALICE, "hi, it is bob")
    net.pump(alice2, mallory, "mallory")
    assert alice2.their_fingerprint(BOB) == CAROL_KEY.fingerprint()
    assert net.shown["mallory"] == []  # read nothing of alice's
    assert msg in alice2.held(BOB)  # written for bob's key: the user decides
    assert not any(SECRET in w for w in net.wires)


def test_an_unsure_message_is_not_asked_about_in_a_distrusted_session() -> None:
    net = Net()
    alice, msg = _sent_before_any_word(net, net.timb_peer("bob"), "bob")
    section = alice.outbox_section()
    net.distrusted.add(BOB_KEY.fingerprint())  # the user marked that key as not bob's
    alice2 = net.alice(section=section)
    bob = net.timb_peer("bob2", tag=0x2223)
    net.pump(alice2, bob, "bob2")
    bob.send(ALICE, "hello")
    net.pump(alice2, bob, "bob2")
    assert net.shown["bob2"].count(SECRET) == 0
    assert alice2.message_state(msg) is MessageState.PENDING


def test_a_timb_peer_gets_an_unsure_message_once_even_if_it_had_it() -> None:
    net = Net()
    bob = net.timb_peer("bob")
    alice, msg = _sent_before_any_word(net, bob, "bob", read=True)  # his acknowledgement is lost
    assert net.shown["bob"] == [SECRET]
    section = alice.outbox_section()
    assert [m.get("unsure") for m in section] == [True]
    alice2 = net.alice(section=section)
    net.pump(alice2, bob, "bob")
    assert net.shown["bob"].count(SECRET) == 1
    assert alice2.message_state(msg) is MessageState.DELIVERED
    assert alice2.outbox_section() == []


def test_the_unsure_mark_round_trips_and_a_damaged_one_is_skipped() -> None:
    kept = KeptMessage("00" * 8, BOB, Secret("x"), True, frozenset())
    plain, unsure = outbox_section([kept]), outbox_section([_unsure(kept)])
    assert "unsure" not in plain[0]
    assert [m.unsure for m in parse_outbox(plain + unsure)] == [False, True]
    assert parse_outbox([{**unsure[0], "unsure": "yes"}]) == []


def _unsure(kept: KeptMessage) -> KeptMessage:
    return KeptMessage(kept.id, kept.contact, kept.text, kept.needs_otr, kept.written_for, unsure=True)


def test_a_silent_libotr_peer_holds_the_next_messages_only_until_the_question_times_out() -> None:
    net = Net()
    pidgin = _pidgin(net)
    alice, first = _sent_before_any_word(net, pidgin, "pidgin", read=True)
    alice2 = net.alice(section=alice.outbox_section())
    net.pump(alice2, pidgin, "pidgin")  # private again; the question gets no answer from libotr
    later = alice2.send(BOB, "typed after the restart")
    net.pump(alice2, pidgin, "pidgin")
    assert alice2.message_state(later) is MessageState.PENDING  # behind the unsure one (order)
    net.clock.advance(ASK_TIMEOUT)
    alice2.poll()
    net.pump(alice2, pidgin, "pidgin")
    assert net.shown["pidgin"] == [SECRET, "typed after the restart"]  # each once, in order
    assert alice2.message_state(first) is MessageState.SENT  # may have been shown: not again
    assert alice2.message_state(later) is MessageState.SENT


def test_what_is_typed_after_a_restart_comes_after_the_unsure_messages_at_a_timb_peer() -> None:
    net = Net()
    bob = net.timb_peer("bob")
    alice, first = _sent_before_any_word(net, bob, "bob")
    alice2 = net.alice(section=alice.outbox_section())
    later = alice2.send(BOB, "typed after the restart")
    net.pump(alice2, bob, "bob")
    assert net.shown["bob"] == [SECRET, "typed after the restart"]
    assert [alice2.message_state(m) for m in (first, later)] == [MessageState.DELIVERED] * 2
