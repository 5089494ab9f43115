"""When the private network's authorities make their first vote. Pure: the caller passes the
wall-clock time (tor counts voting intervals from midnight UTC, plus
``TestingV3AuthVotingStartOffset``, and votes about 2 s before each boundary).

Measured here: left to the clock, the first vote came wherever the next 5-s boundary fell. When
it fell before every relay had posted its descriptor, the first consensus lacked relays and the
next one came 10 s later (starts of 12-19 s instead of 7). The offset places the first boundary
FIRST_BOUNDARY_S after the spawn instead: descriptors are in after about 2-3 s, the vote is at
the boundary minus about 2 s. At 3.6 s the first consensus lacked relays in 3 of 5 starts on a
loaded machine; 4.6 s gave a p50 of 7.4 s over 10 starts (2 of them still missed); 5.0 s missed
none of 10 but gave a p50 of 8.2 s.

Tried and dropped: starting the authorities with a long initial interval and moving it with
``SETCONF`` once every descriptor was in. The consensus then came 3 s after the descriptors
every time, but in 8 of 34 starts the clients (and relays) then sat at 95 % ``circuit_create``
for 15-18 s, which a late first consensus never caused.
"""

from __future__ import annotations

import math

INITIAL_INTERVAL = 5  # the shortest tor accepts with vote and distribution delays of 2 s
FIRST_BOUNDARY_S = 4.6


def first_vote_offset(now: float) -> int:
    """The offset (0-4) that puts a boundary of the INITIAL_INTERVAL schedule at the first
    whole second at least FIRST_BOUNDARY_S after ``now``. tor skips a boundary whose vote time
    (about 2 s before it) has passed when it schedules, so the one 5 s earlier (0-0.6 s ahead)
    never gets a vote."""
    return math.ceil(now + FIRST_BOUNDARY_S) % INITIAL_INTERVAL
