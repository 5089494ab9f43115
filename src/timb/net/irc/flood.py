"""The send queue's pacing: a token bucket on lines and on bytes, pure (times are passed in).

ngircd (measured, 26.1) stops reading a client for 1 s after 3 commands at once or 256 bytes
within a second (2 s after a command that earns an error reply), never disconnects for it, but
does disconnect for 32 KiB of output the recipient has not read. Other servers kill flooders
outright ("Excess Flood"). So we never send faster than the server reads: each bucket holds up
to ``burst`` tokens and refills at ``rate`` per second; a line may go when both buckets are
non-negative *and* hold at least its cost or are full, so a line longer than the byte burst still
goes once the bucket is full, leaving it in debt. The default `FloodPolicy` is ngircd's: 3 lines
at once, 3 lines per second (the rate it relayed a 200-line burst at), 256 bytes per second. A
slower line rate (2/s was tried) made interactive messages 0.3 s apart wait ~170 ms each
(bench/irc_bench.py), for no gain on ngircd.

`SendQueue` holds serialized lines (bounded: `SendQueue.limit` bytes; overflow raises, the
caller decides) with one priority lane for PONG and QUIT, which must not wait behind a long
message (a missed PONG is a disconnect).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from timb.net.irc.errors import UnsendableMessage


@dataclass(frozen=True, slots=True)
class FloodPolicy:
    """Burst and rate, for lines and for bytes. Defaults: ngircd's limits."""

    burst_lines: float = 3.0
    lines_per_second: float = 3.0
    burst_bytes: float = 256.0
    bytes_per_second: float = 256.0

    def __post_init__(self) -> None:
        if min(self.burst_lines, self.lines_per_second, self.burst_bytes, self.bytes_per_second) <= 0:
            raise ValueError("flood limits must be positive")


class _Bucket:
    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, burst: float, rate: float, now: float) -> None:
        self.burst, self.rate, self.tokens, self.stamp = burst, rate, burst, now

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)

    def need(self, cost: float) -> float:
        """Tokens the bucket must hold before spending ``cost``."""
        return min(cost, self.burst)

    def wait(self, cost: float) -> float:
        return max(0.0, (self.need(cost) - self.tokens) / self.rate)


class TokenBucket:
    """Two buckets (lines, bytes) spent together."""

    def __init__(self, policy: FloodPolicy, now: float) -> None:
        self._lines = _Bucket(policy.burst_lines, policy.lines_per_second, now)
        self._bytes = _Bucket(policy.burst_bytes, policy.bytes_per_second, now)

    def delay(self, size: int, now: float) -> float:
        """Seconds from ``now`` until a line of ``size`` bytes may be sent (0: send now)."""
        self._lines.refill(now)
        self._bytes.refill(now)
        return max(self._lines.wait(1), self._bytes.wait(size))

    def spend(self, size: int, now: float) -> None:
        self._lines.refill(now)
        self._bytes.refill(now)
        self._lines.tokens -= 1
        self._bytes.tokens -= size


class SendQueue:
    """Lines waiting for the bucket. ``pop_ready(now)`` gives the lines that may go now."""

    def __init__(self, policy: FloodPolicy, now: float, limit: int = 256 * 1024) -> None:
        self._bucket = TokenBucket(policy, now)
        self._urgent: deque[bytes] = deque()
        self._normal: deque[bytes] = deque()
        self._queued = 0
        self.limit = limit

    def push(self, line: bytes, *, urgent: bool = False) -> None:
        """Raises: UnsendableMessage: the queue already holds `limit` bytes."""
        if self._queued + len(line) > self.limit:
            raise UnsendableMessage("the send queue is full")
        (self._urgent if urgent else self._normal).append(line)
        self._queued += len(line)

    def __len__(self) -> int:
        return len(self._urgent) + len(self._normal)

    @property
    def queued_bytes(self) -> int:
        return self._queued

    def clear(self) -> None:
        self._urgent.clear()
        self._normal.clear()
        self._queued = 0

    def pop_ready(self, now: float) -> list[bytes]:
        out: list[bytes] = []
        while self._urgent or self._normal:
            lane = self._urgent if self._urgent else self._normal
            line = lane[0]
            if self._bucket.delay(len(line), now) > 0:
                break
            lane.popleft()
            self._bucket.spend(len(line), now)
            self._queued -= len(line)
            out.append(line)
        return out

    def next_delay(self, now: float) -> float | None:
        """Seconds until the next line may go, or None when nothing waits."""
        lane = self._urgent if self._urgent else self._normal
        if not lane:
            return None
        return self._bucket.delay(len(lane[0]), now)
