"""The main screen: the sidebar (accounts, contacts, Tor) and the open conversation.

It only shows things and turns key presses into app actions; the app talks to the service.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Header, ListView, Static

from timb.core.events import ConnectionState, OtrState
from timb.ui.tui.widgets.conversation import ConversationView
from timb.ui.tui.widgets.sidebar import AccountItem, ContactItem, TorStatus

# The welcome text names each action's key as BINDINGS binds it, so the two cannot disagree.
WELCOME_LINES: tuple[str | tuple[tuple[str, str], ...], ...] = (
    "Welcome to TIMB.\n",
    (("app.accounts", "accounts (add your XMPP account, connect)"),),
    (("app.add_contact", "add a contact"),),
    "Pick a contact on the left to chat.",
    (("app.go_private", "go private (OTR)"), ("app.end_private", "end it")),
    (("app.verify", "verify fingerprints"), ("app.smp", "verify with a secret (SMP)")),
    (("command_palette", "every command"),),
)


def _key_name(key: str) -> str:
    return key.upper() if key[:1] == "f" and key[1:].isdigit() else key


def welcome_text(bindings: list[BindingType], palette_key: str) -> str:
    """The welcome text, with the keys from ``bindings`` (and the command palette's key)."""
    keys = {"command_palette": palette_key}
    for binding in bindings:
        key, action = (binding.key, binding.action) if isinstance(binding, Binding) else binding[:2]
        keys.setdefault(action, key)
    lines = [
        line if isinstance(line, str) else ", ".join(f"{_key_name(keys[a])}: {words}" for a, words in line)
        for line in WELCOME_LINES
    ]
    return "\n".join(lines)


class MainScreen(Screen[None]):
    """Accounts, contacts and conversations. Actions are the app's (see TimbApp.BINDINGS)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        ("ctrl+o", "app.go_private", "OTR"),
        ("ctrl+t", "app.end_private", "End"),
        ("f5", "app.verify", "Verify"),
        ("f6", "app.smp", "SMP"),
        ("f2", "app.accounts", "Accounts"),
        ("f3", "app.add_contact", "Contact+"),
        ("f4", "app.settings", "Settings"),
        Binding("f7", "app.remove_contact", "Remove contact", show=False),
        Binding("f8", "app.block_contact", "Block contact", show=False),
        Binding("f9", "app.onion", "Onion", show=False),
    ]

    class Ready(Message):
        """Composed: the app may now show core events on it."""

    class ConversationCreated(Message):
        """A conversation view was just made (the app loads its history, if any)."""

        def __init__(self, view: ConversationView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, tor_description: str) -> None:
        super().__init__()
        self.tor_description = tor_description
        self._views: dict[tuple[str, str], ConversationView] = {}
        self._serial = 0

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal():
            with Vertical(id="sidebar"):
                yield Static("Accounts", classes="section")
                yield ListView(id="accounts")
                yield Static("Contacts", classes="section")
                yield ListView(id="contacts")
                yield TorStatus(self.tor_description, id="tor")
            with ContentSwitcher(id="conversations", initial="welcome"):
                yield Static(welcome_text(self.BINDINGS, self.app.COMMAND_PALETTE_BINDING), id="welcome")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.post_message(self.Ready())

    # -- what the app tells it ----------------------------------------------------------------

    def set_accounts(self, accounts: list[tuple[str, str, ConnectionState]]) -> None:
        view = self.query_one("#accounts", ListView)
        view.clear()
        view.extend(AccountItem(a, jid, state) for a, jid, state in accounts)

    def set_connection(self, account: str, state: ConnectionState) -> None:
        for item in self.query(AccountItem):
            if item.account == account:
                item.set_state(state)

    def contact_item(self, account: str, contact: str) -> ContactItem | None:
        for item in self.query(ContactItem):
            if item.account == account and item.contact == contact:
                return item
        return None

    def add_contact(
        self,
        account: str,
        contact: str,
        state: OtrState = OtrState.NOT_PRIVATE,
        *,
        presence: str = "offline",
        blocked: bool = False,
    ) -> None:
        if self.contact_item(account, contact) is None:
            item = ContactItem(account, contact, state, presence=presence, blocked=blocked)
            self.query_one("#contacts", ListView).append(item)

    def remove_contact(self, account: str, contact: str) -> None:
        item = self.contact_item(account, contact)
        if item is not None:
            item.remove()
        view = self._views.pop((account, contact), None)
        if view is not None:
            if self.current is view:
                self.query_one(ContentSwitcher).current = "welcome"
            view.remove()

    async def conversation(self, account: str, contact: str) -> ConversationView:
        """The view of a conversation, created (and its contact listed) on first use."""
        view = self._views.get((account, contact))
        if view is None:
            self._serial += 1
            item = self.contact_item(account, contact)
            state = item.otr_state if item is not None else OtrState.NOT_PRIVATE
            view = ConversationView(account, contact, state, id=f"conv-{self._serial}")
            self._views[(account, contact)] = view
            self.add_contact(account, contact)
            await self.query_one(ContentSwitcher).add_content(view)
            self.post_message(self.ConversationCreated(view))
        return view

    def existing(self, account: str, contact: str) -> ConversationView | None:
        return self._views.get((account, contact))

    def conversations(self) -> list[ConversationView]:
        return list(self._views.values())

    @property
    def current(self) -> ConversationView | None:
        switcher = self.query_one(ContentSwitcher)
        widget = switcher.visible_content
        return widget if isinstance(widget, ConversationView) else None

    async def open(self, account: str, contact: str) -> ConversationView:
        view = await self.conversation(account, contact)
        self.query_one(ContentSwitcher).current = view.id
        item = self.contact_item(account, contact)
        if item is not None:
            item.set_unread(0)
        view.focus_composer()
        return view

    async def set_otr_state(self, account: str, contact: str, state: OtrState) -> None:
        (await self.conversation(account, contact)).set_otr_state(state)
        item = self.contact_item(account, contact)
        if item is not None:
            item.set_otr_state(state)

    def mark_unread(self, account: str, contact: str) -> None:
        if self.current is not None and (self.current.account, self.current.contact) == (account, contact):
            return
        item = self.contact_item(account, contact)
        if item is not None:
            item.set_unread(item.unread + 1)

    @property
    def tor(self) -> TorStatus:
        return self.query_one(TorStatus)

    @on(ListView.Selected, "#contacts")
    async def _contact_selected(self, event: ListView.Selected) -> None:
        if isinstance(event.item, ContactItem):
            await self.open(event.item.account, event.item.contact)
