"""Review 4: the re-send a bounce starts (`Conversations.delivery_failed`: the sessions become
suspect, an AKE, and what they did not confirm is sent again). The bounce is the server's word
alone (an XMPP error stanza it can forge at will), and a libotr peer has no ids to show a copy once.
"""

from __future__ import annotations

from tests.unit.otr_link import BOB_KEY
from tests.unit.test_review4_outbox import BOB, SECRET, Net
from timb.common.random import DeterministicRandom
from timb.otr import Conversation


def test_forged_bounces_do_not_make_a_libotr_peer_show_a_message_again_and_again() -> None:
    net = Net()
    alice = net.alice()
    pidgin = Conversation(BOB_KEY, clock=net.clock, rng=DeterministicRandom(b"pidgin"), instance_tag=0x3333)
    pidgin.start()
    net.pump(alice, pidgin, "pidgin")
    pidgin.send("hello alice")  # bob just wrote: no heartbeat confirms alice's answer yet
    net.pump(alice, pidgin, "pidgin")
    alice.send(BOB, SECRET)
    net.pump(alice, pidgin, "pidgin")
    assert net.shown["pidgin"] == [SECRET]  # it arrived; bob simply has not written since
    for _ in range(5):  # the server forges "message to bob failed" (runtime: net.MessageFailed)
        alice.delivery_failed(BOB)
        net.pump(alice, pidgin, "pidgin")
    shown = net.shown["pidgin"].count(SECRET)
    assert shown <= 2, f"bob's libotr client showed it {shown} times after 5 forged bounces"
