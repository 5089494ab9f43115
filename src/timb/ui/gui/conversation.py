"""One conversation: its badge, the messages (outgoing ones with their state) and a composer.

An outgoing message shows "pending" until the core reports it SENT: it is never shown as sent
before it went out encrypted. A message the core holds for a key change shows HELD (still
pending: only the user's decision moves it on) and a button reaches that decision again.
Incoming plaintext (outside OTR) is marked as such.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from timb.core.events import MessageState, OtrState
from timb.core.service.results import HistoryDirection, HistoryItem
from timb.ui.gui.a11y import named
from timb.ui.gui.badge import PrivacyBadge
from timb.ui.gui.i18n import tr

MAX_ROWS = 2000  # bounded memory: older rows scroll away


def state_words(state: MessageState) -> str:
    return {
        MessageState.PENDING: tr("pending: waiting for a private session"),
        MessageState.SENT: tr("sent encrypted"),
        MessageState.DELIVERED: tr("delivered"),
        MessageState.FAILED: tr("not sent"),
    }[state]


class Composer(QPlainTextEdit):
    """Enter sends, Shift+Enter starts a new line."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class ConversationView(QWidget):
    """The conversation with ``contact`` on ``account``. ``send_requested(text)`` asks to send."""

    send_requested = Signal(str)
    held_requested = Signal()

    def __init__(self, account: str, contact: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.account, self.contact = account, contact
        self.badge = PrivacyBadge(self)
        self.title = QLabel(contact, self)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.messages = named(
            QListWidget(self),
            tr("Messages"),
            tr("The conversation, oldest first; your messages show their state"),
        )
        self.messages.setWordWrap(True)
        self.composer = named(
            Composer(self), tr("Message"), tr("Type a message; Enter sends, Shift+Enter starts a new line")
        )
        self.composer.setTabChangesFocus(True)
        self.composer.setMaximumHeight(90)
        self.composer.submitted.connect(self._submit)
        self.send_button = named(QPushButton(tr("&Send"), self), tr("Send"), tr("Send the message"))
        self.send_button.clicked.connect(self._submit)
        self.held_button = named(
            QPushButton(tr("Messages HELD: &decide…"), self),
            tr("Messages held"),
            tr("Messages written for another key were not sent: send them to the new key or discard them"),
        )
        self.held_button.clicked.connect(self.held_requested.emit)
        self.held_button.hide()
        self._outgoing: dict[str, tuple[QListWidgetItem, str]] = {}
        self._held: set[str] = set()
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.held_button)
        head.addWidget(self.badge)
        foot = QHBoxLayout()
        foot.addWidget(self.composer, 1)
        foot.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.messages, 1)
        layout.addLayout(foot)

    @property
    def otr_state(self) -> OtrState:
        return self.badge.state

    def _submit(self) -> None:
        text = self.composer.toPlainText().strip()
        if text:
            self.composer.clear()
            self.send_requested.emit(text)

    def _add(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        self.messages.addItem(item)
        while self.messages.count() > MAX_ROWS:
            old = self.messages.takeItem(0)
            self._outgoing = {k: v for k, v in self._outgoing.items() if v[0] is not old}
            self._held &= set(self._outgoing)
        self.messages.scrollToBottom()
        return item

    def add_outgoing(self, msg_id: str, text: str, state: MessageState) -> None:
        item = self._add("")
        self._outgoing[msg_id] = (item, text)
        self.update_state(msg_id, state)

    def update_state(self, msg_id: str, state: MessageState) -> bool:
        """Show a new state for our message ``msg_id``; False if it is not in this view."""
        found = self._outgoing.get(msg_id)
        if found is None:
            return False
        item, text = found
        if state is not MessageState.PENDING:
            self._held.discard(msg_id)
            self.held_button.setVisible(bool(self._held))
        words = tr("HELD: not sent, their key changed") if msg_id in self._held else state_words(state)
        item.setText(tr("me ({state}): {text}").format(state=words, text=text))
        item.setData(Qt.ItemDataRole.UserRole, state.value)
        if state is MessageState.PENDING:
            item.setForeground(self.palette().placeholderText())
        else:
            item.setForeground(self.palette().text())
        return True

    def mark_held(self, ids: tuple[str, ...]) -> None:
        """The core holds these (they stay PENDING): show them held and the way to decide."""
        for msg_id in ids:
            found = self._outgoing.get(msg_id)
            if found is not None and self.message_state(msg_id) is MessageState.PENDING:
                self._held.add(msg_id)
                self.update_state(msg_id, MessageState.PENDING)
        self.held_button.setVisible(True)

    def held_decided(self) -> None:
        """The user released or discarded them: the core's state events move the rows on."""
        self.held_button.setVisible(False)

    def is_held(self, msg_id: str) -> bool:
        return msg_id in self._held

    def message_state(self, msg_id: str) -> MessageState | None:
        found = self._outgoing.get(msg_id)
        return None if found is None else MessageState(found[0].data(Qt.ItemDataRole.UserRole))

    def add_incoming(self, text: str, *, encrypted: bool) -> None:
        if encrypted:
            self._add(tr("{contact}: {text}").format(contact=self.contact, text=text))
        else:
            self._add(tr("{contact} (NOT ENCRYPTED): {text}").format(contact=self.contact, text=text))

    def add_system(self, text: str) -> None:
        item = self._add(f"— {text}")
        font = item.font()
        font.setItalic(True)
        item.setFont(font)

    def add_history(self, entries: list[HistoryItem]) -> None:
        for entry in entries:
            who = tr("me") if entry.direction is HistoryDirection.OUT else self.contact
            self._add(tr("{who} (history): {text}").format(who=who, text=entry.text))

    def set_otr_state(self, state: OtrState) -> None:
        self.badge.set_state(state)

    def rows(self) -> list[str]:
        return [self.messages.item(i).text() for i in range(self.messages.count())]
