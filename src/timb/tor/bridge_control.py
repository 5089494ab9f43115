"""Bridges on a running tor, over its control port.

`set_bridges` switches a tor TIMB manages to other bridges (another transport, other lines)
with one ``SETCONF``: tor drops its connections and bootstraps again without a restart. The
offline guard judges the configuration tor would have *after* the change, before anything is
sent. `bridge_state` is what TIMB shows for a tor it attached to (a system tor): whether that
tor uses bridges and how far it got; such a tor is configured where it runs, never by TIMB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from timb.tor.bridges import BridgeLine
from timb.tor.client import GUARD_OPTIONS, TorClient
from timb.tor.control.events import BootstrapStatus
from timb.tor.process import offline_mode
from timb.tor.torrc import check_private_network
from timb.tor.transports import TransportProgram, bridge_options

GUARD_STATUSES = frozenset({"up", "never-connected", "down", "unusable", "unlisted"})


def parse_entry_guards(value: str) -> list[tuple[str, str]]:
    """``GETINFO entry-guards``: one ``ServerID Status [ISOTime]`` per line (control-spec) ->
    [(server id, status)]; lines of any other shape are skipped (tor may add fields)."""
    guards: list[tuple[str, str]] = []
    for line in value.splitlines():
        words = line.split()
        if len(words) >= 2 and words[1] in GUARD_STATUSES:
            guards.append((words[0], words[1]))
    return guards


async def guards_up(tor: TorClient) -> int:
    """How many of tor's entry guards (its bridges, with ``UseBridges 1``) are up.

    A bridge that dies under a running tor leaves bootstrap at 100 % and ``network-liveness``
    up; only this (and ORCONN CLOSED/FAILED events) shows it.

    Raises:
        TorUnavailable: tor is gone.
    """
    value = (await tor.control.get_info("entry-guards"))["entry-guards"]
    return sum(1 for _guard, status in parse_entry_guards(value) if status == "up")


@dataclass(frozen=True, slots=True)
class BridgeState:
    """Whether a tor uses bridges (its ``Bridge`` lines as tor reports them) and its bootstrap."""

    uses_bridges: bool
    bridges: tuple[str, ...]
    bootstrap: BootstrapStatus


async def bridge_state(tor: TorClient) -> BridgeState:
    """``GETCONF UseBridges Bridge`` and ``GETINFO status/bootstrap-phase``.

    Raises:
        TorUnavailable: tor is gone.
        ControlError: tor refused.
    """
    conf = await tor.control.get_conf("UseBridges", "Bridge")
    uses = any(v.strip() == "1" for v in conf.get("UseBridges", []))
    lines = tuple(v for v in conf.get("Bridge", []) if v.strip())
    return BridgeState(uses, lines, await tor.bootstrap_status())


async def set_bridges(
    tor: TorClient, bridges: Sequence[BridgeLine], programs: Sequence[TransportProgram]
) -> None:
    """Make ``tor`` use exactly ``bridges`` from now on (``SETCONF UseBridges=1 Bridge=...
    ClientTransportPlugin=...``), without a restart.

    Raises:
        ValueError: no bridges, or a transport no installed program carries.
        OfflineGuardError: TIMB_OFFLINE=1 and the result would leave the private network
            (nothing is sent to tor then).
        ControlError: tor refused the change (it keeps its old configuration).
        TorUnavailable: tor is gone.
    """
    options = bridge_options(bridges, programs)
    if offline_mode():
        after = await tor.control.get_conf(*GUARD_OPTIONS)
        for name in ("UseBridges", "Bridge", "ClientTransportPlugin"):
            after[name] = [value for key, value in options if key == name]
        check_private_network(after)
    # Values were validated field by field (no quote, backslash or line break can be in them).
    words = [f'{key}="{value}"' for key, value in options]
    (await tor.control.command("SETCONF " + " ".join(words))).raise_for_status()
    tor.forget_bootstrap()
