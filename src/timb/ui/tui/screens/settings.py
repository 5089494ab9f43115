"""Settings: history, the encryption policy of each contact, how TIMB reaches Tor."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Label, ListItem, ListView, Static

from timb.ui.tui.screens.dialogs import ContactSettingsDialog
from timb.ui.tui.service_api import ServiceApi


class ContactSettingsItem(ListItem):
    def __init__(self, account: str, contact: str, policy: str, history: bool) -> None:
        self._label = Label("")
        super().__init__(self._label)
        self.account, self.contact = account, contact
        self.set_values(policy, history)

    def set_values(self, policy: str, history: bool) -> None:
        self.policy, self.history = policy, history
        self._label.update(Text(f"{self.contact}: OTR {policy}, history {'ON' if history else 'off'}"))


class SettingsScreen(Screen[None]):
    """Each contact's OTR policy and history (Enter); how Tor is reached is chosen at start
    (``timb ui --tor-control PORT``) and shown here, with the way to the connection assistant
    (the app's ``tor_connection`` action: directly or through bridges)."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "close", "Back")]

    def __init__(self, service: ServiceApi, tor_description: str) -> None:
        super().__init__()
        self.service = service
        self.tor_description = tor_description

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(classes="page"):
            yield Static("Settings", classes="title")
            yield Static(
                "History is off unless you turn it on for a contact; then it is stored encrypted "
                "in your profile.",
                id="history",
                classes="help",
            )
            yield Static(
                Text(
                    f"Tor: {self.tor_description}. Chosen when TIMB starts: attach to a running tor "
                    "(timb ui --tor-control PORT --tor-cookie PATH) or run its own "
                    "(timb ui --tor-data DIR)."
                ),
                id="tor-mode",
                classes="help",
            )
            yield Button("Tor connection: directly or through bridges", id="tor-connection")
            yield Static("Per contact (Enter to change):", classes="help")
            yield ListView(id="policies")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        view = self.query_one("#policies", ListView)
        for account in self.service.list_accounts():
            for contact in self.service.list_contacts(account.id):
                view.append(ContactSettingsItem(account.id, contact.jid, contact.policy, contact.history))
        if view.children:
            view.index = 0
            view.focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#tor-connection")
    async def _tor_connection(self) -> None:
        await self.app.run_action("tor_connection")

    @on(ListView.Selected, "#policies")
    def _change(self, event: ListView.Selected) -> None:
        item = event.item
        if not isinstance(item, ContactSettingsItem):
            return

        def saved(values: tuple[str, bool] | None) -> None:
            if values is not None and isinstance(item, ContactSettingsItem):
                item.set_values(*values)

        dialog = ContactSettingsDialog(self.service, item.account, item.contact, item.policy, item.history)
        self.app.push_screen(dialog, saved)
