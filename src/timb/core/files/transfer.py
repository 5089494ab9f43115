"""The file transfers of one service: offer, accept, reject, cancel, progress (issue 15).

Pure bookkeeping with the clock passed in; the transports (IBB, the server's SOCKS5 proxy, the
onion channel) feed it bytes counts, the service turns its events into notifications. The rules
it owns:

* no transfer, in either direction, without a private OTR session with the contact (the
  refusal says why);
* nothing is received before the user accepts it; an offer over the user's size cap is
  refused at once, without asking;
* a transfer ends exactly once (completed, rejected, cancelled by either side, or failed).
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, replace

from timb.common.clock import Clock
from timb.core.files.errors import FileTooLarge, TransferRefused
from timb.core.files.names import sanitise_name

PROGRESS_INTERVAL = 0.25  # seconds between progress events: a UI needs no more


class Direction(enum.Enum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


class State(enum.Enum):
    OFFERED = "offered"
    RUNNING = "running"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"


_FINAL = frozenset({State.COMPLETED, State.REJECTED, State.CANCELLED, State.FAILED})
# The transition table: (state, action) -> next state. Anything else is refused.
_TRANSITIONS = {
    (State.OFFERED, "accept"): State.RUNNING,
    (State.OFFERED, "reject"): State.REJECTED,
    (State.OFFERED, "cancel"): State.CANCELLED,
    (State.RUNNING, "complete"): State.COMPLETED,
    (State.RUNNING, "cancel"): State.CANCELLED,
    (State.RUNNING, "fail"): State.FAILED,
    (State.OFFERED, "fail"): State.FAILED,
}


@dataclass(frozen=True, slots=True)
class Transfer:
    id: str
    contact: str
    direction: Direction
    name: str  # sanitised for incoming files: never the sender's raw name
    size: int
    state: State
    done: int = 0
    started: float = 0.0


@dataclass(frozen=True, slots=True)
class TransferChanged:
    """A transfer changed state; `reason` says why for the user (refusals, failures)."""

    transfer: Transfer
    reason: str = ""
    by_peer: bool = False


@dataclass(frozen=True, slots=True)
class TransferProgress:
    transfer: Transfer
    bytes_per_second: float
    seconds_remaining: float | None


class TransferBook:
    """Every transfer of the running service, by id."""

    def __init__(self, clock: Clock, size_cap: int) -> None:
        self._clock = clock
        self.size_cap = size_cap
        self._transfers: dict[str, Transfer] = {}
        self._ids = itertools.count(1)
        self._last_progress: dict[str, float] = {}

    def get(self, transfer_id: str) -> Transfer:
        """Raises: TransferRefused: no such transfer."""
        found = self._transfers.get(transfer_id)
        if found is None:
            raise TransferRefused("no such file transfer")
        return found

    def offer(self, contact: str, name: str, size: int, *, private: bool) -> Transfer:
        """We offer a file to `contact`.

        Raises:
            TransferRefused: no private OTR session with the contact.
        """
        _require_private(private)
        return self._add(contact, Direction.OUTGOING, name, size)

    def offered(self, contact: str, name: str, size: int, *, private: bool) -> TransferChanged:
        """The contact offers us a file: waiting for the user, or refused at once (say why)."""
        if not private:
            return self._refused(contact, name, size, "no private OTR session: files go encrypted")
        if not 0 <= size <= self.size_cap:
            reason = str(FileTooLarge(f"{size} bytes is over your cap of {self.size_cap} bytes"))
            return self._refused(contact, name, size, reason)
        return TransferChanged(self._add(contact, Direction.INCOMING, sanitise_name(name), size))

    def accept(self, transfer_id: str) -> TransferChanged:
        return self._move(transfer_id, "accept")

    def reject(self, transfer_id: str, *, by_peer: bool = False) -> TransferChanged:
        return self._move(transfer_id, "reject", by_peer=by_peer)

    def cancel(self, transfer_id: str, *, by_peer: bool = False) -> TransferChanged:
        return self._move(transfer_id, "cancel", by_peer=by_peer)

    def fail(self, transfer_id: str, reason: str) -> TransferChanged:
        return self._move(transfer_id, "fail", reason=reason)

    def complete(self, transfer_id: str) -> TransferChanged:
        transfer = self.get(transfer_id)
        if transfer.done != transfer.size:
            return self.fail(transfer_id, "the transfer ended before the whole file arrived")
        return self._move(transfer_id, "complete")

    def forget(self, transfer_id: str) -> None:
        """Drop an ended transfer, so a contact's offers cannot grow the book for ever (a
        running or offered one is kept: it has not ended)."""
        found = self._transfers.get(transfer_id)
        if found is not None and found.state in _FINAL:
            del self._transfers[transfer_id]

    def progress(self, transfer_id: str, count: int) -> TransferProgress | None:
        """`count` more bytes moved; an event at most every `PROGRESS_INTERVAL` (and at the end).

        Raises:
            TransferRefused: the transfer is not running, or more bytes than its size.
        """
        transfer = self.get(transfer_id)
        if transfer.state is not State.RUNNING or transfer.done + count > transfer.size:
            raise TransferRefused("the file transfer is not running, or the file is too long")
        transfer = replace(transfer, done=transfer.done + count)
        self._transfers[transfer_id] = transfer
        now = self._clock.now()
        last = self._last_progress.get(transfer_id)
        if last is not None and now - last < PROGRESS_INTERVAL and transfer.done < transfer.size:
            return None
        self._last_progress[transfer_id] = now
        elapsed = now - transfer.started
        speed = transfer.done / elapsed if elapsed > 0 else 0.0
        remaining = (transfer.size - transfer.done) / speed if speed > 0 else None
        return TransferProgress(transfer, speed, remaining)

    def _add(self, contact: str, direction: Direction, name: str, size: int) -> Transfer:
        transfer_id = f"ft-{next(self._ids)}"
        transfer = Transfer(transfer_id, contact, direction, name, size, State.OFFERED)
        self._transfers[transfer_id] = transfer
        return transfer

    def _refused(self, contact: str, name: str, size: int, reason: str) -> TransferChanged:
        transfer = self._add(contact, Direction.INCOMING, sanitise_name(name), size)
        return self._move(transfer.id, "reject", reason=reason)

    def _move(
        self, transfer_id: str, action: str, *, reason: str = "", by_peer: bool = False
    ) -> TransferChanged:
        transfer = self.get(transfer_id)
        target = _TRANSITIONS.get((transfer.state, action))
        if target is None:
            raise TransferRefused(f"cannot {action} a transfer that is {transfer.state.value}")
        started = self._clock.now() if target is State.RUNNING else transfer.started
        transfer = replace(transfer, state=target, started=started)
        self._transfers[transfer_id] = transfer
        if target in _FINAL:
            self._last_progress.pop(transfer_id, None)
        return TransferChanged(transfer, reason, by_peer)


def _require_private(private: bool) -> None:
    if not private:
        raise TransferRefused(
            "files are only sent in a private OTR conversation: start one (and verify the contact)"
        )
