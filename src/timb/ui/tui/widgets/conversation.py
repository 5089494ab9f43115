"""One conversation: who, how private (the badge, always visible), the messages and a composer."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label

from timb.core.events import MessageState, OtrState
from timb.core.service.results import HistoryDirection, HistoryItem
from timb.ui.tui.widgets.badge import OtrBadge
from timb.ui.tui.widgets.messages import MessageList, MessageRow


class ConversationView(Vertical):
    """The view of (account, contact). Posts `ConversationView.Send` when the user submits text."""

    DEFAULT_CSS = """
    ConversationView { height: 1fr; }
    ConversationView .conv-head { height: 1; }
    ConversationView .conv-title { width: 1fr; text-style: bold; }
    ConversationView Input { dock: bottom; }
    """

    class Send(Message):
        """The user wants to send ``text`` to ``contact`` from ``account``."""

        def __init__(self, account: str, contact: str, text: str) -> None:
            super().__init__()
            self.account, self.contact, self.text = account, contact, text

    def __init__(
        self, account: str, contact: str, state: OtrState = OtrState.NOT_PRIVATE, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.account = account
        self.contact = contact
        self._initial_state = state

    def compose(self) -> ComposeResult:
        with Horizontal(classes="conv-head"):
            yield Label(Text(self.contact), classes="conv-title")
            yield OtrBadge(self._initial_state, id="badge")
        yield MessageList(id="messages")
        yield Input(placeholder="type a message, Enter sends", id="composer")

    @property
    def badge(self) -> OtrBadge:
        return self.query_one(OtrBadge)

    @property
    def messages(self) -> MessageList:
        return self.query_one(MessageList)

    @property
    def otr_state(self) -> OtrState:
        return self.badge.state

    def set_otr_state(self, state: OtrState) -> None:
        self.badge.state = state

    def add_outgoing(self, msg_id: str, text: str, state: MessageState) -> None:
        self.messages.add_row(MessageRow.outgoing(msg_id, text, state))

    def add_incoming(self, text: str, *, encrypted: bool) -> None:
        self.messages.add_row(MessageRow.incoming(self.contact, text, encrypted=encrypted))

    def add_history(self, entries: list[HistoryItem]) -> None:
        """Show recorded messages (`TimbService.read_history` entries) above the new ones."""
        rows = [
            MessageRow.earlier(
                "me" if e.direction is HistoryDirection.OUT else self.contact, e.text, encrypted=e.encrypted
            )
            for e in entries
        ]
        self.messages.add_earlier(rows)

    def add_system(self, text: str) -> None:
        self.messages.add_row(MessageRow.system(text))

    def focus_composer(self) -> None:
        self.query_one("#composer", Input).focus()

    @on(Input.Submitted, "#composer")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value
        if text.strip():
            event.input.value = ""
            self.post_message(self.Send(self.account, self.contact, text))
