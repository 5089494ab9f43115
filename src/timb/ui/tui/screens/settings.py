"""Settings: history, the encryption policy of each contact, how TIMB reaches Tor."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, ListItem, ListView, Static

from timb.ui.tui.screens.dialogs import PolicyDialog
from timb.ui.tui.service_api import ServiceApi


class PolicyItem(ListItem):
    def __init__(self, account: str, contact: str, policy: str) -> None:
        self._label = Label(Text(f"{contact}: {policy}"))
        super().__init__(self._label)
        self.account, self.contact, self.policy = account, contact, policy

    def set_policy(self, policy: str) -> None:
        self.policy = policy
        self._label.update(Text(f"{self.contact}: {policy}"))


class SettingsScreen(Screen[None]):
    """History is off and is not stored by this version; Tor's mode is chosen at start
    (``timb ui --tor-control``); each contact's OTR policy is changed here (Enter)."""

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
                "History: off. TIMB keeps no record of your conversations.", id="history", classes="help"
            )
            yield Static(Text(f"Tor: {self.tor_description}"), id="tor-mode", classes="help")
            yield Static("Encryption policy per contact (Enter to change):", classes="help")
            yield ListView(id="policies")
        yield Footer()

    def on_mount(self) -> None:
        view = self.query_one("#policies", ListView)
        for account in self.service.list_accounts():
            for contact in self.service.list_contacts(str(account["id"])):
                view.append(PolicyItem(str(account["id"]), str(contact["jid"]), str(contact["policy"])))

    def action_close(self) -> None:
        self.dismiss(None)

    @on(ListView.Selected, "#policies")
    def _change(self, event: ListView.Selected) -> None:
        item = event.item
        if not isinstance(item, PolicyItem):
            return

        def saved(policy: str | None) -> None:
            if policy is not None and isinstance(item, PolicyItem):
                item.set_policy(policy)

        self.app.push_screen(PolicyDialog(self.service, item.account, item.contact, item.policy), saved)
