"""The send queue's token bucket (timb.net.irc.flood), with times passed in."""

from __future__ import annotations

import pytest

from timb.net.irc.errors import UnsendableMessage
from timb.net.irc.flood import FloodPolicy, SendQueue


def drain(queue: SendQueue, start: float = 0.0, step: float = 0.01) -> list[tuple[float, bytes]]:
    """Pop lines as a clock ticking by ``step`` would, returning (time, line)."""
    out, now = [], start
    while len(queue):
        delay = queue.next_delay(now)
        assert delay is not None
        now += max(delay, 0.0)
        ready = queue.pop_ready(now)
        out += [(now, line) for line in ready]
        if not ready:
            now += step
    return out


def test_small_lines_burst_three_then_follow_the_line_rate() -> None:
    queue = SendQueue(FloodPolicy(), now=0.0)
    for i in range(9):
        queue.push(b"PRIVMSG b :%d\r\n" % i)
    times = [t for t, _ in drain(queue)]
    assert times[:3] == [0.0, 0.0, 0.0]
    assert times[-1] >= 2.0 - 1e-9  # 6 more lines at 3 per second
    # the token bucket's promise: at most burst + rate * w lines in any window of w seconds
    for t in times:
        assert sum(1 for u in times if t <= u < t + 1.0) <= 3 + 3


def test_long_lines_follow_the_byte_rate() -> None:
    queue = SendQueue(FloodPolicy(), now=0.0)
    line = b"x" * 420
    for _ in range(10):
        queue.push(line)
    times = [t for t, _ in drain(queue)]
    span = times[-1] - times[0]
    assert span >= 9 * 420 / 256 - 1e-6
    assert span <= 9 * 420 / 256 + 0.2


def test_urgent_lines_jump_the_queue() -> None:
    queue = SendQueue(FloodPolicy(), now=0.0)
    for _ in range(5):
        queue.push(b"x" * 400)
    queue.push(b"PONG :t\r\n", urgent=True)
    assert queue.pop_ready(0.0) == [b"PONG :t\r\n"]


def test_the_queue_is_bounded() -> None:
    queue = SendQueue(FloodPolicy(), now=0.0, limit=1000)
    queue.push(b"x" * 900)
    with pytest.raises(UnsendableMessage):
        queue.push(b"x" * 200)
    assert queue.queued_bytes == 900
    queue.clear()
    assert len(queue) == 0 and queue.next_delay(0.0) is None


def test_policy_must_be_positive() -> None:
    with pytest.raises(ValueError):
        FloodPolicy(bytes_per_second=0)
