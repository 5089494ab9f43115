"""The connection assistant's flow: ask the first-run question once a profile is open, no choice
is stored and TIMB runs its own tor, offer the same screen from the palette, and turn a stall
into a notice that offers bridges (the user decides; nothing is reconfigured by itself).

Only TIMB's own (managed) tor takes the choice: an attached tor (a system tor, the demo's private
network) is configured where it runs, so asking there would be a question whose answer changes
nothing. The palette entry still shows what an attached tor says about its bridges."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from timb.core.errors import ServiceError
from timb.core.events import TorStalled
from timb.core.service.tor_connection import TorConnectionInfo
from timb.ui.tui.flows.host import FlowHost
from timb.ui.tui.screens.tor_connection import TorConnectionScreen, TorStalledScreen

Spawn = Callable[[Coroutine[Any, Any, None]], object]


class TorAssistant:
    """The assistant's screens for one app; ``spawn`` runs a coroutine as the app's worker."""

    def __init__(self, app: FlowHost, spawn: Spawn) -> None:
        self.app = app
        self.spawn = spawn

    async def ask_if_unset(self) -> None:
        """The first-run question, when the profile holds no choice yet and the tor is ours."""
        info = await self._info()
        if info is not None and info.mode is None and info.managed:
            self.app.push_screen(TorConnectionScreen(self.app.service, info, first_run=True), self._chosen)

    def open(self) -> None:
        self.spawn(self._open())

    async def _open(self) -> None:
        info = await self._info()
        if info is not None:
            self.app.push_screen(TorConnectionScreen(self.app.service, info), self._chosen)

    def stalled(self, event: TorStalled) -> None:
        if any(isinstance(s, (TorStalledScreen, TorConnectionScreen)) for s in self.app.screen_stack):
            return  # repeated each stall time-out: one notice is enough
        self.app.main.tor.set_stalled(event.progress)
        screen = TorStalledScreen(event.progress, event.tag, event.message, event.advice)
        self.app.push_screen(screen, self._after_stall)

    def _after_stall(self, choice: str | None) -> None:
        if choice == "bridges":
            self.open()

    def _chosen(self, saved: bool | None) -> None:
        if saved:
            self.app.notify("Tor connection saved.", timeout=5)

    async def _info(self) -> TorConnectionInfo | None:
        try:
            return await self.app.service.tor_connection()
        except ServiceError as exc:
            self.app.notify(str(exc), severity="error", markup=False)
            return None
