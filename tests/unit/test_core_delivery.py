"""timb.core.delivery: the re-send order survives messages leaving it."""

from __future__ import annotations

from timb.core.delivery import Deliveries
from timb.core.events import MessageState


def test_re_sending_keeps_the_order_of_first_sending_after_deliveries() -> None:
    # Found by the property test: a position taken as len(order) after delivered messages had
    # left it put a later message before an older one still waiting (shown out of order).
    d = Deliveries("main", lambda _event: None)
    for n in range(4):
        d.place(d.add(f"m{n}", "bob@x", f"text {n}", needs_otr=True, written_for=frozenset()))
    d.set_state(d["m0"], MessageState.DELIVERED)
    d.set_state(d["m1"], MessageState.DELIVERED)
    d.place(d.add("m4", "bob@x", "text 4", needs_otr=True, written_for=frozenset()))
    assert d.requeue(["m4", "m3", "m2"]) == ["m2", "m3", "m4"]
