"""Fuzz `timb.otr.Conversation.receive` (the contract in `timb.otr.conversation`).

Set up once: a real TIMB<->TIMB session (v3, and v2 with fragmentation), recording every wire
message Alice sent to Bob, plus "reserve" messages Alice sealed but never delivered (texts, an
SMP question, an extra-symmetric-key TLV, a disconnect). Each input is a short sequence of wire
messages -- arbitrary strings, genuine messages, genuine messages mutated at the text or at the
decoded-binary level, re-fragmented mutations, raw binary armoured as ``?OTR:...``, replays of the
previous message (its fragments in order or reversed) -- fed to a fresh copy of one target: Bob
ENCRYPTED (v3), Bob ENCRYPTED (v2, fragments), or a fresh conversation (ALWAYS or OPPORTUNISTIC).

Checked after every `receive` call:
* nothing escapes `receive`;
* an `UnreadableMessage` or `MalformedMessageReceived` leaves the session exactly as it was
  (state, fingerprint, ssid, key ids, D-H keys, counters);
* the data session changes only together with a genuine result (an encrypted text, an SMP or
  extra-symmetric-key event, or the end of the session);
* an encrypted text shown is one Alice sealed and Bob had not yet read, and at most once (no
  forgery, no replay); no input ever makes a conversation go secure (that needs Alice's key);
* a fresh conversation stays MSGSTATE_PLAINTEXT and never shows an encrypted text.
"""

from __future__ import annotations

import base64
import copy
import sys
from dataclasses import dataclass

from fuzzlib import Provider, check, instrumented, mutate, run

with instrumented():
    from tests.unit.otr_link import ALICE_KEY, BOB_KEY, Link, drain, make_conv

    from timb.otr import (
        Conversation,
        ExtraSymmetricKeyReceived,
        GoneSecure,
        MalformedMessageReceived,
        MessageReceived,
        MessageState,
        Policy,
        SessionFinished,
        SmpAborted,
        SmpCheated,
        SmpFailed,
        SmpProgress,
        SmpQuestion,
        SmpSucceeded,
        UnreadableMessage,
    )
    from timb.otr.events import Event
    from timb.otr.fragments import fragment

GENUINE_EVENTS = (
    ExtraSymmetricKeyReceived,
    SessionFinished,
    SmpAborted,
    SmpCheated,
    SmpFailed,
    SmpProgress,
    SmpQuestion,
    SmpSucceeded,
)
OTRISH = ("?OTR:", "?OTR|", "?OTR,", "?OTRv23?", "?OTRv2?", "?OTR?", "?OTR Error:", "AAMD", "AAID", "\x00")
# The whitespace tag: base, then the v2 and v3 tags (Protocol-v3, "Tagged plaintext messages").
TAG = " \t  \t\t\t\t \t \t \t    \t\t  \t   \t\t  \t "


@dataclass
class Target:
    name: str
    conv: Conversation
    encrypted: bool
    genuine: list[str]  # what Alice sent Bob (AKE, data, fragments, reserve), for mutation
    unread: frozenset[str]  # the texts of the reserve: the only encrypted texts Bob may show
    alice_tag: int
    version: int


def _session(policy: Policy, fragment_size: int | None) -> Target:
    alice = make_conv("alice", ALICE_KEY, policy, max_fragment_size=fragment_size)
    bob = make_conv("bob", BOB_KEY, policy, max_fragment_size=fragment_size)
    link = Link(alice, bob)
    alice.start()
    link.pump()
    for i in range(3):
        alice.send(f"from alice {i}")
        bob.send(f"from bob {i}")
        link.pump()
    alice.send("x" * 700)  # fragmented when fragment_size is set
    link.pump()
    drain(alice)
    drain(bob)
    check(alice.encrypted and bob.encrypted, "the base session did not go secure")
    genuine = list(link.sent_to_b)
    genuine += _reassembled(genuine)  # whole messages too, for binary-level mutation
    unread = [f"reserve {i}" for i in range(3)]
    for text in unread:
        alice.send(text)
    alice.smp_start("the secret", "the question?")
    alice.extra_symmetric_key(7, b"use data")
    alice.end()
    genuine += alice.data_to_send()
    version = bob.protocol_version or 3
    return Target(
        f"encrypted-v{version}", bob, True, genuine, frozenset(unread), alice.our_instance_tag, version
    )


def _reassembled(wires: list[str]) -> list[str]:
    """The whole messages behind in-order fragments (``?OTR|s|r,k,n,piece,`` / ``?OTR,k,n,piece,``)."""
    wholes, pieces = [], []
    for wire in wires:
        fields = wire.split(",")
        if not wire.startswith(("?OTR|", "?OTR,")) or len(fields) != 5:
            continue
        pieces.append(fields[3])
        if int(fields[1]) == int(fields[2]):
            wholes.append("".join(pieces))
            pieces = []
    return wholes


def _targets() -> list[Target]:
    v3 = _session(Policy.ALWAYS, None)
    v2 = _session(Policy.ALWAYS & ~Policy.ALLOW_V3, 150)
    targets = [v3, v2]
    for policy in (Policy.ALWAYS, Policy.OPPORTUNISTIC):
        fresh = make_conv("fresh", BOB_KEY, policy)
        targets.append(
            Target(
                f"fresh-{policy.name}", fresh, False, v3.genuine + v2.genuine, frozenset(), v3.alice_tag, 3
            )
        )
    return targets


TARGETS = _targets()


def snapshot(conv: Conversation) -> tuple[object, ...]:
    """Everything garbage must not change."""
    # The key state lives in a DataSession (held directly, or wrapped in `_data` by a refactor).
    session = getattr(conv._session, "_data", conv._session)
    keys: tuple[object, ...] = ()
    if session is not None:
        counters = {
            pair: (k.send_ctr, k.recv_ctr, k.recv_mac_used)
            for pair, k in session._keys.items()
            if k.send_ctr or k.recv_ctr or k.recv_mac_used
        }
        keys = (
            session.our_keyid,
            session.their_keyid,
            dict(session._their_y),
            sorted(session._our_dh),
            counters,
            len(session._old_mac_keys),
        )
    return (conv.state, conv.their_fingerprint, conv.ssid, conv.their_instance_tag, keys)


def _armoured_binary(text: str) -> bytes | None:
    if text.startswith("?OTR:") and text.endswith("."):
        try:
            return base64.b64decode(text[5:-1])
        except ValueError:
            return None
    return None


def _messages(p: Provider, target: Target, last: list[str]) -> list[str]:
    """One wire message (or the fragments of one) chosen and shaped by the fuzzer; or the last
    one again (a replay), its fragments in reverse order."""
    mode = p.number(0, 8)
    if mode >= 7:
        wires = last if mode == 7 else last[::-1]
    elif mode == 0:
        wires = [p.text(1024)]
    elif mode == 1:
        wires = ["".join(p.pick(OTRISH) + p.text(48) for _ in range(p.number(1, 4))) + p.pick(("", TAG))]
    elif mode == 2:
        wires = ["?OTR:" + base64.b64encode(p.blob(2048)).decode() + "."]
    else:
        original = p.pick(target.genuine)
        binary = _armoured_binary(original)
        if mode == 3:
            wires = [original]
        elif mode == 4 or binary is None:  # as text (fragments and queries are not armoured)
            wires = [mutate(p, original.encode("utf-8")).decode("utf-8", errors="replace")]
        else:
            wires = ["?OTR:" + base64.b64encode(mutate(p, binary)).decode() + "."]
            if mode == 6:
                ours = target.conv.our_instance_tag
                wires = fragment(wires[0], p.number(64, 400), target.version, target.alice_tag, ours)
    return wires


def _check_call(target: Target, conv: Conversation, before: tuple[object, ...], events: list[Event]) -> None:
    after = snapshot(conv)
    kinds = {type(e).__name__ for e in events}
    check(not any(isinstance(e, GoneSecure) for e in events), f"{target.name}: garbage made it go secure")
    if any(isinstance(e, UnreadableMessage | MalformedMessageReceived) for e in events):
        check(after == before, f"{target.name}: an unreadable/malformed message changed the session {kinds}")
    genuine = any(
        isinstance(e, GENUINE_EVENTS) or (isinstance(e, MessageReceived) and e.encrypted) for e in events
    )
    if not genuine:
        check(after == before, f"{target.name}: the session changed with no genuine message {kinds}")
    if not target.encrypted:
        check(conv.state is MessageState.MSGSTATE_PLAINTEXT, "a fresh conversation left PLAINTEXT")
        check(conv.their_fingerprint is None, "a fresh conversation learnt a fingerprint")
    elif before[0] is MessageState.MSGSTATE_ENCRYPTED and conv.state is not MessageState.MSGSTATE_ENCRYPTED:
        check(
            conv.state is MessageState.MSGSTATE_FINISHED
            and any(isinstance(e, SessionFinished) for e in events),
            f"{target.name}: left ENCRYPTED without a SessionFinished",
        )
    else:
        check(conv.state is before[0], f"{target.name}: {before[0]} became {conv.state}")


def test_one_input(data: bytes) -> None:
    p = Provider(data)
    target = TARGETS[p.number(0, len(TARGETS) - 1)]
    conv = copy.deepcopy(target.conv)
    shown: list[str] = []
    wires: list[str] = []
    for _ in range(p.number(1, 6)):
        wires = _messages(p, target, wires)
        for wire in wires:
            before = snapshot(conv)
            conv.receive(wire)
            events = drain(conv)
            conv.data_to_send()
            _check_call(target, conv, before, events)
            shown += [e.text for e in events if isinstance(e, MessageReceived) and e.encrypted]
    check(
        set(shown) <= target.unread, f"{target.name}: an encrypted text Alice never sealed (or Bob had read)"
    )
    check(len(shown) == len(set(shown)), f"{target.name}: a replayed text was shown twice")


if __name__ == "__main__":
    run(test_one_input, sys.argv)
