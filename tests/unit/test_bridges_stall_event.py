"""A stalled bootstrap becomes the core's `TorStalled` (and the `tor.stalled` notification): what
is stuck, why, and what to offer; repeated while stuck, ended by 100 % or a lost tor. A fake
client stands in for tor (the real stall signals are tested in tests/integration/test_bridge.py)."""

from __future__ import annotations

from pathlib import Path

from timb.core.events import CoreEvent, TorStalled
from timb.core.tor_link import TorLink, TorSettings, stall_event
from timb.tor.control.events import BootstrapStatus
from timb.tor.errors import BootstrapStalled, TorUnavailable
from timb.tor.stall import Stall, StallReason
from timb.ui.cli.jsonrpc import event_to_notification

PT = BootstrapStatus(2, "conn_done_pt", "Connected to pluggable transport")
STALL = Stall(StallReason.TRANSPORT_CANNOT_CONNECT, PT, 61.0, "general SOCKS server failure")


class _Client:
    def __init__(self, outcomes: list[BaseException | None]) -> None:
        self.outcomes = outcomes

    async def watch_bootstrap(self, *, stall_after_s: float) -> BootstrapStatus:
        assert stall_after_s == 5.0
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return BootstrapStatus(100, "done", "Done")


async def _watch(outcomes: list[BaseException | None], settings: TorSettings) -> list[CoreEvent]:
    seen: list[CoreEvent] = []
    link = TorLink(settings, seen.append)
    await link.watch_stalls(_Client(outcomes))  # type: ignore[arg-type]
    return seen


async def test_each_stall_is_reported_until_tor_is_done(tmp_path: Path) -> None:
    settings = TorSettings(managed=True, data_dir=tmp_path, stall_after_s=5.0, hold_network=True)
    seen = await _watch([BootstrapStalled(STALL), BootstrapStalled(STALL), None], settings)
    assert len(seen) == 2
    event = seen[0]
    assert isinstance(event, TorStalled)
    assert (event.progress, event.tag, event.reason) == (2, "conn_done_pt", "TRANSPORT_CANNOT_CONNECT")
    assert "stuck at 2 %" in event.message and "another transport" in event.advice
    notification = event_to_notification(event)
    assert notification["method"] == "tor.stalled" and notification["params"]["tag"] == "conn_done_pt"


async def test_a_lost_tor_ends_the_watch_quietly(tmp_path: Path) -> None:
    settings = TorSettings(managed=True, data_dir=tmp_path, stall_after_s=5.0)
    assert await _watch([TorUnavailable("gone")], settings) == []


def test_the_advice_fits_the_connection() -> None:
    direct = stall_event(STALL, TorSettings(managed=True))
    assert "choose bridges" in direct.advice
    attached = stall_event(STALL, TorSettings(control_port=9051))
    assert "configure bridges in that tor" in attached.advice
