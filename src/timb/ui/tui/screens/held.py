"""The decision on messages held for a key change (`HeldForKeyChange`): they were written for one
key, the contact's session now has another, and nothing went out. Only the user releases them.

The prompt is loud and stays until answered (a toast would vanish while the messages wait). It
shows both keys in libotr's format, so the user can read them out to the contact over another
channel. "Decide later" changes nothing; the command palette's "Held messages" brings it back.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from timb.common.ids import Fingerprint

HeldChoice = Literal["release", "discard", "later"]


def held_count_words(count: int) -> str:
    return "1 message" if count == 1 else f"{count} messages"


class HeldMessagesScreen(ModalScreen[HeldChoice]):
    """Dismisses with "release" (send them to ``offered``), "discard" (never send them) or
    "later" (Escape too: the safe answer, nothing is sent)."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "later", "Decide later")]
    # Nothing has focus at first: Enter pressed in the composer as the prompt appears must not
    # choose for the user.
    AUTO_FOCUS = ""

    def __init__(
        self,
        account: str,
        contact: str,
        count: int,
        written_for: tuple[Fingerprint, ...],
        offered: Fingerprint,
    ) -> None:
        super().__init__()
        self.account, self.contact = account, contact
        self.count, self.written_for, self.offered = count, written_for, offered

    def compose(self) -> ComposeResult:
        them = "it" if self.count == 1 else "them"
        with Vertical(classes="dialog alarm", id="held"):
            yield Static(
                f"{held_count_words(self.count).upper()} TO {self.contact} NOT SENT: THE KEY CHANGED",
                classes="title",
                id="held-title",
                markup=False,
            )
            yield Static(
                f"You wrote {them} for {self.contact}'s key below, but their private session now "
                "has another key. Either they changed device or reinstalled, or SOMEONE IS "
                f"INTERCEPTING this conversation. Send {them} only once you have checked the new key "
                "with them over another channel.",
                classes="help",
                markup=False,
            )
            yield Static("Written for:", classes="help")
            old = [fp.human() for fp in self.written_for] or ["(none known: typed before any session)"]
            yield Static("\n".join(old), id="fp-written-for", classes="fingerprint")
            yield Static("Their key now:", classes="help")
            yield Static(self.offered.human(), id="fp-offered", classes="fingerprint")
            with Horizontal(classes="buttons"):
                yield Button("Send them to the new key", variant="warning", id="release")
                yield Button("Discard them", variant="error", id="discard")
                yield Button("Decide later", id="later")

    def action_later(self) -> None:
        self.dismiss("later")

    @on(Button.Pressed, "#release")
    def _release(self) -> None:
        self.dismiss("release")

    @on(Button.Pressed, "#discard")
    def _discard(self) -> None:
        self.dismiss("discard")

    @on(Button.Pressed, "#later")
    def _later(self) -> None:
        self.dismiss("later")
