"""Contact commands: the contact list, OTR policies per contact, subscriptions and blocking.

Over the contact book (what the user decided, in the vault) and the account runtimes (what the
network says: presence, subscription, pending requests). See `TimbService` for each contract.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from timb.common.ids import Jid
from timb.core.errors import NotFound, Unavailable
from timb.core.events import CoreEvent, PresenceChanged
from timb.core.roster import OFFLINE
from timb.core.service.account_book import AccountBook
from timb.core.service.contact_book import ContactBook, parse_contact
from timb.core.service.results import ContactInfo
from timb.core.service.runtime import AccountRuntime
from timb.core.service.session import ProfileSession, check_policy
from timb.core.service.translate import translated
from timb.core.storage.history import History
from timb.net import base as net


class Contacts:
    """The contact commands of the service."""

    def __init__(
        self,
        session: ProfileSession,
        accounts: AccountBook,
        book: ContactBook,
        emit: Callable[[CoreEvent], None],
    ) -> None:
        self._session = session
        self._accounts = accounts
        self._book = book
        self._emit = emit

    def apply_policies(self, runtime: AccountRuntime, *only: str) -> None:
        """Give the runtime's conversations the effective policy of ``only`` (default: everyone)."""
        contacts = list(only) or self._book.names(runtime.id)

        def apply(conversations: Any) -> None:
            for contact in contacts:
                conversations.set_policy(contact, self._session.policy_for(contact))

        runtime.act(apply)

    async def add(self, account_id: str, jid: str, *, policy: str = "always") -> None:
        runtime = self._accounts.runtime(account_id)
        contact = parse_contact(jid)
        check_policy(policy)
        self._book.add(account_id, contact)
        runtime.accept(contact)
        if policy != self._session.settings.otr_policy or self._session.policy_name_for(contact) != policy:
            await self._session.set_policy_override(contact, policy)
        self.apply_policies(runtime, contact)
        await self._session.save()
        await self._tell_server(runtime, lambda adapter: adapter.add_contact(Jid.parse(contact)))

    def describe(self, account_id: str) -> list[ContactInfo]:
        runtime = self._accounts.runtime(account_id)
        profile = self._session.require()
        blocked = set(self._book.blocked(account_id))
        return [
            ContactInfo(
                contact,
                profile.otr_policy_for(contact),
                runtime.otr_state(contact),
                runtime.status.presence(contact),
                runtime.status.subscription.get(contact),
                profile.history_enabled_for(History.conversation_id(account_id, contact)),
                contact in blocked,
            )
            for contact in self._book.names(account_id)
        ]

    async def set_policy(self, account_id: str, jid: str, policy: str | None) -> None:
        runtime = self._accounts.runtime(account_id)
        contact = parse_contact(jid)
        self._book.require(account_id, contact)
        await self._session.set_policy_override(contact, policy)
        self.apply_policies(runtime, contact)

    async def remove(self, account_id: str, jid: str) -> None:
        runtime = self._accounts.runtime(account_id)
        contact = parse_contact(jid)
        self._book.remove(account_id, contact)
        runtime.fail_pending([contact])
        await self._session.save()

    def requests(self, account_id: str) -> list[str]:
        return sorted(self._accounts.runtime(account_id).status.requests)

    async def approve(self, account_id: str, jid: str) -> None:
        contact = parse_contact(jid)
        self._book.refuse_blocked(account_id, contact)
        await self._answer_subscription(account_id, contact, approve=True)

    async def deny(self, account_id: str, jid: str) -> None:
        await self._answer_subscription(account_id, parse_contact(jid), approve=False)

    async def _answer_subscription(self, account_id: str, contact: str, *, approve: bool) -> None:
        runtime = self._accounts.runtime(account_id)
        adapter = runtime.link.adapter
        if adapter is None or not runtime.connected:
            raise Unavailable(f"account {account_id} is not connected")
        answer = adapter.approve_subscription if approve else adapter.deny_subscription
        with translated(wording={net.NotConnectedError: f"account {account_id} is not connected"}):
            await answer(Jid.parse(contact))
        runtime.status.requests.discard(contact)

    async def block(self, account_id: str, jid: str) -> None:
        runtime = self._accounts.runtime(account_id)
        contact = parse_contact(jid)
        changed = self._book.set_blocked(account_id, contact, True)
        runtime.fail_pending([contact])
        was_online = runtime.status.presence(contact) != OFFLINE
        runtime.status.forget(contact)
        if was_online:
            self._emit(PresenceChanged(account_id, contact, OFFLINE))
        if changed:
            await self._session.save()
        await self._tell_server(runtime, lambda adapter: adapter.deny_subscription(Jid.parse(contact)))

    async def unblock(self, account_id: str, jid: str) -> None:
        self._accounts.runtime(account_id)
        contact = parse_contact(jid)
        if not self._book.set_blocked(account_id, contact, False):
            raise NotFound(f"{contact} is not blocked")
        await self._session.save()

    def list_blocked(self, account_id: str) -> list[str]:
        self._accounts.runtime(account_id)
        return self._book.blocked(account_id)

    @staticmethod
    async def _tell_server(runtime: AccountRuntime, call: Callable[[net.Adapter], Awaitable[None]]) -> None:
        """Tell the server too if connected; offline, the change waits for the next login."""
        adapter = runtime.link.adapter
        if adapter is not None and runtime.connected:
            with contextlib.suppress(net.NotConnectedError):
                await call(adapter)
