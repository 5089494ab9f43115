"""The contact commands of `TimbService`: add, list, remove."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from timb.common.ids import Jid
from timb.core.errors import InvalidRequest, NotFound
from timb.core.service_base import POLICIES, ServiceBase
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
        runtime = self._runtime(account_id)
        return [
            {
                "jid": contact,
                "policy": self._require_profile().otr_policy_for(contact),
                "otr": runtime.conversations.otr_state(contact).value,
            }
            for contact in self._contacts(account_id)
        ]

    async def remove_contact(self, account_id: str, jid: str) -> None:
        runtime = self._runtime(account_id)
        contact = self._parse_contact(jid)
        if self._contacts(account_id).pop(contact, None) is None:
            raise NotFound(f"{contact} is not a contact of {account_id}")
        runtime.conversations.fail_pending(contact)
        self._pump(runtime)
        await self._save()
