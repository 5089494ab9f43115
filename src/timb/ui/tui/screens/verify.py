"""Verification: compare fingerprints, SMP as initiator and responder, and the key-change alarm.

Fingerprints are shown in libotr's format (five groups of eight hex digits), ours and theirs, so
the two people can read them to each other over another channel. SMP secrets are typed into
password fields and handed to the service as `Secret`s; the UI keeps no copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from timb.common.ids import Fingerprint
from timb.common.secret import Secret


@dataclass(frozen=True, slots=True)
class SmpRequest:
    """What the initiator typed: an optional question and the answer (or shared secret)."""

    question: str | None
    secret: Secret[str]


class FingerprintDialog(ModalScreen[str | None]):
    """Ours and theirs side by side. Dismisses with "verified", "smp" or None."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "dismiss(None)", "Close")]

    def __init__(self, contact: str, ours: str, theirs: str | None, *, trusted: bool) -> None:
        super().__init__()
        self.contact, self.ours, self.theirs, self.trusted = contact, ours, theirs, trusted

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Verify {self.contact}", classes="title", markup=False)
            yield Static("Your fingerprint:", classes="help")
            yield Static(self.ours, id="fp-ours", classes="fingerprint")
            yield Static(f"{self.contact}'s fingerprint (this session):", classes="help", markup=False)
            if self.theirs is None:
                yield Static("no private session: start one first (ctrl+o)", id="fp-theirs", classes="error")
            else:
                yield Static(self.theirs, id="fp-theirs", classes="fingerprint")
            yield Static(
                "Already verified."
                if self.trusted
                else "Compare both over another channel (in person, by phone). "
                "Mark verified only if they match.",
                classes="help",
            )
            with Horizontal(classes="buttons"):
                yield Button("They match", variant="success", id="match", disabled=self.theirs is None)
                yield Button("Ask a question (SMP)", id="smp", disabled=self.theirs is None)
                yield Button("Close", id="close")

    @on(Button.Pressed, "#match")
    def _match(self) -> None:
        self.dismiss("verified")

    @on(Button.Pressed, "#smp")
    def _smp(self) -> None:
        self.dismiss("smp")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)


class SmpStartDialog(ModalScreen[SmpRequest | None]):
    """Start SMP: a question only the contact can answer, or a secret you share."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "dismiss(None)", "Cancel")]

    def __init__(self, contact: str) -> None:
        super().__init__()
        self.contact = contact

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Verify {self.contact} with a secret (SMP)", classes="title", markup=False)
            yield Static(
                "Ask a question only they can answer, or leave it empty to use a secret you "
                "agreed on before. Answers must match exactly.",
                classes="help",
            )
            yield Input(placeholder="question (optional)", id="question")
            yield Input(placeholder="answer / shared secret", password=True, id="secret")
            yield Label("", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Start", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        secret = self.query_one("#secret", Input).value
        if not secret:
            self.query_one(".error", Label).update("type the answer or the shared secret")
            return
        question = self.query_one("#question", Input).value.strip() or None
        self.query_one("#secret", Input).value = ""
        self.dismiss(SmpRequest(question, Secret(secret)))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class SmpAnswerDialog(ModalScreen[Secret[str] | None]):
    """The contact started SMP: their question pops up. Dismisses with the answer, or None (abort)."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "dismiss(None)", "Refuse")]

    def __init__(self, contact: str, question: str | None) -> None:
        super().__init__()
        self.contact, self.question = contact, question
        self.withdrawn = False  # set when the contact ended the exchange while it was open

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"{self.contact} wants to verify you", classes="title", markup=False)
            if self.question:
                yield Static("Their question:", classes="help")
                yield Static(self.question, id="smp-question", classes="question", markup=False)
                placeholder = "your answer"
            else:
                yield Static("Type the secret you agreed on.", id="smp-question", classes="help")
                placeholder = "shared secret"
            yield Input(placeholder=placeholder, password=True, id="secret")
            yield Label("", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Answer", variant="primary", id="ok")
                yield Button("Refuse", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#secret", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        answer = self.query_one("#secret", Input).value
        if not answer:
            self.query_one(".error", Label).update("type your answer, or Refuse")
            return
        self.query_one("#secret", Input).value = ""
        self.dismiss(Secret(answer))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class KeyChangedScreen(ModalScreen[str]):
    """LOUD and blocking: a known contact presents a new key. There is no Escape: the user must
    choose. Dismisses with "verify" or "acknowledged"."""

    BINDINGS: ClassVar[list[BindingType]] = []
    # Nothing has focus at first: someone typing in the composer when the alarm appears must not
    # dismiss it with Enter without having read it.
    AUTO_FOCUS = ""

    def __init__(self, account: str, contact: str, old: tuple[Fingerprint, ...], new: Fingerprint) -> None:
        super().__init__()
        self.account, self.contact, self.old, self.new = account, contact, old, new

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog alarm"):
            yield Static(f"WARNING: {self.contact} HAS A NEW KEY", classes="title", markup=False)
            yield Static(
                "Either they reinstalled or changed device, or SOMEONE IS INTERCEPTING this "
                "conversation. Do not say anything sensitive until you have verified the new key "
                "with them over another channel.",
                classes="help",
            )
            yield Static("Known key(s):", classes="help")
            for fingerprint in self.old:
                yield Static(fingerprint.human(), classes="fingerprint")
            yield Static("New key:", classes="help")
            yield Static(self.new.human(), id="fp-new", classes="fingerprint")
            with Horizontal(classes="buttons"):
                yield Button("Verify now", variant="warning", id="verify")
                yield Button("I understand", variant="error", id="ack")

    @on(Button.Pressed, "#verify")
    def _verify(self) -> None:
        self.dismiss("verify")

    @on(Button.Pressed, "#ack")
    def _ack(self) -> None:
        self.dismiss("acknowledged")
