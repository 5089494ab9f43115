"""The "Onion (serverless)" part of the window: onion identities with the address to share,
their contacts and the requests of strangers, and the chats (`onion_chat.OnionChatView`).

An identity is online only when the user says so (its address is then visible to anyone who
knows it: docs/onion.md). A stranger's request pops up once (accept, reject, block); while a
request dialog is open, later ones only show in the list, so a flood of requests cannot bury
the window. Nothing is accepted by itself. Text a stranger wrote is shown as plain text.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from timb.core.service.onion_part import OnionContactInfo, OnionIdentityInfo
from timb.ui.gui.a11y import named
from timb.ui.gui.dialogs import ButtonsDialog
from timb.ui.gui.i18n import tr
from timb.ui.gui.onion_chat import short
from timb.ui.gui.service_api import ServiceApi
from timb.ui.gui.tasks import Tasks

ROW = Qt.ItemDataRole.UserRole  # (kind, identity, contact): kind is identity, contact or request


def status_words(info: OnionContactInfo) -> str:
    words = {
        "contact": tr("online") if info.online else tr("offline"),
        "requested": tr("asked: waiting for their answer"),
        "incoming": tr("asks to be your contact: Enter to answer"),
        "blocked": tr("blocked"),
        "rejected": tr("refused your request"),
    }.get(info.status, info.status)
    if info.status == "contact" and not info.verified:
        words = tr("{words}, address not verified").format(words=words)
    return words


class OnionSection(QWidget):
    """Identities and, under each, its contacts and requests. ``activated(kind, identity,
    contact)`` when a row is chosen (Enter or a double click)."""

    activated = Signal(str, str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = named(
            QListWidget(self),
            tr("Onion identities and contacts"),
            tr("Enter on an identity shows its address and adds contacts; on a contact opens the chat"),
        )
        self.list.itemActivated.connect(self._activated)
        self.new_button = named(
            QPushButton(tr("&New onion identity…"), self),
            tr("New onion identity"),
            tr("A new address of your own, with no server"),
        )
        label = QLabel(tr("On&ion (serverless)"), self)
        label.setBuddy(self.list)
        self.unread: set[tuple[str, str]] = set()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.new_button)

    def _activated(self, item: QListWidgetItem) -> None:
        kind, identity, contact = item.data(ROW)
        self.activated.emit(kind, identity, contact)

    def show_all(self, rows: list[tuple[OnionIdentityInfo, list[OnionContactInfo]]]) -> None:
        self.list.clear()
        for ident, contacts in rows:
            online = tr("online: anyone with the address sees it") if ident.online else tr("offline")
            self._row(
                tr("{identity} ({online}): Enter shows your address {address}").format(
                    identity=ident.id, online=online, address=short(ident.address)
                ),
                ("identity", ident.id, ""),
            ).setToolTip(ident.address)
            for c in contacts:
                kind = "request" if c.status == "incoming" else "contact"
                text = tr("    {contact} ({status})").format(contact=short(c.contact), status=status_words(c))
                if (ident.id, c.contact) in self.unread:
                    text = tr("{text} — new message").format(text=text)
                self._row(text, (kind, ident.id, c.contact))
        if not rows:
            self._row(tr("No onion identity yet: New onion identity makes one."), ("none", "", ""))

    def _row(self, text: str, key: tuple[str, str, str]) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(ROW, list(key))
        self.list.addItem(item)
        return item

    def rows(self) -> list[tuple[str, str, str]]:
        return [tuple(self.list.item(i).data(ROW)) for i in range(self.list.count())]

    def texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]


class NewIdentityDialog(QDialog):
    """A new onion identity. ``created(identity)`` once the service has it."""

    created = Signal(str)

    def __init__(self, service: ServiceApi, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.tasks = service, tasks
        self.setWindowTitle(tr("New onion identity"))
        self.name = named(
            QLineEdit(self), tr("Identity name"), tr("Only for you: 1 to 32 of a-z, 0-9, - and _")
        )
        self.nickname = named(
            QLineEdit(self), tr("Nickname"), tr("Optional; sent with your contact requests")
        )
        self.burner = named(
            QCheckBox(tr("&Burner: delete it with its key after"), self),
            tr("Burner identity"),
            tr("Once the time has passed the identity goes offline and is deleted with its key"),
        )
        self.hours = named(QSpinBox(self), tr("Hours"), tr("How many hours the burner lives"))
        self.hours.setRange(1, 24 * 30)
        self.hours.setValue(24)
        self.hours.setSuffix(tr(" hours"))
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        create = named(QPushButton(tr("&Create"), self), tr("Create"), tr("Make the new identity"))
        create.setDefault(True)
        create.clicked.connect(self.submit)
        cancel = named(QPushButton(tr("Cancel"), self), tr("Cancel"), tr("Close without creating"))
        cancel.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow(tr("&Name:"), self.name)
        form.addRow(tr("Nic&kname:"), self.nickname)
        form.addRow(self.burner, self.hours)
        row = QHBoxLayout()
        row.addWidget(create)
        row.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(row)

    def submit(self) -> None:
        name = self.name.text().strip()
        burner = self.hours.value() * 3600 if self.burner.isChecked() else None
        command = self.service.onion.create_identity(
            name, nickname=self.nickname.text().strip(), burner_seconds=burner
        )
        self.tasks.spawn(command, lambda info: self._done(info.id), on_error=self.error.setText)

    def _done(self, identity: str) -> None:
        self.created.emit(identity)
        self.accept()


class IdentityDialog(QDialog):
    """One identity: its address to share (copyable), online or offline, and adding a contact
    by the ``ricochet:`` address they gave you (verified by that fact). ``changed()`` after each
    command the service took."""

    changed = Signal()
    delete_requested = Signal(str)

    def __init__(
        self, service: ServiceApi, tasks: Tasks, info: OnionIdentityInfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service, self.tasks, self.identity = service, tasks, info.id
        self.setWindowTitle(tr("Onion identity {identity}").format(identity=info.id))
        self.address = named(
            QLineEdit(info.address, self),
            tr("Your address"),
            tr("Give it to your contacts over a safe channel"),
        )
        self.address.setReadOnly(True)
        copy = named(QPushButton(tr("C&opy address"), self), tr("Copy address"), tr("Copy your address"))
        copy.clicked.connect(self.copy)
        self.online_button = named(
            QPushButton(self), tr("Online or offline"), tr("Publish or remove your address")
        )
        self.online_button.clicked.connect(self.toggle_online)
        self.contact = named(
            QLineEdit(self), tr("Their address"), tr("The ricochet: address they gave you; it is their key")
        )
        self.contact.setPlaceholderText(tr("ricochet:…"))
        self.message = named(QLineEdit(self), tr("Message"), tr("Optional; sent with the request"))
        add = named(
            QPushButton(tr("&Ask to become contacts"), self), tr("Add contact"), tr("Send the request")
        )
        add.clicked.connect(self.add_contact)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        close = named(QPushButton(tr("Close"), self), tr("Close"), tr("Close this window"))
        close.clicked.connect(self.accept)
        delete = named(
            QPushButton(tr("&Delete this identity…"), self),
            tr("Delete this identity"),
            tr("Its key is deleted: nobody can reach this address again"),
        )
        delete.clicked.connect(lambda: self.delete_requested.emit(self.identity))
        top = QHBoxLayout()
        top.addWidget(self.address, 1)
        top.addWidget(copy)
        form = QFormLayout()
        form.addRow(tr("Their a&ddress:"), self.contact)
        form.addRow(tr("&Message:"), self.message)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.online_button)
        layout.addLayout(form)
        layout.addWidget(add)
        layout.addWidget(self.error)
        if info.burner:
            layout.addWidget(QLabel(tr("A burner: it is deleted with its key when its time is up."), self))
        bottom = QHBoxLayout()
        bottom.addWidget(delete)
        bottom.addWidget(close)
        layout.addLayout(bottom)
        QWidget.setTabOrder(delete, close)  # Tab follows the row (Close was made first)
        self.set_online(info.online)

    def set_online(self, online: bool) -> None:
        self.online = online
        self.online_button.setText(
            tr("Go &offline (online now: anyone with the address sees it)") if online else tr("Go &online")
        )

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.address.text())
        self.error.setText(tr("Address copied."))

    def toggle_online(self) -> None:
        going = not self.online
        command = self.service.onion.go_online if going else self.service.onion.go_offline
        self.error.setText(tr("Publishing your address…") if going else tr("Going offline…"))
        self.tasks.spawn(command(self.identity), lambda _: self._toggled(going), on_error=self.error.setText)

    def _toggled(self, online: bool) -> None:
        self.set_online(online)
        self.error.setText("")
        self.changed.emit()

    def add_contact(self) -> None:
        contact = self.contact.text().strip()
        if not contact:
            self.error.setText(tr("Type their ricochet: address."))
            return
        command = self.service.onion.add_contact(self.identity, contact, message=self.message.text())
        self.tasks.spawn(command, self._added, on_error=self.error.setText)

    def _added(self, info: OnionContactInfo) -> None:
        self.contact.clear()
        self.message.clear()
        self.error.setText(tr("Asked {contact}.").format(contact=short(info.contact)))
        self.changed.emit()


def request_dialog(
    identity: str, contact: str, nickname: str, message: str, parent: QWidget | None
) -> ButtonsDialog:
    """A stranger asks: accept (still unverified), reject (they may ask again) or block."""
    text = tr("{contact} asks to become your contact (identity {identity}).").format(
        contact=contact, identity=identity
    )
    if nickname:
        text += "\n" + tr("They call themselves: {nickname}").format(nickname=nickname)
    if message:
        text += "\n" + tr("Their message: {message}").format(message=message)
    text += "\n" + tr("Anyone can ask. Their address stays unverified until you compare it with them.")
    return ButtonsDialog(
        tr("Onion contact request"),
        text,
        [
            ("accept", tr("&Accept"), tr("Become contacts (unverified)")),
            ("reject", tr("&Reject"), tr("Refuse; they may ask again")),
            ("block", tr("&Block"), tr("Refuse now and later")),
        ],
        parent,
    )
