"""The campaign's messages and its verdict (pure: no I/O, no clock).

Every text is ``chaos-<run> <sender> #<seq> <digest>``: the run tag makes a leak searchable as
one string (Prosody's files, the profiles), the sequence number makes order and duplicates
visible, the digest (SHA-256 of run, sender and seq) shows a text that arrived altered.

A `Stream` is one direction (sender -> receiver). What the sender's UI showed and what the
receiver's UI displayed are fed in as they happen; `Stream.verdict` classifies every typed
message:

* delivered: displayed exactly once;
* pending: not displayed, and the sender still shows it pending (never as sent): allowed;
* dropped: not displayed, never shown as sent, and the sender's process was killed while it
  held the message (held messages live only in memory, docs/core.md): allowed, counted apart;
* lost: shown as sent (or delivered) at some point and never displayed: must be 0. Of those,
  ``lost_with_sender`` were still unconfirmed (not shown delivered) when the sender's process was
  killed: the re-send queue lives in the sender's memory only (docs/core.md scopes "no loss" to
  what was on the wire); the rest are lost although the sender lived. ``lost_confirmed`` were
  shown DELIVERED: a false confirmation (tests/unit/test_findings_burst_confirmation.py).

Displays are also checked for duplicates (``duplicated_across``: the receiver showed it again
after a restart, when the sender re-sent what the dead process displayed but never
acknowledged), order (a number below one already displayed) and
corruption (a text of this run whose digest does not match, or not of this run at all).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

MARK = "chaos-"
_TEXT = re.compile(r"^chaos-(?P<run>[0-9a-f]+) (?P<sender>[a-z]+) #(?P<seq>\d{6}) (?P<digest>[0-9a-f]{12})$")
SHOWN_SENT = frozenset({"sent", "delivered"})


def digest(run: str, sender: str, seq: int) -> str:
    return hashlib.sha256(f"{run}:{sender}:{seq}".encode()).hexdigest()[:12]


def compose(run: str, sender: str, seq: int) -> str:
    """The text ``sender`` types as its message number ``seq`` in run ``run`` (hex)."""
    return f"{MARK}{run} {sender} #{seq:06d} {digest(run, sender, seq)}"


@dataclass(frozen=True, slots=True)
class Parsed:
    sender: str
    seq: int
    intact: bool  # this run's tag and a matching digest


def parse(run: str, text: str) -> Parsed | None:
    """A displayed text read back; None when it is not a campaign text at all."""
    m = _TEXT.match(text)
    if m is None:
        return None
    sender, seq = m["sender"], int(m["seq"])
    return Parsed(sender, seq, m["run"] == run and m["digest"] == digest(run, sender, seq))


@dataclass(frozen=True, slots=True)
class Verdict:
    typed: int
    delivered: int
    pending: int
    dropped: int
    lost: int
    duplicated: int
    out_of_order: int
    corrupt: int
    lost_with_sender: int = 0
    lost_confirmed: int = 0
    duplicated_across: int = 0  # of ``duplicated``: shown again by a later process of the receiver

    def __add__(self, other: Verdict) -> Verdict:
        return Verdict(*(a + b for a, b in zip(_astuple(self), _astuple(other), strict=True)))

    @property
    def clean(self) -> bool:
        return self.lost == self.duplicated == self.out_of_order == self.corrupt == 0


def _astuple(v: Verdict) -> tuple[int, ...]:
    return (v.typed, v.delivered, v.pending, v.dropped, v.lost, v.duplicated, v.out_of_order, v.corrupt,
            v.lost_with_sender, v.lost_confirmed, v.duplicated_across)  # fmt: skip


@dataclass
class Stream:
    """One direction of the chat, as both UIs showed it."""

    run: str
    sender: str
    typed: dict[int, str] = field(default_factory=dict)  # seq -> message id
    _seq_of: dict[str, int] = field(default_factory=dict)
    state: dict[int, str] = field(default_factory=dict)  # seq -> last state shown
    states: dict[int, list[str]] = field(default_factory=dict)  # seq -> every state shown, in order
    shown_sent: set[int] = field(default_factory=set)
    dropped: set[int] = field(default_factory=set)
    unconfirmed_at_kill: set[int] = field(default_factory=set)
    displayed: list[int] = field(default_factory=list)
    _displayed_in: set[tuple[int, int]] = field(default_factory=set)  # (seq, receiver's life)
    _within: int = 0  # displays repeated within one life of the receiver
    corrupt: int = 0
    strays: list[str] = field(default_factory=list)  # what the corrupt displays were (no text)
    out_of_order: int = 0
    _early_states: dict[str, list[str]] = field(default_factory=dict)
    _issued: int = 0

    def next_seq(self) -> int:
        """A fresh number for the next text (never reused, even if typing it fails)."""
        self._issued += 1
        return self._issued - 1

    def typed_as(self, seq: int, msg_id: str) -> None:
        """The sender's UI accepted message ``seq`` under ``msg_id``."""
        self.typed[seq] = msg_id
        self._seq_of[msg_id] = seq
        for state in self._early_states.pop(msg_id, []):
            self.state_shown(msg_id, state)

    def state_shown(self, msg_id: str, state: str) -> None:
        """The sender's UI showed ``state`` for ``msg_id`` (it may come before `typed_as`)."""
        seq = self._seq_of.get(msg_id)
        if seq is None:
            self._early_states.setdefault(msg_id, []).append(state)
            return
        self.state[seq] = state
        self.states.setdefault(seq, []).append(state)
        if state in SHOWN_SENT:
            self.shown_sent.add(seq)

    def sender_killed(self) -> None:
        """The sender's process died: what it held and never showed as sent is gone with it."""
        for seq in self.typed:
            if seq in self.displayed:
                continue
            if seq not in self.shown_sent:
                self.dropped.add(seq)
            elif self.state.get(seq) != "delivered":
                self.unconfirmed_at_kill.add(seq)
        self._early_states.clear()

    def displayed_text(self, text: str, life: int = 0) -> None:
        """The receiver's UI displayed ``text`` (from this stream's sender) in its process
        number ``life`` (a restart is a new life: a repeat there is counted apart)."""
        parsed = parse(self.run, text)
        if parsed is None or not parsed.intact or parsed.sender != self.sender:
            self.corrupt += 1
            # Not a campaign text: say what it looks like (OTR noise starts "?OTR"), never more.
            self.strays.append("not ours: " + ("?OTR..." if text.startswith("?OTR") else f"{len(text)} chars")
                               if parsed is None else f"altered #{parsed.seq}")  # fmt: skip
            return
        if parsed.seq not in self.typed and parsed.seq >= self._issued:
            self.corrupt += 1  # a number the campaign never gave out: nobody typed it
            self.strays.append(f"never typed #{parsed.seq}")
            return
        # A number given out whose send has not answered yet (the answer and the display race
        # in one event loop) is fine: `verdict` counts it as corrupt only if it never does.
        if self.displayed and parsed.seq < max(self.displayed) and parsed.seq not in self.displayed:
            self.out_of_order += 1
        self.displayed.append(parsed.seq)
        if (parsed.seq, life) in self._displayed_in:
            self._within += 1
        self._displayed_in.add((parsed.seq, life))

    def verdict(self) -> Verdict:
        shown = set(self.displayed)
        unanswered = {seq for seq in shown if seq not in self.typed}  # displayed, typing never confirmed
        delivered = pending = dropped = lost = 0
        for seq in self.typed:
            if seq in shown:
                delivered += 1
            elif seq in self.shown_sent:
                lost += 1
            elif seq in self.dropped:
                dropped += 1
            else:
                pending += 1
        duplicated = len(self.displayed) - len(shown)
        confirmed_seqs = {seq for seq in self.lost_seqs() if "delivered" in self.states.get(seq, [])}
        confirmed = len(confirmed_seqs)
        with_sender = len(self.unconfirmed_at_kill - shown - confirmed_seqs)  # never counted twice
        corrupt = self.corrupt + len(unanswered)
        return Verdict(len(self.typed), delivered, pending, dropped, lost, duplicated, self.out_of_order,
                       corrupt, with_sender, confirmed, duplicated - self._within)  # fmt: skip

    def missing(self) -> list[int]:
        """What a drain still waits for: typed, not displayed, and still on its way (not dropped,
        not shown delivered -- nothing re-sends those --, not left unconfirmed by a dead sender)."""
        shown = set(self.displayed)
        gone = self.dropped | self.unconfirmed_at_kill
        return [
            s for s in self.typed if s not in shown and s not in gone and self.state.get(s) != "delivered"
        ]

    def lost_seqs(self) -> list[int]:
        shown = set(self.displayed)
        return [s for s in self.typed if s not in shown and s in self.shown_sent]

    def duplicated_seqs(self) -> list[int]:
        seen: set[int] = set()
        dups = []
        for s in self.displayed:
            if s in seen:
                dups.append(s)
            seen.add(s)
        return dups
