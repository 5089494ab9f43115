"""Memory under a flood of strangers: `timb.core.Conversations` with its bounds, beside the same
code with the bounds lifted (the baseline: what main kept before issue 9), in one run.

Scenarios (each in a fresh `Conversations`, memory measured with tracemalloc after the flood):

* strangers: N addresses that are not contacts each send one plaintext message (each would get a
  contact state and an OTR conversation). Bounded by MAX_STRANGERS per account.
* sender tags: one address sends N tiny first fragments, each with a new sender instance tag
  (the routing tables by sender tag). Bounded by MAX_ROUTES per contact.
* commits: one address sends N D-H Commits from new sender tags (AKE routes). Bounded too.

Usage: ``.venv/bin/python bench/flood_bench.py [--n N]``
"""

from __future__ import annotations

import argparse
import base64
import gc
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from timb.common.clock import FakeClock
from timb.common.random import DeterministicRandom
from timb.core import routing
from timb.core.conversations import Conversations
from timb.otr import PrivateKey, instances

KEY = PrivateKey.generate()


def _core() -> Conversations:
    return Conversations(
        "me",
        KEY,
        instance_tag=0x1111,
        clock=FakeClock(),
        rng=DeterministicRandom(b"flood"),
        is_contact=lambda _c: False,
    )


def strangers(core: Conversations, n: int) -> None:
    for i in range(n):
        core.receive(f"stranger{i}@flood.test", "hi")
        while core.next_event() is not None:
            pass


def sender_tags(core: Conversations, n: int) -> None:
    for i in range(n):
        core.receive("flooder@flood.test", f"?OTR|{0x100 + i:08x}|00001111,00001,00002,?OTR:AAMD,")


def commits(core: Conversations, n: int) -> None:
    raw = bytes([0, 3, 2])
    for i in range(n):
        body = raw + (0x100 + i).to_bytes(4, "big") + bytes(4) + bytes(4) + bytes(4)
        core.receive("flooder@flood.test", "?OTR:" + base64.b64encode(body).decode() + ".")
        while core.next_event() is not None:
            pass
        core.data_to_send()


@contextmanager
def unbounded() -> Iterator[None]:
    saved = routing.MAX_STRANGERS, instances.MAX_ROUTES
    routing.MAX_STRANGERS = instances.MAX_ROUTES = 10**12
    try:
        yield
    finally:
        routing.MAX_STRANGERS, instances.MAX_ROUTES = saved


def measure(flood: Callable[[Conversations, int], None], n: int) -> float:
    gc.collect()
    tracemalloc.start()
    core = _core()
    flood(core, n)
    gc.collect()
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del core
    return current / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    n = args.n
    print(f"flood of {n} per scenario; memory retained after it (MB, tracemalloc)")
    print(f"{'scenario':<14}{'TIMB (bounded)':>16}{'baseline':>12}{'ratio':>9}")
    for name, flood in (("strangers", strangers), ("sender tags", sender_tags), ("commits", commits)):
        bounded = measure(flood, n)
        with unbounded():
            baseline = measure(flood, n)
        print(f"{name:<14}{bounded:>16.2f}{baseline:>12.2f}{baseline / max(bounded, 1e-9):>8.1f}x")


if __name__ == "__main__":
    main()
