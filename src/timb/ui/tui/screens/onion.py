"""The "Onion (serverless)" screen (F9): onion identities with the address to share, their
contacts and the requests of strangers on the left; the chosen identity or an onion chat on the
right.

An identity is online only when the user says so (its address is then reachable by anyone who
knows it: docs/onion.md). The lists are redrawn from the service (`OnionFlow.rows`) after every
onion event; the chats come from `OnionFlow`'s memory, so nothing is lost while the screen is
closed.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    ContentSwitcher,
    Footer,
    Header,
    Input,
    Label,
    ListItem,
    ListView,
    Static,
    TextArea,
)

from timb.core.errors import ProfileError, ServiceError
from timb.core.service.onion_part import OnionContactInfo, OnionIdentityInfo
from timb.ui.tui.onion_api import OnionApi
from timb.ui.tui.screens.onion_dialogs import OnionQrDialog
from timb.ui.tui.widgets.onion_chat import OnionChatView
from timb.ui.tui.widgets.onion_model import ChatLine, OnionChat, short


def onion_rows(onion: OnionApi) -> list[tuple[OnionIdentityInfo, list[OnionContactInfo]]]:
    """Every identity with its contacts and requests, as the service has them now."""
    try:
        return [(i, onion.list_contacts(i.id)) for i in onion.list_identities()]
    except ProfileError:
        return []


def status_words(info: OnionContactInfo) -> str:
    words = {
        "contact": "online" if info.online else "offline",
        "requested": "asked: waiting for their answer",
        "incoming": "asks to be your contact: Enter to answer",
        "blocked": "blocked",
        "rejected": "refused your request",
    }.get(info.status, info.status)
    if info.status == "contact" and not info.verified:
        words += ", not verified"
    return words


class OnionRow(ListItem):
    """A row of the list: ``kind`` is identity, contact, request or none."""

    def __init__(self, kind: str, identity: str, contact: str, text: str) -> None:
        super().__init__(Label(Text(text)))
        self.kind, self.identity, self.contact = kind, identity, contact
        self.text = text


class OnionScreen(Screen[None]):
    """Identities, contacts, requests and chats of the serverless onion chat. It calls the
    service's onion commands of its own panes; what needs the app (a chat, a dialog) it asks
    with `Asked` (``action``: open, request, new, delete, offers)."""

    class Asked(Message):
        def __init__(self, action: str, identity: str = "", contact: str = "") -> None:
            super().__init__()
            self.action, self.identity, self.contact = action, identity, contact

    DEFAULT_CSS = """
    #onion-side { width: 30; border-right: solid $primary; }
    #onion-side .section { text-style: bold; background: $boost; padding: 0 1; }
    #onion-list { height: 1fr; }
    OnionRow Label { width: 1fr; }
    #onion-right { width: 1fr; }
    #onion-intro { padding: 1 2; }
    #onion-identity { padding: 0 1; }
    #onion-address { height: 3; }
    #onion-identity .buttons { height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        ("escape", "close", "Back"),
        ("ctrl+n", "new_identity", "New identity"),
        ("ctrl+f", "file_offers", "Files offered"),
    ]

    def __init__(self, onion: OnionApi, unread: set[tuple[str, str]]) -> None:
        super().__init__()
        self.onion = onion
        self.unread = unread  # the app's: (identity, contact) with unread messages
        self.identity: str | None = None  # the identity shown on the right
        self._refresh_due = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal():
            with Vertical(id="onion-side"):
                yield Static("Onion (serverless)", classes="section")
                yield ListView(id="onion-list")
                yield Button("New identity", id="onion-new", compact=True)
            with ContentSwitcher(id="onion-right", initial="onion-intro"):
                yield Static(
                    "Serverless chat: each identity is an onion service of your own; you and your "
                    "contacts connect to each other's onion, no server sees who talks to whom.\n"
                    "Pick an identity to share its address, go online or add a contact; pick a "
                    "contact to chat. ctrl+n: a new identity.",
                    id="onion-intro",
                )
                with Vertical(id="onion-identity"):
                    yield Static("", classes="title", id="onion-identity-title", markup=False)
                    yield Static("Your address: give it to your contacts over a safe channel", classes="help")
                    yield TextArea("", read_only=True, id="onion-address", soft_wrap=True, compact=True)
                    with Horizontal(classes="buttons"):
                        yield Button("Copy address", id="onion-copy", compact=True)
                        yield Button("QR code", id="onion-qr-button", compact=True)
                        yield Button("Go online", variant="primary", id="onion-online", compact=True)
                    yield Static("", id="onion-identity-state", markup=False)
                    yield Input(placeholder="their address: ricochet:…", id="onion-contact", compact=True)
                    yield Input(
                        placeholder="message with the request (optional)", id="onion-message", compact=True
                    )
                    with Horizontal(classes="buttons"):
                        yield Button(
                            "Ask to become contacts", variant="primary", id="onion-add", compact=True
                        )
                        yield Button("Delete identity", variant="error", id="onion-delete", compact=True)
                    yield Label("", classes="error", id="onion-error")
                yield OnionChatView(id="onion-chat")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.refresh_list()

    @property
    def chat_view(self) -> OnionChatView:
        return self.query_one(OnionChatView)

    @property
    def shown_chat(self) -> OnionChat | None:
        if self.query_one(ContentSwitcher).current != "onion-chat":
            return None
        return self.chat_view.chat

    # -- what the flow tells it -------------------------------------------------------------------

    def refresh_soon(self) -> None:
        """Redraw the list once the events that came together are shown (a flood of requests
        redraws it once, not once per request)."""
        if not self._refresh_due:
            self._refresh_due = True
            self.call_after_refresh(self.refresh_list)

    def refresh_list(self) -> None:
        self._refresh_due = False
        rows = onion_rows(self.onion)
        view = self.query_one("#onion-list", ListView)
        index = view.index
        view.clear()
        for ident, contacts in rows:
            online = "online" if ident.online else "offline"
            burner = ", burner" if ident.burner else ""
            view.append(OnionRow("identity", ident.id, "", f"{ident.id} ({online}{burner})"))
            for c in contacts:
                kind = "request" if c.status == "incoming" else "contact"
                mark = "*" if (ident.id, c.contact) in self.unread else " "
                view.append(
                    OnionRow(kind, ident.id, c.contact, f"{mark} {short(c.contact)} ({status_words(c)})")
                )
        if not rows:
            view.append(OnionRow("none", "", "", "No onion identity yet: ctrl+n makes one."))
        if index is not None:
            view.index = min(index, len(view.children) - 1)
        if self.identity is not None:
            self._show_identity_state(next((i for i, _ in rows if i.id == self.identity), None))
        if self.shown_chat is not None:
            self.chat_view.set_state()

    def texts(self) -> list[str]:
        return [row.text for row in self.query(OnionRow)]

    def line_changed(self, chat: OnionChat, line: ChatLine) -> None:
        if self.shown_chat is chat:
            self.chat_view.line_changed(line)

    def chat_changed(self, chat: OnionChat) -> None:
        if self.shown_chat is chat:
            self.chat_view.set_state()

    def identity_gone(self, identity: str) -> None:
        shown = self.shown_chat
        if self.identity == identity or (shown is not None and shown.identity == identity):
            self.identity = None
            self.query_one(ContentSwitcher).current = "onion-intro"
        self.refresh_list()

    # -- the identity pane ------------------------------------------------------------------------

    def show_identity(self, identity: str) -> None:
        info = next((i for i, _ in onion_rows(self.onion) if i.id == identity), None)
        if info is None:
            return
        self.identity = identity
        self.query_one("#onion-identity-title", Static).update(f"Onion identity {info.id}")
        self.query_one("#onion-address", TextArea).text = info.address
        self._show_identity_state(info)
        self.query_one("#onion-error", Label).update("")
        self.query_one(ContentSwitcher).current = "onion-identity"

    def _show_identity_state(self, info: OnionIdentityInfo | None) -> None:
        if info is None:
            return
        self.query_one("#onion-online", Button).label = "Go offline" if info.online else "Go online"
        words = (
            "Online: anyone who knows the address can reach it."
            if info.online
            else "Offline: your onion service is not published."
        )
        if info.burner:
            words += " A burner: it is deleted with its key when its time is up."
        self.query_one("#onion-identity-state", Static).update(words)

    def _say(self, text: str) -> None:
        self.query_one("#onion-error", Label).update(Text(text))

    @on(Button.Pressed, "#onion-copy")
    def copy_address(self) -> None:
        self.app.copy_to_clipboard(self.query_one("#onion-address", TextArea).text)
        self._say("Address copied.")

    @on(Button.Pressed, "#onion-qr-button")
    def show_qr(self) -> None:
        if self.identity is not None:
            address = self.query_one("#onion-address", TextArea).text
            self.app.push_screen(OnionQrDialog(self.identity, address))

    @on(Button.Pressed, "#onion-online")
    @work(exclusive=True, group="onion-online")
    async def toggle_online(self) -> None:
        identity = self.identity
        info = next((i for i, _ in onion_rows(self.onion) if i.id == identity), None)
        if identity is None or info is None:
            return
        self._say("Going offline…" if info.online else "Publishing your address…")
        try:
            if info.online:
                await self.onion.go_offline(identity)
            else:
                await self.onion.go_online(identity)
        except ServiceError as exc:
            self._say(str(exc))
            return
        self._say("")
        self.refresh_list()

    @on(Button.Pressed, "#onion-add")
    @on(Input.Submitted, "#onion-contact, #onion-message")
    @work(exclusive=True, group="onion-add")
    async def add_contact(self) -> None:
        identity = self.identity
        contact = self.query_one("#onion-contact", Input).value.strip()
        if identity is None:
            return
        if not contact:
            self._say("Type their ricochet: address.")
            return
        message = self.query_one("#onion-message", Input).value
        try:
            info = await self.onion.add_contact(identity, contact, message=message)
        except ServiceError as exc:
            self._say(str(exc))
            return
        self.query_one("#onion-contact", Input).value = ""
        self.query_one("#onion-message", Input).value = ""
        self._say(f"Asked {short(info.contact)}.")
        self.refresh_list()

    @on(Button.Pressed, "#onion-delete")
    def delete_identity(self) -> None:
        if self.identity is not None:
            self.post_message(self.Asked("delete", self.identity))

    # -- the list ---------------------------------------------------------------------------------

    @on(ListView.Selected, "#onion-list")
    def _selected(self, event: ListView.Selected) -> None:
        row = event.item
        if not isinstance(row, OnionRow):
            return
        if row.kind == "identity":
            self.show_identity(row.identity)
        elif row.kind == "request":
            self.post_message(self.Asked("request", row.identity, row.contact))
        elif row.kind == "contact":
            self.post_message(self.Asked("open", row.identity, row.contact))

    def show_chat(self, chat: OnionChat) -> None:
        self.unread.discard(chat.key)
        self.chat_view.show(chat)
        self.query_one(ContentSwitcher).current = "onion-chat"
        self.chat_view.focus_composer()
        self.refresh_list()

    @on(Button.Pressed, "#onion-new")
    def action_new_identity(self) -> None:
        self.post_message(self.Asked("new"))

    def action_file_offers(self) -> None:
        self.post_message(self.Asked("offers"))

    def action_close(self) -> None:
        self.dismiss(None)
