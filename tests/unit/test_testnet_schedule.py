"""The private network's first-vote schedule (timb.tor.testnet.schedule), pure."""

from __future__ import annotations

import math

import pytest

from timb.tor.testnet.schedule import FIRST_BOUNDARY_S, INITIAL_INTERVAL, first_vote_offset

DAY = 1_796_256_000.0  # a midnight UTC


@pytest.mark.parametrize("phase", [0.0, 0.3, 0.45, 1.0, 2.79, 2.81, 3.5, 4.99, 17.25, 9.5])
def test_a_boundary_falls_just_after_the_relays_are_ready(phase: float) -> None:
    now = DAY + phase
    offset = first_vote_offset(now)
    boundary = math.ceil(now + FIRST_BOUNDARY_S)
    assert (boundary - offset) % INITIAL_INTERVAL == 0  # tor's boundaries: k * interval + offset
    assert FIRST_BOUNDARY_S - 1e-6 <= boundary - now < FIRST_BOUNDARY_S + 1
    assert 0 <= offset < INITIAL_INTERVAL
