"""The app's serverless onion chat: where onion events go, the request and file dialogs, the
commands the onion screen (screens/onion.py) asks for.

A stranger's request pops up once (accept, reject, block or later); while one request dialog is
open, later ones only show in the list, so a flood of requests cannot bury the screen. File
offers are asked one at a time the same way. Nothing is accepted by itself.
"""

from __future__ import annotations

import functools
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from textual.app import App

from timb.core.errors import ServiceError
from timb.core.onion_events import (
    OnionContactChanged,
    OnionContactRequested,
    OnionEvent,
    OnionFileChanged,
    OnionFileOffered,
    OnionFileProgress,
    OnionIdentityChanged,
    OnionMessageReceived,
    OnionMessageState,
    OnionMessageStateChanged,
    OnionPresenceChanged,
)
from timb.ui.tui.flows.onion_files import OnionFileFlow
from timb.ui.tui.onion_api import OnionApi
from timb.ui.tui.screens.dialogs import ConfirmDialog
from timb.ui.tui.screens.onion import OnionScreen
from timb.ui.tui.screens.onion_dialogs import NewOnionIdentityDialog, OnionRequestDialog
from timb.ui.tui.widgets.onion_chat import OnionChatView
from timb.ui.tui.widgets.onion_model import ChatLine, OnionChat, short

ONION_EVENTS = (
    OnionIdentityChanged,
    OnionContactRequested,
    OnionContactChanged,
    OnionPresenceChanged,
    OnionMessageReceived,
    OnionMessageStateChanged,
    OnionFileOffered,
    OnionFileChanged,
    OnionFileProgress,
)
MAX_REMEMBERED = 64  # requests whose words are kept (the core keeps 64 waiting)


class OnionFlow:
    """``onion`` is the service's ``service.onion``, or None when it has none."""

    def __init__(self, app: App[Any], onion: OnionApi | None, *, folder: Path | None = None) -> None:
        self.app = app
        self._onion = onion
        self.chats: dict[tuple[str, str], OnionChat] = {}
        self.unread: set[tuple[str, str]] = set()
        self.requests: dict[tuple[str, str], tuple[str, str]] = {}  # nickname, message
        self.request_open = False
        self.files = OnionFileFlow(app, self, folder or Path.home() / "Downloads")

    @property
    def onion(self) -> OnionApi:
        assert self._onion is not None
        return self._onion

    def _run(self, job: Coroutine[Any, Any, None]) -> None:
        self.app.run_worker(job, group="onion")

    def _error(self, exc: ServiceError) -> None:
        self.app.notify(str(exc), severity="error", markup=False)

    # -- what the screen shows --------------------------------------------------------------------

    def open(self) -> None:
        if self._onion is None:
            self.app.notify("This service has no onion chat.", severity="warning")
            return
        if self.screen() is None:
            self.app.push_screen(OnionScreen(self.onion, self.unread))

    def screen(self) -> OnionScreen | None:
        return next((s for s in self.app.screen_stack if isinstance(s, OnionScreen)), None)

    def asked(self, asked: OnionScreen.Asked) -> None:
        """What the onion screen asks of the app."""
        match asked.action:
            case "open":
                if (screen := self.screen()) is not None:
                    screen.show_chat(self.chat(asked.identity, asked.contact))
            case "request":
                self.ask(asked.identity, asked.contact)
            case "new":
                self.new_identity()
            case "delete":
                self.confirm_delete(asked.identity)
            case "offers":
                self.files.next_offer()

    def chat_asked(self, asked: OnionChatView.Asked) -> None:
        """What an onion chat asks of the app."""
        match asked.action:
            case "send":
                self.send(asked.chat, asked.text)
            case "file":
                self.files.send_file(asked.chat, asked.text)
            case "cancel":
                self.files.cancel(asked.chat)
            case "verify":
                self.confirm_verified(asked.chat)
            case "block":
                self.confirm_block(asked.chat)

    def chat(self, identity: str, contact: str) -> OnionChat:
        """The chat (made on first use, with what the service says of the contact)."""
        chat = self.chats.get((identity, contact))
        if chat is None:
            try:
                found = self.onion.list_contacts(identity)
            except ServiceError:
                found = []
            info = next((c for c in found if c.contact == contact), None)
            chat = OnionChat(
                identity, contact, verified=bool(info and info.verified), online=bool(info and info.online)
            )
            self.chats[chat.key] = chat
        return chat

    def add_line(self, chat: OnionChat, line: ChatLine) -> ChatLine:
        chat.add(line)
        if (screen := self.screen()) is not None:
            screen.line_changed(chat, line)
        return line

    def line_changed(self, chat: OnionChat, line: ChatLine) -> None:
        if (screen := self.screen()) is not None:
            screen.line_changed(chat, line)

    # -- events -----------------------------------------------------------------------------------

    def event(self, event: OnionEvent) -> None:
        """Show one onion event (called in order by the app's event worker)."""
        match event:
            case OnionMessageReceived(identity=identity, contact=contact, text=text):
                chat = self.chat(identity, contact)
                self.add_line(chat, ChatLine("in", text))
                screen = self.screen()
                if screen is None or screen.shown_chat is not chat:
                    self.unread.add(chat.key)
                    self.app.notify(f"New onion message from {short(contact)} (F9: Onion)", markup=False)
            case OnionMessageStateChanged(id=msg_id, state=state, identity=identity, contact=contact):
                shown = self.chats.get((identity, contact))
                line = shown.outgoing(msg_id) if shown is not None else None
                if shown is not None and line is not None:
                    line.state = state
                    self.line_changed(shown, line)
            case OnionContactRequested(
                identity=identity, contact=contact, nickname=nickname, message=message
            ):
                self.remember(identity, contact, nickname, message)
                self.ask(identity, contact)
            case OnionContactChanged(identity=identity, contact=contact, verified=verified):
                self._chat_state(identity, contact, verified=verified)
            case OnionPresenceChanged(identity=identity, contact=contact, online=online):
                self._chat_state(identity, contact, online=online)
            case OnionIdentityChanged(identity=identity, deleted=True, expired=expired):
                self._identity_gone(identity, expired)
            case OnionFileOffered() | OnionFileChanged() | OnionFileProgress():
                self.files.event(event)
        if (screen := self.screen()) is not None:
            screen.refresh_soon()

    def _chat_state(
        self, identity: str, contact: str, *, verified: bool | None = None, online: bool | None = None
    ) -> None:
        chat = self.chats.get((identity, contact))
        if chat is None:
            return
        if verified is not None:
            chat.verified = verified
        if online is not None:
            chat.online = online
        if (screen := self.screen()) is not None:
            screen.chat_changed(chat)

    def _identity_gone(self, identity: str, expired: bool) -> None:
        for key in [k for k in self.chats if k[0] == identity]:
            del self.chats[key]
            self.unread.discard(key)
        for key in [k for k in self.requests if k[0] == identity]:
            del self.requests[key]
        self.files.identity_gone(identity)
        if (screen := self.screen()) is not None:
            screen.identity_gone(identity)
        if expired:
            self.app.notify(f"Onion identity {identity} expired: its key is gone.", markup=False)

    # -- requests ---------------------------------------------------------------------------------

    def remember(self, identity: str, contact: str, nickname: str, message: str) -> None:
        """What a request said, for when the user opens it from the list later (bounded: the
        oldest words are dropped first)."""
        if len(self.requests) >= MAX_REMEMBERED and (identity, contact) not in self.requests:
            self.requests.pop(next(iter(self.requests)))
        self.requests[(identity, contact)] = (nickname, message)

    def ask(self, identity: str, contact: str) -> None:
        """A stranger's request: one dialog at a time (the rest wait in the list)."""
        if self.request_open:
            return
        nickname, message = self.requests.get((identity, contact), ("", ""))
        self.request_open = True
        self.app.push_screen(
            OnionRequestDialog(identity, contact, nickname, message),
            functools.partial(self._answered, identity, contact, (nickname, message)),
        )

    async def _answered(
        self, identity: str, contact: str, words: tuple[str, str], choice: str | None
    ) -> None:
        self.request_open = False
        commands = {"accept": self.onion.accept, "reject": self.onion.reject, "block": self.onion.block}
        command = commands.get(choice or "")
        if command is None:  # later: its words are kept for when it is opened from the list
            self.remember(identity, contact, *words)
            return
        self.requests.pop((identity, contact), None)
        try:
            await command(identity, contact)
        except ServiceError as exc:
            self._error(exc)
        if (screen := self.screen()) is not None:
            screen.refresh_list()

    # -- identities -------------------------------------------------------------------------------

    def new_identity(self) -> None:
        def created(identity: str | None) -> None:
            if identity is not None and (screen := self.screen()) is not None:
                screen.refresh_list()
                screen.show_identity(identity)

        self.app.push_screen(NewOnionIdentityDialog(self.onion), created)

    def confirm_delete(self, identity: str) -> None:
        question = (
            f"Delete {identity} with its key? Nobody can reach its address again, its contacts are "
            "forgotten and its waiting messages are not sent. This cannot be undone."
        )

        async def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                await self.onion.delete_identity(identity)
            except ServiceError as exc:
                self._error(exc)
                return
            if (screen := self.screen()) is not None:
                screen.identity_gone(identity)

        self.app.push_screen(ConfirmDialog(question, "Delete it"), answered)

    # -- chats ------------------------------------------------------------------------------------

    def send(self, chat: OnionChat, text: str) -> None:
        try:
            msg_id = self.onion.send_message(chat.identity, chat.contact, text)
        except ServiceError as exc:
            self.add_line(chat, ChatLine("system", f"not sent: {exc}", alarm=True))
            return
        state = self.onion.message_state(chat.identity, msg_id) or OnionMessageState.WAITING
        self.add_line(chat, ChatLine("out", text, msg_id=msg_id, state=state))

    def confirm_verified(self, chat: OnionChat) -> None:
        question = (
            f"Did you compare this address with {short(chat.contact)} over another channel (in person, "
            f"by phone), character by character?\n{chat.contact}"
        )

        async def answered(yes: bool | None) -> None:
            if yes:
                try:
                    await self.onion.verify_contact(chat.identity, chat.contact, True)
                except ServiceError as exc:
                    self._error(exc)

        self.app.push_screen(ConfirmDialog(question, "Yes, it is the same"), answered)

    def confirm_block(self, chat: OnionChat) -> None:
        question = (
            f"Block {short(chat.contact)}? They are refused now and later; your messages still "
            "waiting for them are not sent."
        )

        async def answered(yes: bool | None) -> None:
            if yes:
                try:
                    await self.onion.block(chat.identity, chat.contact)
                except ServiceError as exc:
                    self._error(exc)
                    return
                self.add_line(chat, ChatLine("system", "blocked: they are refused now and later"))

        self.app.push_screen(ConfirmDialog(question, "Block"), answered)
