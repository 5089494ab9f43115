"""Create or unlock the profile: the first screen. Nothing else is reachable before it succeeds."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from timb.common.secret import Secret
from timb.core.errors import ServiceError
from timb.ui.tui.service_api import ServiceApi
from timb.ui.tui.strength import MIN_LENGTH, passphrase_strength


class ProfileScreen(Screen[bool]):
    """Asks for the passphrase (twice, with a strength hint, when creating). Dismisses with True
    once the service has the profile unlocked."""

    BINDINGS: ClassVar[list[BindingType]] = [("ctrl+q", "app.quit", "Quit")]

    def __init__(self, service: ServiceApi, *, create: bool) -> None:
        super().__init__()
        self.service = service
        self.create = create

    def compose(self) -> ComposeResult:
        with Vertical(id="profile-box", classes="dialog"):
            if self.create:
                yield Static("Create your TIMB profile", classes="title")
                yield Static(
                    "Your keys, accounts and contacts are encrypted with this passphrase. "
                    "It cannot be recovered: write it down somewhere safe.",
                    classes="help",
                )
            else:
                yield Static("Unlock your TIMB profile", classes="title")
            yield Input(placeholder="passphrase", password=True, id="passphrase")
            if self.create:
                yield Input(placeholder="the same passphrase again", password=True, id="repeat")
                yield Label("", id="strength")
            yield Label("", id="profile-error", classes="error")
            yield Button("Create" if self.create else "Unlock", variant="primary", id="profile-ok")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    @on(Input.Changed, "#passphrase")
    def _hint(self, event: Input.Changed) -> None:
        if self.create:
            strength = passphrase_strength(event.value)
            hint = f"strength (rough estimate): {strength.label}"
            if strength.label in ("too short", "weak", "fair"):
                hint += " - five or more random words are best"
            self.query_one("#strength", Label).update(hint)

    @on(Input.Submitted, "#passphrase")
    def _next(self) -> None:
        if self.create:
            self.query_one("#repeat", Input).focus()
        else:
            self._submit()

    @on(Input.Submitted, "#repeat")
    @on(Button.Pressed, "#profile-ok")
    def _submit(self) -> None:
        passphrase = self.query_one("#passphrase", Input).value
        if self.create:
            if len(passphrase) < MIN_LENGTH:
                self._error(f"use at least {MIN_LENGTH} characters")
                return
            if passphrase != self.query_one("#repeat", Input).value:
                self._error("the two passphrases differ")
                return
        elif not passphrase:
            self._error("type your passphrase")
            return
        self._run(Secret(passphrase))

    def _error(self, text: str) -> None:
        self.query_one("#profile-error", Label).update(text)

    @work(exclusive=True, group="profile")
    async def _run(self, passphrase: Secret[str]) -> None:
        button = self.query_one("#profile-ok", Button)
        button.disabled = True
        self._error("creating (this takes a moment)..." if self.create else "unlocking...")
        try:
            if self.create:
                await self.service.create_profile(passphrase)
            else:
                await self.service.unlock_profile(passphrase)
        except ServiceError as exc:
            self._error(str(exc))
            button.disabled = False
            if not self.create:
                field = self.query_one("#passphrase", Input)
                field.value = ""
                field.focus()
            return
        for field in self.query(Input):
            field.value = ""
        self.dismiss(True)
