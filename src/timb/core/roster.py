"""What the service knows about one account's contacts beyond OTR: presence, subscription,
pending subscription requests, and who is blocked.

Presence and subscription live in memory only (the server tells them again at every login).
Blocked addresses are the user's decision and are kept in the vault section "blocked"
(``{account_id: [bare address, ...]}``): a blocked address's messages are dropped before they
reach OTR, its presence is not shown, and its subscription requests are refused without asking.
No network, no UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from timb.net import base as net

BLOCKED_SECTION: Final = "blocked"
OFFLINE: Final = "offline"
AVAILABLE: Final = "available"


def presence_word(event: net.PresenceChanged) -> str:
    """The word a UI shows: offline, available, or XMPP's show value (away, chat, dnd, xa)."""
    if not event.available:
        return OFFLINE
    return event.show or AVAILABLE


@dataclass(slots=True)
class ContactStatus:
    """One account's live view of its contacts (bare addresses as text).

    ``resources`` keeps each online resource's presence so that one device going offline does
    not hide a contact still online on another.
    """

    resources: dict[str, dict[str, str]] = field(default_factory=dict)
    subscription: dict[str, str] = field(default_factory=dict)
    requests: set[str] = field(default_factory=set)

    def presence(self, contact: str) -> str:
        online = self.resources.get(contact)
        if not online:
            return OFFLINE
        words = set(online.values())
        # The most reachable word wins: a contact available anywhere is available.
        for word in (AVAILABLE, "chat", "away", "dnd", "xa"):
            if word in words:
                return word
        return next(iter(sorted(words)))

    def update_presence(self, event: net.PresenceChanged) -> tuple[str, str] | None:
        """Record a resource's presence; returns (contact, new word) when the contact's
        presence as shown changed, else None."""
        contact = str(event.jid.bare)
        before = self.presence(contact)
        online = self.resources.setdefault(contact, {})
        resource = event.jid.resource or ""
        if event.available:
            online[resource] = presence_word(event)
        elif event.jid.resource is None:
            online.clear()  # unavailable from the bare address: every resource is gone
        else:
            online.pop(resource, None)
        after = self.presence(contact)
        return None if after == before else (contact, after)

    def update_roster(self, items: tuple[net.RosterItem, ...]) -> None:
        self.subscription = {str(item.jid.bare): item.subscription.value for item in items}

    def forget(self, contact: str) -> None:
        self.resources.pop(contact, None)
        self.requests.discard(contact)

    def disconnected(self) -> list[str]:
        """Everyone shown online becomes offline (we no longer know); returns who changed."""
        changed = [c for c in self.resources if self.presence(c) != OFFLINE]
        self.resources.clear()
        return changed


def blocked(section: dict[str, Any], account_id: str) -> list[str]:
    """The blocked addresses of an account, from the vault section "blocked"."""
    value = section.get(account_id, [])
    return [str(v) for v in value] if isinstance(value, list) else []


def set_blocked(section: dict[str, Any], account_id: str, contact: str, on: bool) -> bool:
    """Block or unblock; returns True if anything changed."""
    current = blocked(section, account_id)
    if on == (contact in current):
        return False
    if on:
        current.append(contact)
    else:
        current.remove(contact)
    if current:
        section[account_id] = sorted(current)
    else:
        section.pop(account_id, None)
    return True
