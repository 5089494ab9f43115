"""Files in onion chats: our offers (a path typed in the chat), a contact's offers (asked in
a dialog, one at a time: the rest wait, bounded), progress, and the end in words with the reason.
Every step is a line of the chat (`ChatLine`, kind "file"), updated in place."""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Protocol

from textual.app import App

from timb.core.errors import ServiceError
from timb.core.onion_events import OnionFileChanged, OnionFileOffered, OnionFileProgress
from timb.ui.tui.onion_api import OnionApi
from timb.ui.tui.screens.onion_dialogs import OnionFileDialog
from timb.ui.tui.widgets.onion_model import ChatLine, OnionChat, Transfer, Transfers, short, size_words

MAX_OFFERS = 64  # file offers waiting for the user's answer
METADATA_WORDS = {
    "removed": "its metadata removed",
    "none-found": "no metadata found",
    "unsupported": "sent as it is: TIMB cannot remove metadata from this kind of file",
    "kept": "its metadata kept, as you chose",
}


class ChatHost(Protocol):
    """What the files need of `OnionFlow`: the service's onion part and the chats' lines."""

    @property
    def onion(self) -> OnionApi: ...

    def chat(self, identity: str, contact: str) -> OnionChat: ...

    def add_line(self, chat: OnionChat, line: ChatLine) -> ChatLine: ...

    def line_changed(self, chat: OnionChat, line: ChatLine) -> None: ...


class OnionFileFlow:
    def __init__(self, app: App[Any], chats: ChatHost, folder: Path) -> None:
        self.app, self.chats = app, chats
        self.folder = folder  # offered first for files accepted: the last one chosen
        self.transfers = Transfers()
        self.offers: deque[str] = deque(maxlen=MAX_OFFERS)
        self.offer_open = False

    def _run(self, job: Coroutine[Any, Any, None]) -> None:
        self.app.run_worker(job, group="onion-files")

    def send_file(self, chat: OnionChat, path: str) -> None:
        self._run(self._send_file(chat, Path(path).expanduser()))

    async def _send_file(self, chat: OnionChat, path: Path) -> None:
        line = self.chats.add_line(chat, ChatLine("file", f"preparing {path.name} (removing its metadata)…"))
        try:
            offer = await self.chats.onion.send_file(chat.identity, chat.contact, path)
        except ServiceError as exc:
            line.text, line.alarm = f"{path.name} not sent: {exc}", True
            self.chats.line_changed(chat, line)
            return
        known = self.transfers.get(offer.transfer)
        transfer = Transfer(
            chat.identity, chat.contact, offer.name, offer.size, "outgoing", known is not None and known.ended
        )
        self.transfers.add(offer.transfer, transfer)
        line.transfer = offer.transfer
        metadata = METADATA_WORDS.get(offer.metadata, offer.metadata)
        old = chat.file_line(offer.transfer)
        if old is not None and old is not line:  # its state came first: that line goes on
            chat.lines.remove(old)
        if known is None or not known.ended:
            line.text = (
                f"{offer.name} ({size_words(offer.size)}, {metadata}) offered: waiting for them to accept"
            )
        self.chats.line_changed(chat, line)

    def identity_gone(self, identity: str) -> None:
        """Its transfers ended with it: their offers are not asked any more."""
        for transfer in self.transfers.by_id.values():
            if transfer.identity == identity:
                transfer.ended = True

    def cancel(self, chat: OnionChat) -> None:
        """Stop the chat's newest transfer still going, either way (the contact is told)."""
        found = next(
            (
                line.transfer
                for line in reversed(chat.lines)
                if line.transfer and (t := self.transfers.get(line.transfer)) is not None and not t.ended
            ),
            None,
        )
        if found is None:
            self.app.notify("No file transfer is going on in this chat.", severity="warning")
            return
        try:
            self.chats.onion.cancel_file(chat.identity, found)
        except ServiceError as exc:
            self._file_line(chat, found, f"could not cancel: {exc}", alarm=True)

    def event(self, event: OnionFileOffered | OnionFileChanged | OnionFileProgress) -> None:
        chat = self.chats.chat(event.identity, event.contact)
        match event:
            case OnionFileOffered(transfer=tid, name=name, size=size):
                self.transfers.add(tid, Transfer(event.identity, event.contact, name, size, "incoming"))
                self.chats.add_line(
                    chat,
                    ChatLine(
                        "file",
                        f"{short(event.contact)} offers {name} ({size_words(size)}): answer in the dialog",
                        transfer=tid,
                    ),
                )
                self.offers.append(tid)
                self.next_offer()
            case OnionFileProgress(transfer=tid, done=done, bytes_per_second=rate, seconds_remaining=left):
                transfer = self.transfers.get(tid)
                if transfer is not None and not transfer.ended:
                    self._file_line(chat, tid, transfer.progress_words(done, rate, left))
            case OnionFileChanged(transfer=tid, state=state, reason=reason, by_peer=by_peer, saved_as=saved):
                transfer = self.transfers.get(tid) or self.transfers.add(
                    tid, Transfer(event.identity, event.contact, "a file", 0, event.direction)
                )
                if state == "offered" and chat.file_line(tid) is not None:
                    return  # ours: `_send_file` says it, with what mat2 did
                transfer.ended = state in ("completed", "rejected", "cancelled", "failed")
                if tid in self.offers and state != "offered":
                    self.offers.remove(tid)
                words = transfer.end_words(state, reason, by_peer, saved)
                self._file_line(chat, tid, words, alarm=state == "failed")

    def _file_line(self, chat: OnionChat, tid: str, text: str, *, alarm: bool = False) -> None:
        line = chat.file_line(tid)
        if line is None:
            self.chats.add_line(chat, ChatLine("file", text, transfer=tid, alarm=alarm))
            return
        line.text, line.alarm = text, alarm
        self.chats.line_changed(chat, line)

    def next_offer(self) -> None:
        """Ask about the oldest file offer still waiting (one dialog at a time)."""
        while self.offers and not self.offer_open:
            tid = self.offers.popleft()
            transfer = self.transfers.get(tid)
            if transfer is None or transfer.ended:
                continue
            chat = self.chats.chat(transfer.identity, transfer.contact)
            self.offer_open = True
            self.app.push_screen(
                OnionFileDialog(
                    transfer.contact, transfer.name, transfer.size, verified=chat.verified, folder=self.folder
                ),
                functools.partial(self._offer_answered, tid),
            )

    async def _offer_answered(self, tid: str, choice: tuple[str, str] | None) -> None:
        self.offer_open = False
        transfer = self.transfers.get(tid)
        if transfer is None or transfer.ended:  # it ended (or its identity went) meanwhile
            self.next_offer()
            return
        chat = self.chats.chat(transfer.identity, transfer.contact)
        try:
            if choice is None:
                self.offers.append(tid)  # later: asked again with the next offer, or from the screen
                self._file_line(
                    chat,
                    tid,
                    f"{transfer.name} ({size_words(transfer.size)}) offered: not answered (ctrl+f asks)",
                )
                return
            if choice[0] == "accept":
                self.folder = Path(choice[1])
                self._file_line(chat, tid, f"{transfer.name}: accepted into {self.folder}")
                await self.chats.onion.accept_file(transfer.identity, tid, self.folder)
            else:
                self.chats.onion.reject_file(transfer.identity, tid)
        except ServiceError as exc:
            self._file_line(chat, tid, f"{transfer.name}: {exc}", alarm=True)
        finally:
            if choice is not None:
                self.next_offer()
