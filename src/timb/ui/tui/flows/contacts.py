"""Contact flows for `TimbApp`: presence, subscription requests, remove and block (each asked
first). The dialogs are in screens/dialogs.py."""

from __future__ import annotations

from timb.core.errors import ServiceError
from timb.core.events import PresenceChanged, SubscriptionRequested
from timb.ui.tui.flows.host import FlowHost
from timb.ui.tui.screens.dialogs import ConfirmDialog, SubscriptionDialog


class Contacts:
    """The contact dialogs of one app, talking to its service."""

    def __init__(self, app: FlowHost) -> None:
        self.app = app

    def event(self, event: PresenceChanged | SubscriptionRequested) -> None:
        app = self.app
        match event:
            case PresenceChanged(account=account, contact=contact, presence=presence):
                item = app.main.contact_item(account, contact)
                if item is not None:
                    item.set_presence(presence)
            case SubscriptionRequested(account=account, contact=contact):
                app.push_screen(
                    SubscriptionDialog(account, contact),
                    lambda choice: self._answer(account, contact, choice),
                )

    async def _answer(self, account: str, contact: str, choice: str | None) -> None:
        service = self.app.service
        try:
            if choice == "approve":
                await service.approve_subscription(account, contact)
            elif choice == "deny":
                await service.deny_subscription(account, contact)
            elif choice == "block":
                await self._block(account, contact)
        except ServiceError as exc:
            self.app.notify(str(exc), severity="error", markup=False)

    async def _block(self, account: str, contact: str) -> None:
        await self.app.service.block_contact(account, contact)
        item = self.app.main.contact_item(account, contact)
        if item is not None:
            item.set_blocked(True)
        self.app.system_line(account, contact, f"{contact} is blocked: nothing goes to or comes from them")

    def block(self, account: str, contact: str) -> None:
        async def confirmed(yes: bool | None) -> None:
            if yes:
                try:
                    await self._block(account, contact)
                except ServiceError as exc:
                    self.app.notify(str(exc), severity="error", markup=False)

        question = f"Block {contact}? Their messages and requests are dropped; unsent messages fail."
        self.app.push_screen(ConfirmDialog(question, "Block"), confirmed)

    def remove(self, account: str, contact: str) -> None:
        async def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                await self.app.service.remove_contact(account, contact)
            except ServiceError as exc:
                self.app.notify(str(exc), severity="error", markup=False)
                return
            self.app.main.remove_contact(account, contact)

        question = f"Remove {contact}? Unsent messages are dropped."
        self.app.push_screen(ConfirmDialog(question, "Remove"), confirmed)
