"""The screen shown when Tor cannot start or cannot be reached: nothing connects without it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class TorErrorScreen(ModalScreen[str]):
    """Dismisses with "quit" or "continue" (no account can connect until Tor works)."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog alarm"):
            yield Static("Tor is not working", classes="title")
            yield Static(self.message, id="tor-error", classes="help", markup=False)
            yield Static(
                "TIMB sends nothing without Tor: your accounts cannot connect until this is fixed. "
                "Check that tor is running and that its control port and cookie are the ones "
                "given to 'timb ui --tor-control PORT --tor-cookie PATH'.",
                classes="help",
            )
            with Horizontal(classes="buttons"):
                yield Button("Quit", variant="error", id="quit")
                yield Button("Continue offline", id="continue")

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.dismiss("quit")

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.dismiss("continue")
