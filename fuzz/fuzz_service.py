"""Fuzz `TimbService` with hostile network event sequences (issue 9, item 6).

Alice and Bob run real services over the in-memory fake server (tests/unit/hostile_network.py)
with a private OTR session; Alice has written a secret. Each input is turned into a sequence of
events the server injects into Alice's account as if from Bob, Bob's other devices, strangers or a
bare domain: messages (random text, OTR-looking prefixes, replays and byte-level mutations of Bob's
genuine OTR traffic), presence, subscription requests, rosters and bounced messages.

Checked: after every sequence a canary message still comes out of Alice's service (it handled
every event in order and is running); the secret never crossed the server in plaintext; no error
event repeats what the peer sent.
"""

from __future__ import annotations

import atexit
import sys

from fuzzlib import Provider, check, instrumented, mutate, run

with instrumented():
    from tests.unit.hostile_network import ALICE, BOB, HostileRig, error_events

    from timb.common.ids import Jid
    from timb.net import base as net

MARK = "HOSTILE-7f3a"
SENDERS = [BOB, BOB + "/phone", BOB + "/other", "mallory@evil.test", "evil.test", ALICE]
OTRISH = ["?OTR:", "?OTR|", "?OTR,", "?OTRv23?", "?OTRv2?", "?OTR?", "?OTR Error:", "AAMD", ""]
SHOWS = [None, "away", "chat", "dnd", "xa", "bogus"]

RIG = HostileRig().start()
atexit.register(RIG.stop)


def _text(p: Provider) -> str:
    # Without lone surrogates: a chat network cannot deliver them (fuzzlib.Provider.text).
    return p.text(400)


def _body(p: Provider) -> str:
    match p.number(0, 2):
        case 0:
            return p.pick(OTRISH) + MARK + _text(p)
        case 1:
            return p.pick(RIG.genuine)  # a replay
        case _:
            wire = p.pick(RIG.genuine).encode()
            return mutate(p, wire).decode("utf-8", errors="replace")


def _event(p: Provider) -> net.NetEvent:
    sender = Jid.parse(p.pick(SENDERS))
    match p.number(0, 6):
        case 0 | 1 | 2:
            return net.MessageIn(sender, _body(p))
        case 3:
            return net.PresenceChanged(sender, p.flag(), p.pick(SHOWS))
        case 4:
            return net.SubscriptionRequest(sender)
        case 5:
            return net.MessageFailed(p.pick([None, "1"]), sender, _text(p))
        case _:
            subscriptions = list(net.Subscription)
            count = p.number(0, 3)
            items = tuple(
                net.RosterItem(Jid.parse(p.pick(SENDERS)), None, p.pick(subscriptions)) for _ in range(count)
            )
            return net.RosterChanged(items)


def test_one_input(data: bytes) -> None:
    p = Provider(data)
    events = [_event(p) for _ in range(p.number(0, 16))]
    seen = RIG.feed(events)  # TimeoutError (a crash) if the service stopped or hangs
    check(not RIG.plaintext_leaked(), "the secret crossed the server in plaintext")
    check(all(MARK not in e.message for e in error_events(seen)), "an error event repeats the peer's text")


if __name__ == "__main__":
    run(test_one_input, sys.argv)
