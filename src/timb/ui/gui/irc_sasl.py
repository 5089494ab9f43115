"""The IRC SASL key: a key to log in to an IRC network with instead of a password (SASL
ECDSA-NIST256P-CHALLENGE, `timb.core.service.irc_sasl`), its public part and how to register it.

Opening the dialog makes nothing. From the next connection on, an account with a key logs in with
that key only (never unauthenticated), so a key the network has not been told about would keep
the account out: the user makes it on purpose, registers it with NickServ while still logged in
by password, and only then reconnects. An existing key is never replaced here, since the
registered one would stop working without a word from the network.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
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

from timb.core.errors import InvalidRequest, ServiceError
from timb.core.service.irc_sasl import IrcSaslKey
from timb.ui.gui.a11y import named
from timb.ui.gui.i18n import tr
from timb.ui.gui.service_api import IrcSaslApi
from timb.ui.gui.tasks import Tasks


class SaslKeyDialog(QDialog):
    """One IRC account's SASL key among ``accounts`` (IRC account ids): shown if it has one,
    made on the user's request if not. ``key`` is the one shown (None: none)."""

    def __init__(
        self, sasl: IrcSaslApi, tasks: Tasks, accounts: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.sasl, self.tasks = sasl, tasks
        self.key: IrcSaslKey | None = None
        self.setWindowTitle(tr("IRC SASL key"))
        self.account = named(QComboBox(self), tr("IRC account"), tr("The IRC account whose key is shown"))
        self.account.addItems(accounts)
        self.explanation = QLabel(self)
        self.explanation.setWordWrap(True)
        self.public_key = self._read_only(tr("Public key"), tr("The key's public part, as NickServ wants it"))
        self.register = self._read_only(
            tr("Command to register it"), tr("Send it once to NickServ while logged in by password")
        )
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.make_button = named(
            QPushButton(tr("&Make a key"), self),
            tr("Make a key"),
            tr("A new key for this account: from the next connection it logs in with this key only"),
        )
        self.copy_button = named(
            QPushButton(tr("&Copy the command"), self),
            tr("Copy the command"),
            tr("Copy the command to register the key (panic empties the clipboard)"),
        )
        close = named(QPushButton(tr("Close"), self), tr("Close"), tr("Close this window"))
        self.make_button.clicked.connect(self.make)
        self.copy_button.clicked.connect(self.copy)
        close.clicked.connect(self.accept)
        self.account.currentIndexChanged.connect(self.show_account)
        form = QFormLayout()
        form.addRow(tr("&Account:"), self.account)
        form.addRow(tr("Public &key:"), self.public_key)
        form.addRow(tr("&Register with:"), self.register)
        row = QHBoxLayout()
        for button in (self.make_button, self.copy_button, close):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.explanation)
        layout.addWidget(self.error)
        layout.addLayout(row)
        self.show_account()

    def _read_only(self, name: str, description: str) -> QLineEdit:
        field = named(QLineEdit(self), name, description)
        field.setReadOnly(True)  # selectable and copyable, never edited
        return field

    def show_account(self) -> None:
        """What the service has for the chosen account (asked again each time: the one truth)."""
        self.error.setText("")
        try:
            key: IrcSaslKey | None = self.sasl.irc_sasl_key(self.account.currentText())
        except InvalidRequest:  # only IRC accounts are listed: this one has no key yet
            key = None
        except ServiceError as exc:  # removed meanwhile, or the profile locked
            self.error.setText(str(exc))
            key = None
        self._show(key)

    def _show(self, key: IrcSaslKey | None) -> None:
        self.key = key
        self.public_key.setText("" if key is None else key.public_key)
        self.register.setText("" if key is None else key.register)
        self.make_button.setVisible(key is None)
        self.copy_button.setEnabled(key is not None)
        if key is None:
            self.explanation.setText(
                tr(
                    "This account has no SASL key: it logs in by password (or not at all). A key "
                    "logs in without sending a secret. Once made, the account logs in with the key "
                    "only, from its next connection: register it with NickServ before reconnecting."
                )
            )
        else:
            self.explanation.setText(
                tr(
                    "This account logs in with SASL {mechanism} (a key made since it connected is "
                    "used from its next connection). If the network does not know the key yet, "
                    "register it once: while logged in by password, send the command above to "
                    "NickServ (from TIMB's terminal UI or any IRC client)."
                ).format(mechanism=key.mechanism)
            )

    def make(self) -> None:
        account = self.account.currentText()
        self.make_button.setEnabled(False)  # one key per click: a second would replace the first

        def made(key: IrcSaslKey) -> None:
            self.make_button.setEnabled(True)
            if key.account == self.account.currentText():
                self._show(key)

        def refused(message: str) -> None:
            self.make_button.setEnabled(True)
            self.error.setText(message)

        self.tasks.spawn(self.sasl.make_irc_sasl_key(account), made, on_error=refused)

    def copy(self) -> None:
        if self.key is not None:
            QGuiApplication.clipboard().setText(self.key.register)
            self.error.setText(tr("Command copied."))
