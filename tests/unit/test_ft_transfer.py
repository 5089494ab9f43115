"""The transfer book: the private-session gate, the cap, the state table, progress figures."""

from __future__ import annotations

import pytest

from timb.common.clock import FakeClock
from timb.core.files import TransferRefused
from timb.core.files.transfer import Direction, State, TransferBook

CAP = 10_000_000


def _book() -> tuple[TransferBook, FakeClock]:
    clock = FakeClock()
    return TransferBook(clock, size_cap=CAP), clock


def test_no_private_session_no_transfer_and_the_reason_is_said() -> None:
    book, _ = _book()
    with pytest.raises(TransferRefused, match="private OTR"):
        book.offer("bob@x", "memo.pdf", 10, private=False)
    changed = book.offered("bob@x", "memo.pdf", 10, private=False)
    assert changed.transfer.state is State.REJECTED and "private OTR" in changed.reason


def test_an_offer_over_the_cap_is_refused_without_asking() -> None:
    book, _ = _book()
    changed = book.offered("bob@x", "big.iso", CAP + 1, private=True)
    assert changed.transfer.state is State.REJECTED and "cap" in changed.reason


def test_an_incoming_offer_waits_for_the_user_under_a_sanitised_name() -> None:
    book, _ = _book()
    changed = book.offered("bob@x", "../../.bashrc", 10, private=True)
    transfer = changed.transfer
    assert transfer.state is State.OFFERED and transfer.direction is Direction.INCOMING
    assert transfer.name == "bashrc"
    with pytest.raises(TransferRefused):
        book.progress(transfer.id, 1)  # nothing moves before the user accepts


def test_progress_speed_and_remaining_time_with_no_flood() -> None:
    book, clock = _book()
    transfer = book.offer("bob@x", "memo.pdf", 1000, private=True)
    book.accept(transfer.id)
    clock.advance(1.0)
    first = book.progress(transfer.id, 250)
    assert first is not None
    assert first.bytes_per_second == 250.0 and first.seconds_remaining == 3.0
    clock.advance(0.1)
    assert book.progress(transfer.id, 10) is None  # too soon for another event
    last = book.progress(transfer.id, 740)  # the end always reports
    assert last is not None and last.transfer.done == 1000 and last.seconds_remaining == 0.0
    assert book.complete(transfer.id).transfer.state is State.COMPLETED


def test_more_bytes_than_the_size_are_refused() -> None:
    book, _ = _book()
    transfer = book.offer("bob@x", "memo.pdf", 10, private=True)
    book.accept(transfer.id)
    with pytest.raises(TransferRefused):
        book.progress(transfer.id, 11)
    assert book.get(transfer.id).done == 0


def test_completing_a_short_transfer_fails_it() -> None:
    book, _ = _book()
    transfer = book.offer("bob@x", "memo.pdf", 10, private=True)
    book.accept(transfer.id)
    book.progress(transfer.id, 5)
    changed = book.complete(transfer.id)
    assert changed.transfer.state is State.FAILED and changed.reason


@pytest.mark.parametrize("by_peer", [False, True])
def test_either_side_cancels_and_a_transfer_ends_once(by_peer: bool) -> None:
    book, _ = _book()
    transfer = book.offer("bob@x", "memo.pdf", 10, private=True)
    book.accept(transfer.id)
    changed = book.cancel(transfer.id, by_peer=by_peer)
    assert changed.transfer.state is State.CANCELLED and changed.by_peer is by_peer
    for again in (book.cancel, book.accept, book.reject, book.complete):
        with pytest.raises(TransferRefused):
            again(transfer.id)


def test_an_empty_file_completes() -> None:
    book, _ = _book()
    transfer = book.offered("bob@x", "empty", 0, private=True).transfer
    book.accept(transfer.id)
    assert book.complete(transfer.id).transfer.state is State.COMPLETED


def test_an_unknown_transfer_is_a_typed_error() -> None:
    book, _ = _book()
    with pytest.raises(TransferRefused):
        book.accept("ft-404")


def test_forget_drops_only_ended_transfers() -> None:
    book = TransferBook(FakeClock(), 100)
    waiting = book.offered("bob@timb.test", "a", 1, private=True).transfer
    refused = book.offered("bob@timb.test", "b", 1000, private=True).transfer
    book.forget(waiting.id)
    book.forget(refused.id)
    assert book.get(waiting.id).state is State.OFFERED
    with pytest.raises(TransferRefused):
        book.get(refused.id)
