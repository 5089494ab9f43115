"""TIMB's OTR against libotr 4.1.1 (ctypes over libotr.so.5), v3 and, by libotr's policy, v2.

The scenarios are plain functions of (reference peer, TIMB peer, link) so that test_potr_interop.py
runs the same script against python-potr (v2). Every test asserts on what each user saw, on the
wire (no plaintext, fragment sizes, key ids moving), on states and on fingerprints.
"""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest

from tests.fixtures.otr_peers import Link, TimbPeer, timb_otr, v3_header
from tests.interop import libotr
from timb.common.clock import FakeClock

pytestmark = pytest.mark.interop

T = "timb@timb.test"
R = "ref@libotr.test"
PLAINTEXT, ENCRYPTED, FINISHED = 0, 1, 2


# --- wire helpers -----------------------------------------------------------------------------


def data_keyids(wire: str) -> tuple[int, int] | None:
    """(sender keyid, recipient keyid) of an unfragmented v2/v3 Data Message, else None."""
    if not wire.startswith("?OTR:AA"):
        return None
    raw = base64.b64decode(wire[5:].split(".", 1)[0])
    version, msg_type = int.from_bytes(raw[:2], "big"), raw[2]
    if msg_type != 0x03:
        return None
    off = 3 + (8 if version == 3 else 0) + 1
    return int.from_bytes(raw[off : off + 4], "big"), int.from_bytes(raw[off + 4 : off + 8], "big")


def assert_no_plaintext(link: Link, texts: list[str]) -> None:
    for w in link.transcript:
        for t in texts:
            assert t not in w.text, "a user message crossed the wire in the clear"


def assert_session(ref: Any, timb: TimbPeer, version: int) -> None:
    """Both sides encrypted with each other's real key, in the same session and version."""
    rname, tname = ref.name, timb.name
    assert timb.is_encrypted(rname), timb.state_name(rname)
    assert ref.is_encrypted(tname)
    assert timb.protocol_version(rname) == ref.protocol_version(tname) == version
    assert timb.their_fingerprint(rname) == ref.fingerprint()
    assert ref.their_fingerprint(tname) == timb.fingerprint()
    assert timb.ssid(rname) == ref.ssid(tname) != b""


# --- scenarios shared with the potr tests ------------------------------------------------------


def scenario_ake(ref: Any, timb: TimbPeer, starter: str, version: int) -> Link:
    link = Link(ref, timb)
    if starter == "timb":
        link.start(timb.name, ref.name)
    else:
        link.start(ref.name, timb.name)
    assert_session(ref, timb, version)
    gone = timb.events_of(timb_otr().GoneSecure)
    assert len(gone) == 1 and gone[0].protocol_version == version
    return link


def scenario_both_start_at_once(ref: Any, timb: TimbPeer, version: int) -> None:
    """Both users ask for OTR at the same moment: the D-H Commits cross on the wire."""
    link = Link(ref, timb)
    link.post(timb.name, ref.name, timb.start(ref.name))
    link.post(ref.name, timb.name, ref.start(timb.name))
    link.flush()
    assert_session(ref, timb, version)
    link.send(timb.name, ref.name, "crossed, timb")
    link.send(ref.name, timb.name, "crossed, ref")
    assert link.inbox[ref.name] == ["crossed, timb"] and link.inbox[timb.name] == ["crossed, ref"]


def scenario_held_first_message(ref: Any, timb: TimbPeer, first: str, version: int) -> None:
    link = Link(ref, timb)
    sender, receiver = (timb, ref) if first == "timb" else (ref, timb)
    wires = link.send(sender.name, receiver.name, "said before any session")
    assert wires and all("said before any session" not in w for w in wires)
    assert link.inbox[receiver.name] == ["said before any session"]
    assert_session(ref, timb, version)
    assert_no_plaintext(link, ["said before any session"])


def scenario_many_messages(ref: Any, timb: TimbPeer, pattern: str, version: int) -> None:
    """200 messages both ways; every change of direction must rotate the D-H keys."""
    link = scenario_ake(ref, timb, "timb", version)
    rng = random.Random(f"{pattern}-{version}")
    order: list[str] = []
    if pattern == "alternating":
        order = [timb.name, ref.name] * 100
    else:
        while len(order) < 200:
            order += [rng.choice([timb.name, ref.name])] * rng.randint(1, 9)
        order = order[:200]
    expected: dict[str, list[str]] = {timb.name: [], ref.name: []}
    pending: list[tuple[str, str]] = []
    for i, who in enumerate(order):
        to = ref.name if who == timb.name else timb.name
        text = f"#{i} from {who} ✓ " + "x" * rng.randint(0, 120)
        expected[to].append(text)
        if pattern == "crossing":
            # Both sides send before either hears the other: keys move while messages are in flight.
            link.send(who, to, text, deliver=False)
            pending.append((who, text))
            if rng.random() < 0.3:
                link.flush()
        else:
            link.send(who, to, text)
    link.flush()
    assert link.inbox[ref.name] == expected[ref.name]
    assert link.inbox[timb.name] == expected[timb.name]
    assert all(encrypted for _c, _t, encrypted in timb.received)
    assert_no_plaintext(link, expected[ref.name][:20] + expected[timb.name][:20])
    # Key rotation, seen on the wire: one new sender keyid per run of messages from one side.
    for who in (timb.name, ref.name):
        other = ref.name if who == timb.name else timb.name
        ids = {k[0] for w in link.wire_between(who, other) if (k := data_keyids(w)) is not None}
        runs = sum(1 for i, w in enumerate(order) if w == who and (i == 0 or order[i - 1] != who))
        need = runs // 2 if pattern == "crossing" else runs - 1
        assert len(ids) >= need, f"{who}: {len(ids)} sender keyids for {runs} runs"
    assert_session(ref, timb, version)


def scenario_fragmentation(ref: Any, timb_peer_factory: Any, make_ref: Any, version: int) -> None:
    size = 400
    ref = make_ref(max_message_size=size)
    timb = timb_peer_factory(T, max_fragment_size=size)
    link = scenario_ake(ref, timb, "ref", version)
    texts = {timb.name: [], ref.name: []}  # type: dict[str, list[str]]
    for i in range(4):
        for who, to in ((timb.name, ref.name), (ref.name, timb.name)):
            text = f"{i} {who} " + ("ü" if i % 2 else "z") * (2500 + 700 * i) + " end"
            texts[to].append(text)
            before = len(link.transcript)
            link.send(who, to, text)
            sent = [w.text for w in link.transcript[before:] if w.frm == who]
            assert len(sent) >= 6, f"{who} did not fragment"
            assert all(len(w) <= size for w in sent), max(len(w) for w in sent)
            marker = "?OTR|" if version == 3 else "?OTR,"
            assert all(w.startswith(marker) for w in sent)
    assert link.inbox[ref.name] == texts[ref.name]
    assert link.inbox[timb.name] == texts[timb.name]


def scenario_disconnect_and_new_ake(ref: Any, timb: TimbPeer, who_ends: str, version: int) -> None:
    link = scenario_ake(ref, timb, "timb", version)
    link.send(timb.name, ref.name, "before the end")
    old = timb.ssid(ref.name)
    otr = timb_otr()
    if who_ends == "timb":
        link.end(timb.name, ref.name)
        assert timb.msgstate(ref.name) == PLAINTEXT and timb.events_of(otr.GoneInsecure)
        assert ref.msgstate(timb.name) == FINISHED
        assert link.send(ref.name, timb.name, "nobody hears this") in ([], [""])
        assert "nobody hears this" not in link.inbox[timb.name]
        link.end(ref.name, timb.name)
        assert ref.msgstate(timb.name) == PLAINTEXT
        link.start(ref.name, timb.name)
    else:
        link.end(ref.name, timb.name)
        assert ref.msgstate(timb.name) == PLAINTEXT
        assert timb.msgstate(ref.name) == FINISHED and timb.events_of(otr.SessionFinished)
        with pytest.raises(otr.LocalError):
            timb.send(ref.name, "refused while finished")
        link.start(timb.name, ref.name)
    assert_session(ref, timb, version)
    assert timb.ssid(ref.name) != old
    link.send(timb.name, ref.name, "new session, timb")
    link.send(ref.name, timb.name, "new session, ref")
    assert link.inbox[ref.name][-1] == "new session, timb"
    assert link.inbox[timb.name][-1] == "new session, ref"


def scenario_error_restarts_ake(ref: Any, timb: TimbPeer, version: int, how: str) -> None:
    """The reference answers one of TIMB's Data Messages with an OTR Error; TIMB (ERROR_START_AKE)
    reports it and starts a new AKE, and the session comes back.

    how="forgotten": the reference ended the session and its Disconnected message was lost
    (python-potr answers data in plaintext with an error; libotr 4.1.1 stays silent there).
    how="stale": a Data Message of the previous session arrives after a refreshing AKE; libotr
    cannot read it and sends "?OTR Error:" with its application's text.
    """
    link = scenario_ake(ref, timb, "ref", version)
    if how == "forgotten":
        ref.end(timb.name)  # the wire it returns is never delivered
        if ref.msgstate(timb.name) == FINISHED:
            ref.end(timb.name)
        assert ref.msgstate(timb.name) == PLAINTEXT and timb.is_encrypted(ref.name)
        old = timb.ssid(ref.name)
        link.send(timb.name, ref.name, "lost in the gap")
    else:
        stale = timb.send(ref.name, "lost in the gap")
        link.start(ref.name, timb.name)
        assert_session(ref, timb, version)
        old = timb.ssid(ref.name)
        link.post(timb.name, ref.name, stale)
        link.flush()
    assert "lost in the gap" not in link.inbox[ref.name]
    assert timb.events_of(timb_otr().PeerError), timb.event_names()
    assert_session(ref, timb, version)
    assert timb.ssid(ref.name) != old
    link.send(timb.name, ref.name, "after the gap")
    assert link.inbox[ref.name][-1] == "after the gap"


# --- libotr ---------------------------------------------------------------------------------------

VERSIONS = {3: libotr.POLICY_ALWAYS, 2: libotr.POLICY_ALWAYS_V2}


@pytest.fixture
def make_ref(libotr_peer_factory: Any) -> Any:
    def make(version: int = 3, **kw: Any) -> libotr.LibotrPeer:
        peer: libotr.LibotrPeer = libotr_peer_factory(R, policy=VERSIONS[version], **kw)
        return peer

    return make


@pytest.mark.parametrize("version", [3, 2])
@pytest.mark.parametrize("starter", ["timb", "ref"])
def test_ake(make_ref: Any, timb_peer_factory: Any, starter: str, version: int) -> None:
    ref, timb = make_ref(version), timb_peer_factory(T)
    scenario_ake(ref, timb, starter, version)
    assert ref.events_of(libotr.NewFingerprint) == [libotr.NewFingerprint(T, timb.fingerprint())]
    if version == 3:
        assert timb.their_instance_tag(R) == ref.our_instance_tag
        assert ref.their_instance_tag(T) == timb.instance_tag
    assert not [k for k in ref.msg_kinds() if k not in ("log_heartbeat_rcvd", "log_heartbeat_sent")]


@pytest.mark.parametrize("version", [3, 2])
def test_both_start_at_once(make_ref: Any, timb_peer_factory: Any, version: int) -> None:
    scenario_both_start_at_once(make_ref(version), timb_peer_factory(T), version)


@pytest.mark.parametrize("tagger", ["timb", "ref"])
def test_whitespace_tag_starts_the_ake(libotr_peer_factory: Any, timb_peer_factory: Any, tagger: str) -> None:
    """OPPORTUNISTIC: the first plaintext carries the whitespace tag, and the other side (which
    has WHITESPACE_START_AKE) shows the text without the tag and starts the AKE."""
    otr = timb_otr()
    if tagger == "timb":
        ref = libotr_peer_factory(R, policy=libotr.POLICY_OPPORTUNISTIC)
        timb = timb_peer_factory(T, policy=otr.Policy.OPPORTUNISTIC)
    else:
        ref = libotr_peer_factory(R, policy=libotr.POLICY_OPPORTUNISTIC)
        timb = timb_peer_factory(T, policy=otr.Policy.ALWAYS)
    link = Link(ref, timb)
    sender, receiver = (timb, ref) if tagger == "timb" else (ref, timb)
    [wire] = link.send(sender.name, receiver.name, "hello in the clear")
    assert wire.startswith("hello in the clear") and wire != "hello in the clear"
    assert " \t  \t\t\t\t \t \t \t  " in wire  # the tag's base
    assert link.inbox[receiver.name] == ["hello in the clear"]
    if receiver is timb:
        assert timb.received == [(R, "hello in the clear", False)]
    assert_session(ref, timb, 3)
    link.send(T, R, "now private")
    assert link.inbox[R][-1] == "now private"
    assert_no_plaintext(link, ["now private"])


@pytest.mark.parametrize("version", [3, 2])
@pytest.mark.parametrize("first", ["timb", "ref"])
def test_first_message_is_held_until_encrypted(
    make_ref: Any, timb_peer_factory: Any, first: str, version: int
) -> None:
    scenario_held_first_message(make_ref(version), timb_peer_factory(T), first, version)


@pytest.mark.parametrize(
    ("pattern", "version"), [("alternating", 3), ("bursts", 3), ("crossing", 3), ("alternating", 2)]
)
def test_200_messages_with_key_rotation(
    make_ref: Any, timb_peer_factory: Any, pattern: str, version: int
) -> None:
    scenario_many_messages(make_ref(version), timb_peer_factory(T), pattern, version)


@pytest.mark.parametrize("version", [3, 2])
def test_both_sides_fragment(make_ref: Any, timb_peer_factory: Any, version: int) -> None:
    scenario_fragmentation(None, timb_peer_factory, lambda **kw: make_ref(version, **kw), version)


@pytest.mark.parametrize("version", [3, 2])
@pytest.mark.parametrize("starter", ["timb", "ref"])
def test_tiny_network_limit_fragments_everything(
    make_ref: Any, timb_peer_factory: Any, starter: str, version: int
) -> None:
    """A 64-character network limit (TIMB's smallest): the AKE itself travels in fragments.

    libotr starts with its Query Message as clients send it (unfragmented): when libotr itself
    fragments a Query or holds a message under such a limit, libotr 4.1.1 has bugs of its own
    (see test_reference_peers.py::test_libotr_quirk_*).
    """
    size = 64
    ref, timb = make_ref(version, max_message_size=size), timb_peer_factory(T, max_fragment_size=size)
    link = Link(ref, timb)
    if starter == "timb":
        link.send(T, R, "first " * 40)  # held; Query; AKE in fragments; then sent in fragments
        assert link.inbox[R] == ["first " * 40]
    else:
        link.start(R, T)
    assert_session(ref, timb, version)
    link.send(R, T, "reply " * 40)
    link.send(T, R, "again " * 40)
    assert link.inbox[T] == ["reply " * 40] and link.inbox[R][-1] == "again " * 40
    assert all(len(w) <= size for w in link.wire_between(T, R))
    assert all(len(w) <= size for w in link.wire_between(R, T) if not w.startswith("?OTRv"))
    assert len(link.transcript) > 40


@pytest.mark.parametrize("version", [3, 2])
@pytest.mark.parametrize("who_ends", ["timb", "ref"])
def test_disconnect_then_new_ake(make_ref: Any, timb_peer_factory: Any, who_ends: str, version: int) -> None:
    scenario_disconnect_and_new_ake(make_ref(version), timb_peer_factory(T), who_ends, version)


def test_libotr_error_message_restarts_the_ake(make_ref: Any, timb_peer_factory: Any) -> None:
    ref, timb = make_ref(3), timb_peer_factory(T)
    scenario_error_restarts_ake(ref, timb, 3, "stale")
    assert "rcvdmsg_unreadable" in ref.msg_kinds()
    texts = [e.text for e in timb.events_of(timb_otr().PeerError)]
    assert any("msg_unreadable" in t for t in texts), texts


def test_fingerprints_agree_with_otrl_privkey_fingerprint(make_ref: Any, timb_peer_factory: Any) -> None:
    ref, timb = make_ref(3), timb_peer_factory(T)
    Link(ref, timb).start(T, R)
    raw = ref.fingerprint_raw()
    assert raw is not None and libotr.human_fingerprint(raw) == ref.fingerprint()
    assert timb.their_fingerprint(R) == ref.fingerprint()  # TIMB's view of libotr's key
    assert ref.their_fingerprint(T) == timb.fingerprint()  # libotr's view of TIMB's key
    assert timb.conv(R).their_fingerprint.digest == raw


@pytest.mark.parametrize("speaks_first", ["ref", "timb"])
def test_libotr_restart_mid_conversation(make_ref: Any, timb_peer_factory: Any, speaks_first: str) -> None:
    ref, timb = make_ref(3), timb_peer_factory(T)
    link = scenario_ake(ref, timb, "timb", 3)
    for i in range(3):
        link.send(T, R, f"before {i}")
        link.send(R, T, f"before {i}")
    old_tag = ref.our_instance_tag
    new_tag = ref.restart()
    assert new_tag != old_tag and not ref.is_encrypted(T)
    if speaks_first == "ref":
        # The restarted client has no session: it sends a Query, holds the text, then resends it.
        link.send(R, T, "back after a restart")
        assert link.inbox[T][-1] == "back after a restart"
    else:
        # TIMB still believes in the old session; that instance is gone, so the new one drops the
        # message (it is addressed to the old instance tag) and shows nothing.
        shown = len(link.inbox[R])
        link.send(T, R, "to the old instance")
        assert len(link.inbox[R]) == shown
        link.start(T, R)
    assert_session(ref, timb, 3)
    assert timb.their_instance_tag(R) == new_tag
    assert ref.their_instance_tag(T) == timb.instance_tag
    link.send(T, R, "to the new instance")
    link.send(R, T, "from the new instance")
    assert link.inbox[R][-1] == "to the new instance"
    assert link.inbox[T][-1] == "from the new instance"
    heads = [v3_header(w) for w in link.wire_between(T, R)[-1:]]
    assert heads[0] is not None and heads[0][2] == new_tag


def test_timb_heartbeat_is_a_heartbeat_to_libotr(make_ref: Any, timb_peer_factory: Any) -> None:
    """After 60 s of silence, TIMB answers a Data Message with an empty one (IGNORE_UNREADABLE):
    libotr logs a heartbeat, shows nothing, and the keys move on."""
    clock = FakeClock()
    ref, timb = make_ref(3), timb_peer_factory(T, clock=clock)
    link = scenario_ake(ref, timb, "timb", 3)
    link.send(R, T, "one")
    clock.advance(61)
    before = len(link.wire_between(T, R))
    link.send(R, T, "two")
    sent = link.wire_between(T, R)[before:]
    assert len(sent) == 1 and data_keyids(sent[0]) is not None
    assert "log_heartbeat_rcvd" in ref.msg_kinds()
    assert link.inbox[R] == [] and link.inbox[T] == ["one", "two"]
    link.send(R, T, "three")  # no new heartbeat: TIMB sent one just now
    assert len(link.wire_between(T, R)) == before + 1
    assert link.inbox[T][-1] == "three"


def test_extra_symmetric_key_both_ways(make_ref: Any, timb_peer_factory: Any) -> None:
    ref, timb = make_ref(3), timb_peer_factory(T)
    link = scenario_ake(ref, timb, "timb", 3)
    key, wires = timb.symkey(R, 0x01020304, b"file-42")
    link.post(T, R, wires)
    link.flush()
    got = ref.events_of(libotr.ReceivedSymkey)
    assert got and (got[-1].use, got[-1].usedata, got[-1].key) == (0x01020304, b"file-42", key)
    key2, wires = ref.symkey(T, 9, b"voice")
    link.post(R, T, wires)
    link.flush()
    mine = timb.events_of(timb_otr().ExtraSymmetricKeyReceived)
    assert mine and (mine[-1].use, mine[-1].data, mine[-1].key.reveal()) == (9, b"voice", key2)


@pytest.mark.parametrize("pattern", ["alternating", "crossing"])
@pytest.mark.parametrize("version", [3, 2])
def test_timb_records_are_neither_shown_nor_refused(
    make_ref: Any, timb_peer_factory: Any, pattern: str, version: int
) -> None:
    # Every TIMB Data Message (texts, heartbeats) carries a TIMB record in a Padding TLV:
    # libotr must show exactly the texts, and keep reading.
    scenario_many_messages(make_ref(version), timb_peer_factory(T, timb_records=True), pattern, version)
