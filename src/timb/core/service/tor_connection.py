"""The service's Tor connection choice (the connection assistant): read it, change it, and what
can be offered (`timb.core.service.tor_settings` holds the value and its rules).

A change is validated in full before anything is stored or sent: pasted lines all-or-nothing,
a transport no installed program carries named with its package, and under ``TIMB_OFFLINE=1``
the built-in (public) bridges refused. A managed tor that is running is reconfigured at once
(``SETCONF``, no restart: `timb.tor.bridge_control.set_bridges`); an attached tor is never
touched (it is configured where it runs, and `describe` says whether it uses bridges).

The built-in list can be replaced (`import_list`): the file is validated whole before anything
is kept, and a running managed tor on built-in bridges moves to the new ones at once.

A managed tor started with ``hold_network`` (``DisableNetwork 1``) contacts nothing until a
choice exists: the stored one at unlock (`apply_stored`), or the first answer to the question
(`choose`); only then ``DisableNetwork 0``, after the bridges are in place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from timb.core.errors import InvalidRequest, ServiceError, Unavailable
from timb.core.events import CoreEvent, TorFailed
from timb.core.service.session import ProfileSession
from timb.core.service.tor_settings import (
    BridgeChoice,
    bridge_torrc,
    check_offline_list,
    chosen_bridges,
    load_bridge_list,
    load_choice,
    offered_transports,
    store_bridge_list,
    store_choice,
)
from timb.core.tor_link import TorLink
from timb.tor.bridge_control import set_bridges
from timb.tor.builtin import BuiltinBridges, load_bridge_file
from timb.tor.errors import BridgeLineError, OfflineGuardError, TorError
from timb.tor.transports import TransportProgram, detect_programs


@dataclass(frozen=True, slots=True)
class TorConnectionInfo:
    """What a settings screen shows. ``mode``: "direct", "builtin", "custom", or None (never
    chosen: ask the first-run question); ``bridge_count`` (given lines are never shown back);
    ``transports``: the built-in ones that can run here; ``builtin_date``: the day the shipped
    list was taken (ISO) and ``builtin_source`` where it came from (a replacement: the imported
    file's source or name); ``managed``: our own tor (bridges apply) or not (configure the
    attached tor there); ``attached_uses_bridges``: what an attached tor says (GETCONF), or None."""

    mode: str | None
    transport: str | None
    bridge_count: int
    transports: tuple[str, ...]
    builtin_date: str
    managed: bool
    attached_uses_bridges: bool | None
    builtin_source: str = "builtin"


class TorConnection:
    def __init__(
        self, session: ProfileSession, tor: TorLink, emit: Callable[[CoreEvent], None] = lambda _: None
    ) -> None:
        self._session = session
        self._tor = tor
        self._emit = emit
        self._programs: tuple[TransportProgram, ...] | None = None

    async def _facts(self) -> tuple[BuiltinBridges, tuple[TransportProgram, ...]]:
        """The unlocked profile's bridge list (read each time: a list is the profile's, and
        another profile may be unlocked next) and the transport programs installed here."""
        builtin = load_bridge_list(self._session.require().vault)
        if self._programs is None:
            self._programs = await asyncio.to_thread(detect_programs)
        return builtin, self._programs

    async def describe(self) -> TorConnectionInfo:
        """Raises: ProfileError (no profile unlocked)."""
        choice = load_choice(self._session.require().vault)
        builtin, programs = await self._facts()
        return TorConnectionInfo(
            None if choice is None else choice.mode,
            None if choice is None else choice.transport,
            0 if choice is None else len(choice.bridges),
            offered_transports(builtin, programs),
            builtin.date.isoformat(),
            self._tor.settings.managed,
            await self._attached_uses_bridges(),
            builtin.source,
        )

    async def choose(self, mode: str, transport: str | None = None, lines: str | None = None) -> None:
        """Store the choice (and reconfigure our running tor).

        Raises: ProfileError, InvalidRequest (unknown mode, a bad line: its number and field,
        a transport that cannot run, refused offline), Unavailable (tor refused the change).
        """
        profile = self._session.require()
        builtin, programs = await self._facts()
        try:
            if mode == "custom":
                choice = BridgeChoice.custom(lines or "")
            else:
                choice = BridgeChoice(mode, transport if mode == "builtin" else None)
            bridge_torrc(choice, builtin, programs)  # every check, before anything changes
        except BridgeLineError as exc:
            raise InvalidRequest(f"bridge line {exc.line}: {exc.field}: {exc.reason}") from None
        except (OfflineGuardError, ValueError) as exc:
            raise InvalidRequest(str(exc)) from None
        store_choice(profile.vault, choice)
        await self._apply(choice, builtin, programs)

    async def import_list(self, path: Path) -> TorConnectionInfo:
        """Replace the built-in bridge list with the file at ``path`` (TIMB's format or Tor
        Browser's ``pt_config.json``), kept in the profile; returns what the screen shows now.

        All or nothing: every line is validated first, and the list is refused whole when one
        is bad, when ``TIMB_OFFLINE=1`` and a line is not a loopback obfs4/vanilla bridge, or
        when the stored choice is built-in bridges of a transport the new list lacks (the
        choice would point at nothing). A running managed tor on built-in bridges is moved to
        the new ones (SETCONF).

        Raises: ProfileError, InvalidRequest (the bad line's number in the file and its field,
        or the reason above), Unavailable (tor refused the new bridges; the list is kept).
        """
        profile = self._session.require()
        _, programs = await self._facts()
        try:
            bridges = await asyncio.to_thread(load_bridge_file, path)
            check_offline_list(bridges)
            choice = load_choice(profile.vault)
            if choice is not None and choice.mode == "builtin":
                bridge_torrc(choice, bridges, programs)
        except BridgeLineError as exc:
            where = f"bridge {exc.line} of the file" if exc.line else "the file"
            raise InvalidRequest(f"bridge list refused, {where}: {exc.field} {exc.reason}") from None
        except (OfflineGuardError, ValueError) as exc:
            raise InvalidRequest(f"bridge list refused: {exc}") from None
        store_bridge_list(profile.vault, bridges)
        if choice is not None and choice.mode == "builtin":
            await self._apply(choice, bridges, programs)
        return await self.describe()

    async def apply_stored(self) -> None:
        """After unlock: put the stored choice into a held managed tor and let it connect (no
        choice stored: it stays held until `choose`). A failure is a `TorFailed` event: this
        runs as a task, and a tor that cannot take the choice never connects without it."""
        if not (self._tor.settings.managed and self._tor.settings.hold_network):
            return
        try:
            choice = load_choice(self._session.require().vault)
            if choice is not None:
                await self._apply(choice, *await self._facts())
        except ServiceError as exc:
            self._emit(TorFailed(str(exc)))

    async def _apply(
        self, choice: BridgeChoice, builtin: BuiltinBridges, programs: tuple[TransportProgram, ...]
    ) -> None:
        settings = self._tor.settings
        if not settings.managed:
            return  # an attached tor is configured where it runs
        client = await self._tor.dialer() if settings.hold_network else self._tor.client
        if client is None:
            return
        try:
            if choice.uses_bridges:
                await set_bridges(client, chosen_bridges(choice, builtin), programs)
            else:
                reply = await client.control.command("RESETCONF UseBridges Bridge ClientTransportPlugin")
                reply.raise_for_status()
            if settings.hold_network:  # only now, with the bridges in place
                (await client.control.command("SETCONF DisableNetwork=0")).raise_for_status()
        except (TorError, ValueError) as exc:
            raise Unavailable(f"tor did not take the new bridges: {exc}") from None

    async def _attached_uses_bridges(self) -> bool | None:
        client = self._tor.client
        if client is None or self._tor.settings.managed:
            return None
        try:
            values = (await client.control.get_conf("UseBridges")).get("UseBridges", [])
        except TorError:
            return None
        return values == ["1"]
