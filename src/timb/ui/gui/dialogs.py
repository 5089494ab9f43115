"""Small dialogs about contacts: add one, answer a contact request, confirm a removal or a block."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from timb.ui.gui.a11y import named
from timb.ui.gui.i18n import tr
from timb.ui.gui.service_api import ServiceApi
from timb.ui.gui.tasks import Tasks


def policy_choices() -> list[tuple[str, str]]:
    """(words, the core's policy name), safest first."""
    return [
        (tr("always: never send without OTR"), "always"),
        (tr("opportunistic: OTR when they have it"), "opportunistic"),
        (tr("manual: start OTR by hand"), "manual"),
        (tr("never: no OTR (not private!)"), "never"),
    ]


def policy_box(parent: QWidget, current: str = "always") -> QComboBox:
    box = named(QComboBox(parent), tr("Encryption policy"), tr("When this conversation uses OTR"))
    for words, value in policy_choices():
        box.addItem(words, value)
    box.setCurrentIndex(max(0, box.findData(current)))
    return box


class ButtonsDialog(QDialog):
    """A message and a row of buttons; ``chosen(key)`` with the pressed one's key (None: closed)."""

    chosen = Signal(object)

    def __init__(
        self, title: str, text: str, buttons: list[tuple[str, str, str]], parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        label = QLabel(text, self)
        label.setTextFormat(Qt.TextFormat.PlainText)  # it may quote what a stranger wrote
        label.setWordWrap(True)
        self.label = label
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, words, description in buttons:
            button = named(QPushButton(words, self), words.replace("&", ""), description)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, key=key: self._choose(key))
            row.addWidget(button)
            self.buttons[key] = button
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addLayout(row)

    def _choose(self, key: str | None) -> None:
        self.chosen.emit(key)
        self.done(QDialog.DialogCode.Accepted if key else QDialog.DialogCode.Rejected)

    def reject(self) -> None:
        self._choose(None)


def subscription_dialog(account: str, contact: str, parent: QWidget | None) -> ButtonsDialog:
    """Someone asks to see our presence: approve, deny or block (nothing is approved by itself)."""
    return ButtonsDialog(
        tr("Contact request"),
        tr("{contact} asks to see when you are online (account {account}).").format(
            contact=contact, account=account
        ),
        [
            ("approve", tr("&Approve"), tr("Let them see your presence")),
            ("deny", tr("&Deny"), tr("Refuse; they may ask again")),
            ("block", tr("&Block"), tr("Refuse and drop everything they send")),
        ],
        parent,
    )


def confirm_dialog(title: str, text: str, yes: str, parent: QWidget | None) -> ButtonsDialog:
    return ButtonsDialog(
        title, text, [("yes", yes, text), ("no", tr("Cancel"), tr("Change nothing"))], parent
    )


class AddContactDialog(QDialog):
    """Add a contact (a subscription request once connected) with its OTR policy.
    ``added(account, jid)`` once the service has it."""

    added = Signal(str, str)

    def __init__(
        self, service: ServiceApi, tasks: Tasks, accounts: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service, self.tasks = service, tasks
        self.setWindowTitle(tr("Add a contact"))
        self.account = named(QComboBox(self), tr("Account"), tr("The account that adds the contact"))
        self.account.addItems(accounts)
        self.jid = named(QLineEdit(self), tr("Contact address"), tr("Their address, user@server"))
        self.policy = policy_box(self)
        self.error = QLabel(self)
        add = named(QPushButton(tr("&Add"), self), tr("Add"), tr("Add this contact"))
        cancel = named(QPushButton(tr("Cancel"), self), tr("Cancel"), tr("Close without adding"))
        add.setDefault(True)
        add.clicked.connect(self.submit)
        cancel.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow(tr("A&ccount:"), self.account)
        form.addRow(tr("A&ddress:"), self.jid)
        form.addRow(tr("&Encryption:"), self.policy)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(row)

    def submit(self) -> None:
        account, jid = self.account.currentText(), self.jid.text().strip().lower()
        if not jid:
            self.error.setText(tr("Type their address."))
            return
        command = self.service.add_contact(account, jid, policy=str(self.policy.currentData()))
        self.tasks.spawn(command, lambda _: self._done(account, jid), on_error=self.error.setText)

    def _done(self, account: str, jid: str) -> None:
        self.added.emit(account, jid)
        self.accept()
