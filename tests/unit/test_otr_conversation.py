"""Two TIMB peers through a fake link: AKE, data, policies, end of session, held messages."""

from __future__ import annotations

import base64

import pytest

from timb.common.clock import FakeClock
from timb.otr import (
    Conversation,
    DataMessageAuthenticated,
    ExtraSymmetricKeyReceived,
    GoneInsecure,
    GoneSecure,
    LocalError,
    MessageHeld,
    MessageReceived,
    MessageState,
    PeerError,
    Policy,
    PolicyViolation,
    SessionFinished,
    UnreadableMessage,
)
from timb.otr.ake import AuthState
from timb.otr.wire import FLAG_IGNORE_UNREADABLE, parse_encoded

from .otr_link import ALICE_KEY, BOB_KEY, Link, drain, make_conv

V3_ONLY = Policy.ALWAYS & ~Policy.ALLOW_V2
V2_ONLY = Policy.ALWAYS & ~Policy.ALLOW_V3


def texts(events: list[object], *, encrypted: bool = True) -> list[str]:
    return [e.text for e in events if isinstance(e, MessageReceived) and e.encrypted == encrypted]


def secure_pair(
    policy_a: Policy = Policy.ALWAYS, policy_b: Policy = Policy.ALWAYS, **kw: object
) -> tuple[Conversation, Conversation, Link]:
    a = make_conv("alice", ALICE_KEY, policy_a, **kw)  # type: ignore[arg-type]
    b = make_conv("bob", BOB_KEY, policy_b, **kw)  # type: ignore[arg-type]
    link = Link(a, b)
    a.start()
    link.pump()
    assert a.state is b.state is MessageState.MSGSTATE_ENCRYPTED
    drain(a)
    drain(b)
    return a, b, link


@pytest.mark.parametrize("first", ["alice-sends", "bob-sends", "alice-starts", "bob-starts"])
@pytest.mark.parametrize(
    ("policy_a", "policy_b", "version"),
    [
        (Policy.ALWAYS, Policy.ALWAYS, 3),
        (Policy.ALWAYS, V2_ONLY, 2),
        (V2_ONLY, Policy.ALWAYS, 2),
        (V3_ONLY, Policy.ALWAYS, 3),
        (Policy.MANUAL, Policy.OPPORTUNISTIC, 3),
    ],
)
def test_ake_completes_whoever_speaks_first(
    first: str, policy_a: Policy, policy_b: Policy, version: int
) -> None:
    a = make_conv("alice", ALICE_KEY, policy_a)
    b = make_conv("bob", BOB_KEY, policy_b)
    link = Link(a, b)
    speaker, listener = (a, b) if first.startswith("alice") else (b, a)
    if first.endswith("starts"):
        speaker.start()
    else:
        speaker.send("first words")
    link.pump()
    if first.endswith("sends") and Policy.REQUIRE_ENCRYPTION not in speaker.policy:
        # Plaintext went out as plaintext; start properly now.
        assert texts(drain(listener), encrypted=False) == ["first words"]
        speaker.start()
        link.pump()
    assert a.state is MessageState.MSGSTATE_ENCRYPTED
    assert b.state is MessageState.MSGSTATE_ENCRYPTED
    assert a.protocol_version == b.protocol_version == version
    assert a.ssid == b.ssid and a.ssid is not None and len(a.ssid) == 8
    assert a.their_fingerprint == BOB_KEY.fingerprint()
    assert b.their_fingerprint == ALICE_KEY.fingerprint()
    if version == 3:
        assert a.their_instance_tag == b.our_instance_tag
        assert b.their_instance_tag == a.our_instance_tag
    else:
        assert a.their_instance_tag == b.their_instance_tag == 0
    events = drain(listener)
    assert any(isinstance(e, GoneSecure) and e.protocol_version == version for e in events)
    if first.endswith("sends") and Policy.REQUIRE_ENCRYPTION in speaker.policy:
        assert texts(events) == ["first words"]


def test_no_common_version_means_no_ake() -> None:
    a = make_conv("alice", ALICE_KEY, V3_ONLY)
    b = make_conv("bob", BOB_KEY, V2_ONLY)
    link = Link(a, b)
    a.start()
    link.pump()
    assert a.state is b.state is MessageState.MSGSTATE_PLAINTEXT


@pytest.mark.parametrize("policy", [Policy.ALWAYS, V2_ONLY])
def test_both_start_at_once(policy: Policy) -> None:
    a = make_conv("alice", ALICE_KEY, policy)
    b = make_conv("bob", BOB_KEY, policy)
    link = Link(a, b)
    a.start()
    b.start()
    # Deliver both queries crosswise: each side sends a D-H Commit, and the hash comparison decides.
    link.pump()
    assert a.state is b.state is MessageState.MSGSTATE_ENCRYPTED
    assert a.ssid == b.ssid
    a.send("after the race")
    link.pump()
    assert texts(drain(b)) == ["after the race"]


def test_both_send_dh_commits_at_once() -> None:
    a = make_conv("alice", ALICE_KEY)
    b = make_conv("bob", BOB_KEY)
    a.receive("?OTRv3?")
    b.receive("?OTRv3?")
    assert a.auth_state is b.auth_state is AuthState.AUTHSTATE_AWAITING_DHKEY
    Link(a, b).pump()
    assert a.state is b.state is MessageState.MSGSTATE_ENCRYPTED
    assert a.ssid == b.ssid


@pytest.mark.parametrize("policy", [Policy.ALWAYS, V2_ONLY])
def test_200_messages_both_ways_rotate_keys(policy: Policy) -> None:
    a, b, link = secure_pair(policy, policy)
    sent_a, sent_b = [], []
    for i in range(100):
        sent_a.append(f"a→b {i} ünïcode")
        a.send(sent_a[-1])
        if i % 3 == 0:  # bursts in one direction too, not only ping-pong
            link.pump()
        sent_b.append(f"b→a {i}")
        b.send(sent_b[-1])
        link.pump()
    assert texts(drain(b)) == sent_a
    assert texts(drain(a)) == sent_b
    session_a = a._session
    assert session_a is not None
    assert session_a.our_keyid > 50 and session_a.their_keyid > 50


def test_old_mac_keys_are_revealed() -> None:
    a, b, link = secure_pair()
    revealed = []
    for i in range(6):
        a.send(f"{i}")
        b.send(f"{i}")
        for wire_text in a.data_to_send():
            message = parse_encoded(base64.b64decode(wire_text[5:-1]))
            revealed.append(message.old_mac_keys)  # type: ignore[union-attr]
            b.receive(wire_text)
        link.pump()
    assert any(len(keys) >= 20 and len(keys) % 20 == 0 for keys in revealed)


@pytest.mark.parametrize("policy", [Policy.ALWAYS, V2_ONLY])
def test_fragmentation_both_ways(policy: Policy) -> None:
    a = make_conv("alice", ALICE_KEY, policy, max_fragment_size=120)
    b = make_conv("bob", BOB_KEY, policy, max_fragment_size=90)
    link = Link(a, b)
    long_a = "A" * 3000
    long_b = "β" * 1500
    a.send(long_a)
    link.pump()
    b.send(long_b)
    link.pump()
    assert texts(drain(b)) == [long_a]
    assert texts(drain(a)) == [long_b]
    assert all(len(m) <= 120 for m in link.sent_to_b)
    assert all(len(m) <= 90 for m in link.sent_to_a)
    marker = "?OTR|" if policy is Policy.ALWAYS else "?OTR,"
    assert sum(marker in m for m in link.sent_to_b) > 20


def test_out_of_order_and_duplicate_fragments() -> None:
    a, b, link = secure_pair(max_fragment_size=100)
    a.send("x" * 600)
    pieces = a.data_to_send()
    assert len(pieces) > 3
    # Out of order: the spec discards the stored fragment; the message is lost, not garbled.
    for piece in [pieces[0], pieces[2], pieces[1], *pieces[3:]]:
        b.receive(piece)
    assert texts(drain(b)) == []
    # A duplicated first fragment restarts the message: it arrives intact.
    a.send("y" * 600)
    pieces = a.data_to_send()
    for piece in [pieces[0], pieces[0], *pieces[1:]]:
        b.receive(piece)
    assert texts(drain(b)) == ["y" * 600]
    # A duplicated middle fragment loses the message.
    a.send("z" * 600)
    pieces = a.data_to_send()
    for piece in [pieces[0], pieces[1], pieces[1], *pieces[2:]]:
        b.receive(piece)
    assert texts(drain(b)) == []
    # And the session still works afterwards.
    a.send("still fine")
    link.pump()
    assert texts(drain(b)) == ["still fine"]


def _session_snapshot(conv: Conversation) -> tuple[object, ...]:
    """Everything observable; derived session keys are a cache (computed lazily), so only the
    counters of pairs already in use count."""
    s = conv._session
    assert s is not None
    counters = {
        p: (k.send_ctr, k.recv_ctr, k.recv_mac_used) for p, k in s._keys.items() if k.send_ctr or k.recv_ctr
    }
    return (conv.state, s.our_keyid, s.their_keyid, dict(s._their_y), counters, list(s._old_mac_keys))


def test_replay_is_rejected_and_changes_nothing() -> None:
    a, b, link = secure_pair()
    a.send("once")
    (message,) = a.data_to_send()
    b.receive(message)
    assert texts(drain(b)) == ["once"]
    b.data_to_send()
    before = _session_snapshot(b)
    b.receive(message)
    assert isinstance(drain(b)[0], UnreadableMessage)
    assert [m.startswith("?OTR Error:") for m in b.data_to_send()] == [True]
    assert _session_snapshot(b) == before
    a.send("twice")
    link.pump()
    assert texts(drain(b)) == ["twice"]


def test_tampered_mac_is_rejected_state_unchanged() -> None:
    a, b, _link = secure_pair()
    a.send("genuine")
    (message,) = a.data_to_send()
    raw = bytearray(base64.b64decode(message[5:-1]))
    parsed = parse_encoded(bytes(raw))
    mac_at = len(parsed.authenticated)  # type: ignore[union-attr]
    raw[mac_at] ^= 0x01
    before = _session_snapshot(b)
    b.receive("?OTR:" + base64.b64encode(bytes(raw)).decode() + ".")
    assert [type(e) for e in drain(b)] == [UnreadableMessage]
    assert _session_snapshot(b) == before
    b.data_to_send()
    b.receive(message)
    assert texts(drain(b)) == ["genuine"]


def test_end_finishes_the_peer_and_nothing_leaks() -> None:
    a, b, link = secure_pair()
    a.end()
    assert a.state is MessageState.MSGSTATE_PLAINTEXT
    assert [type(e) for e in drain(a)] == [GoneInsecure]
    link.pump()
    assert b.state is MessageState.MSGSTATE_FINISHED
    assert SessionFinished() in drain(b)
    with pytest.raises(PolicyViolation):
        b.send("secret typed too late")
    assert b.data_to_send() == []
    b.end()
    assert b.state is MessageState.MSGSTATE_PLAINTEXT
    # ALWAYS: the text is held and a query goes out, never the text itself.
    b.send("held secret")
    out = b.data_to_send()
    assert len(out) == 1 and out[0].startswith("?OTRv23?")
    assert all("held secret" not in m for m in out)


def test_held_messages_are_sent_encrypted_in_order_after_the_ake() -> None:
    a = make_conv("alice", ALICE_KEY)
    b = make_conv("bob", BOB_KEY)
    link = Link(a, b)
    for i in range(3):
        a.send(f"held {i}")
    assert [e for e in drain(a) if isinstance(e, MessageHeld)][-1].pending == 3
    link.pump()
    assert texts(drain(b)) == ["held 0", "held 1", "held 2"]
    assert all("held" not in m for m in link.sent_to_b)
    assert a.held_messages == 0


def test_messages_for_another_instance_are_ignored() -> None:
    a, b, _link = secure_pair()
    a.send("for bob's instance")
    (message,) = a.data_to_send()
    other = make_conv("bob-elsewhere", BOB_KEY, instance_tag=b.our_instance_tag + 1)
    other.receive(message)
    assert drain(other) == [] and other.data_to_send() == []
    # A sender tag below 0x100 is discarded too.
    raw = bytearray(base64.b64decode(message[5:-1]))
    raw[3:7] = (0x42).to_bytes(4, "big")
    b.receive("?OTR:" + base64.b64encode(bytes(raw)).decode() + ".")
    assert drain(b) == [] and b.data_to_send() == []


def test_peer_restart_with_a_new_instance_tag() -> None:
    a, b, _link = secure_pair()
    b2 = make_conv("bob-restarted", BOB_KEY)
    assert b2.our_instance_tag != b.our_instance_tag
    b2.send("I am back")
    Link(a, b2).pump()
    assert a.state is MessageState.MSGSTATE_ENCRYPTED
    assert a.their_instance_tag == b2.our_instance_tag
    assert texts(drain(a)) == ["I am back"]
    # The old instance's session is gone: its data messages are unreadable now.
    b.send("from the old instance")
    for message in b.data_to_send():
        a.receive(message)
    assert UnreadableMessage() in drain(a)


def test_whitespace_tag_starts_the_ake_and_stops_after_plaintext() -> None:
    a = make_conv("alice", ALICE_KEY, Policy.OPPORTUNISTIC)
    b = make_conv("bob", BOB_KEY, Policy.MANUAL)
    a.send("hi")
    (tagged,) = a.data_to_send()
    assert tagged.startswith("hi \t  \t\t\t\t \t \t \t  ")
    b.receive(tagged)
    # MANUAL does not start the AKE on a whitespace tag, and the tag is stripped.
    assert texts(drain(b), encrypted=False) == ["hi"]
    assert b.data_to_send() == []
    a.receive("plain answer")
    a.send("again")
    assert a.data_to_send() == ["again"]
    c = make_conv("carol", BOB_KEY, Policy.OPPORTUNISTIC)
    c.receive("embedded" + tagged + "text")
    assert texts(drain(c), encrypted=False) == ["embeddedhitext"]
    assert c.auth_state is AuthState.AUTHSTATE_AWAITING_DHKEY


def test_plaintext_is_flagged_unencrypted_in_every_state() -> None:
    _a, b, _link = secure_pair()
    b.receive("sneaky plaintext")
    assert drain(b) == [MessageReceived("sneaky plaintext", encrypted=False)]
    assert b.state is MessageState.MSGSTATE_ENCRYPTED


def test_error_message_starts_the_ake_when_the_policy_says_so() -> None:
    a = make_conv("alice", ALICE_KEY, Policy.ALWAYS)
    a.receive("?OTR Error: You sent something odd")
    assert drain(a) == [PeerError("You sent something odd")]
    assert a.data_to_send()[0].startswith("?OTRv23?")
    m = make_conv("manual", ALICE_KEY, Policy.MANUAL)
    m.receive("?OTR Error: nope")
    assert m.data_to_send() == []


def test_never_policy_passes_everything_through() -> None:
    a = make_conv("alice", ALICE_KEY, Policy.NEVER)
    a.send("plain")
    assert a.data_to_send() == ["plain"]
    a.receive("?OTRv23?")
    assert drain(a) == [MessageReceived("?OTRv23?", encrypted=False)]
    assert a.data_to_send() == []


def test_heartbeat_after_silence_uses_the_clock() -> None:
    clock = FakeClock()
    a, b, _link = secure_pair(clock=clock)
    a.send("one")
    for message in a.data_to_send():
        b.receive(message)
    (heartbeat,) = b.data_to_send()  # b never sent a data message: heartbeat at once (libotr)
    parsed = parse_encoded(base64.b64decode(heartbeat[5:-1]))
    assert parsed.flags & FLAG_IGNORE_UNREADABLE  # type: ignore[union-attr]
    a.receive(heartbeat)
    (authenticated,) = drain(a)  # nothing for the user; the authenticated facts for the owner
    assert isinstance(authenticated, DataMessageAuthenticated) and authenticated.tlvs == ()
    a.send("two")
    for message in a.data_to_send():
        b.receive(message)
    assert b.data_to_send() == []
    clock.advance(61)
    a.send("three")
    for message in a.data_to_send():
        b.receive(message)
    assert len(b.data_to_send()) == 1


def test_extra_symmetric_key_matches_on_both_sides() -> None:
    a, b, link = secure_pair()
    key = a.extra_symmetric_key(0x1234, b"file.txt")
    link.pump()
    (event,) = [e for e in drain(b) if isinstance(e, ExtraSymmetricKeyReceived)]
    assert event.use == 0x1234 and event.data == b"file.txt"
    assert event.key == key and len(key.reveal()) == 32
    with pytest.raises(PolicyViolation):
        make_conv("x", ALICE_KEY).extra_symmetric_key(1)
    with pytest.raises(LocalError):
        a.extra_symmetric_key(1, bytes(70000))


def test_misuse_raises_local_errors() -> None:
    a = make_conv("alice", ALICE_KEY)
    with pytest.raises(LocalError):
        a.send("no\x00nul")
    with pytest.raises(LocalError):
        Conversation(ALICE_KEY, instance_tag=0x42)
    with pytest.raises(PolicyViolation):
        make_conv("never", ALICE_KEY, Policy.NEVER).start()


def test_data_message_without_a_session_is_unreadable() -> None:
    a, b, _link = secure_pair()
    a.send("hello")
    (message,) = a.data_to_send()
    fresh = make_conv("bob-fresh", BOB_KEY, instance_tag=b.our_instance_tag)
    fresh.receive(message)
    assert drain(fresh) == [UnreadableMessage()]
    assert fresh.data_to_send()[0].startswith("?OTR Error:")
    # A heartbeat (IGNORE_UNREADABLE) gets neither an event nor an error reply.
    a.end()
    (disconnect,) = a.data_to_send()
    fresh.receive(disconnect)
    assert drain(fresh) == [] and fresh.data_to_send() == []


def test_ssid_halves_bold_on_opposite_sides() -> None:
    a, b, _link = secure_pair()
    ha, hb = a.ssid_halves(), b.ssid_halves()
    assert ha is not None and hb is not None
    assert ha[:2] == hb[:2] and len(ha[0]) == len(ha[1]) == 8
    assert {ha[2], hb[2]} == {0, 1}
    assert make_conv("x", ALICE_KEY).ssid_halves() is None


def test_reflected_messages_are_ignored() -> None:
    a = make_conv("alice", ALICE_KEY)
    a.start()
    a.data_to_send()
    a.receive("?OTRv3?")
    (commit,) = a.data_to_send()
    a.receive(commit)  # our own D-H Commit, reflected by the network or an attacker
    assert a.data_to_send() == [] and drain(a) == []
    assert a.auth_state is AuthState.AUTHSTATE_AWAITING_DHKEY
