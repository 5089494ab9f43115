"""Messages held for a key change (`HeldForKeyChange`, issue 9): show them as held in the
conversation, ask loudly, and carry out only what the user chose.

The release names the key the user was shown (``offered``), never "whatever the session has
now": if the key changed again since, the service refuses, and nothing goes to a key the user
did not see. The last notice per conversation is kept so that the palette's "Held messages" can
ask again later (the service keeps the messages; it says which are still held).
"""

from __future__ import annotations

from timb.common.ids import Fingerprint
from timb.core.errors import ServiceError
from timb.core.events import HeldForKeyChange
from timb.ui.tui.flows.host import FlowHost
from timb.ui.tui.screens.held import HeldChoice, HeldMessagesScreen, held_count_words

Key = tuple[str, str]


class HeldMessages:
    def __init__(self, app: FlowHost) -> None:
        self.app = app
        # (account, contact) -> the keys of the last notice: what the prompt shows again later.
        self.notices: dict[Key, tuple[tuple[Fingerprint, ...], Fingerprint]] = {}

    async def event(self, event: HeldForKeyChange) -> None:
        key = (event.account, event.contact)
        self.notices[key] = (event.written_for, event.offered)
        view = await self.app.main.conversation(event.account, event.contact)
        for msg_id in event.ids:
            view.messages.mark_held(msg_id)
        old = ", ".join(fp.human() for fp in event.written_for) or "no known key"
        view.add_system(
            f"HELD: {held_count_words(len(event.ids))} not sent, the key changed: written for {old}; "
            f"their key now {event.offered.human()}. Decide now, or later with ctrl+p 'Held messages'."
        )
        self.app.main.mark_unread(event.account, event.contact)
        self._ask(key, len(event.ids))

    def open(self) -> None:
        """The palette entry: the open conversation's held messages first, then any other's."""
        current = self.app.main.current
        keys = [] if current is None else [(current.account, current.contact)]
        keys += [k for k in self.notices if k not in keys]
        for key in keys:
            try:
                count = len(self.app.service.held_messages(*key))
                if count and key not in self.notices:
                    self._notice_from_service(key)
            except ServiceError as exc:
                self.app.notify(str(exc), severity="error", markup=False)
                return
            if count and key in self.notices:
                self._ask(key, count)
                return
            self.notices.pop(key, None)  # decided elsewhere (another UI, `timb jsonrpc`)
        self.app.notify("No messages are held for a key change.", timeout=5)

    def _notice_from_service(self, key: Key) -> None:
        """Held before this window saw the notice (a service handed over running): the service
        still knows the keys they were written for and the key offered now."""
        notice = self.app.service.held_notice(*key)
        if notice.offered is not None:
            self.notices[key] = (notice.written_for, notice.offered)

    def _ask(self, key: Key, count: int) -> None:
        written_for, offered = self.notices[key]
        asking = [s for s in self.app.screen_stack if isinstance(s, HeldMessagesScreen)]
        if any((s.account, s.contact) == key and s.offered == offered for s in asking):
            return  # already asking about this key
        screen = HeldMessagesScreen(*key, count, written_for, offered)
        self.app.push_screen(screen, lambda choice: self._decided(key, offered, choice))

    def _decided(self, key: Key, offered: Fingerprint, choice: HeldChoice | None) -> None:
        account, contact = key
        service = self.app.service
        if choice == "release":
            if self.app.run_command(lambda: service.release_held(account, contact, offered.hex)):
                self.notices.pop(key, None)
                self.app.system_line(account, contact, f"held messages sent to the key {offered.human()}")
            else:
                self.app.system_line(account, contact, "held messages NOT sent: they still wait")
        elif choice == "discard":
            if self.app.run_command(lambda: service.discard_held(account, contact)):
                self.notices.pop(key, None)
                self.app.system_line(account, contact, "held messages discarded: they are never sent")
        else:
            self.app.system_line(
                account, contact, "held messages still wait for you: ctrl+p 'Held messages' to decide"
            )
