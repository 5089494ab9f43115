"""Dialogs of the serverless onion chat: a new identity, a stranger's request, a file offered.

What a stranger wrote (nickname, message, a file's name) is shown as plain text (`rich.text.Text`,
``markup=False``): it cannot restyle the dialog or fake a button's words. Nothing is accepted by
itself: Escape means "later" and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static, Switch

from timb.core.errors import ServiceError
from timb.ui.tui.onion_api import OnionApi
from timb.ui.tui.screens.dialogs import _Dialog
from timb.ui.tui.widgets.onion_model import shown, size_words
from timb.ui.tui.widgets.qr import qr_text


class NewOnionIdentityDialog(_Dialog):
    """A new onion identity (a new address of your own, no server); a burner is deleted with its
    key when its time is up. Dismisses with the new identity's id, or None."""

    def __init__(self, onion: OnionApi) -> None:
        super().__init__()
        self.onion = onion

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("New onion identity: an address of your own, with no server", classes="title")
            yield Input(placeholder="name, only for you: 1-32 of a-z, 0-9, - and _", id="onion-name")
            yield Input(placeholder="nickname (optional; sent with your requests)", id="onion-nick")
            with Horizontal(classes="row"):
                yield Switch(False, id="onion-burner")
                yield Label("burner: delete it with its key after", classes="help")
                yield Input("24", placeholder="hours", type="integer", id="onion-hours")
                yield Label("hours", classes="help")
            yield Label("", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Create", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted)
    @work(exclusive=True, group="onion-identity")
    async def create(self) -> None:
        name = self.query_one("#onion-name", Input).value.strip()
        burner: int | None = None
        if self.query_one("#onion-burner", Switch).value:
            try:
                burner = int(self.query_one("#onion-hours", Input).value) * 3600
            except ValueError:
                self._error("a burner's lifetime is a number of hours")
                return
        nickname = self.query_one("#onion-nick", Input).value.strip()
        try:
            info = await self.onion.create_identity(name, nickname=nickname, burner_seconds=burner)
        except ServiceError as exc:
            self._error(str(exc))
            return
        self.dismiss(info.id)


class OnionRequestDialog(_Dialog):
    """A stranger asks to become a contact of ``identity``. Dismisses with "accept" (a contact,
    still unverified), "reject" (they may ask again), "block" (refused now and later) or None
    (later: the request stays in the list)."""

    def __init__(self, identity: str, contact: str, nickname: str, message: str) -> None:
        super().__init__()
        self.identity, self.contact = identity, contact
        self.nickname, self.message = nickname, message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                Text(f"{self.contact} asks to become your contact (identity {self.identity})"),
                classes="title",
            )
            if self.nickname:
                yield Static(Text(f"They call themselves: {shown(self.nickname)}"), id="request-nickname")
            if self.message:
                yield Static(Text(f"Their message: {shown(self.message)}"), id="request-message")
            yield Static(
                "Anyone who knows your address can ask. Their address stays unverified until you "
                "compare it with them over another channel.",
                classes="help",
            )
            yield Label("", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Accept", variant="primary", id="accept")
                yield Button("Reject", id="reject")
                yield Button("Block", variant="error", id="block")
                yield Button("Later", id="cancel")

    @on(Button.Pressed, "#accept, #reject, #block")
    def _chosen(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)


class OnionFileDialog(_Dialog):
    """A contact offers a file. Dismisses with ("accept", folder), ("reject", "") or None (later:
    the offer waits; it is in the chat)."""

    def __init__(self, contact: str, name: str, size: int, *, verified: bool, folder: Path) -> None:
        super().__init__()
        self.contact, self.file_name, self.file_size = contact, name, size
        self.verified, self.folder = verified, folder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                Text(f"{self.contact} offers a file: {shown(self.file_name)} ({size_words(self.file_size)})"),
                classes="title",
            )
            yield Static(
                ("Their address is verified." if self.verified else "Their address is NOT verified.")
                + " The file is saved under this name in the folder you choose and never opened.",
                classes="help",
            )
            yield Input(str(self.folder), placeholder="the folder to save it in", id="onion-folder")
            yield Label("", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Accept", variant="primary", id="accept")
                yield Button("Reject", id="reject")
                yield Button("Later", id="cancel")

    @on(Button.Pressed, "#accept")
    def _accept(self) -> None:
        folder = self.query_one("#onion-folder", Input).value.strip()
        if not folder:
            self._error("type the folder to save it in")
            return
        self.dismiss(("accept", str(Path(folder).expanduser())))

    @on(Button.Pressed, "#reject")
    def _reject(self) -> None:
        self.dismiss(("reject", ""))


class OnionQrDialog(_Dialog):
    """The identity's address as a QR code, to be scanned in person (a public address: the QR
    code holds nothing else)."""

    DEFAULT_CSS = """
    OnionQrDialog .dialog { width: auto; }
    OnionQrDialog #onion-qr { width: auto; height: auto; }
    """

    def __init__(self, identity: str, address: str) -> None:
        super().__init__()
        self.identity, self.address = identity, address

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Scan for {self.identity}'s address", classes="title", markup=False)
            yield Static(qr_text(self.address), id="onion-qr")
            with Horizontal(classes="buttons"):
                yield Button("Close", id="cancel", compact=True)
