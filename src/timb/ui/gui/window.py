"""`MainWindow`: contacts and Tor on the left, conversations in tabs on the right, every command
in a menu with a shortcut. The window title is always "TIMB": it never names a contact (window
titles are read by task bars, screen sharing and window managers).

Panic (Ctrl+Shift+X) ends every private session, drops what the window holds, closes the
service (which locks the profile) and quits.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget

from timb.core.errors import ProfileError
from timb.core.events import ConnectionState, OtrState
from timb.ui.gui import commands
from timb.ui.gui.a11y import named
from timb.ui.gui.bridges import TorFlow
from timb.ui.gui.channel_flow import ChannelFlow
from timb.ui.gui.channels import ChannelView
from timb.ui.gui.conversation import ConversationView
from timb.ui.gui.events import Notifier
from timb.ui.gui.held import HeldFlow
from timb.ui.gui.i18n import tr
from timb.ui.gui.onion import OnionSection
from timb.ui.gui.onion_chat import OnionChatView
from timb.ui.gui.onion_flow import OnionFlow
from timb.ui.gui.service_api import ServiceApi
from timb.ui.gui.sidebar import AccountStatus, ContactList, TorPanel
from timb.ui.gui.tasks import Tasks

TITLE = "TIMB"
PANIC_SHORTCUT = "Ctrl+Shift+X"


class MainWindow(QMainWindow):
    """The TIMB window on ``service``. ``quit_requested(status)`` when TIMB should end."""

    quit_requested = Signal(int)

    def __init__(
        self, service: ServiceApi, tasks: Tasks, *, tor_description: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service, self.tasks = service, tasks
        self.setWindowTitle(TITLE)
        self.connections: dict[str, ConnectionState] = {}
        self.ui_settings: dict[str, bool] = {"notify_text": False}
        self.unlocked = False
        self.panicked = False
        self.views: dict[tuple[str, str], ConversationView] = {}
        self.tor = TorPanel(tor_description, self)
        self.accounts = AccountStatus(self)
        self.contact_list = ContactList(self)
        self.contact_list.opened.connect(self.open)
        self.tabs = named(QTabWidget(self), tr("Conversations"), tr("One tab per open conversation"))
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(self._close_tab)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.empty = QLabel(tr("Pick a contact on the left (or add one: Ctrl+N) to start."), self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tabs.hide()
        left = QWidget(self)
        column = QVBoxLayout(left)
        column.addWidget(self.tor)
        column.addWidget(self.accounts)
        contacts_label = QLabel(tr("&Contacts"), left)
        contacts_label.setBuddy(self.contact_list)
        column.addWidget(contacts_label)
        column.addWidget(self.contact_list, 1)
        self.onion_section = OnionSection(left)
        column.addWidget(self.onion_section, 1)
        right = QWidget(self)
        stack = QVBoxLayout(right)
        stack.addWidget(self.empty, 1)
        stack.addWidget(self.tabs, 1)
        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        self.setCentralWidget(splitter)
        self.held = HeldFlow(self)
        self.tor_flow = TorFlow(self)
        self.onion = OnionFlow(self, self.onion_section)
        self.channels = ChannelFlow(self)
        self.menu_actions: dict[str, QAction] = {}
        self._menus()
        self.notifier = Notifier(self)
        self.resize(960, 640)

    # -- menus: every command, each with a shortcut ----------------------------------------------

    def _menus(self) -> None:
        self.commands = commands.Commands(self)
        bar = self.menuBar()
        for menu_title, entries in commands.menu(self, self.commands):
            menu = bar.addMenu(menu_title)
            for key, text, shortcut, slot in entries:
                action = QAction(text, self)
                if shortcut:
                    action.setShortcut(QKeySequence(shortcut))
                action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
                action.triggered.connect(slot)
                menu.addAction(action)
                self.addAction(action)  # shortcuts work even when the menu bar is hidden
                self.menu_actions[key] = action
        self.set_unlocked(False)

    @property
    def widget(self) -> QWidget:
        """The window as the parent of its helpers' dialogs (`host.WindowHost`)."""
        return self

    def set_unlocked(self, unlocked: bool) -> None:
        self.unlocked = unlocked
        for key, action in self.menu_actions.items():
            action.setEnabled(unlocked or key in ("quit", "panic", "about"))

    # -- conversations ------------------------------------------------------------------------------

    def conversation(self, account: str, contact: str, *, focus: bool = False) -> ConversationView:
        """The conversation's view, made (and its history read) on first use."""
        key = (account, contact)
        view = self.views.get(key)
        if view is None:
            view = ConversationView(account, contact, self.tabs)
            view.send_requested.connect(lambda text, view=view: self.send(view, text))
            view.held_requested.connect(lambda view=view: self.held.ask_for(view.account, view.contact))
            self.views[key] = view
            self.tabs.addTab(view, contact)
            self.tabs.show()
            self.empty.hide()
            self.tasks.spawn(self.service.read_history(account, contact), view.add_history)
        if self.contact_list.item_for(account, contact) is None:
            self.contact_list.add_contact(account, contact)
        if focus:
            self.tabs.setCurrentWidget(view)
            view.composer.setFocus()
        return view

    def open(self, account: str, contact: str) -> None:
        self.conversation(account, contact, focus=True)
        self.contact_list.mark_unread(account, contact, False)

    def current(self) -> ConversationView | None:
        widget = self.tabs.currentWidget() if self.tabs.isVisible() else None
        if isinstance(widget, ConversationView):
            return widget
        if isinstance(widget, OnionChatView):
            self.show_status(tr("An onion chat needs no OTR: the onion itself makes it private."))
        elif isinstance(widget, ChannelView):
            self.show_status(tr("A channel is never private: OTR is for one-to-one conversations."))
        else:
            self.show_status(tr("Open a conversation first (pick a contact on the left)."))
        return None

    def _tab_changed(self, _: int) -> None:
        widget = self.tabs.currentWidget()
        if isinstance(widget, ConversationView):
            self.contact_list.mark_unread(widget.account, widget.contact, False)
        elif (
            isinstance(widget, OnionChatView)
            and (widget.identity, widget.contact) in self.onion_section.unread
        ):
            self.onion_section.unread.discard((widget.identity, widget.contact))
            self.onion.refresh()

    def _close_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if isinstance(widget, ConversationView):
            self.drop_view(widget.account, widget.contact)
        elif isinstance(widget, OnionChatView):
            self.onion.drop(widget.identity, widget.contact)
        elif isinstance(widget, ChannelView):
            self.channels.tab_closed(widget)

    def drop_view(self, account: str, contact: str) -> None:
        view = self.views.pop((account, contact), None)
        if view is not None:
            self.tabs.removeTab(self.tabs.indexOf(view))
            view.deleteLater()
        self.show_empty_if_none()

    def show_empty_if_none(self) -> None:
        if self.tabs.count() == 0:
            self.tabs.hide()
            self.empty.show()

    def send(self, view: ConversationView, text: str) -> None:
        def command() -> None:
            sent = self.service.send_message(view.account, view.contact, text)
            view.add_outgoing(sent.id, text, sent.state)

        self.tasks.run(command)

    def set_otr_state(self, account: str, contact: str, state: OtrState) -> None:
        self.conversation(account, contact).set_otr_state(state)

    # -- status ------------------------------------------------------------------------------------

    def show_status(self, text: str, *, error: bool = False) -> None:
        self.statusBar().showMessage(text)
        self.statusBar().setAccessibleDescription(text)
        if error:
            self.statusBar().setStyleSheet("QStatusBar { font-weight: bold; }")
        else:
            self.statusBar().setStyleSheet("")

    def refresh_accounts(self) -> None:
        try:
            accounts = self.service.list_accounts()
        except ProfileError:
            return
        known = {a.id for a in accounts}
        for account, contact in list(self.views):
            if account not in known:
                self.drop_view(account, contact)
        for account, contact in self.contact_list.contacts():
            if account not in known:
                self.contact_list.remove_contact(account, contact)
        self.accounts.show_accounts(
            [
                (
                    a.id,
                    str(a.jid),
                    self.connections.get(a.id, ConnectionState.DISCONNECTED),
                )
                for a in accounts
            ]
        )

    def load_contacts(self) -> None:
        """After unlock: every account's contacts, their presence and privacy."""
        for account in self.service.list_accounts():
            account_id = account.id
            self.connections.setdefault(
                account_id,
                ConnectionState.CONNECTED if account.connected else ConnectionState.DISCONNECTED,
            )
            for contact in self.service.list_contacts(account_id):
                self.contact_list.add_contact(
                    account_id,
                    contact.jid,
                    presence=contact.presence,
                    blocked=contact.blocked,
                )
        self.refresh_accounts()
        self.onion.refresh()

    # -- leaving -----------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.quit_requested.emit(0)
        event.accept()
