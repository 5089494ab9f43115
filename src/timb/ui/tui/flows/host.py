"""What a flow may ask of the app that runs it (`timb.ui.tui.app.TimbApp` satisfies it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from textual.notifications import SeverityLevel
from textual.screen import Screen

from timb.ui.tui.screens.main import MainScreen
from timb.ui.tui.service_api import ServiceApi


class FlowHost(Protocol):
    @property
    def service(self) -> ServiceApi: ...

    @property
    def main(self) -> MainScreen: ...

    @property
    def screen_stack(self) -> Sequence[Screen[Any]]: ...

    def push_screen(self, screen: Any, callback: Any = None) -> Any: ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...

    def run_command(self, command: Callable[[], object]) -> bool:
        """Run a service command; a ServiceError is shown and gives False."""
        ...

    def system_line(self, account: str, contact: str, text: str) -> None:
        """A line in the conversation with ``contact`` (opened if needed)."""
        ...
