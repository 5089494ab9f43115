"""Create or unlock the profile: the passphrase (twice when creating) with a strength meter."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from timb.common.secret import Secret
from timb.ui.gui.a11y import named
from timb.ui.gui.i18n import tr
from timb.ui.gui.service_api import ServiceApi
from timb.ui.gui.tasks import Tasks
from timb.ui.tui.strength import MIN_LENGTH, passphrase_strength

STRONG_BITS = 100  # the meter is full here


def strength_words(label: str) -> str:
    return {
        "too short": tr("too short"),
        "weak": tr("weak"),
        "fair": tr("fair"),
        "good": tr("good"),
        "strong": tr("strong"),
    }[label]


class ProfileDialog(QDialog):
    """Accepted once the profile is created or unlocked; the passphrase fields are cleared."""

    def __init__(self, service: ServiceApi, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.tasks = service, tasks
        self.creating = not service.profile_exists()
        self.setWindowTitle(tr("TIMB: create a profile") if self.creating else tr("TIMB: unlock"))
        self.passphrase = self._secret_field(
            tr("Passphrase"), tr("The passphrase that encrypts your profile")
        )
        self.again = self._secret_field(tr("Passphrase again"), tr("Type the same passphrase once more"))
        self.meter = named(
            QProgressBar(self),
            tr("Passphrase strength"),
            tr("A rough estimate; five random words are strong"),
        )
        self.meter.setRange(0, STRONG_BITS)
        self.meter.setTextVisible(False)
        self.hint = QLabel(self)
        self.error = QLabel(self)
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, parent=self)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(tr("Create profile") if self.creating else tr("Unlock"))
        named(ok, ok.text(), tr("Open the profile with this passphrase"))
        self.buttons.accepted.connect(self.submit)
        form = QFormLayout()
        form.addRow(tr("&Passphrase:"), self.passphrase)
        if self.creating:
            intro = tr("Choose a passphrase of at least {n} characters. It cannot be recovered.")
            form.addRow(tr("&Again:"), self.again)
            form.addRow(tr("Strength:"), self.meter)
            form.addRow("", self.hint)
            self.passphrase.textChanged.connect(self._update_strength)
        else:
            intro = tr("Type the passphrase of your profile.")
            self.again.hide()
            self.meter.hide()
        layout = QVBoxLayout(self)
        text = QLabel(intro.format(n=MIN_LENGTH), self)
        text.setWordWrap(True)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def _secret_field(self, name: str, description: str) -> QLineEdit:
        field = named(QLineEdit(self), name, description)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        return field

    def _update_strength(self, text: str) -> None:
        strength = passphrase_strength(text)
        self.meter.setValue(min(strength.bits, STRONG_BITS))
        hint = tr("Strength (rough estimate): {label}").format(label=strength_words(strength.label))
        if strength.label in ("too short", "weak", "fair"):
            hint += " " + tr("— five or more random words are better")
        self.hint.setText(hint)
        self.meter.setAccessibleDescription(hint)

    def submit(self) -> None:
        passphrase = self.passphrase.text()
        if self.creating and len(passphrase) < MIN_LENGTH:
            self.error.setText(tr("Use at least {n} characters.").format(n=MIN_LENGTH))
            return
        if self.creating and passphrase != self.again.text():
            self.error.setText(tr("The two passphrases differ."))
            return
        if not passphrase:
            self.error.setText(tr("Type your passphrase."))
            return
        secret = Secret(passphrase)
        self.passphrase.clear()
        self.again.clear()
        self.buttons.setEnabled(False)
        self.error.setText(tr("Creating (this takes a moment)…") if self.creating else tr("Unlocking…"))
        command = (
            self.service.create_profile(secret) if self.creating else self.service.unlock_profile(secret)
        )
        self.tasks.spawn(command, lambda _: self.accept(), on_error=self._refused)

    def _refused(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(message)
        self.passphrase.setFocus()
