"""Dialogs for accounts and contacts. Each calls the service itself, so a refusal (a bad address,
a wrong pin format) is shown next to the field and the dialog stays open."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, Switch

from timb.common.secret import Secret
from timb.core.errors import ServiceError
from timb.ui.tui.service_api import ServiceApi

POLICY_CHOICES = [
    ("always: never send without OTR", "always"),
    ("opportunistic: OTR when they have it", "opportunistic"),
    ("manual: start OTR by hand", "manual"),
    ("never: no OTR (not private!)", "never"),
]


def account_id_for(jid: str, taken: set[str]) -> str:
    """A short account id from the address' local part, unique among `taken`."""
    base = re.sub(r"[^A-Za-z0-9_.-]", "-", jid.split("@", 1)[0])[:48].strip("-.") or "account"
    if not base[0].isalnum():
        base = "a" + base
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


class _Dialog(ModalScreen[Any]):
    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Cancel")]
    CANCELLED: Any = None  # what Cancel and Escape dismiss with

    def action_cancel(self) -> None:
        self.dismiss(self.CANCELLED)

    def _error(self, text: str) -> None:
        self.query_one(".error", Label).update(text)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(self.CANCELLED)


class AddAccountDialog(_Dialog):
    """Add an XMPP account, or create a throwaway one ("Create new": in-band registration with a
    random name and password on the server named in the address field). Dismisses with the
    account's public description, or None. Enter adds once the address and password are there,
    and otherwise goes to the next field."""

    def __init__(self, service: ServiceApi) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Add an XMPP account (or create a throwaway one)", classes="title")
            yield Input(placeholder="address: user@server", id="jid")
            yield Input(placeholder="password", password=True, id="password")
            yield Input(placeholder="onion host (optional): xyz...onion", id="host")
            with Horizontal(classes="row"):
                yield Input(placeholder="port", value="5222", id="port", type="integer")
                yield Input(placeholder="TLS certificate pin (optional, SHA-256 hex)", id="pin")
            yield Label("", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Add", variant="primary", id="ok")
                yield Button("Create new", id="register")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    def _enter(self) -> None:
        if self.query_one("#jid", Input).value.strip() and self.query_one("#password", Input).value:
            self._submit()
        else:
            self.focus_next()

    def _server_options(self) -> tuple[str | None, int, str | None] | None:
        try:
            port = int(self.query_one("#port", Input).value or "5222")
        except ValueError:
            self._error("the port is a number")
            return None
        host = self.query_one("#host", Input).value.strip() or None
        pin = self.query_one("#pin", Input).value.strip() or None
        return host, port, pin

    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        jid = self.query_one("#jid", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not jid or not password:
            self._error("the address and the password are required")
            return
        options = self._server_options()
        if options is not None:
            self._add(jid, Secret(password), *options)

    @on(Button.Pressed, "#register")
    def _register_pressed(self) -> None:
        server = self.query_one("#jid", Input).value.strip().rpartition("@")[2]
        if not server:
            self._error("type the server's name in the address field, e.g. example.org")
            return
        options = self._server_options()
        if options is not None:
            self._error(f"creating an account on {server} (through Tor, this takes a moment)...")
            self._register(server, *options)

    @work(exclusive=True, group="dialog")
    async def _register(self, server: str, host: str | None, port: int, pin: str | None) -> None:
        try:
            taken = {a.id for a in self.service.list_accounts()}
            info = await self.service.register_account(
                account_id_for(f"throwaway@{server}", taken), server, host=host, port=port, tls_pin_sha256=pin
            )
        except ServiceError as exc:
            self._error(str(exc))
            return
        self.dismiss(info)

    @work(exclusive=True, group="dialog")
    async def _add(
        self, jid: str, password: Secret[str], host: str | None, port: int, pin: str | None
    ) -> None:
        try:
            taken = {a.id for a in self.service.list_accounts()}
            info = await self.service.add_account(
                account_id_for(jid, taken), jid, password, host=host, port=port, tls_pin_sha256=pin
            )
        except ServiceError as exc:
            self._error(str(exc))
            return
        self.query_one("#password", Input).value = ""
        self.dismiss(info)


class AddContactDialog(_Dialog):
    """Add a contact (a subscription request once connected) with its OTR policy.
    Dismisses with ``(account_id, jid)`` or None."""

    def __init__(self, service: ServiceApi, accounts: list[str]) -> None:
        super().__init__()
        self.service = service
        self.accounts = accounts

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Add a contact", classes="title")
            yield Select(
                [(a, a) for a in self.accounts], value=self.accounts[0], allow_blank=False, id="account"
            )
            yield Input(placeholder="their address: user@server", id="jid")
            yield Select(POLICY_CHOICES, value="always", allow_blank=False, id="policy")
            yield Label("", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Add", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#jid", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        account = str(self.query_one("#account", Select).value)
        jid = self.query_one("#jid", Input).value.strip()
        if not jid:
            self._error("type their address")
            return
        self._add(account, jid, str(self.query_one("#policy", Select).value))

    @work(exclusive=True, group="dialog")
    async def _add(self, account: str, jid: str, policy: str) -> None:
        try:
            await self.service.add_contact(account, jid, policy=policy)
        except ServiceError as exc:
            self._error(str(exc))
            return
        self.dismiss((account, jid))


class ContactSettingsDialog(_Dialog):
    """One contact's encryption policy and history (off unless turned on). Dismisses with
    ``(policy, history)`` or None."""

    def __init__(self, service: ServiceApi, account: str, contact: str, policy: str, history: bool) -> None:
        super().__init__()
        self.service, self.account, self.contact = service, account, contact
        self.policy, self.history = policy, history

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(f"Settings for {self.contact}"), classes="title")
            yield Static("Encryption policy:", classes="help")
            yield Select(POLICY_CHOICES, value=self.policy, allow_blank=False, id="policy")
            with Horizontal(classes="row"):
                yield Switch(value=self.history, id="history")
                yield Static("keep history (stored encrypted in your profile)", classes="help")
            yield Label("", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        self._save(str(self.query_one("#policy", Select).value), self.query_one("#history", Switch).value)

    @work(exclusive=True, group="dialog")
    async def _save(self, policy: str, history: bool) -> None:
        try:
            if policy != self.policy:
                await self.service.set_contact_policy(self.account, self.contact, policy)
            if history != self.history:
                await self.service.set_history(self.account, self.contact, history)
        except ServiceError as exc:
            self._error(str(exc))
            return
        self.dismiss((policy, history))


class ConfirmDialog(_Dialog):
    """A yes/no question. Dismisses with True or False."""

    CANCELLED = False

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question, self.yes = question, yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="title", markup=False)
            yield Label("", classes="error")
            with Horizontal(classes="buttons"):
                yield Button(self.yes, variant="error", id="yes")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)


class SubscriptionDialog(_Dialog):
    """Someone asks to see when we are online. Dismisses with "approve", "deny", "block" or None
    (later: the request stays)."""

    def __init__(self, account: str, contact: str) -> None:
        super().__init__()
        self.account, self.contact = account, contact

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(f"{self.contact} wants to see when you are online"), classes="title")
            yield Static(
                "Approve only people you know: your presence tells them when you are at the keyboard. "
                "Block drops their messages and requests from now on.",
                classes="help",
            )
            yield Label("", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Approve", variant="primary", id="approve")
                yield Button("Deny", id="deny")
                yield Button("Block", variant="error", id="block")
                yield Button("Later", id="cancel")

    @on(Button.Pressed, "#approve, #deny, #block")
    def _chosen(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)
