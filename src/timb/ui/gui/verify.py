"""Verification dialogs: fingerprints (ours and theirs in libotr's format), SMP as initiator and
as responder, and the blocking key-change alarm. Secrets are typed into password fields and handed
on as `Secret`s; the fields are cleared at once and the dialogs keep no copy.

The dialogs are non-blocking (``open()``, never ``exec()``: a nested Qt loop would stall asyncio);
each reports the user's choice through ``chosen``.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from timb.common.ids import Fingerprint
from timb.common.secret import Secret
from timb.ui.gui.a11y import named
from timb.ui.gui.i18n import tr


@dataclass(frozen=True, slots=True)
class SmpRequest:
    """What the initiator typed: an optional question and the answer (or shared secret)."""

    question: str | None
    secret: Secret[str]


def fingerprint_label(text: str, name: str, parent: QWidget) -> QLabel:
    label = named(QLabel(text, parent), name, text)
    # Only the family is set: the size stays the window's, so it scales with the system's text
    # size (the whole system fixed font would keep its own size; tests/gui/test_theme.py).
    font = QFont()
    font.setFamilies(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).families())
    font.setStyleHint(QFont.StyleHint.Monospace)
    label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ChoiceDialog(QDialog):
    """A dialog with a column of labels and a row of buttons, one per choice."""

    chosen = Signal(object)

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.column = QVBoxLayout(self)
        self.row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}

    def text(self, text: str, *, bold: bool = False) -> QLabel:
        label = QLabel(text, self)
        label.setWordWrap(True)
        if bold:
            font = QFont(label.font())
            font.setBold(True)
            label.setFont(font)
        self.column.addWidget(label)
        return label

    def button(self, key: str, text: str, description: str) -> QPushButton:
        button = named(QPushButton(text, self), text.replace("&", ""), description)
        button.setAutoDefault(False)
        self.row.addWidget(button)
        self.buttons[key] = button
        return button

    def finish_layout(self) -> None:
        self.column.addLayout(self.row)

    def choose(self, value: object) -> None:
        self.chosen.emit(value)
        self.done(QDialog.DialogCode.Accepted if value is not None else QDialog.DialogCode.Rejected)


class FingerprintDialog(ChoiceDialog):
    """Ours and theirs; chosen with "verified", "smp" or None."""

    def __init__(
        self, contact: str, ours: str, theirs: str | None, *, trusted: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(tr("Verify {contact}").format(contact=contact), parent)
        self.text(tr("Your fingerprint:"))
        self.ours = fingerprint_label(ours, tr("Your fingerprint"), self)
        self.column.addWidget(self.ours)
        self.text(tr("{contact}'s fingerprint (this session):").format(contact=contact))
        if theirs is None:
            self.theirs = self.text(tr("No private session: start one first."))
        else:
            self.theirs = fingerprint_label(theirs, tr("Their fingerprint"), self)
            self.column.addWidget(self.theirs)
        self.text(
            tr("Already verified.")
            if trusted
            else tr(
                "Compare both over another channel (in person, by phone). Mark verified only if they match."
            )
        )
        match = self.button("match", tr("They &match"), tr("Mark their key verified"))
        smp = self.button("smp", tr("Ask a &question (SMP)"), tr("Verify with a secret only they know"))
        close = self.button("close", tr("&Close"), tr("Close without changing anything"))
        match.setEnabled(theirs is not None)
        smp.setEnabled(theirs is not None)
        match.clicked.connect(lambda: self.choose("verified"))
        smp.clicked.connect(lambda: self.choose("smp"))
        close.clicked.connect(lambda: self.choose(None))
        self.finish_layout()

    def reject(self) -> None:
        self.choose(None)


class SmpStartDialog(ChoiceDialog):
    """Start SMP: a question only the contact can answer, or a secret you share. Chosen with an
    `SmpRequest` or None."""

    def __init__(self, contact: str, parent: QWidget | None = None) -> None:
        super().__init__(tr("Verify {contact} with a secret (SMP)").format(contact=contact), parent)
        self.text(
            tr(
                "Ask a question only they can answer, or leave it empty to use a secret you agreed "
                "on before. Answers must match exactly."
            )
        )
        self.question = named(
            QLineEdit(self), tr("Question (optional)"), tr("A question only they can answer")
        )
        self.question.setPlaceholderText(tr("question (optional)"))
        self.secret = named(QLineEdit(self), tr("Answer or shared secret"), tr("Never sent: only compared"))
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText(tr("answer / shared secret"))
        self.column.addWidget(self.question)
        self.column.addWidget(self.secret)
        self.error = self.text("")
        start = self.button("ok", tr("&Start"), tr("Start the verification"))
        cancel = self.button("cancel", tr("Cancel"), tr("Do not verify now"))
        start.setDefault(True)
        start.clicked.connect(self.submit)
        cancel.clicked.connect(lambda: self.choose(None))
        self.secret.returnPressed.connect(self.submit)
        self.finish_layout()

    def submit(self) -> None:
        if not self.secret.text():
            self.error.setText(tr("Type the answer or the shared secret."))
            return
        request = SmpRequest(self.question.text().strip() or None, Secret(self.secret.text()))
        self.secret.clear()
        self.choose(request)

    def reject(self) -> None:
        self.choose(None)


class SmpAnswerDialog(ChoiceDialog):
    """The contact started SMP: their question pops up. Chosen with the answer, or None (refuse)."""

    def __init__(
        self, account: str, contact: str, question: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(tr("{contact} wants to verify you").format(contact=contact), parent)
        self.account, self.contact = account, contact
        self.withdrawn = False  # set when the contact ended the exchange while it was open
        if question:
            self.text(tr("Their question:"))
            self.question = self.text(question, bold=True)
        else:
            self.question = self.text(tr("Type the secret you agreed on."))
        self.secret = named(QLineEdit(self), tr("Your answer"), tr("Compared, never sent"))
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.column.addWidget(self.secret)
        self.error = self.text("")
        answer = self.button("ok", tr("&Answer"), tr("Send proof of your answer"))
        refuse = self.button("cancel", tr("&Refuse"), tr("Refuse to answer"))
        answer.clicked.connect(self.submit)
        refuse.clicked.connect(lambda: self.choose(None))
        self.secret.returnPressed.connect(self.submit)
        self.finish_layout()
        self.secret.setFocus()

    def submit(self) -> None:
        if not self.secret.text():
            self.error.setText(tr("Type your answer, or Refuse."))
            return
        secret = Secret(self.secret.text())
        self.secret.clear()
        self.choose(secret)

    def withdraw(self) -> None:
        """They gave up: the question is moot, nothing to abort."""
        self.withdrawn = True
        self.done(QDialog.DialogCode.Rejected)

    def reject(self) -> None:
        self.choose(None)


class KeyChangedDialog(ChoiceDialog):
    """LOUD and blocking (application-modal): a known contact presents a new key. Escape and the
    close button do nothing: the user must choose. Chosen with "verify" or "acknowledged". No
    button is the default, so Enter typed into the composer cannot dismiss it unread."""

    def __init__(
        self,
        account: str,
        contact: str,
        old: tuple[Fingerprint, ...],
        new: Fingerprint,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(tr("WARNING: new key"), parent)
        self.account, self.contact = account, contact
        self.setModal(True)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self.text(tr("WARNING: {contact} HAS A NEW KEY").format(contact=contact), bold=True)
        self.text(
            tr(
                "Either they reinstalled or changed device, or SOMEONE IS INTERCEPTING this "
                "conversation. Do not say anything sensitive until you have verified the new key "
                "with them over another channel."
            )
        )
        self.text(tr("Known key(s):"))
        for fingerprint in old:
            self.column.addWidget(fingerprint_label(fingerprint.human(), tr("Known key"), self))
        self.text(tr("New key:"))
        self.new = fingerprint_label(new.human(), tr("New key"), self)
        self.column.addWidget(self.new)
        verify = self.button("verify", tr("&Verify now"), tr("Compare the new key with them"))
        ack = self.button("ack", tr("I &understand"), tr("Keep the new key unverified for now"))
        verify.clicked.connect(lambda: self.choose("verify"))
        ack.clicked.connect(lambda: self.choose("acknowledged"))
        self.finish_layout()

    def reject(self) -> None:
        pass  # no Escape: see the class docstring
