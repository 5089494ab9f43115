"""The campaign's verdict (timb.devnet.chaos.ledger), plan and table: pure, no network."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

from timb.devnet.chaos import ledger
from timb.devnet.chaos.checks import audit_violations, process_alive
from timb.devnet.chaos.ledger import Stream
from timb.devnet.chaos.plan import ALL, KILLS, FaultKind, parse_kinds, plan
from timb.devnet.chaos.report import Tally, percentile, table

RUN = "00c0ffee"


def typed(stream: Stream, n: int) -> list[str]:
    texts = []
    for _ in range(n):
        seq = stream.next_seq()
        stream.typed_as(seq, f"id{seq}")
        texts.append(ledger.compose(RUN, stream.sender, seq))
    return texts


def test_texts_parse_back_and_an_altered_one_is_not_intact() -> None:
    text = ledger.compose(RUN, "alice", 7)
    assert ledger.parse(RUN, text) == ledger.Parsed("alice", 7, True)
    altered = text.replace("#000007", "#000008")
    assert ledger.parse(RUN, altered) == ledger.Parsed("alice", 8, False)
    assert ledger.parse("0badbeef", text) == ledger.Parsed("alice", 7, False)  # another run's text
    assert ledger.parse(RUN, "hello") is None


def test_each_message_is_delivered_pending_dropped_or_lost() -> None:
    s = Stream(RUN, "bob")
    texts = typed(s, 5)
    for i in range(5):
        s.state_shown(f"id{i}", "pending")
    s.state_shown("id0", "sent")
    s.state_shown("id1", "sent")
    s.state_shown("id2", "sent")
    s.displayed_text(texts[0])
    s.displayed_text(texts[2])
    s.sender_killed()  # id3, id4 were only ever pending: gone with the process, never shown sent
    assert s.verdict() == ledger.Verdict(
        typed=5,
        delivered=2,
        pending=0,
        dropped=2,
        lost=1,
        duplicated=0,
        out_of_order=0,
        corrupt=0,
        lost_with_sender=1,
        lost_confirmed=0,
    )
    assert s.lost_seqs() == [1]
    assert not s.verdict().clean


def test_a_loss_while_the_sender_lived_is_told_apart() -> None:
    s = Stream(RUN, "alice")
    typed(s, 2)
    s.state_shown("id0", "sent")
    s.state_shown("id0", "delivered")  # confirmed, then the sender died: not its fault
    s.state_shown("id1", "sent")
    s.sender_killed()
    v = s.verdict()
    assert (v.lost, v.lost_with_sender, v.lost_confirmed) == (2, 1, 1)
    assert s.missing() == []  # nothing will re-send either: a drain need not wait for them


def test_a_message_still_pending_at_the_end_is_not_lost() -> None:
    s = Stream(RUN, "alice")
    typed(s, 2)
    s.state_shown("id0", "pending")
    assert s.verdict().pending == 2 and s.verdict().lost == 0
    assert s.missing() == [0, 1]


def test_duplicates_order_and_corruption_are_counted() -> None:
    s = Stream(RUN, "alice")
    texts = typed(s, 3)
    s.displayed_text(texts[0])
    s.displayed_text(texts[2])
    s.displayed_text(texts[1])  # after a later one: out of order
    s.displayed_text(texts[2])  # again
    s.displayed_text("chaos-00c0ffee alice #000001 000000000000")  # bad digest
    s.displayed_text(ledger.compose(RUN, "bob", 0))  # not this stream's sender
    s.displayed_text(ledger.compose(RUN, "alice", 9))  # never typed
    v = s.verdict()
    assert (v.delivered, v.duplicated, v.out_of_order, v.corrupt) == (3, 1, 1, 3)
    assert s.duplicated_seqs() == [2]


def test_a_repeat_after_the_receiver_restarted_is_told_apart() -> None:
    s = Stream(RUN, "alice")
    texts = typed(s, 2)
    s.displayed_text(texts[0], life=1)
    s.displayed_text(texts[0], life=2)  # re-sent to the restarted receiver
    s.displayed_text(texts[1], life=2)
    s.displayed_text(texts[1], life=2)  # twice in one process
    v = s.verdict()
    assert (v.duplicated, v.duplicated_across) == (2, 1)


def test_a_state_that_arrives_before_the_id_is_kept() -> None:
    s = Stream(RUN, "bob")
    s.state_shown("early", "sent")
    seq = s.next_seq()
    s.typed_as(seq, "early")
    assert s.shown_sent == {0}


def test_a_display_may_come_before_the_send_answered_but_not_without_it() -> None:
    s = Stream(RUN, "bob")
    early, never = s.next_seq(), s.next_seq()
    s.displayed_text(ledger.compose(RUN, "bob", early))  # the display beat the send's answer
    s.typed_as(early, "id-early")
    s.displayed_text(ledger.compose(RUN, "bob", never))  # its send never answered at all
    v = s.verdict()
    assert (v.delivered, v.corrupt) == (1, 1)


def test_sequence_numbers_are_never_reused() -> None:
    s = Stream(RUN, "bob")
    first = s.next_seq()  # typing it failed: never recorded
    assert s.next_seq() == first + 1


def test_verdicts_add_up() -> None:
    a = ledger.Verdict(1, 1, 0, 0, 0, 0, 0, 0)
    b = ledger.Verdict(2, 0, 1, 0, 1, 1, 0, 0)
    assert a + b == ledger.Verdict(3, 1, 1, 0, 1, 1, 0, 0)


def test_the_plan_replays_from_its_seed() -> None:
    assert plan(42, 30) == plan(42, 30)
    assert plan(42, 30) != plan(43, 30)
    once = plan(1, len(ALL), each_once=True)
    assert [f.kind for f in once] == list(ALL)
    drawn = plan(7, 400)
    kills = sum(f.kind in KILLS for f in drawn)
    assert kills > len(drawn) / 2  # a long campaign is mostly crashes
    assert all(f.duration_s >= 40 and 3 <= f.burst <= 12 for f in drawn)


def test_fault_kinds_by_word() -> None:
    assert parse_kinds("kill") == KILLS
    assert parse_kinds("prosody,disable") == (
        FaultKind.PROSODY_RESTART,
        FaultKind.PROSODY_FREEZE,
        FaultKind.DISABLE_NETWORK,
    )
    with pytest.raises(ValueError, match="no fault kind"):
        parse_kinds("nothing")


def test_percentile_and_table() -> None:
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0
    assert percentile([3.0, 1.0, 2.0, 4.0], 95) == 4.0
    assert math.isnan(percentile([], 50))
    tally = Tally(seed=5)
    tally.record(FaultKind.PROSODY_RESTART, 2.0)
    tally.record(FaultKind.PROSODY_RESTART, None)
    text = table(tally, ledger.Verdict(10, 9, 1, 0, 0, 0, 0, 0), 12.0)
    assert "seed 5, 2 cycles" in text and "lost 0" in text
    assert "Prosody restart                  2     1" in text


def test_the_audit_flags_any_dial_outside_tor_and_any_name_lookup() -> None:
    allowed = {("127.0.0.1", 9050)}
    log: list[tuple[str, object]] = [
        ("connect", ("127.0.0.1", 9050)),
        ("socket.getaddrinfo", "127.0.0.1"),
        ("connect", ("127.0.0.1", 5222)),  # Prosody directly: not through tor
        ("connect", "/run/some.sock"),
        ("socket.getaddrinfo", "timb.test"),  # a local name lookup
        ("socket.gethostbyname", "8.8.8.8"),
    ]
    assert audit_violations(log, allowed) == [
        "connect ('127.0.0.1', 5222)",
        "connect /run/some.sock",
        "socket.getaddrinfo of a host name",
        "socket.gethostbyname 8.8.8.8",
    ]


def test_a_finished_child_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)
    assert process_alive(os.getpid())
