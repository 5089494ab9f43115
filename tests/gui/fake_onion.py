"""A fake `service.onion` (timb.core.service.onion_part.OnionPart) for the GUI tests: the same
commands, results and errors, state in dicts, events into the fake service's queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from timb.common.secret import Secret
from timb.core.errors import InvalidRequest, NotFound, ProfileError
from timb.core.events import CoreEvent
from timb.core.onion_events import (
    OnionContactChanged,
    OnionIdentityChanged,
    OnionMessageState,
    OnionMessageStateChanged,
)
from timb.core.service.onion_part import OnionContactInfo, OnionIdentityInfo
from timb.net.onion.identity import OnionIdentity, contact_id, parse_contact_id

ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


def address(n: int) -> str:
    """The ``ricochet:`` id of a test key (seed n repeated)."""
    return contact_id(OnionIdentity(Secret(bytes([n]) * 32)).address)


class FakeOnion:
    def __init__(self, emit: Callable[[CoreEvent], None], unlocked: Callable[[], bool]) -> None:
        self._emit, self._unlocked = emit, unlocked
        self.identities: dict[str, OnionIdentityInfo] = {}
        self.contacts: dict[str, dict[str, OnionContactInfo]] = {}
        self.waiting: dict[str, tuple[str, str]] = {}  # id -> (identity, contact)
        self.calls: list[tuple[object, ...]] = []

    def _require(self) -> None:
        if not self._unlocked():
            raise ProfileError("no profile is unlocked: unlock or create one first")

    def _identity(self, identity_id: str) -> OnionIdentityInfo:
        self._require()
        if identity_id not in self.identities:
            raise NotFound(f"no onion identity {identity_id!r}")
        return self.identities[identity_id]

    def _parse(self, contact: str) -> str:
        try:
            return contact_id(parse_contact_id(contact))
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None

    def _entry(self, identity_id: str, contact: str, status: str | None) -> OnionContactInfo:
        self._identity(identity_id)
        entry = self.contacts[identity_id].get(self._parse(contact))
        if entry is None or (status is not None and entry.status != status):
            raise NotFound(f"no such {'request' if status == 'incoming' else 'contact'}")
        return entry

    def _set(self, identity_id: str, entry: OnionContactInfo) -> None:
        self.contacts[identity_id][entry.contact] = entry
        self._emit(OnionContactChanged(identity_id, entry.contact, entry.status, entry.verified))

    async def create_identity(
        self, identity_id: str, *, nickname: str = "", burner_seconds: int | float | None = None
    ) -> OnionIdentityInfo:
        self._require()
        self.calls.append(("create_identity", identity_id, nickname, burner_seconds))
        if not identity_id or len(identity_id) > 32 or not set(identity_id) <= ID_CHARS:
            raise InvalidRequest("an identity id is 1-32 of a-z, 0-9, '-' and '_'")
        if identity_id in self.identities:
            raise InvalidRequest(f"an identity {identity_id!r} exists already")
        if burner_seconds is not None and not burner_seconds > 0:
            raise InvalidRequest("a burner's lifetime must be positive")
        info = OnionIdentityInfo(
            identity_id, address(len(self.identities) + 1), nickname, burner_seconds is not None, None, False
        )
        self.identities[identity_id] = info
        self.contacts[identity_id] = {}
        return info

    def list_identities(self) -> list[OnionIdentityInfo]:
        self._require()
        return list(self.identities.values())

    async def delete_identity(self, identity_id: str) -> None:
        self.calls.append(("delete_identity", identity_id))
        self._identity(identity_id)
        del self.identities[identity_id], self.contacts[identity_id]
        for msg_id, (identity, contact) in list(self.waiting.items()):
            if identity == identity_id:
                del self.waiting[msg_id]
                self._emit(OnionMessageStateChanged(msg_id, OnionMessageState.FAILED, identity, contact))
        self._emit(OnionIdentityChanged(identity_id, online=False, deleted=True))

    async def go_online(self, identity_id: str) -> None:
        self.calls.append(("go_online", identity_id))
        self.identities[identity_id] = replace(self._identity(identity_id), online=True)

    async def go_offline(self, identity_id: str) -> None:
        self.calls.append(("go_offline", identity_id))
        self.identities[identity_id] = replace(self._identity(identity_id), online=False)

    async def add_contact(self, identity_id: str, contact: str, *, message: str = "") -> OnionContactInfo:
        self.calls.append(("add_contact", identity_id, contact, message))
        ident = self._identity(identity_id)
        name = self._parse(contact)
        if name == ident.address:
            raise InvalidRequest("that is this identity's own address")
        entry = OnionContactInfo(name, "requested", True, "")
        self._set(identity_id, entry)
        return entry

    async def accept(self, identity_id: str, contact: str) -> None:
        self.calls.append(("accept", identity_id, contact))
        self._set(identity_id, replace(self._entry(identity_id, contact, "incoming"), status="requested"))

    async def reject(self, identity_id: str, contact: str) -> None:
        self.calls.append(("reject", identity_id, contact))
        entry = self._entry(identity_id, contact, "incoming")
        del self.contacts[identity_id][entry.contact]

    async def block(self, identity_id: str, contact: str) -> None:
        self.calls.append(("block", identity_id, contact))
        self._identity(identity_id)
        name = self._parse(contact)
        old = self.contacts[identity_id].get(name) or OnionContactInfo(name, "blocked", False, "")
        self._set(identity_id, replace(old, status="blocked", online=False))

    async def verify_contact(self, identity_id: str, contact: str, verified: bool = True) -> None:
        self.calls.append(("verify_contact", identity_id, contact, verified))
        self._set(identity_id, replace(self._entry(identity_id, contact, None), verified=verified))

    def list_contacts(self, identity_id: str) -> list[OnionContactInfo]:
        self._identity(identity_id)
        return list(self.contacts[identity_id].values())

    def send_message(self, identity_id: str, contact: str, text: str) -> str:
        self.calls.append(("send_message", identity_id, contact, text))
        self._identity(identity_id)
        entry = self.contacts[identity_id].get(self._parse(contact))
        if entry is None or entry.status not in ("contact", "requested"):
            raise InvalidRequest("messages go only to a contact (or one asked)")
        if not text or len(text) > 128_000:
            raise InvalidRequest("a text is 1 to 128000 characters")
        msg_id = f"o{len(self.waiting) + 1}"
        self.waiting[msg_id] = (identity_id, entry.contact)
        self._emit(OnionMessageStateChanged(msg_id, OnionMessageState.WAITING, identity_id, entry.contact))
        return msg_id

    def message_state(self, identity_id: str, msg_id: str) -> OnionMessageState | None:
        self._identity(identity_id)
        return OnionMessageState.WAITING if msg_id in self.waiting else None

    # -- test helpers ---------------------------------------------------------------------------

    def stranger_asks(self, identity_id: str, contact: str) -> None:
        self.contacts[identity_id][contact] = OnionContactInfo(contact, "incoming", False, "")
