"""The sidebar: accounts with their connection state, contacts (one conversation each), Tor."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ListItem, ProgressBar

from timb.core.events import ConnectionState, OtrState

CONNECTION_WORDS = {
    ConnectionState.DISCONNECTED: "offline",
    ConnectionState.CONNECTING: "connecting",
    ConnectionState.CONNECTED: "online",
    ConnectionState.FAILED: "FAILED",
}
OTR_MARKS = {
    OtrState.NOT_PRIVATE: "!",
    OtrState.PRIVATE_UNVERIFIED: "~",
    OtrState.PRIVATE_VERIFIED: "=",
    OtrState.FINISHED: "x",
}


class AccountItem(ListItem):
    def __init__(self, account: str, jid: str, state: ConnectionState) -> None:
        self._label = Label("")
        super().__init__(self._label)
        self.account, self.jid = account, jid
        self.set_state(state)

    def set_state(self, state: ConnectionState) -> None:
        self.state = state
        self.set_class(state is ConnectionState.CONNECTED, "-online")
        self.set_class(state is ConnectionState.FAILED, "-failed")
        self._label.update(Text(f"{self.jid} ({CONNECTION_WORDS[state]})"))


PRESENCE_MARKS = {"available": "+", "chat": "+", "away": "-", "xa": "-", "dnd": "-", "offline": " "}


class ContactItem(ListItem):
    """A contact in the list: selecting it opens the conversation. Shows unread messages with a
    ``*``, the OTR state as a one-character mark (the badge in the conversation says it in words)
    and presence (``+`` online, ``-`` away or busy, blank offline; blocked contacts say so)."""

    def __init__(
        self,
        account: str,
        contact: str,
        state: OtrState = OtrState.NOT_PRIVATE,
        *,
        presence: str = "offline",
        blocked: bool = False,
    ) -> None:
        self._label = Label("")
        super().__init__(self._label)
        self.account, self.contact = account, contact
        self.otr_state = state
        self.presence = presence
        self.blocked = blocked
        self.unread = 0
        self._show()

    def set_presence(self, presence: str) -> None:
        self.presence = presence
        self._show()

    def set_blocked(self, blocked: bool) -> None:
        self.blocked = blocked
        self._show()

    def set_otr_state(self, state: OtrState) -> None:
        self.otr_state = state
        self._show()

    def set_unread(self, count: int) -> None:
        self.unread = count
        self._show()

    def _show(self) -> None:
        mark = "*" if self.unread else " "
        online = PRESENCE_MARKS.get(self.presence, "+")
        self.set_class(self.presence == "offline", "-offline")
        if self.blocked:
            self._label.update(Text(f"   {self.contact} (blocked)", style="strike"))
        else:
            self._label.update(Text(f"{mark}{OTR_MARKS[self.otr_state]}{online}{self.contact}"))


class TorStatus(Vertical):
    """Tor bootstrap progress, fed by `TorBootstrap` events."""

    DEFAULT_CSS = """
    TorStatus { height: 2; }
    TorStatus ProgressBar { width: 1fr; }
    TorStatus Bar { width: 1fr; }
    """

    def __init__(self, description: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.description = description

    def compose(self) -> ComposeResult:
        yield Label(Text(f"Tor: {self.description}"), id="tor-label")
        # Hidden until tor reports: an empty bar would suggest a tor that is not there.
        bar = ProgressBar(total=100, show_eta=False, id="tor-progress")
        bar.display = False
        yield bar

    def update_progress(self, progress: int, summary: str) -> None:
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(progress=progress)
        text = "Tor: ready" if progress >= 100 else f"Tor: {summary}"
        self.query_one("#tor-label", Label).update(Text(text))

    def set_stalled(self, progress: int) -> None:
        self.query_one("#tor-label", Label).update(Text(f"Tor: STUCK at {progress}%", style="bold yellow"))

    def set_failed(self, message: str) -> None:
        self.query_one("#tor-label", Label).update(Text("Tor: FAILED", style="bold red"))
