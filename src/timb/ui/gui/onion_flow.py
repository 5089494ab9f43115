"""The window's onion commands and events: the section's rows, the dialogs, the chat tabs.

The section is redrawn from the service (`list_identities`, `list_contacts`) after every onion
event: the service is the one truth, and both lists are bounded by the core's caps.
"""

from __future__ import annotations

import functools

from timb.core.errors import ProfileError
from timb.core.onion_events import (
    OnionContactChanged,
    OnionContactRequested,
    OnionEvent,
    OnionIdentityChanged,
    OnionMessageReceived,
    OnionMessageStateChanged,
    OnionPresenceChanged,
)
from timb.core.service.onion_part import OnionContactInfo
from timb.ui.gui.dialogs import ButtonsDialog
from timb.ui.gui.host import WindowHost
from timb.ui.gui.i18n import tr
from timb.ui.gui.onion import IdentityDialog, NewIdentityDialog, OnionSection, request_dialog
from timb.ui.gui.onion_chat import OnionChatView, short

MAX_REMEMBERED = 64  # requests whose nickname and message are kept (the core keeps 64 waiting)


class OnionFlow:
    def __init__(self, window: WindowHost, section: OnionSection) -> None:
        self.w, self.section = window, section
        self.views: dict[tuple[str, str], OnionChatView] = {}
        self.request_open = False
        self.requests: dict[tuple[str, str], tuple[str, str]] = {}  # what a request said, for later
        section.activated.connect(self._activated)
        section.new_button.clicked.connect(self.new_identity)

    # -- the section ------------------------------------------------------------------------------

    def refresh(self) -> None:
        try:
            identities = self.w.service.onion.list_identities()
            rows = [(i, self.w.service.onion.list_contacts(i.id)) for i in identities]
        except ProfileError:
            return
        self.section.show_all(rows)

    def _contact(self, identity: str, contact: str) -> OnionContactInfo | None:
        try:
            found = self.w.service.onion.list_contacts(identity)
        except ProfileError:
            return None
        return next((c for c in found if c.contact == contact), None)

    def _activated(self, kind: str, identity: str, contact: str) -> None:
        if kind == "identity":
            self.open_identity(identity)
        elif kind == "request":
            self.ask(identity, contact, *self.requests.get((identity, contact), ("", "")))
        elif kind == "contact":
            self.open_chat(identity, contact, focus=True)

    def new_identity(self) -> None:
        dialog = NewIdentityDialog(self.w.service, self.w.tasks, self.w.widget)
        dialog.created.connect(self._created)
        self.w.commands.open_dialog(dialog)

    def _created(self, identity: str) -> None:
        self.refresh()
        self.open_identity(identity)

    def open_identity(self, identity: str) -> None:
        info = next((i for i in self.w.service.onion.list_identities() if i.id == identity), None)
        if info is None:
            return
        dialog = IdentityDialog(self.w.service, self.w.tasks, info, self.w.widget)
        dialog.changed.connect(self.refresh)
        dialog.delete_requested.connect(lambda identity: self.confirm_delete(identity, dialog))
        self.w.commands.open_dialog(dialog)

    def confirm_delete(self, identity: str, owner: IdentityDialog) -> None:
        dialog = ButtonsDialog(
            tr("Delete onion identity"),
            tr(
                "Delete {identity} with its key? Nobody can reach its address again, its contacts "
                "are forgotten and its waiting messages are not sent. This cannot be undone."
            ).format(identity=identity),
            [
                ("delete", tr("&Delete it"), tr("Delete the identity and its key")),
                ("no", tr("Cancel"), tr("Change nothing")),
            ],
            self.w.widget,
        )

        def chosen(key: object) -> None:
            if key == "delete":
                self.w.tasks.spawn(self.w.service.onion.delete_identity(identity), lambda _: owner.accept())

        dialog.chosen.connect(chosen)
        self.w.commands.open_dialog(dialog)

    def ask(self, identity: str, contact: str, nickname: str, message: str) -> None:
        """A stranger's request: one dialog at a time (the rest wait in the list)."""
        if self.request_open:
            return
        dialog = request_dialog(identity, contact, nickname, message, self.w.widget)
        self.request_open = True
        dialog.finished.connect(lambda _: setattr(self, "request_open", False))
        dialog.chosen.connect(functools.partial(self._answered, identity, contact))
        self.w.commands.open_dialog(dialog)

    def _answered(self, identity: str, contact: str, choice: object) -> None:
        if choice is not None:
            self.requests.pop((identity, contact), None)
        commands = {"accept": self.w.service.onion.accept, "reject": self.w.service.onion.reject}
        command = commands.get(str(choice)) or (self.w.service.onion.block if choice == "block" else None)
        if command is not None:
            self.w.tasks.spawn(command(identity, contact), lambda _: self.refresh())

    # -- chats ------------------------------------------------------------------------------------

    def open_chat(self, identity: str, contact: str, *, focus: bool = False) -> OnionChatView:
        key = (identity, contact)
        view = self.views.get(key)
        if view is None:
            info = self._contact(identity, contact)
            view = OnionChatView(identity, contact, verified=bool(info and info.verified), parent=self.w.tabs)
            view.set_online(bool(info and info.online))
            view.send_requested.connect(functools.partial(self.send, view))
            view.verify_requested.connect(functools.partial(self.confirm_verified, view))
            view.block_requested.connect(functools.partial(self.confirm_block, view))
            self.views[key] = view
            self.w.tabs.addTab(view, short(contact))
            self.w.tabs.show()
            self.w.empty.hide()
        if focus:
            self.w.tabs.setCurrentWidget(view)
            view.composer.setFocus()
            self.section.unread.discard(key)
            self.refresh()
        return view

    def send(self, view: OnionChatView, text: str) -> None:
        def command() -> None:
            view.add_outgoing(self.w.service.onion.send_message(view.identity, view.contact, text), text)

        self.w.tasks.run(command)

    def confirm_verified(self, view: OnionChatView) -> None:
        dialog = ButtonsDialog(
            tr("Verify the address"),
            tr(
                "Did you compare this address with {contact} over another channel (in person, by "
                "phone), character by character?\n{address}"
            ).format(contact=short(view.contact), address=view.contact),
            [
                ("yes", tr("&Yes, it is the same"), tr("Mark the address verified")),
                ("no", tr("Cancel"), tr("Change nothing")),
            ],
            self.w.widget,
        )
        dialog.chosen.connect(
            lambda key: (
                self.w.tasks.spawn(self.w.service.onion.verify_contact(view.identity, view.contact, True))
                if key == "yes"
                else None
            )
        )
        self.w.commands.open_dialog(dialog)

    def confirm_block(self, view: OnionChatView) -> None:
        identity, contact = view.identity, view.contact
        dialog = ButtonsDialog(
            tr("Block contact"),
            tr(
                "Block {contact}? They are refused now and later; your messages still waiting for "
                "them are not sent."
            ).format(contact=short(contact)),
            [
                ("block", tr("&Block"), tr("Refuse them now and later")),
                ("no", tr("Cancel"), tr("Change nothing")),
            ],
            self.w.widget,
        )

        def chosen(key: object) -> None:
            if key == "block":
                self.w.tasks.spawn(
                    self.w.service.onion.block(identity, contact), lambda _: self.drop(identity, contact)
                )

        dialog.chosen.connect(chosen)
        self.w.commands.open_dialog(dialog)

    def drop(self, identity: str, contact: str) -> None:
        view = self.views.pop((identity, contact), None)
        if view is not None:
            self.w.tabs.removeTab(self.w.tabs.indexOf(view))
            view.deleteLater()
        self.w.show_empty_if_none()

    def clear(self) -> None:
        for identity, contact in list(self.views):
            self.drop(identity, contact)
        self.section.unread.clear()
        self.section.list.clear()
        self.requests.clear()

    def remember(self, identity: str, contact: str, nickname: str, message: str) -> None:
        """What a request said, for when the user opens it from the list later (bounded: the
        oldest words are dropped first)."""
        if len(self.requests) >= MAX_REMEMBERED:
            self.requests.pop(next(iter(self.requests)))
        self.requests[(identity, contact)] = (nickname, message)

    # -- events ------------------------------------------------------------------------------------

    def handle(self, event: OnionEvent) -> None:
        match event:
            case OnionMessageReceived(identity=identity, contact=contact, text=text):
                view = self.open_chat(identity, contact)
                view.add_incoming(text)
                if self.w.tabs.currentWidget() is not view:
                    self.section.unread.add((identity, contact))
                self.w.notifier.message(event)
            case OnionMessageStateChanged(id=msg_id, state=state, identity=identity, contact=contact):
                if (shown := self.views.get((identity, contact))) is not None:
                    shown.update_state(msg_id, state)
                return
            case OnionContactRequested(
                identity=identity, contact=contact, nickname=nickname, message=message
            ):
                self.remember(identity, contact, nickname, message)
                self.ask(identity, contact, nickname, message)
            case OnionContactChanged(identity=identity, contact=contact, verified=verified):
                if (verifying := self.views.get((identity, contact))) is not None:
                    verifying.set_verified(verified)
            case OnionPresenceChanged(identity=identity, contact=contact, online=online):
                if (present := self.views.get((identity, contact))) is not None:
                    present.set_online(online)
            case OnionIdentityChanged(identity=identity, deleted=True, expired=expired):
                for key in [k for k in self.views if k[0] == identity]:
                    self.drop(*key)
                if expired:
                    self.w.show_status(
                        tr("Onion identity {identity} expired: its key is gone.").format(identity=identity)
                    )
        self.refresh()
