"""The contact book: who each account's contacts are, and whom the user blocked.

Both lists are the user's decisions and live in the vault (sections "contacts" and "blocked");
presence and subscription are what the network says and live in each account's runtime. A
blocked address's messages are dropped before OTR sees them, its presence is not shown, its
subscription requests are refused without asking, and nothing is sent to it.
"""

from __future__ import annotations

from typing import Any

from timb.common.errors import InvalidIdentifier
from timb.common.ids import Jid
from timb.core import roster
from timb.core.errors import InvalidRequest, NotFound
from timb.core.service.checks import require_unicode
from timb.core.service.session import ProfileSession

CONTACTS_SECTION = "contacts"


def parse_contact(jid: str) -> str:
    """The bare address of a contact. Raises: InvalidRequest (not user@server)."""
    require_unicode(jid, "the address")
    try:
        parsed = Jid.parse(jid)
    except InvalidIdentifier as exc:
        raise InvalidRequest(f"not a valid address: {exc}") from None
    if not parsed.local:
        raise InvalidRequest("a contact address is user@server")
    return str(parsed.bare)


class ContactBook:
    """The contacts and blocked addresses of the session's profile (bare addresses as text)."""

    def __init__(self, session: ProfileSession) -> None:
        self._session = session

    def names(self, account_id: str) -> list[str]:
        """Raises: ProfileError."""
        return list(self._contacts(account_id))

    def add(self, account_id: str, contact: str) -> None:
        self._contacts(account_id).setdefault(contact, {})

    def is_contact(self, account_id: str, contact: str) -> bool:
        """False too while no profile is open."""
        return self._session.is_open and contact in self._contacts(account_id)

    def require(self, account_id: str, contact: str) -> None:
        """Raises: NotFound (not a contact)."""
        if contact not in self._contacts(account_id):
            raise NotFound(f"{contact} is not a contact of {account_id}")

    def remove(self, account_id: str, contact: str) -> None:
        """Raises: NotFound (not a contact)."""
        if self._contacts(account_id).pop(contact, None) is None:
            raise NotFound(f"{contact} is not a contact of {account_id}")

    def forget_account(self, account_id: str) -> None:
        self._session.section(CONTACTS_SECTION).pop(account_id, None)

    # -- blocking -------------------------------------------------------------------------------

    def is_blocked(self, account_id: str, contact: str) -> bool:
        return contact in self.blocked(account_id)

    def blocked(self, account_id: str) -> list[str]:
        return roster.blocked(self._session.section(roster.BLOCKED_SECTION), account_id)

    def set_blocked(self, account_id: str, contact: str, on: bool) -> bool:
        """Block or unblock; True if anything changed (the caller saves)."""
        return roster.set_blocked(self._session.section(roster.BLOCKED_SECTION), account_id, contact, on)

    def refuse_blocked(self, account_id: str, contact: str) -> None:
        """Raises: InvalidRequest (the address is blocked)."""
        if self.is_blocked(account_id, contact):
            raise InvalidRequest(f"{contact} is blocked: unblock it first")

    def _contacts(self, account_id: str) -> dict[str, Any]:
        contacts = self._session.section(CONTACTS_SECTION).setdefault(account_id, {})
        assert isinstance(contacts, dict)
        return contacts
