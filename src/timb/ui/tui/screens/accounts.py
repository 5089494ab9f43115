"""Accounts: list with connection state; add, connect, disconnect, remove."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Label, ListView, Static

from timb.core.errors import ServiceError
from timb.core.events import ConnectionState
from timb.core.service.results import AccountInfo
from timb.ui.tui.screens.dialogs import AddAccountDialog, ConfirmDialog
from timb.ui.tui.service_api import ServiceApi
from timb.ui.tui.widgets.sidebar import AccountItem


class AccountsScreen(Screen[None]):
    """Manage accounts. ``states`` is the app's view of each account's connection."""

    BINDINGS: ClassVar[list[BindingType]] = [
        ("escape", "close", "Back"),
        ("a", "add", "Add"),
        ("c", "connect", "Connect"),
        ("d", "disconnect", "Disconnect"),
        ("delete", "remove", "Remove"),
    ]

    def __init__(self, service: ServiceApi, states: dict[str, ConnectionState]) -> None:
        super().__init__()
        self.service = service
        self.states = states

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(classes="page"):
            yield Static("Accounts", classes="title")
            yield ListView(id="account-list")
            yield Label("", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Add", variant="primary", id="add")
                yield Button("Connect", id="connect")
                yield Button("Disconnect", id="disconnect")
                yield Button("Remove", variant="error", id="remove")
                yield Button("Back", id="back")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.refresh_list()

    def refresh_list(self) -> None:
        view = self.query_one("#account-list", ListView)
        view.clear()
        accounts = self.service.list_accounts()
        view.extend(
            AccountItem(a.id, str(a.jid), self.states.get(a.id, ConnectionState.DISCONNECTED))
            for a in accounts
        )
        if accounts:
            view.index = 0
        else:
            self._message("no account yet: press 'a' to add your XMPP account")

    def set_connection(self, account: str, state: ConnectionState) -> None:
        for item in self.query(AccountItem):
            if item.account == account:
                item.set_state(state)

    def _message(self, text: str) -> None:
        self.query_one(".error", Label).update(text)

    def _selected(self) -> str | None:
        item = self.query_one("#account-list", ListView).highlighted_child
        return item.account if isinstance(item, AccountItem) else None

    @on(Button.Pressed, "#back")
    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#add")
    def action_add(self) -> None:
        self.app.push_screen(AddAccountDialog(self.service), self._added)

    def _added(self, info: AccountInfo | None) -> None:
        if info is not None:
            self.refresh_list()
            self._message(f"added {info.jid}: press 'c' to connect")

    @on(Button.Pressed, "#connect")
    async def action_connect(self) -> None:
        await self._call("connect")

    @on(Button.Pressed, "#disconnect")
    async def action_disconnect(self) -> None:
        await self._call("disconnect")

    @on(Button.Pressed, "#remove")
    def action_remove(self) -> None:
        account = self._selected()
        if account is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._remove(account)

        self.app.push_screen(
            ConfirmDialog(f"Remove account {account}, its OTR key and its contacts?", "Remove"), confirmed
        )

    @work(exclusive=True, group="accounts")
    async def _remove(self, account: str) -> None:
        try:
            await self.service.remove_account(account)
        except ServiceError as exc:
            self._message(str(exc))
            return
        self.refresh_list()

    async def _call(self, command: str) -> None:
        account = self._selected()
        if account is None:
            self._message("add an account first")
            return
        try:
            if command == "connect":
                await self.service.connect(account)
            else:
                await self.service.disconnect(account)
        except ServiceError as exc:
            self._message(str(exc))
