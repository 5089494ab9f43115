"""One serverless onion chat: who (the full address), how private in words, presence, the lines,
a composer and a file field.

An onion chat needs no OTR: Tor encrypts the connection between the two onion services end to
end and the contact's address is its key (docs/onion.md). The badge says so in words, then
VERIFIED or UNVERIFIED: whether the user verified that address. An outgoing message reads
"waiting for <contact> to come online" until the core reports it on the wire, never "sent".
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from timb.ui.tui.widgets.onion_model import PRIVACY_EXPLAINED, PRIVACY_WORDS, ChatLine, OnionChat


class OnionLine(Static):
    DEFAULT_CSS = """
    OnionLine { width: 1fr; height: auto; }
    OnionLine.-waiting { color: $text-muted; }
    OnionLine.-failed { color: $error; }
    OnionLine.-system { color: $accent; text-style: italic; }
    """

    def __init__(self, line: ChatLine, contact: str) -> None:
        super().__init__(markup=False)
        self.line, self.contact = line, contact
        self.redraw()

    def redraw(self) -> None:
        state = self.line.state.value if self.line.state is not None else ""
        self.set_class(state == "waiting", "-waiting")
        self.set_class(state == "failed" or self.line.alarm, "-failed")
        self.set_class(self.line.kind == "system", "-system")
        self.update(self.line.render(self.contact))


class OnionChatView(Vertical):
    """Shows one `OnionChat` (``show``); posts `Asked`."""

    DEFAULT_CSS = """
    OnionChatView { height: 1fr; }
    OnionChatView .conv-head { height: 1; }
    OnionChatView .conv-title { width: 1fr; height: auto; text-style: bold; }
    OnionChatView #onion-presence { width: 1fr; height: auto; }
    OnionChatView #onion-badge { width: auto; padding: 0 1; text-style: bold; }
    OnionChatView #onion-badge.-verified { background: $success; color: black; }
    OnionChatView #onion-badge.-unverified { background: $warning; color: black; }
    OnionChatView #onion-lines { height: 1fr; }
    OnionChatView .buttons { height: auto; }
    """

    class Asked(Message):
        """The user wants ``action`` done in ``chat``: send (``text``), file (``text`` is its
        path), cancel (the newest file transfer), verify or block."""

        def __init__(self, action: str, chat: OnionChat, text: str = "") -> None:
            super().__init__()
            self.action, self.chat, self.text = action, chat, text

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.chat: OnionChat | None = None
        self._rows: dict[int, OnionLine] = {}

    def compose(self) -> ComposeResult:
        yield Label("", classes="conv-title", id="onion-title")
        with Horizontal(classes="conv-head"):
            yield Static("", id="onion-badge", markup=False)
        yield Static("", id="onion-presence", markup=False)
        yield Static(PRIVACY_EXPLAINED, classes="help", markup=False)
        yield VerticalScroll(id="onion-lines")
        yield Input(placeholder="type a message, Enter sends", id="onion-composer", compact=True)
        yield Input(
            placeholder="send a file: its path, Enter offers it (metadata removed)",
            id="onion-file",
            compact=True,
        )
        with Horizontal(classes="buttons"):
            yield Button("Verify address", id="onion-verify", compact=True)
            yield Button("Cancel file", id="onion-cancel-file", compact=True)
            yield Button("Block", variant="error", id="onion-block", compact=True)

    def show(self, chat: OnionChat) -> None:
        """Show ``chat`` from its start (what it remembers)."""
        self.chat = chat
        self.query_one("#onion-title", Label).update(Text(chat.contact))
        self.set_state()
        lines = self.query_one("#onion-lines", VerticalScroll)
        lines.remove_children()
        self._rows = {}
        rows = [self._row(line) for line in chat.lines]
        if rows:
            lines.mount_all(rows)
        lines.scroll_end(animate=False)

    def _row(self, line: ChatLine) -> OnionLine:
        assert self.chat is not None
        row = OnionLine(line, self.chat.contact)
        self._rows[id(line)] = row
        return row

    def set_state(self) -> None:
        """Redraw the badge and the presence line from the chat."""
        chat = self.chat
        if chat is None:
            return
        badge = self.query_one("#onion-badge", Static)
        badge.update(PRIVACY_WORDS[chat.verified])
        badge.set_class(chat.verified, "-verified")
        badge.set_class(not chat.verified, "-unverified")
        self.query_one("#onion-verify", Button).display = not chat.verified
        self.query_one("#onion-presence", Static).update(chat.presence_words())

    def line_changed(self, line: ChatLine) -> None:
        """A line was added to the shown chat, or changed (or others left it)."""
        assert self.chat is not None
        lines = self.query_one("#onion-lines", VerticalScroll)
        row = self._rows.get(id(line))
        if row is not None:
            row.redraw()
        else:
            lines.mount(self._row(line))
        shown = {id(li) for li in self.chat.lines}
        for key in [k for k in self._rows if k not in shown]:  # scrolled out of the chat's bound
            self._rows.pop(key).remove()
        if row is None:
            lines.scroll_end(animate=False)

    def rows(self) -> list[str]:
        return [str(row.line.render(row.contact)) for row in self.query(OnionLine)]

    def focus_composer(self) -> None:
        self.query_one("#onion-composer", Input).focus()

    @on(Input.Submitted, "#onion-composer")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.chat is not None and event.value.strip():
            event.input.value = ""
            self.post_message(self.Asked("send", self.chat, event.value))

    @on(Input.Submitted, "#onion-file")
    def _file(self, event: Input.Submitted) -> None:
        event.stop()
        if self.chat is not None and event.value.strip():
            event.input.value = ""
            self.post_message(self.Asked("file", self.chat, event.value.strip()))

    @on(Button.Pressed, "#onion-verify")
    def _verify(self) -> None:
        if self.chat is not None:
            self.post_message(self.Asked("verify", self.chat))

    @on(Button.Pressed, "#onion-cancel-file")
    def _cancel_file(self) -> None:
        if self.chat is not None:
            self.post_message(self.Asked("cancel", self.chat))

    @on(Button.Pressed, "#onion-block")
    def _block(self) -> None:
        if self.chat is not None:
            self.post_message(self.Asked("block", self.chat))
