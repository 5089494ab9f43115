"""The window's commands (menus and shortcuts) and the dialogs they open.

Every command is a menu entry with a keyboard shortcut, so TIMB is usable without a mouse. The
verification flows (fingerprints, SMP both ways, the key-change alarm) live here too, so the
event handler (`events.py`) and the menus open the same dialogs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QClipboard, QGuiApplication
from PySide6.QtWidgets import QDialog

from timb.common.secret import Secret
from timb.core.errors import ProfileError, ServiceError
from timb.core.events import KeyChanged
from timb.core.service.results import Fingerprints
from timb.ui.gui.accounts import AccountsDialog
from timb.ui.gui.channels import CHANNELS_SHORTCUT, LEAVE_SHORTCUT
from timb.ui.gui.dialogs import AddContactDialog, confirm_dialog, subscription_dialog
from timb.ui.gui.held import HELD_SHORTCUT
from timb.ui.gui.host import WindowHost
from timb.ui.gui.i18n import tr
from timb.ui.gui.irc_sasl import SaslKeyDialog
from timb.ui.gui.settings import SettingsDialog
from timb.ui.gui.verify import (
    FingerprintDialog,
    KeyChangedDialog,
    SmpAnswerDialog,
    SmpRequest,
    SmpStartDialog,
)

Entry = tuple[str, str, str, Callable[[], None]]  # key, words, shortcut, slot
IRC_SASL_SHORTCUT = "Ctrl+Shift+K"


def menu(w: WindowHost, c: Commands) -> list[tuple[str, list[Entry]]]:
    return [
        (
            tr("&TIMB"),
            [
                ("accounts", tr("&Accounts…"), "F2", c.accounts),
                ("irc_sasl", tr("&IRC SASL key…"), IRC_SASL_SHORTCUT, c.irc_sasl_key),
                ("settings", tr("&Settings…"), "Ctrl+,", c.settings),
                ("tor", tr("&Tor connection (bridges)…"), "Ctrl+T", w.tor_flow.settings),
                ("panic", tr("&Panic: end everything and quit"), "Ctrl+Shift+X", c.panic),
                ("quit", tr("&Quit"), "Ctrl+Q", c.quit),
            ],
        ),
        (
            tr("&Contacts"),
            [
                ("add_contact", tr("&Add contact…"), "Ctrl+N", c.add_contact),
                ("remove_contact", tr("&Remove contact"), "Ctrl+Shift+D", c.remove_contact),
                ("block_contact", tr("&Block contact"), "Ctrl+Shift+B", c.block_contact),
                ("contacts", tr("&Go to contacts"), "Ctrl+L", w.contact_list.setFocus),
            ],
        ),
        (
            tr("O&nion"),
            [
                ("onion_identity", tr("&New onion identity…"), "Ctrl+Shift+N", w.onion.new_identity),
                ("onion", tr("Go to the &onion section"), "Ctrl+Shift+O", w.onion_section.list.setFocus),
            ],
        ),
        (
            tr("&IRC"),
            [
                ("channels", tr("&Channels (NOT PRIVATE)…"), CHANNELS_SHORTCUT, w.channels.open_dialog),
                ("leave_channel", tr("&Leave this channel"), LEAVE_SHORTCUT, w.channels.leave_current),
            ],
        ),
        (
            tr("C&onversation"),
            [
                ("go_private", tr("Go &private (start OTR)"), "Ctrl+O", c.go_private),
                ("end_private", tr("&End private session"), "Ctrl+E", c.end_private),
                ("verify", tr("&Verify fingerprints…"), "Ctrl+F", c.verify),
                ("smp", tr("Verify with a &secret (SMP)…"), "Ctrl+Shift+V", c.smp),
                ("held", tr("&Held messages…"), HELD_SHORTCUT, w.held.ask_current),
            ],
        ),
    ]


def clear_clipboard() -> None:
    """Empty every clipboard the platform has (X11's selection too). Always, not only when it
    holds what TIMB put there: a copied address or fingerprint may have been pasted and changed,
    and TIMB cannot tell what else was copied from its window."""
    clipboard = QGuiApplication.clipboard()
    clipboard.clear(QClipboard.Mode.Clipboard)
    if clipboard.supportsSelection():
        clipboard.clear(QClipboard.Mode.Selection)
    if clipboard.supportsFindBuffer():
        clipboard.clear(QClipboard.Mode.FindBuffer)


class Commands:
    def __init__(self, window: WindowHost) -> None:
        self.w = window
        self.service, self.tasks = window.service, window.tasks
        self.open_dialogs: list[QDialog] = []

    def _open(self, dialog: QDialog, *, blocking: bool = False) -> QDialog:
        """Show ``dialog`` without a nested event loop; kept until it closes. ``blocking``: modal
        to the whole application (``open()`` would make it modal to the window only)."""
        self.open_dialogs.append(dialog)
        dialog.finished.connect(
            lambda _: self.open_dialogs.remove(dialog) if dialog in self.open_dialogs else None
        )
        if blocking:
            dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
            dialog.show()
        else:
            dialog.open()
        return dialog

    def open_dialog(self, dialog: QDialog) -> None:
        self._open(dialog)

    def open_blocking(self, dialog: QDialog) -> None:
        """An alarm: modal to the whole application, raised above everything."""
        self._open(dialog, blocking=True)
        dialog.raise_()
        dialog.activateWindow()

    def dialogs(self, kind: type[QDialog]) -> list[QDialog]:
        return [d for d in self.open_dialogs if isinstance(d, kind)]

    # -- the TIMB menu -------------------------------------------------------------------------

    def accounts(self) -> None:
        dialog = AccountsDialog(self.service, self.tasks, self.w.connections, self.w.widget)
        dialog.changed.connect(self.w.refresh_accounts)
        dialog.finished.connect(lambda _: self.w.refresh_accounts())
        self._open(dialog)

    def irc_sasl_key(self) -> None:
        accounts = [a.id for a in self.service.list_accounts() if a.network == "irc"]
        if not accounts:
            self.w.show_status(tr("Add an IRC account first (F2)."), error=True)
            return
        self._open(SaslKeyDialog(self.service.irc_sasl, self.tasks, accounts, self.w.widget))

    def settings(self) -> None:
        self._open(SettingsDialog(self.service, self.tasks, self.w.ui_settings, self.w.widget))

    def quit(self) -> None:
        self.w.quit_requested.emit(0)

    def panic(self) -> None:
        """End the private session with every contact of every account, empty the clipboard,
        forget what the window shows, close the service (it locks the profile) and quit. Python
        cannot promise the memory is wiped (docs/threat-model.md)."""
        try:
            for account, contact in self._every_conversation():
                self.tasks.run(functools.partial(self.service.end_otr, account, contact))
        finally:  # a bug in one end must not leave the texts on screen or the clipboard full
            clear_clipboard()
            for dialog in list(self.open_dialogs):
                dialog.done(QDialog.DialogCode.Rejected)
            for account, contact in list(self.w.views):
                self.w.drop_view(account, contact)
            self.w.contact_list.clear()
            self.w.held.clear()
            self.w.onion.clear()
            self.w.channels.clear()
            self.w.set_unlocked(False)
            self.w.panicked = True
            self.w.quit_requested.emit(0)

    def _every_conversation(self) -> list[tuple[str, str]]:
        """Every contact the service knows, then the open tabs (a stranger who wrote has a tab
        but is no contact). Not only the tabs: a session lives on after its tab is closed."""
        found = dict.fromkeys(self.w.views)
        try:
            accounts = self.service.list_accounts()
        except ProfileError:  # locked already: the service holds no session
            accounts = []
        for account in accounts:
            try:
                contacts = self.service.list_contacts(account.id)
            except ServiceError:  # removed meanwhile: its sessions went with it
                continue
            found.update(dict.fromkeys((account.id, c.jid) for c in contacts))
        return list(found)

    # -- contacts --------------------------------------------------------------------------------

    def add_contact(self) -> None:
        accounts = [a.id for a in self.service.list_accounts()]
        if not accounts:
            self.w.show_status(tr("Add an account first (F2)."), error=True)
            return
        dialog = AddContactDialog(self.service, self.tasks, accounts, self.w.widget)
        dialog.added.connect(self.w.open)
        self._open(dialog)

    def remove_contact(self) -> None:
        view = self.w.current()
        if view is None:
            return
        account, contact = view.account, view.contact
        dialog = confirm_dialog(
            tr("Remove contact"),
            tr("Remove {contact} from {account}?").format(contact=contact, account=account),
            tr("&Remove"),
            self.w.widget,
        )

        def chosen(key: object) -> None:
            if key == "yes":
                self.tasks.spawn(
                    self.service.remove_contact(account, contact), lambda _: self._forget(account, contact)
                )

        dialog.chosen.connect(chosen)
        self._open(dialog)

    def _forget(self, account: str, contact: str) -> None:
        self.w.drop_view(account, contact)
        self.w.contact_list.remove_contact(account, contact)

    def block_contact(self) -> None:
        view = self.w.current()
        if view is not None:
            self.block(view.account, view.contact)

    def block(self, account: str, contact: str) -> None:
        self.tasks.spawn(
            self.service.block_contact(account, contact),
            lambda _: self.w.contact_list.set_blocked(account, contact),
        )

    def subscription(self, account: str, contact: str) -> None:
        dialog = subscription_dialog(account, contact, self.w.widget)

        def chosen(key: object) -> None:
            if key == "approve":
                self.tasks.spawn(self.service.approve_subscription(account, contact))
            elif key == "deny":
                self.tasks.spawn(self.service.deny_subscription(account, contact))
            elif key == "block":
                self.block(account, contact)

        dialog.chosen.connect(chosen)
        self._open(dialog)

    # -- conversation -------------------------------------------------------------------------------

    def go_private(self) -> None:
        view = self.w.current()
        if view is not None and self.tasks.run(lambda: self.service.start_otr(view.account, view.contact)):
            view.add_system(tr("starting a private session…"))

    def end_private(self) -> None:
        view = self.w.current()
        if view is not None:
            self.tasks.run(lambda: self.service.end_otr(view.account, view.contact))

    def verify(self) -> None:
        view = self.w.current()
        if view is not None:
            self.fingerprints(view.account, view.contact)

    def smp(self) -> None:
        view = self.w.current()
        if view is not None:
            self.start_smp(view.account, view.contact)

    def fingerprints(self, account: str, contact: str) -> None:
        """Ours and theirs; "They match" marks their key verified."""
        prints: list[Fingerprints] = []
        if not self.tasks.run(lambda: prints.append(self.service.fingerprints(account, contact))):
            return
        found = prints[0]
        theirs = None if found.theirs is None else found.theirs.human()
        dialog = FingerprintDialog(
            contact, found.ours.human(), theirs, trusted=found.is_verified(found.theirs), parent=self.w.widget
        )

        def chosen(choice: object) -> None:
            if choice == "verified" and theirs:
                self.tasks.spawn(self.service.set_trust(account, contact, theirs, "verified"))
            elif choice == "smp":
                self.start_smp(account, contact)

        dialog.chosen.connect(chosen)
        self._open(dialog)

    def start_smp(self, account: str, contact: str) -> None:
        dialog = SmpStartDialog(contact, self.w.widget)

        def chosen(request: object) -> None:
            if isinstance(request, SmpRequest) and self.tasks.run(
                lambda: self.service.smp_start(account, contact, request.secret, request.question)
            ):
                self.w.conversation(account, contact).add_system(
                    tr("verification (SMP) started: waiting for them")
                )

        dialog.chosen.connect(chosen)
        self._open(dialog)

    def answer_smp(self, account: str, contact: str, question: str | None) -> None:
        """The contact started SMP: their question pops up; answer or refuse (abort)."""
        dialog = SmpAnswerDialog(account, contact, question, self.w.widget)

        def chosen(secret: object) -> None:
            view = self.w.conversation(account, contact)
            if isinstance(secret, Secret):
                if self.tasks.run(lambda: self.service.smp_respond(account, contact, secret)):
                    view.add_system(tr("answer sent: checking…"))
            elif self.tasks.run(lambda: self.service.smp_abort(account, contact)):
                view.add_system(tr("you refused to answer their verification"))

        dialog.chosen.connect(chosen)
        self._open(dialog)

    def withdraw_smp(self, account: str, contact: str) -> None:
        for dialog in self.dialogs(SmpAnswerDialog):
            assert isinstance(dialog, SmpAnswerDialog)
            if (dialog.account, dialog.contact) == (account, contact):
                dialog.withdraw()

    def key_changed(self, event: KeyChanged) -> None:
        """The loud, blocking alarm; "Verify now" opens the fingerprints."""
        dialog = KeyChangedDialog(event.account, event.contact, event.old, event.new, self.w.widget)

        def chosen(choice: object) -> None:
            if choice == "verify":
                self.fingerprints(event.account, event.contact)

        dialog.chosen.connect(chosen)
        self.open_blocking(dialog)
