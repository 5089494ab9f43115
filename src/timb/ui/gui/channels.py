"""IRC channels: the list of an account's channels (join, open, leave) and one channel's tab.

A channel is never private: everyone in it and the server read every line, so there is no OTR
and no privacy badge that could ever turn green. Its tab carries a permanent NOT PRIVATE banner
instead, in words, colour and icon like the badge, that nothing can hide. The first message to
a channel waits for the user's answer to a dialog saying who reads it (`first_message_dialog`);
the core refuses it unconfirmed (`ConfirmationRequired`) and forgets the answer when we leave,
so the question comes back after a part. Everything a server sends (topic, nicks, text) is shown
as plain text: it may be anything a stranger typed.
"""

from __future__ import annotations

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
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from timb.core.errors import ServiceError
from timb.core.events import OtrState
from timb.core.service.channels import ChannelInfo
from timb.ui.gui.a11y import named
from timb.ui.gui.badge import PrivacyBadge
from timb.ui.gui.conversation import MAX_ROWS, Composer
from timb.ui.gui.dialogs import ButtonsDialog
from timb.ui.gui.i18n import tr
from timb.ui.gui.service_api import ChannelsApi

CHANNELS_SHORTCUT = "Ctrl+J"
LEAVE_SHORTCUT = "Ctrl+Shift+L"


def fold(channel: str) -> str:
    """The core's case folding of channel names (`timb.core.service.channels`)."""
    return channel.lower()


def banner_words(channel: str) -> str:
    """The words of the core's banner (`channels.banner`), translated."""
    return tr("NOT PRIVATE: everyone in {channel} and the server reads this").format(channel=channel)


class ChannelBanner(PrivacyBadge):
    """The NOT PRIVATE banner of a channel: the badge's NOT PRIVATE colours and icon with the
    channel's words. It refuses to be hidden: a channel's tab always says it is not private."""

    def __init__(self, channel: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paint(
            OtrState.NOT_PRIVATE,
            banner_words(channel),
            tr(
                "IRC channels are not encrypted: everyone in the channel, anyone who joins it "
                "later and logs it, and the server's operators read what you write. TIMB adds no "
                "OTR here; use a one-to-one conversation for anything private."
            ),
        )

    def setVisible(self, visible: bool) -> None:
        super().setVisible(True)  # hide() and setVisible(False) included: never hidden


def first_message_dialog(channel: str, members: int, parent: QWidget | None) -> ButtonsDialog:
    """Asks before the first message to ``channel`` leaves: who reads it. No button is the
    default, so an Enter meant for the composer cannot answer it."""
    return ButtonsDialog(
        tr("Send to a channel that is NOT PRIVATE?"),
        tr(
            "{channel} is an IRC channel: NOT PRIVATE. Your message goes out unencrypted and is "
            "read by everyone in {channel} ({members} there now, as far as the server says), by "
            "anyone who joins later and keeps logs, and by the server and its operators. It "
            "cannot be taken back. Send your first message there? (TIMB asks again after you "
            "leave the channel.)"
        ).format(channel=channel, members=members),
        [
            ("send", tr("Send it, &not private"), tr("Send this message to everyone in the channel")),
            ("no", tr("Cancel"), tr("Send nothing; the text goes back to the composer")),
        ],
        parent,
    )


class ChannelView(QWidget):
    """The tab of ``channel`` on IRC ``account``. ``send_requested(text)`` asks to send,
    ``leave_requested()`` to part."""

    send_requested = Signal(str)
    leave_requested = Signal()

    def __init__(self, account: str, channel: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.account, self.channel = account, channel
        self.joined = False
        self.banner = ChannelBanner(channel, self)
        self.title = QLabel(tr("{channel} on {account}").format(channel=channel, account=account), self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.topic = QLabel(self)
        self.topic.setTextFormat(Qt.TextFormat.PlainText)  # a stranger may have set it
        self.topic.setWordWrap(True)
        self.topic.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.leave_button = named(
            QPushButton(tr("&Leave channel"), self),
            tr("Leave channel"),
            tr("Part the channel; writing there again asks again"),
        )
        self.leave_button.clicked.connect(self.leave_requested.emit)
        self.messages = named(
            QListWidget(self),
            tr("Channel messages"),
            tr("What was said in the channel since you joined, oldest first: NOT PRIVATE"),
        )
        self.messages.setWordWrap(True)
        self.members = named(
            QListWidget(self), tr("People in the channel"), tr("Everyone who reads what you write here")
        )
        self.composer = named(
            Composer(self),
            tr("Message to the channel (NOT PRIVATE)"),
            tr("Everyone in the channel reads it; Enter sends, Shift+Enter starts a new line"),
        )
        self.composer.setTabChangesFocus(True)
        self.composer.setMaximumHeight(90)
        self.composer.submitted.connect(self._submit)
        self.send_button = named(
            QPushButton(tr("&Send"), self), tr("Send"), tr("Send the message to everyone in the channel")
        )
        self.send_button.clicked.connect(self._submit)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.leave_button)
        split = QSplitter(self)
        split.addWidget(self.messages)
        split.addWidget(self.members)
        split.setStretchFactor(0, 4)
        split.setChildrenCollapsible(False)
        foot = QHBoxLayout()
        foot.addWidget(self.composer, 1)
        foot.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)  # above everything, outside the splitter: never collapsed
        layout.addLayout(head)
        layout.addWidget(self.topic)
        layout.addWidget(split, 1)
        layout.addLayout(foot)
        self.set_topic(None)

    def _submit(self) -> None:
        text = self.composer.toPlainText().strip()
        if text:
            self.composer.clear()
            self.send_requested.emit(text)

    def give_back(self, text: str) -> None:
        """An unsent text goes back to the composer (if the user has not typed another)."""
        if not self.composer.toPlainText().strip():
            self.composer.setPlainText(text)
        self.composer.setFocus()

    def _add(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        self.messages.addItem(item)
        while self.messages.count() > MAX_ROWS:
            self.messages.takeItem(0)
        self.messages.scrollToBottom()
        return item

    def add_message(self, sender: str, text: str, *, action: bool = False) -> None:
        if action:
            self._add(tr("* {sender} {text}").format(sender=sender, text=text))
        else:
            self._add(tr("{sender}: {text}").format(sender=sender, text=text))

    def add_own(self, text: str) -> None:
        self._add(tr("me (sent, NOT PRIVATE): {text}").format(text=text))

    def add_system(self, text: str) -> None:
        item = self._add(f"— {text}")
        font = item.font()
        font.setItalic(True)
        item.setFont(font)

    def set_joined(self, joined: bool) -> None:
        self.joined = joined
        self.leave_button.setEnabled(joined)

    def set_topic(self, topic: str | None) -> None:
        self.topic.setText(tr("Topic: {topic}").format(topic=topic) if topic else tr("No topic is set."))

    def set_members(self, members: tuple[str, ...]) -> None:
        self.members.clear()
        self.members.addItems(list(members))
        self.members.setAccessibleDescription(
            tr("{count} people read what you write here").format(count=len(members))
        )

    def rows(self) -> list[str]:
        return [self.messages.item(i).text() for i in range(self.messages.count())]

    def member_names(self) -> list[str]:
        return [self.members.item(i).text() for i in range(self.members.count())]


class ChannelsDialog(QDialog):
    """The channels of one IRC account among ``accounts``: join by name, open or leave one.
    ``open_requested(account, channel)``; ``waiting`` is the channel (folded) whose join this
    dialog asked for, so the window can open its tab once the server says we are in."""

    open_requested = Signal(str, str)

    def __init__(self, channels: ChannelsApi, accounts: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.channels = channels
        self.waiting: tuple[str, str] | None = None
        self.setWindowTitle(tr("IRC channels"))
        self.account = named(
            QComboBox(self), tr("IRC account"), tr("The IRC account whose channels are shown")
        )
        self.account.addItems(accounts)
        self.name = named(QLineEdit(self), tr("Channel name"), tr("The channel to join, like #timb"))
        self.name.setPlaceholderText(tr("#channel"))
        self.join_button = named(
            QPushButton(tr("&Join"), self),
            tr("Join"),
            tr("Join the channel: NOT PRIVATE, everyone there reads you"),
        )
        self.join_button.setDefault(True)  # Enter in the name joins (once: no returnPressed too)
        self.list = named(
            QListWidget(self), tr("Channels"), tr("This account's channels; Enter opens the selected one")
        )
        self.open_button = named(
            QPushButton(tr("&Open"), self), tr("Open"), tr("Open the selected channel in a tab")
        )
        self.leave_button = named(
            QPushButton(tr("&Leave"), self), tr("Leave"), tr("Part the selected channel")
        )
        close = named(QPushButton(tr("Close"), self), tr("Close"), tr("Close this window"))
        for button in (self.open_button, self.leave_button, close):
            button.setAutoDefault(False)
        explanation = QLabel(
            tr(
                "IRC channels are NOT PRIVATE: everyone in a channel and the server read it, and "
                "TIMB adds no encryption there. Private messages with one person use OTR."
            ),
            self,
        )
        explanation.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # a server's reason
        self.error.setWordWrap(True)
        self.join_button.clicked.connect(self.join)
        self.open_button.clicked.connect(self.open_selected)
        self.list.itemActivated.connect(lambda _: self.open_selected())
        self.leave_button.clicked.connect(self.leave_selected)
        close.clicked.connect(self.accept)
        self.account.currentIndexChanged.connect(lambda _: self.refresh())
        form = QFormLayout()
        form.addRow(tr("&Account:"), self.account)
        join_row = QHBoxLayout()
        join_row.addWidget(self.name, 1)
        join_row.addWidget(self.join_button)
        form.addRow(tr("C&hannel:"), join_row)
        buttons = QHBoxLayout()
        for button in (self.open_button, self.leave_button, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        """What the service has for the chosen account now (asked again: the one truth)."""
        account = self.account.currentText()
        selected = self.selected()
        self.list.clear()
        try:
            found: list[ChannelInfo] = self.channels.list_channels(account)
        except ServiceError as exc:  # removed meanwhile, or the profile locked
            self.error.setText(str(exc))
            found = []
        for info in found:
            words = (
                tr("{channel}: joined, {count} there, NOT PRIVATE")
                if info.joined
                else tr("{channel}: joining…")
            ).format(channel=info.channel, count=len(info.members))
            item = QListWidgetItem(words)
            item.setData(Qt.ItemDataRole.UserRole, info.channel)
            item.setData(Qt.ItemDataRole.UserRole + 1, info.joined)
            self.list.addItem(item)
            if selected is not None and fold(info.channel) == fold(selected):
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        has = self.list.count() > 0
        self.open_button.setEnabled(has)
        self.leave_button.setEnabled(has)

    def selected(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def join(self) -> None:
        account, channel = self.account.currentText(), self.name.text().strip()
        if not channel:
            self.error.setText(tr("Type the channel's name, like #timb."))
            return
        try:
            self.channels.join_channel(account, channel)
        except ServiceError as exc:
            self.error.setText(str(exc))
            return
        self.waiting = (account, fold(channel))
        self.error.setText(tr("Joining {channel}…").format(channel=channel))
        self.refresh()

    def failed(self, account: str, channel: str, reason: str) -> None:
        """The server refused a channel command (a join, mostly)."""
        if account == self.account.currentText():
            self.error.setText(tr("{channel}: {reason}").format(channel=channel, reason=reason))
        if self.waiting == (account, fold(channel)):
            self.waiting = None
        self.refresh()

    def open_selected(self) -> None:
        channel = self.selected()
        item = self.list.currentItem()
        if channel is None or item is None:
            return
        if not item.data(Qt.ItemDataRole.UserRole + 1):
            self.error.setText(
                tr("Not in {channel} yet: the server has not answered.").format(channel=channel)
            )
            return
        account = self.account.currentText()
        self.accept()  # first: the focus it gives back must not undo the tab's
        self.open_requested.emit(account, channel)

    def leave_selected(self) -> None:
        channel = self.selected()
        if channel is None:
            return
        try:
            self.channels.part_channel(self.account.currentText(), channel)
        except ServiceError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText(tr("Leaving {channel}…").format(channel=channel))
