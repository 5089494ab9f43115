"""The connection assistant in the TUI: the first-run question (how to reach Tor) and the same
screen later from the command palette, the stall notice, and bootstrap stages in words.

The choice goes to the service (`set_tor_connection`), which checks everything before it stores
or applies anything: a refused choice (a bad pasted line: its number and field) is shown next to
the paste box and the screen stays open, so nothing is half-applied and nothing goes direct.

The built-in list can be replaced from a file (TIMB's list, or Tor Browser's ``pt_config.json``)
with Import: that is the service's `import_bridge_list`, kept at once (not on Save) because it is
validated whole there; the screen then shows the new list's date, source and transports.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static, TextArea

from timb.core.errors import ServiceError
from timb.core.service.tor_connection import TorConnectionInfo
from timb.ui.tui.service_api import ServiceApi

# tor's bootstrap tags (control-spec "BOOTSTRAP"), the pluggable-transport ones included.
STAGE_WORDS = {
    "starting": "starting",
    "conn_pt": "starting the bridge's transport (pluggable transport)",
    "conn_done_pt": "transport running, reaching the bridge",
    "conn_proxy": "connecting to the proxy",
    "conn_done_proxy": "proxy reached",
    "conn": "connecting to a relay",
    "conn_done": "connected to a relay",
    "handshake": "handshaking with a relay",
    "handshake_done": "relay handshake done",
    "onehop_create": "asking for the directory",
    "requesting_status": "asking for the network's status",
    "loading_status": "loading the network's status",
    "loading_keys": "loading authority keys",
    "requesting_descriptors": "asking for relay information",
    "loading_descriptors": "loading relay information",
    "enough_dirinfo": "enough relay information",
    "ap_conn_pt": "starting the transport for a circuit",
    "ap_conn_done_pt": "transport running for a circuit",
    "ap_conn": "connecting to a relay for a circuit",
    "ap_conn_done": "connected to a relay for a circuit",
    "ap_handshake": "handshaking for a circuit",
    "ap_handshake_done": "circuit handshake done",
    "circuit_create": "building a circuit",
    "done": "ready",
}

TRANSPORT_WORDS = {
    "obfs4": "obfs4 (looks like random bytes)",
    "snowflake": "snowflake (through volunteer browsers)",
    "meek": "meek (looks like a visit to a big cloud site)",
    "meek_lite": "meek (looks like a visit to a big cloud site)",
}


def stage_words(tag: str, summary: str) -> str:
    """A bootstrap stage in plain words (tor's own summary for a tag we do not know)."""
    return STAGE_WORDS.get(tag, summary)


class TorConnectionScreen(ModalScreen[bool]):
    """How to reach Tor. Dismisses with True once a choice is stored, False on Cancel (the first
    run has no Cancel: a held tor connects to nothing until there is an answer)."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Cancel")]
    # The path box shares its row with Import; the paste box is kept short so the whole dialog,
    # Save included, fits a 40-line terminal (it scrolls for longer pastes).
    DEFAULT_CSS = """
    TorConnectionScreen #tor-list-path { width: 1fr; }
    TorConnectionScreen #tor-lines { height: 10; }
    """

    def __init__(self, service: ServiceApi, info: TorConnectionInfo, *, first_run: bool = False) -> None:
        super().__init__()
        self.service = service
        self.info = info
        self.first_run = first_run

    def compose(self) -> ComposeResult:
        info = self.info
        with Vertical(classes="dialog", id="tor-connection"):
            yield Static("How should TIMB reach Tor?", classes="title")
            if not info.managed:
                yield Static(self._attached_words(), classes="help", id="tor-attached")
            with RadioSet(id="tor-mode"):
                yield RadioButton("Connect directly", id="direct", value=info.mode in (None, "direct"))
                yield RadioButton(
                    "Tor is blocked or dangerous where I am: built-in bridges",
                    id="builtin",
                    value=info.mode == "builtin",
                    disabled=not info.transports,
                )
                yield RadioButton(
                    "Tor is blocked: use bridges I was given", id="custom", value=info.mode == "custom"
                )
            options = [(TRANSPORT_WORDS.get(t, t), t) for t in info.transports]
            first = info.transports[0] if options else Select.BLANK
            yield Select(
                options,
                id="tor-transport",
                prompt="built-in bridge type",
                allow_blank=not options,
                value=info.transport if info.transport in info.transports else first,
            )
            yield Static(self._list_words(), classes="help", id="tor-builtin-date", markup=False)
            with Horizontal(classes="row", id="tor-list-import"):
                yield Input(placeholder="a newer bridge list file (kept at once)", id="tor-list-path")
                yield Button("Import", id="import")
            yield Label("Paste bridge lines (one per line):")
            yield TextArea(id="tor-lines")
            yield Label("", classes="error", id="tor-connection-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                if not self.first_run:
                    yield Button("Cancel", id="cancel")

    def _list_words(self) -> str:
        # The source too: after an import it is how the user tells their list from the shipped one.
        return f"Built-in bridges listed on {self.info.builtin_date}, from {self.info.builtin_source}."

    def _attached_words(self) -> str:
        uses = self.info.attached_uses_bridges
        state = "uses bridges" if uses else "does not use bridges" if uses is False else "did not say"
        return f"TIMB uses a tor it did not start ({state}): configure bridges in that tor's own settings."

    def action_cancel(self) -> None:
        if not self.first_run:
            self.dismiss(False)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        pressed = self.query_one(RadioSet).pressed_button
        mode = "direct" if pressed is None or pressed.id is None else pressed.id
        transport = self.query_one(Select).value
        lines = self.query_one(TextArea).text
        self._save(mode, transport if isinstance(transport, str) else None, lines)

    @on(Button.Pressed, "#import")
    def _import_pressed(self) -> None:
        path = self.query_one("#tor-list-path", Input).value.strip()
        if not path:
            self.query_one("#tor-connection-error", Label).update("Give the bridge list file's path.")
            return
        self._import(path)

    @work(exclusive=True, group="tor-connection")
    async def _import(self, path: str) -> None:
        error = self.query_one("#tor-connection-error", Label)
        try:
            self.info = await self.service.import_bridge_list(path)
        except ServiceError as exc:
            error.update(str(exc))  # refused whole: the list shown is still the one in use
            return
        error.update("")
        self.query_one("#tor-builtin-date", Static).update(self._list_words())
        transports = self.info.transports
        select = self.query_one(Select)
        if transports:  # a Select without a blank entry cannot be emptied
            select.set_options([(TRANSPORT_WORDS.get(t, t), t) for t in transports])
            select.value = self.info.transport if self.info.transport in transports else transports[0]
        select.disabled = not transports
        self.query_one("#builtin", RadioButton).disabled = not transports

    @work(exclusive=True, group="tor-connection")
    async def _save(self, mode: str, transport: str | None, lines: str) -> None:
        try:
            await self.service.set_tor_connection(
                mode,
                transport=transport if mode == "builtin" else None,
                lines=lines if mode == "custom" else None,
            )
        except ServiceError as exc:
            self.query_one("#tor-connection-error", Label).update(str(exc))
            return
        self.dismiss(True)


class TorStalledScreen(ModalScreen[str]):
    """Bootstrap is stuck: what is stuck and why, and the offer to choose bridges. Dismisses
    with "bridges" (open the connection screen) or "wait". Nothing was changed by itself."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "wait", "Keep waiting")]

    def __init__(self, progress: int, tag: str, message: str, advice: str) -> None:
        super().__init__()
        self.words = f"Stuck at {progress}%: {stage_words(tag, tag)}. {message}"
        self.advice = advice

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog alarm"):
            yield Static("Tor is not getting through", classes="title")
            yield Static(self.words, id="tor-stalled", classes="help", markup=False)
            yield Static(self.advice, id="tor-advice", classes="help", markup=False)
            yield Static("Nothing connects directly while you decide.", classes="help")
            with Horizontal(classes="buttons"):
                yield Button("Choose bridges", variant="primary", id="bridges")
                yield Button("Keep waiting", id="wait")

    def action_wait(self) -> None:
        self.dismiss("wait")

    @on(Button.Pressed, "#bridges")
    def _bridges(self) -> None:
        self.dismiss("bridges")

    @on(Button.Pressed, "#wait")
    def _wait(self) -> None:
        self.dismiss("wait")
