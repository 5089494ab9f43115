"""One serverless onion chat: its privacy in words, the messages with their states, a composer.

An onion chat needs no OTR: the connection between the two onion services is encrypted end to
end by Tor, and the contact's address is its key (docs/onion.md), so the badge says PRIVATE
(ONION), then VERIFIED or UNVERIFIED: whether the user verified that address (one they entered
is; a stranger's request is not until they compared it out of band). Beyond Tor nothing more
protects it: the badge's explanation says so. An outgoing message shows "waiting for them to
come online" until the core reports it on the wire, and "delivered" only once the contact's
client acknowledged it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from timb.core.events import OtrState
from timb.core.onion_events import OnionMessageState
from timb.ui.gui.a11y import named
from timb.ui.gui.badge import PrivacyBadge
from timb.ui.gui.conversation import MAX_ROWS, Composer
from timb.ui.gui.i18n import tr


def onion_state_words(state: OnionMessageState, contact: str) -> str:
    return {
        OnionMessageState.WAITING: tr("waiting for {contact} to come online").format(contact=contact),
        OnionMessageState.SENT: tr("sent, not yet acknowledged"),
        OnionMessageState.DELIVERED: tr("delivered"),
        OnionMessageState.FAILED: tr("not sent"),
    }[state]


def short(contact: str) -> str:
    """``ricochet:abcdefgh…`` for tabs and lists (the full address is in the chat's title)."""
    return contact if len(contact) <= 22 else contact[:17] + "…"


class OnionChatView(QWidget):
    """The chat of ``identity`` with ``contact`` (a ``ricochet:`` id). ``send_requested(text)``
    asks to send; ``verify_requested()`` when the user says they compared the address,
    ``block_requested()`` when they want this contact refused."""

    send_requested = Signal(str)
    verify_requested = Signal()
    block_requested = Signal()

    def __init__(self, identity: str, contact: str, *, verified: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.identity, self.contact = identity, contact
        self.verified, self.online = verified, False
        self.badge = PrivacyBadge(self)
        self.title = named(QLabel(contact, self), tr("Contact address"), contact)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.presence = QLabel(self)
        self.verify_button = named(
            QPushButton(tr("I &compared the address"), self),
            tr("Mark the address verified"),
            tr("Only once you compared this address with them over another channel"),
        )
        self.verify_button.clicked.connect(self.verify_requested.emit)
        self.block_button = named(
            QPushButton(tr("&Block…"), self),
            tr("Block this contact"),
            tr("Refuse them now and later; their connection drops"),
        )
        self.block_button.clicked.connect(self.block_requested.emit)
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
        self._outgoing: dict[str, tuple[QListWidgetItem, str, OnionMessageState]] = {}
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.verify_button)
        head.addWidget(self.block_button)
        head.addWidget(self.badge)
        foot = QHBoxLayout()
        foot.addWidget(self.composer, 1)
        foot.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.presence)
        layout.addWidget(self.messages, 1)
        layout.addLayout(foot)
        self.set_verified(verified)
        self.set_online(False)

    def set_verified(self, verified: bool) -> None:
        self.verified = verified
        self.verify_button.setVisible(not verified)
        if verified:
            words = tr("PRIVATE (ONION) VERIFIED")
            look = OtrState.PRIVATE_VERIFIED
        else:
            words = tr("PRIVATE (ONION) UNVERIFIED")
            look = OtrState.PRIVATE_UNVERIFIED
        self.badge.paint(
            look,
            words,
            tr(
                "End-to-end private by the onion itself: Tor encrypts the connection between your "
                "onion service and theirs, no server sees it, and the address is their key. No OTR "
                "on top: Tor's protection is all there is."
            ),
        )

    def set_online(self, online: bool) -> None:
        self.online = online
        self.presence.setText(
            tr("{contact} is online").format(contact=short(self.contact))
            if online
            else tr("{contact} is offline: your messages wait until you are both online").format(
                contact=short(self.contact)
            )
        )

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
        self.messages.scrollToBottom()
        return item

    def add_outgoing(self, msg_id: str, text: str) -> None:
        item = self._add("")
        self._outgoing[msg_id] = (item, text, OnionMessageState.WAITING)
        self.update_state(msg_id, OnionMessageState.WAITING)

    def update_state(self, msg_id: str, state: OnionMessageState) -> bool:
        found = self._outgoing.get(msg_id)
        if found is None:
            return False
        item, text, _ = found
        self._outgoing[msg_id] = (item, text, state)
        words = onion_state_words(state, short(self.contact))
        item.setText(tr("me ({state}): {text}").format(state=words, text=text))
        palette = self.palette()
        item.setForeground(
            palette.placeholderText() if state is OnionMessageState.WAITING else palette.text()
        )
        return True

    def message_state(self, msg_id: str) -> OnionMessageState | None:
        found = self._outgoing.get(msg_id)
        return None if found is None else found[2]

    def add_incoming(self, text: str) -> None:
        self._add(tr("{contact}: {text}").format(contact=short(self.contact), text=text))

    def add_system(self, text: str) -> None:
        item = self._add(f"— {text}")
        font = item.font()
        font.setItalic(True)
        item.setFont(font)

    def rows(self) -> list[str]:
        return [self.messages.item(i).text() for i in range(self.messages.count())]
