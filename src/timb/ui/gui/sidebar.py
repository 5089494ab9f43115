"""The left side of the window: Tor's progress, the accounts' connections and the contacts.

Tor's progress is a real bar fed by the core's `TorBootstrap` events, with the stage in words;
a contact shows its presence (and "blocked") in words, never only as a colour.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QProgressBar, QVBoxLayout, QWidget

from timb.core.events import ConnectionState
from timb.ui.gui.a11y import named
from timb.ui.gui.accounts import connection_words
from timb.ui.gui.i18n import tr

KEY = Qt.ItemDataRole.UserRole


def presence_words(presence: str) -> str:
    return {
        "offline": tr("offline"),
        "available": tr("available"),
        "away": tr("away"),
        "chat": tr("free to chat"),
        "dnd": tr("do not disturb"),
        "xa": tr("away for long"),
    }.get(presence, presence)


class TorPanel(QWidget):
    def __init__(self, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.description = description
        self.bar = named(QProgressBar(self), tr("Tor progress"), tr("How far Tor has come in connecting"))
        self.bar.setRange(0, 100)
        self.stage = QLabel(tr("Tor: {how}").format(how=description), self)
        self.stage.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stage)
        layout.addWidget(self.bar)

    def update_progress(self, progress: int, summary: str) -> None:
        self.bar.setValue(max(0, min(progress, 100)))
        if progress >= 100:
            self.stage.setText(tr("Tor: connected ({how})").format(how=self.description))
        else:
            self.stage.setText(tr("Tor: {summary} ({progress}%)").format(summary=summary, progress=progress))
        self.bar.setAccessibleDescription(self.stage.text())

    def set_stalled(self, text: str) -> None:
        self.stage.setText(text)
        self.bar.setAccessibleDescription(text)

    def set_failed(self, message: str) -> None:
        self.stage.setText(tr("Tor FAILED: {message}").format(message=message))
        self.bar.setAccessibleDescription(self.stage.text())


class ContactList(QListWidget):
    """Contacts of every account. ``opened(account, contact)`` when one is activated."""

    opened = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, tr("Contacts"), tr("Enter opens the conversation with the selected contact"))
        self.presence: dict[tuple[str, str], str] = {}
        self.blocked: set[tuple[str, str]] = set()
        self.unread: set[tuple[str, str]] = set()
        self.itemActivated.connect(self._activated)

    def _activated(self, item: QListWidgetItem) -> None:
        account, contact = item.data(KEY)
        self.opened.emit(account, contact)

    def item_for(self, account: str, contact: str) -> QListWidgetItem | None:
        for i in range(self.count()):
            item = self.item(i)
            if tuple(item.data(KEY)) == (account, contact):
                return item
        return None

    def add_contact(
        self, account: str, contact: str, *, presence: str = "offline", blocked: bool = False
    ) -> None:
        key = (account, contact)
        self.presence[key] = presence
        if blocked:
            self.blocked.add(key)
        if self.item_for(account, contact) is None:
            item = QListWidgetItem()
            item.setData(KEY, [account, contact])
            self.addItem(item)
        self._redraw(account, contact)

    def remove_contact(self, account: str, contact: str) -> None:
        item = self.item_for(account, contact)
        if item is not None:
            self.takeItem(self.row(item))
        self.presence.pop((account, contact), None)
        self.blocked.discard((account, contact))
        self.unread.discard((account, contact))

    def set_presence(self, account: str, contact: str, presence: str) -> None:
        if self.item_for(account, contact) is not None:
            self.presence[(account, contact)] = presence
            self._redraw(account, contact)

    def set_blocked(self, account: str, contact: str) -> None:
        self.blocked.add((account, contact))
        self._redraw(account, contact)

    def mark_unread(self, account: str, contact: str, unread: bool = True) -> None:
        (self.unread.add if unread else self.unread.discard)((account, contact))
        self._redraw(account, contact)

    def _redraw(self, account: str, contact: str) -> None:
        item = self.item_for(account, contact)
        if item is None:
            return
        key = (account, contact)
        words = presence_words(self.presence.get(key, "offline"))
        if key in self.blocked:
            words = tr("blocked")
        text = tr("{contact} ({presence})").format(contact=contact, presence=words)
        if key in self.unread:
            text = tr("{text} — new message").format(text=text)
        item.setText(text)
        item.setToolTip(tr("account {account}").format(account=account))

    def contacts(self) -> list[tuple[str, str]]:
        return [tuple(self.item(i).data(KEY)) for i in range(self.count())]


class AccountStatus(QLabel):
    """One line per account with its connection, in words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)

    def show_accounts(self, accounts: list[tuple[str, str, ConnectionState]]) -> None:
        if not accounts:
            self.setText(tr("No account yet: Accounts (F2) adds one."))
            return
        self.setText(
            "\n".join(
                tr("{account} ({jid}): {state}").format(account=a, jid=j, state=connection_words(s))
                for a, j, s in accounts
            )
        )
