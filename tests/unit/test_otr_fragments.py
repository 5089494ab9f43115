"""Fragmentation (Protocol-v3, "Fragmentation"): the spec's example, both formats, bounds."""

from __future__ import annotations

import pytest

from timb.otr.errors import LocalError
from timb.otr.fragments import Outcome, Reassembler, fragment, is_fragment

from .test_otr_wire import SPEC_DATA_MESSAGE

SPEC_FRAGMENTS = [
    "?OTR|5a73a599|27e31597,00001,00003,?OTR:AAMDJ+MVmSfjFZcAAAAA\n"
    "AQAAAAIAAADA1g5IjD1ZGLDVQEyCgCyn9hbrL3KAbGDdzE2ZkMyTKl7XfkSx\n"
    "h8YJnudstiB74i4BzT0W2haClg6dMary/jo9sMudwmUdlnKpIGEKXWdvJKT+\n"
    "hQ26h9nzMgEditLB8v,",
    "?OTR|5a73a599|27e31597,00002,00003,jPEWAJ6gBXvZrY6ZQrx3gb4v0\n"
    "UaSMOMiR5sB7Eaulb2Yc6RmRnnlxgUUC2alosg4WIeFN951PLjScajVba6dq\n"
    "lDi+q1H5tPvI5SWMN7PCBWIJ41+WvF+5IAZzQZYgNaVLbAAAAAAAAAAEAAAA\n"
    "HwNiIi5Ms+4PsY/L2i,",
    "?OTR|5a73a599|27e31597,00003,00003,pkTtquknfx6HodLvk3RAAAAAA\n==.,",
]
OURS = 0x27E31597
BOTH = frozenset({2, 3})


def _flat(text: str) -> str:
    return "".join(text.split())


def test_spec_example_reassembles() -> None:
    r = Reassembler()
    results = [r.feed(f, OURS, BOTH) for f in SPEC_FRAGMENTS]
    assert [x.outcome for x in results] == [Outcome.INCOMPLETE, Outcome.INCOMPLETE, Outcome.COMPLETE]
    assert _flat(results[-1].message) == _flat(SPEC_DATA_MESSAGE)
    assert results[-1].sender_tag == 0x5A73A599


def test_receiver_tag_zero_is_accepted_another_is_discarded() -> None:
    zero = [f.replace("|27e31597,", "|00000000,") for f in SPEC_FRAGMENTS]
    r = Reassembler()
    assert [r.feed(f, OURS, BOTH).outcome for f in zero][-1] is Outcome.COMPLETE
    assert r.feed(SPEC_FRAGMENTS[0], OURS + 1, BOTH).outcome is Outcome.DISCARDED
    low_sender = SPEC_FRAGMENTS[0].replace("5a73a599", "000000ff")
    assert r.feed(low_sender, OURS, BOTH).outcome is Outcome.DISCARDED
    assert r.feed(SPEC_FRAGMENTS[0], OURS, frozenset({2})).outcome is Outcome.DISCARDED


@pytest.mark.parametrize("version", [2, 3])
def test_split_and_join_both_formats(version: int) -> None:
    message = "?OTR:" + "A" * 1000 + "."
    pieces = fragment(message, 100, version, 0x1234, 0x5678)
    assert all(len(p) <= 100 and is_fragment(p) for p in pieces)
    assert pieces[0].startswith("?OTR|00001234|00005678,00001," if version == 3 else "?OTR,00001,")
    r = Reassembler()
    results = [r.feed(p, 0x5678, BOTH) for p in pieces]
    assert results[-1].outcome is Outcome.COMPLETE and results[-1].message == message
    assert fragment(message, None, version, 1, 2) == [message]
    assert fragment(message, 2000, version, 1, 2) == [message]


def test_out_of_order_duplicates_and_illegal_numbers() -> None:
    pieces = fragment("?OTR:" + "B" * 500 + ".", 80, 2, 0, 0)
    r = Reassembler()
    r.feed(pieces[0], 0, BOTH)
    assert r.feed(pieces[2], 0, BOTH).outcome is Outcome.INCOMPLETE  # forgets everything
    assert r.feed(pieces[1], 0, BOTH).outcome is Outcome.INCOMPLETE
    assert all(r.feed(p, 0, BOTH).outcome is Outcome.INCOMPLETE for p in pieces[2:])
    for bad in ["?OTR,0,3,x,", "?OTR,1,0,x,", "?OTR,4,3,x,", "?OTR,1,3,,", "?OTR,a,b,c,", "?OTR,1,3,x"]:
        assert r.feed(bad, 0, BOTH).outcome is Outcome.DISCARDED


def test_bounds_against_memory_exhaustion() -> None:
    r = Reassembler(max_chars=1000, max_fragments=10)
    assert r.feed("?OTR,1,11,x,", 0, BOTH).outcome is Outcome.DISCARDED
    assert r.feed("?OTR,1,3," + "x" * 600 + ",", 0, BOTH).outcome is Outcome.INCOMPLETE
    assert r.feed("?OTR,2,3," + "x" * 600 + ",", 0, BOTH).outcome is Outcome.DISCARDED
    # After the overflow, the stored fragment is gone: piece 3 cannot complete anything.
    assert r.feed("?OTR,3,3,x,", 0, BOTH).outcome is Outcome.INCOMPLETE


def test_fragment_size_too_small_or_too_many() -> None:
    with pytest.raises(LocalError):
        fragment("?OTR:" + "A" * 100 + ".", 36, 3, 1, 2)
    with pytest.raises(LocalError):
        fragment("?OTR:" + "A" * 70000 + ".", 19, 2, 0, 0)
