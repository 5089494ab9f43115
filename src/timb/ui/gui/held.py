"""Messages held for a key change: the blocking dialog, and the choice reached again later.

The core holds messages written for one key when the contact's session now has another
(`HeldForKeyChange`): either the contact has a new key or someone is in the middle. Only the
user lets them go, to the key the event names (``offered``: `release_held` refuses any other),
or throws them away. Nothing here sends by itself, and "Decide later" changes nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from timb.core.events import HeldForKeyChange
from timb.core.service.results import HeldNotice
from timb.ui.gui.host import WindowHost
from timb.ui.gui.i18n import tr
from timb.ui.gui.verify import ChoiceDialog, fingerprint_label

HELD_SHORTCUT = "Ctrl+Shift+H"


class HeldDialog(ChoiceDialog):
    """LOUD and blocking (application-modal), like the key-change alarm: Escape and the close
    button do nothing. Chosen with "release", "discard" or "later". No button is the default,
    so Enter typed into the composer cannot send the messages unread."""

    def __init__(self, event: HeldForKeyChange, parent: QWidget | None = None) -> None:
        super().__init__(tr("WARNING: messages held"), parent)
        self.held = event
        self.setModal(True)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self.summary = self.text(
            tr("{count} message(s) you wrote to {contact} were NOT sent: their key changed.").format(
                count=len(event.ids), contact=event.contact
            ),
            bold=True,
        )
        self.text(
            tr(
                "Either they have a new key, or SOMEONE IS IN THE MIDDLE. Send them only if you have "
                "verified the new key with them over another channel."
            )
        )
        self.text(tr("Written for the key(s):"))
        for fingerprint in event.written_for:
            self.column.addWidget(
                fingerprint_label(fingerprint.human(), tr("Key they were written for"), self)
            )
        self.text(tr("Their private session now has the key:"))
        self.offered = fingerprint_label(event.offered.human(), tr("The new key"), self)
        self.column.addWidget(self.offered)
        release = self.button(
            "release", tr("&Send them to the new key"), tr("Send the held messages to this key")
        )
        discard = self.button("discard", tr("&Discard them"), tr("Never send the held messages"))
        later = self.button(
            "later", tr("Decide &later"), tr("Keep them held; Conversation > Held messages asks again")
        )
        release.clicked.connect(lambda: self.choose("release"))
        discard.clicked.connect(lambda: self.choose("discard"))
        later.clicked.connect(lambda: self.choose("later"))
        self.finish_layout()

    def reject(self) -> None:
        pass  # no Escape: see the class docstring


class HeldFlow:
    """The event's dialog, and the same choice asked again from what the service holds now."""

    def __init__(self, window: WindowHost) -> None:
        self.w = window

    def held(self, event: HeldForKeyChange) -> None:
        """The core's event: mark the messages held and ask at once."""
        view = self.w.conversation(event.account, event.contact)
        view.mark_held(event.ids)
        view.add_system(
            tr("{count} message(s) HELD: written for another key, not sent").format(count=len(event.ids))
        )
        self.ask(event)

    def ask_current(self) -> None:
        """The menu entry: the choice again for the open conversation."""
        view = self.w.current()
        if view is not None:
            self.ask_for(view.account, view.contact)

    def ask_for(self, account: str, contact: str) -> None:
        """The choice again for one conversation, with what the core holds now (`held_notice`:
        the ids, the keys they were written for, the session's key now)."""
        found: list[HeldNotice] = []
        if not self.w.tasks.run(lambda: found.append(self.w.service.held_notice(account, contact))):
            return
        notice = found[0]
        if not notice.ids:
            self.w.show_status(tr("No messages are held for {contact}.").format(contact=contact))
        elif notice.offered is None:  # nothing to release them to until a session exists
            self.w.show_status(
                tr("{count} message(s) are held for {contact}: no private session now, so they wait.").format(
                    count=len(notice.ids), contact=contact
                )
            )
        else:
            self.ask(HeldForKeyChange(account, contact, notice.ids, notice.written_for, notice.offered))

    def ask(self, event: HeldForKeyChange) -> None:
        for old in self.w.commands.dialogs(HeldDialog):
            assert isinstance(old, HeldDialog)
            if (old.held.account, old.held.contact) == (event.account, event.contact):
                old.done(0)  # the newer event replaces it (its key is the one to offer)
        dialog = HeldDialog(event, self.w.widget)
        dialog.chosen.connect(lambda choice: self._chosen(event, choice))
        self.w.commands.open_blocking(dialog)

    def _chosen(self, event: HeldForKeyChange, choice: object) -> None:
        account, contact = event.account, event.contact
        service, view = self.w.service, self.w.conversation(account, contact)
        if choice == "release":
            if self.w.tasks.run(lambda: service.release_held(account, contact, event.offered.hex)):
                view.held_decided()
                view.add_system(
                    tr("held messages released to the key {fingerprint}").format(
                        fingerprint=event.offered.human()
                    )
                )
        elif choice == "discard":
            if self.w.tasks.run(lambda: service.discard_held(account, contact)):
                view.held_decided()
                view.add_system(tr("held messages discarded: they will never be sent"))
        else:
            view.add_system(
                tr("held messages wait for your decision: Conversation > Held messages ({shortcut})").format(
                    shortcut=HELD_SHORTCUT
                )
            )

    def clear(self) -> None:
        """Panic: nothing of the held messages is kept here (the dialogs are closed by panic)."""
