"""The message list of one conversation.

Peer text is shown as plain text (a `rich.text.Text`), never parsed as markup: a contact must not
be able to restyle the screen, fake a badge or a system line. An outgoing message shows its
`MessageState` in words; while it waits for the session to become private it reads "pending",
never "sent"; held for a key change (`HeldForKeyChange`) it reads "held: not sent, the key
changed" until the user decides and its state changes.
"""

from __future__ import annotations

from typing import Final

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from timb.core.events import MessageState

HELD_WORDS: Final = "held: not sent, the key changed"

STATE_WORDS: Final[dict[MessageState, str]] = {
    MessageState.PENDING: "pending",
    MessageState.SENT: "sent",
    MessageState.DELIVERED: "delivered",
    MessageState.FAILED: "NOT SENT",
}


class MessageRow(Static):
    """One line of a conversation. Outgoing rows carry the core's message id."""

    DEFAULT_CSS = """
    MessageRow { width: 1fr; height: auto; }
    MessageRow.-pending { color: $text-muted; }
    MessageRow.-failed { color: $error; }
    MessageRow.-held { color: $warning; text-style: bold; }
    MessageRow.-system { color: $accent; text-style: italic; }
    MessageRow.-plaintext { color: $error; }
    MessageRow.-history { color: $text-muted; }
    """

    def __init__(
        self, content: Text, *, msg_id: str | None = None, state: MessageState | None = None
    ) -> None:
        super().__init__(content)
        self.msg_id = msg_id
        self.body = content
        self.state = state

    @classmethod
    def outgoing(cls, msg_id: str, text: str, state: MessageState) -> MessageRow:
        row = cls(Text(text), msg_id=msg_id, state=state)
        row.set_state(state)
        return row

    @classmethod
    def incoming(cls, sender: str, text: str, *, encrypted: bool) -> MessageRow:
        label = Text(f"{sender}: ", style="bold")
        if not encrypted:
            label = Text.assemble(("[UNENCRYPTED] ", "bold reverse"), label)
        row = cls(Text.assemble(label, text))
        if not encrypted:
            row.add_class("-plaintext")
        return row

    @classmethod
    def earlier(cls, sender: str, text: str, *, encrypted: bool) -> MessageRow:
        """A message from history (kept only where the user turned history on)."""
        label = Text(f"{sender} (earlier): ", style="bold")
        if not encrypted:
            label = Text.assemble(("[UNENCRYPTED] ", "bold reverse"), label)
        row = cls(Text.assemble(label, text))
        row.add_class("-history")
        return row

    @classmethod
    def system(cls, text: str) -> MessageRow:
        row = cls(Text(f"* {text}"))
        row.add_class("-system")
        return row

    def set_held(self) -> None:
        """Held for a key change: still PENDING, but waiting for the user, not for a session."""
        self.set_class(True, "-held")
        self.update(Text.assemble(("me ", "bold"), (f"[{HELD_WORDS}]", "bold"), " ", self.body))

    def set_state(self, state: MessageState) -> None:
        """Show an outgoing message's new state (words, plus a class for colour)."""
        self.state = state
        self.set_class(False, "-held")  # any new state is the user's decision carried out
        self.set_class(state is MessageState.PENDING, "-pending")
        self.set_class(state is MessageState.FAILED, "-failed")
        self.update(Text.assemble(("me ", "bold"), (f"[{STATE_WORDS[state]}]", "italic"), " ", self.body))


class MessageList(VerticalScroll):
    """The rows of one conversation, newest at the bottom."""

    DEFAULT_CSS = """
    MessageList { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._outgoing: dict[str, MessageRow] = {}

    def add_row(self, row: MessageRow) -> None:
        if row.msg_id is not None:
            self._outgoing[row.msg_id] = row
        self.mount(row)
        self.scroll_end(animate=False)

    def add_earlier(self, rows: list[MessageRow]) -> None:
        """Put history rows above everything shown so far, oldest first."""
        if rows and self.children:
            self.mount_all(rows, before=self.children[0])
        elif rows:
            self.mount_all(rows)

    def row_for(self, msg_id: str) -> MessageRow | None:
        return self._outgoing.get(msg_id)

    def mark_held(self, msg_id: str) -> bool:
        """Returns False if the message is not in this list."""
        row = self._outgoing.get(msg_id)
        if row is None:
            return False
        row.set_held()
        return True

    def update_state(self, msg_id: str, state: MessageState) -> bool:
        """Returns False if the message is not in this list."""
        row = self._outgoing.get(msg_id)
        if row is None:
            return False
        row.set_state(state)
        return True
