"""Accounts: the list with each one's connection, add an XMPP account, create a throwaway one by
in-band registration (a random name on a server that allows it), connect, disconnect, remove."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from timb.common.secret import Secret
from timb.core.events import ConnectionState
from timb.core.service.results import AccountInfo
from timb.ui.gui.a11y import named
from timb.ui.gui.i18n import tr
from timb.ui.gui.service_api import ServiceApi
from timb.ui.gui.tasks import Tasks

XMPP_PORT = 5222
IRC_PORT = 6697  # IRC over TLS


def connection_words(state: ConnectionState) -> str:
    return {
        ConnectionState.DISCONNECTED: tr("disconnected"),
        ConnectionState.CONNECTING: tr("connecting"),
        ConnectionState.CONNECTED: tr("connected"),
        ConnectionState.FAILED: tr("failed"),
    }[state]


def account_id_for(jid: str, taken: set[str]) -> str:
    """A short account id from the address' local part, unique among ``taken``."""
    base = re.sub(r"[^A-Za-z0-9_.-]", "-", jid.split("@", 1)[0])[:48].strip("-.") or "account"
    if not base[0].isalnum():
        base = "a" + base
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


class AddAccountDialog(QDialog):
    """Add an account (address and password) or register a throwaway one on the address' server.
    ``added(info)`` once the service has it."""

    added = Signal(object)

    def __init__(self, service: ServiceApi, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.tasks = service, tasks
        self.setWindowTitle(tr("Add an account"))
        self.network = named(QComboBox(self), tr("Network"), tr("The chat network of this account"))
        self.network.addItem(tr("XMPP (Jabber)"), "xmpp")
        self.network.addItem(tr("IRC (private messages, over TLS)"), "irc")
        self.network.currentIndexChanged.connect(self._network_changed)
        self.jid = named(
            QLineEdit(self), tr("Address"), tr("Your address: user@server for XMPP, nick@server for IRC")
        )
        self.password = named(QLineEdit(self), tr("Password"), tr("The account's password"))
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.host = named(
            QLineEdit(self), tr("Server host"), tr("Optional: the host to reach, e.g. an onion")
        )
        self.port = named(QSpinBox(self), tr("Server port"), tr("The XMPP port, 5222 unless told otherwise"))
        self.port.setRange(1, 65535)
        self.port.setValue(XMPP_PORT)
        self.pin = named(QLineEdit(self), tr("TLS pin"), tr("Optional: SHA-256 of the server's certificate"))
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        add = named(QPushButton(tr("&Add"), self), tr("Add"), tr("Add this account"))
        register = named(
            QPushButton(tr("Create a &throwaway account"), self),
            tr("Create a throwaway account"),
            tr("A random name and password on the server typed in the address field"),
        )
        cancel = named(QPushButton(tr("Cancel"), self), tr("Cancel"), tr("Close without adding"))
        add.clicked.connect(self.submit)
        register.clicked.connect(self.register)
        cancel.clicked.connect(self.reject)
        self.buttons = [add, register, cancel]
        form = QFormLayout()
        form.addRow(tr("&Network:"), self.network)
        form.addRow(tr("A&ddress:"), self.jid)
        form.addRow(tr("&Password:"), self.password)
        form.addRow(tr("&Host:"), self.host)
        form.addRow(tr("P&ort:"), self.port)
        form.addRow(tr("TLS p&in:"), self.pin)
        row = QHBoxLayout()
        for button in self.buttons:
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(row)

    def _network_changed(self) -> None:
        irc = self.network.currentData() == "irc"
        self.port.setValue(IRC_PORT if irc else XMPP_PORT)
        self.buttons[1].setEnabled(not irc)  # in-band registration is XMPP's (XEP-0077)

    def _options(self) -> tuple[str | None, int, str | None]:
        return self.host.text().strip() or None, self.port.value(), self.pin.text().strip() or None

    def _taken(self) -> set[str]:
        return {a.id for a in self.service.list_accounts()}

    def submit(self) -> None:
        jid, password = self.jid.text().strip(), self.password.text()
        network = str(self.network.currentData())
        if not jid or (not password and network == "xmpp"):
            self.error.setText(tr("The address and the password are required."))
            return
        host, port, pin = self._options()
        self.password.clear()
        command = self.service.add_account(
            account_id_for(jid, self._taken()),
            jid,
            Secret(password),
            host=host,
            port=port,
            tls_pin_sha256=pin,
            network=network,
        )
        self._busy(tr("Adding…"))
        self.tasks.spawn(command, self._done, on_error=self._refused)

    def register(self) -> None:
        server = self.jid.text().strip().rpartition("@")[2]
        if not server:
            self.error.setText(tr("Type the server's name in the address field, e.g. example.org."))
            return
        host, port, pin = self._options()
        account = account_id_for(f"throwaway@{server}", self._taken())
        command = self.service.register_account(account, server, host=host, port=port, tls_pin_sha256=pin)
        self._busy(
            tr("Creating an account on {server} (through Tor, this takes a moment)…").format(server=server)
        )
        self.tasks.spawn(command, self._done, on_error=self._refused)

    def _busy(self, text: str) -> None:
        self.error.setText(text)
        for button in self.buttons[:2]:
            button.setEnabled(False)

    def _done(self, info: AccountInfo) -> None:
        self.added.emit(info)
        self.accept()

    def _refused(self, message: str) -> None:
        self.error.setText(message)
        for button in self.buttons:
            button.setEnabled(True)


class AccountsDialog(QDialog):
    """Every account and its connection. ``changed()`` after an account was added or removed."""

    changed = Signal()

    def __init__(
        self,
        service: ServiceApi,
        tasks: Tasks,
        connections: dict[str, ConnectionState],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service, self.tasks, self.connections = service, tasks, connections
        self.setWindowTitle(tr("Accounts"))
        self.list = named(QListWidget(self), tr("Accounts"), tr("Your accounts and their connection"))
        row = QHBoxLayout()
        self.action_buttons: dict[str, QPushButton] = {}
        for key, text, description, slot in (
            ("add", tr("&Add…"), tr("Add an account or create a throwaway one"), self.add),
            (
                "connect",
                tr("&Connect"),
                tr("Connect the selected account through Tor"),
                self.connect_selected,
            ),
            (
                "disconnect",
                tr("&Disconnect"),
                tr("Disconnect the selected account"),
                self.disconnect_selected,
            ),
            ("remove", tr("&Remove"), tr("Forget the selected account, its key and contacts"), self.remove),
            ("close", tr("Close"), tr("Close this window"), self.accept),
        ):
            button = named(QPushButton(text, self), text.replace("&", "").rstrip("…"), description)
            button.clicked.connect(slot)
            button.setAutoDefault(False)
            row.addWidget(button)
            self.action_buttons[key] = button
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for account in self.service.list_accounts():
            account_id = account.id
            state = self.connections.get(account_id, ConnectionState.DISCONNECTED)
            item = QListWidgetItem(f"{account_id}: {account.jid} ({connection_words(state)})")
            item.setData(Qt.ItemDataRole.UserRole, account_id)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def set_connection(self, account: str, state: ConnectionState) -> None:
        self.connections[account] = state
        self.refresh()

    def selected(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def add(self) -> None:
        dialog = AddAccountDialog(self.service, self.tasks, self)
        dialog.added.connect(lambda _: self._changed())
        dialog.open()

    def _changed(self) -> None:
        self.refresh()
        self.changed.emit()

    def connect_selected(self) -> None:
        if (account := self.selected()) is not None:
            self.tasks.spawn(self.service.connect(account))

    def disconnect_selected(self) -> None:
        if (account := self.selected()) is not None:
            self.tasks.spawn(self.service.disconnect(account))

    def remove(self) -> None:
        account = self.selected()
        if account is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            tr("Remove account"),
            tr("Forget {account}, its OTR key and its contacts?").format(account=account),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(_: int) -> None:
            if box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Yes:
                self.tasks.spawn(self.service.remove_account(account), lambda _: self._changed())

        box.finished.connect(answered)
        box.open()
