"""Every core event reaches a JSON-RPC client as a notification (a new event type must never
end `timb jsonrpc` with a KeyError)."""

from __future__ import annotations

import typing

from timb.core import events
from timb.ui.cli.jsonrpc import NOTIFICATIONS


def test_every_core_event_has_a_notification() -> None:
    assert set(typing.get_args(events.CoreEvent)) <= set(NOTIFICATIONS)
