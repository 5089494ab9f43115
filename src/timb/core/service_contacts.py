"""The contact commands of `TimbService`: add, list, remove, presence, subscriptions, blocking.

Presence and subscription come from the network (`timb.core.roster.ContactStatus`, in memory);
the blocked list is kept in the vault. A blocked address's messages are dropped before OTR sees
them, its presence is not shown, its subscription requests are refused without asking, and
nothing is sent to it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from timb.common.ids import Jid
from timb.core import roster
from timb.core.errors import InvalidRequest, NotFound, Unavailable
from timb.core.events import PresenceChanged, SubscriptionRequested
from timb.core.service_base import POLICIES, Runtime, ServiceBase
from timb.core.storage.history import History
from timb.net import base as net


class ContactCommands(ServiceBase):
    async def add_contact(self, account_id: str, jid: str, *, policy: str = "always") -> None:
        """Add a contact (to the roster too when connected) with its OTR policy.

        Raises: NotFound, InvalidRequest.
        """
        runtime = self._runtime(account_id)
        contact = self._parse_contact(jid)
        if policy not in POLICIES:
            raise InvalidRequest(f"policy must be one of {', '.join(POLICIES)}")
        self._contacts(account_id)[contact] = {}
        profile = self._require_profile()
        if policy != profile.settings.otr_policy or profile.otr_policy_for(contact) != policy:
            await asyncio.to_thread(profile.set_otr_policy_override, contact, policy)
        runtime.conversations.set_policy(contact, POLICIES[policy])
        await self._save()
        adapter = runtime.link.adapter
        if adapter is not None and runtime.link.connected.is_set():
            with contextlib.suppress(net.NotConnectedError):
                await adapter.add_contact(Jid.parse(contact))

    def list_contacts(self, account_id: str) -> list[dict[str, Any]]:
        """Each contact: jid, policy (effective OTR policy), otr (state), presence ("offline",
        "available", away/chat/dnd/xa), subscription (RFC 6121: none/to/from/both, or None when
        the roster has not said), history (effective: recorded or not), blocked.

        Raises: NotFound.
        """
        runtime = self._runtime(account_id)
        profile = self._require_profile()
        status = self._status_of(account_id)
        blocked = set(roster.blocked(self._blocked_section(), account_id))
        return [
            {
                "jid": contact,
                "policy": profile.otr_policy_for(contact),
                "otr": runtime.conversations.otr_state(contact).value,
                "presence": status.presence(contact),
                "subscription": status.subscription.get(contact),
                "history": profile.history_enabled_for(History.conversation_id(account_id, contact)),
                "blocked": contact in blocked,
            }
            for contact in self._contacts(account_id)
        ]

    async def set_contact_policy(self, account_id: str, jid: str, policy: str | None) -> None:
        """Change one contact's OTR policy (None: back to the profile's default).

        Raises: NotFound (account or contact), InvalidRequest (unknown policy).
        """
        runtime = self._runtime(account_id)
        contact = self._parse_contact(jid)
        if contact not in self._contacts(account_id):
            raise NotFound(f"{contact} is not a contact of {account_id}")
        if policy is not None and policy not in POLICIES:
            raise InvalidRequest(f"policy must be one of {', '.join(POLICIES)}")
        profile = self._require_profile()
        async with self._save_lock:
            await asyncio.to_thread(profile.set_otr_policy_override, contact, policy)
        runtime.conversations.set_policy(contact, POLICIES[profile.otr_policy_for(contact)])
        self._pump(runtime)

    # -- subscriptions ----------------------------------------------------------------------------

    def subscription_requests(self, account_id: str) -> list[str]:
        """Addresses waiting for an answer to their subscription request. Raises: NotFound."""
        self._runtime(account_id)
        return sorted(self._status_of(account_id).requests)

    async def approve_subscription(self, account_id: str, jid: str) -> None:
        """Let ``jid`` see our presence. Raises: NotFound, InvalidRequest (blocked), Unavailable."""
        contact = self._parse_contact(jid)
        if contact in roster.blocked(self._blocked_section(), account_id):
            raise InvalidRequest(f"{contact} is blocked: unblock it first")
        await self._answer_subscription(account_id, contact, approve=True)

    async def deny_subscription(self, account_id: str, jid: str) -> None:
        """Refuse (or revoke) ``jid``'s subscription to our presence. Raises: NotFound, Unavailable."""
        await self._answer_subscription(account_id, self._parse_contact(jid), approve=False)

    async def _answer_subscription(self, account_id: str, contact: str, *, approve: bool) -> None:
        runtime = self._runtime(account_id)
        adapter = runtime.link.adapter
        if adapter is None or not runtime.link.connected.is_set():
            raise Unavailable(f"account {account_id} is not connected")
        try:
            if approve:
                await adapter.approve_subscription(Jid.parse(contact))
            else:
                await adapter.deny_subscription(Jid.parse(contact))
        except net.NotConnectedError:
            raise Unavailable(f"account {account_id} is not connected") from None
        self._status_of(account_id).requests.discard(contact)

    # -- blocking ---------------------------------------------------------------------------------

    async def block_contact(self, account_id: str, jid: str) -> None:
        """Block an address (kept in the profile): its subscription is refused, its messages
        and presence are dropped, nothing is sent to it (pending messages fail).

        Raises: NotFound (account), InvalidRequest (bad address).
        """
        runtime = self._runtime(account_id)
        contact = self._parse_contact(jid)
        changed = roster.set_blocked(self._blocked_section(), account_id, contact, True)
        runtime.conversations.fail_pending(contact)
        self._pump(runtime)
        status = self._status_of(account_id)
        was_online = status.presence(contact) != roster.OFFLINE
        status.forget(contact)
        if was_online:
            self._emit(PresenceChanged(account_id, contact, roster.OFFLINE))
        if changed:
            await self._save()
        adapter = runtime.link.adapter
        if adapter is not None and runtime.link.connected.is_set():
            with contextlib.suppress(net.NotConnectedError):
                await adapter.deny_subscription(Jid.parse(contact))

    async def unblock_contact(self, account_id: str, jid: str) -> None:
        """Raises: NotFound (account, or the address is not blocked), InvalidRequest."""
        self._runtime(account_id)
        contact = self._parse_contact(jid)
        if not roster.set_blocked(self._blocked_section(), account_id, contact, False):
            raise NotFound(f"{contact} is not blocked")
        await self._save()

    def list_blocked(self, account_id: str) -> list[str]:
        """Raises: NotFound."""
        self._runtime(account_id)
        return roster.blocked(self._blocked_section(), account_id)

    def _status_of(self, account_id: str) -> roster.ContactStatus:
        return self._status.setdefault(account_id, roster.ContactStatus())

    # -- what the network says about contacts ----------------------------------------------------

    def _on_presence(self, runtime: Runtime, event: net.PresenceChanged) -> None:
        account_id = runtime.account.id
        contact = str(event.jid.bare)
        if not event.jid.local or self._is_blocked(account_id, contact):
            return
        changed = self._status_of(account_id).update_presence(event)
        if changed is not None:
            self._emit(PresenceChanged(account_id, *changed))
        if event.available:
            runtime.conversations.peer_online(contact)
            self._pump(runtime)

    def _on_subscription_request(self, runtime: Runtime, sender: Jid) -> None:
        account_id = runtime.account.id
        contact = str(sender.bare)
        adapter = runtime.link.adapter
        if self._is_blocked(account_id, contact):
            if adapter is not None and self._group is not None:
                self._group.create_task(self._refuse_quietly(adapter, sender))
            return
        self._status_of(account_id).requests.add(contact)
        self._emit(SubscriptionRequested(account_id, contact))

    @staticmethod
    async def _refuse_quietly(adapter: net.Adapter, sender: Jid) -> None:
        with contextlib.suppress(net.NotConnectedError):
            await adapter.deny_subscription(sender.bare)

    def _on_link_down(self, account_id: str) -> None:
        """The account lost its session: nobody's presence is known any more."""
        for contact in self._status_of(account_id).disconnected():
            self._emit(PresenceChanged(account_id, contact, roster.OFFLINE))

    async def remove_contact(self, account_id: str, jid: str) -> None:
        runtime = self._runtime(account_id)
        contact = self._parse_contact(jid)
        if self._contacts(account_id).pop(contact, None) is None:
            raise NotFound(f"{contact} is not a contact of {account_id}")
        runtime.conversations.fail_pending(contact)
        self._pump(runtime)
        await self._save()
