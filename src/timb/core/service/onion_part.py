"""The service's serverless onion chat: onion identities, their contacts and messages.

Identities live in the profile (vault section ``onion``, encrypted): several per profile, and
*burners* with an expiry, deleted with their key when it passes. An identity's onion service is
published only while the user has it online (`go_online` .. `go_offline`). Contacts are
``ricochet:<56 chars>`` ids: one the user entered is verified by that fact, a stranger's request
is unverified until the user says the addresses match (`verify_contact`). Messages to a contact
that is not online wait in the profile and go when both are online (`onion_runtime`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any

from timb.common.clock import Clock
from timb.common.ids import OnionAddress
from timb.common.random import Random
from timb.common.secret import Secret
from timb.core.errors import InvalidRequest, NotFound, ProfileError, ServiceError, Unavailable
from timb.core.events import CoreEvent, ErrorEvent
from timb.core.onion_events import (
    OnionContactChanged,
    OnionIdentityChanged,
    OnionMessageState,
    OnionMessageStateChanged,
)
from timb.core.service.onion_files import OnionFileCommands, OnionFiles
from timb.core.service.onion_runtime import IdentityRuntime, OnionHooks, OnionPeerLike
from timb.core.service.onion_store import (
    MAX_CONTACTS,
    MAX_IDENTITIES,
    MAX_WAITING,
    ONION_SECTION,
    ContactStatus,
    OnionContact,
    StoredIdentity,
    WaitingMessage,
    from_section,
    to_section,
)
from timb.core.service.session import ProfileSession
from timb.core.tor_link import TorLink
from timb.net.onion import chat
from timb.net.onion.adapter import OnionPeer
from timb.net.onion.errors import OnionUsageError
from timb.net.onion.identity import OnionIdentity, contact_id, parse_contact_id
from timb.tor.client import TorClient

PeerFactory = Callable[[TorClient | None, OnionIdentity, str], OnionPeerLike]
Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


def default_peer_factory(tor: TorClient | None, identity: OnionIdentity, nickname: str) -> OnionPeerLike:
    if tor is None:
        raise Unavailable("onion chat needs tor: the service runs without it")
    return OnionPeer(tor, identity, nickname=nickname)


@dataclass(frozen=True, slots=True)
class OnionIdentityInfo:
    id: str
    address: str  # ricochet:<56 chars>, to give to contacts
    nickname: str
    burner: bool
    expires: float | None
    online: bool


@dataclass(frozen=True, slots=True)
class OnionContactInfo:
    contact: str  # ricochet:<56 chars>
    status: str  # contact, requested, incoming, blocked, rejected
    verified: bool
    nickname: str
    online: bool = False


class OnionPart(OnionFileCommands):
    """Commands on onion identities, contacts and files; events go out through ``emit``."""

    def __init__(
        self,
        session: ProfileSession,
        emit: Callable[[CoreEvent], None],
        spawn: Spawn,
        tor: TorLink,
        *,
        clock: Clock,
        rng: Random,
        peer_factory: PeerFactory | None = None,
    ) -> None:
        self._session = session
        self._emit = emit
        self._spawn = spawn
        self._tor = tor
        self._clock = clock
        self._rng = rng
        self._factory = peer_factory or default_peer_factory
        self.identities: dict[str, StoredIdentity] = {}
        self.block_unknown = False
        self._online: dict[str, tuple[IdentityRuntime, asyncio.Task[None]]] = {}
        self.files = OnionFiles(emit, spawn, clock, self._file_peer)
        self._hooks = OnionHooks(emit, session.save_soon, lambda: self.block_unknown, self.files)

    # ---- profile ----

    def to_section(self) -> dict[str, Any]:
        return to_section(self.identities, self.block_unknown)

    def load(self) -> None:
        """Raises: ProfileError (the stored section is damaged)."""
        try:
            self.identities, self.block_unknown = from_section(self._session.section(ONION_SECTION))
        except (ValueError, KeyError, TypeError):
            raise ProfileError("the profile is damaged: its onion identities cannot be read") from None

    def reset(self) -> None:
        self.identities, self.block_unknown = {}, False

    # ---- identities ----

    async def create_identity(
        self, identity_id: str, *, nickname: str = "", burner_seconds: int | float | None = None
    ) -> OnionIdentityInfo:
        """A new identity (a fresh Ed25519 key); a burner when ``burner_seconds`` is given.

        Raises: ProfileError, InvalidRequest (bad or duplicate id, bad expiry, too many).
        """
        self._session.require()
        if not identity_id or len(identity_id) > 32 or not set(identity_id) <= _ID_CHARS:
            raise InvalidRequest("an identity id is 1-32 of a-z, 0-9, '-' and '_'")
        if identity_id in self.identities:
            raise InvalidRequest(f"an identity {identity_id!r} exists already")
        if len(self.identities) >= MAX_IDENTITIES:
            raise InvalidRequest(f"at most {MAX_IDENTITIES} onion identities")
        if burner_seconds is not None and not burner_seconds > 0:
            raise InvalidRequest("a burner's lifetime must be positive")
        expires = None if burner_seconds is None else self._clock.now() + burner_seconds
        seed = OnionIdentity.generate(self._rng).seed
        ident = StoredIdentity(identity_id, seed, nickname, expires)
        self.identities[identity_id] = ident
        await self._session.save()
        return self.describe(ident)

    def list_identities(self) -> list[OnionIdentityInfo]:
        self._session.require()
        return [self.describe(i) for i in self.identities.values()]

    def describe(self, ident: StoredIdentity) -> OnionIdentityInfo:
        runtime = self._runtime(ident.id)
        return OnionIdentityInfo(
            ident.id,
            contact_id(ident.address),
            ident.nickname,
            ident.expires is not None,
            ident.expires,
            runtime is not None and runtime.online,
        )

    def identity(self, identity_id: str) -> StoredIdentity:
        """Raises: ProfileError (none unlocked), NotFound."""
        self._session.require()
        ident = self.identities.get(identity_id)
        if ident is None:
            raise NotFound(f"no onion identity {identity_id!r}")
        return ident

    async def delete_identity(self, identity_id: str) -> None:
        """Take it offline and delete it with its key; its waiting messages fail.

        Raises: ProfileError, NotFound."""
        await self._delete(identity_id, expired=False)

    async def _delete(self, identity_id: str, *, expired: bool) -> None:
        ident = self.identity(identity_id)
        await self.go_offline(identity_id)
        del self.identities[identity_id]
        for w in ident.waiting:
            self._emit(
                OnionMessageStateChanged(w.id, OnionMessageState.FAILED, ident.id, contact_id(w.contact))
            )
        await self._session.save()
        self._emit(OnionIdentityChanged(identity_id, online=False, deleted=True, expired=expired))

    async def poll_forever(self) -> None:
        """`poll` every second (a background task, cancelled at close)."""
        while True:
            await asyncio.sleep(1.0)
            self.poll()

    def poll(self) -> None:
        """Delete burners whose time has passed."""
        now = self._clock.now()
        for ident in list(self.identities.values()):
            if ident.expires is not None and ident.expires <= now:
                ident.expires = None  # at once: the next poll must not delete it again
                self._spawn(self._expire(ident.id))

    async def _expire(self, identity_id: str) -> None:
        try:
            await self._delete(identity_id, expired=True)
        except ServiceError as exc:  # the profile was locked meanwhile: an event, not a task failure
            self._emit(ErrorEvent(f"could not delete the expired identity {identity_id}: {exc}"))

    # ---- online ----

    async def go_online(self, identity_id: str) -> None:
        """Publish the identity's onion service and connect its contacts.

        Raises: ProfileError, NotFound, Unavailable (no tor, or tor refused).
        """
        ident = self.identity(identity_id)
        if identity_id in self._online:
            return
        tor = await self._tor.dialer()
        try:
            peer = self._factory(tor, OnionIdentity(ident.seed), ident.nickname)
        except OnionUsageError as exc:
            raise InvalidRequest(str(exc)) from None
        runtime = IdentityRuntime(ident, peer, self._hooks)
        runtime.give_contacts()
        task = self._spawn(runtime.run())
        self._online[identity_id] = (runtime, task)
        try:
            await peer.start()
        except BaseException as exc:
            self._online.pop(identity_id, None)
            task.cancel()
            if isinstance(exc, Exception) and not isinstance(exc, asyncio.CancelledError):
                raise Unavailable("tor could not publish the onion service") from None
            raise

    async def go_offline(self, identity_id: str) -> None:
        """Remove the onion service and close every connection (idempotent)."""
        entry = self._online.pop(identity_id, None)
        if entry is None:
            return
        runtime, task = entry
        await runtime.peer.stop()
        task.cancel()
        runtime.went_offline()
        self._emit(OnionIdentityChanged(identity_id, online=False))

    async def close(self) -> None:
        for identity_id in list(self._online):
            await self.go_offline(identity_id)

    def _file_peer(self, identity_id: str) -> OnionPeerLike | None:
        runtime = self._runtime(identity_id)
        return runtime.peer if runtime is not None and runtime.online else None

    def _runtime(self, identity_id: str) -> IdentityRuntime | None:
        entry = self._online.get(identity_id)
        return None if entry is None else entry[0]

    # ---- contacts ----

    async def add_contact(self, identity_id: str, contact: str, *, message: str = "") -> OnionContactInfo:
        """Ask the ``ricochet:`` id the user entered (verified: it came out of band).

        Raises: ProfileError, NotFound, InvalidRequest (bad id, our own, blocked, too many)."""
        ident = self.identity(identity_id)
        address = self._parse(contact)
        if address == ident.address:
            raise InvalidRequest("that is this identity's own address")
        known = ident.contacts.get(address)
        if known is not None and known.status is ContactStatus.CONTACT:
            return self._contact_info(known)
        if known is None and len(ident.contacts) >= MAX_CONTACTS:
            raise InvalidRequest(f"at most {MAX_CONTACTS} contacts per identity")
        if len(message) > 2000:
            raise InvalidRequest("a request's message is at most 2000 characters")
        entry = OnionContact(address, ContactStatus.REQUESTED, True, message=message)
        ident.contacts[address] = entry
        runtime = self._runtime(identity_id)
        if runtime is not None:
            runtime.peer.request_contact(address, message, ident.nickname)
        await self._session.save()
        self._changed(ident, entry)
        return self._contact_info(entry)

    async def accept(self, identity_id: str, contact: str) -> None:
        """Accept a stranger's request (it stays unverified until `verify_contact`)."""
        ident, entry = self._contact(identity_id, contact, ContactStatus.INCOMING)
        entry.status = ContactStatus.REQUESTED  # a contact once its connection is up
        runtime = self._runtime(identity_id)
        if runtime is not None:
            runtime.peer.accept_request(entry.address)
        await self._session.save()
        self._changed(ident, entry)

    async def reject(self, identity_id: str, contact: str) -> None:
        """Refuse a request and forget it (it may ask again)."""
        ident, entry = self._contact(identity_id, contact, ContactStatus.INCOMING)
        del ident.contacts[entry.address]
        runtime = self._runtime(identity_id)
        if runtime is not None:
            runtime.peer.reject_request(entry.address)
        await self._session.save()

    async def block(self, identity_id: str, contact: str) -> None:
        """Refuse ``contact`` now and later (a request, or a contact: its connection drops)."""
        ident = self.identity(identity_id)
        address = self._parse(contact)
        entry = ident.contacts.get(address) or OnionContact(address, ContactStatus.BLOCKED, False)
        entry.status = ContactStatus.BLOCKED
        ident.contacts[address] = entry
        runtime = self._runtime(identity_id)
        if runtime is not None:
            runtime.peer.block(address)
        self._fail_waiting(ident, address)
        await self._session.save()
        self._changed(ident, entry)

    async def remove_contact(self, identity_id: str, contact: str) -> None:
        ident, entry = self._contact(identity_id, contact, None)
        del ident.contacts[entry.address]
        runtime = self._runtime(identity_id)
        if runtime is not None:
            runtime.peer.forget(entry.address)
        self._fail_waiting(ident, entry.address)
        await self._session.save()

    async def verify_contact(self, identity_id: str, contact: str, verified: bool = True) -> None:
        """The user compared the addresses out of band (or takes that back)."""
        ident, entry = self._contact(identity_id, contact, None)
        entry.verified = verified
        await self._session.save()
        self._changed(ident, entry)

    def list_contacts(self, identity_id: str) -> list[OnionContactInfo]:
        ident = self.identity(identity_id)
        runtime = self._runtime(identity_id)
        return [
            replace(
                self._contact_info(c),
                online=bool(runtime and runtime.online and runtime.peer.is_online(c.address)),
            )
            for c in ident.contacts.values()
        ]

    async def set_block_unknown(self, value: bool) -> None:
        """Refuse every request from an address that is not a contact, without asking."""
        self._session.require()
        self.block_unknown = value
        await self._session.save()

    # ---- messages ----

    def send_message(self, identity_id: str, contact: str, text: str) -> str:
        """Send now if both are online, else keep it (encrypted, in the profile) until then.

        Returns the message id; its states come as `OnionMessageStateChanged`.
        Raises: ProfileError, NotFound, InvalidRequest (not a contact, bad text, too many waiting)."""
        ident = self.identity(identity_id)
        entry = ident.contacts.get(self._parse(contact))
        if entry is None or entry.status not in (ContactStatus.CONTACT, ContactStatus.REQUESTED):
            raise InvalidRequest("messages go only to a contact (or one asked)")
        try:
            chat.split_text(text)
        except OnionUsageError as exc:
            raise InvalidRequest(str(exc)) from None
        if len(ident.waiting) >= MAX_WAITING:
            raise InvalidRequest(f"at most {MAX_WAITING} messages wait per identity")
        w = WaitingMessage("o" + self._rng.randbytes(8).hex(), entry.address, Secret(text))
        ident.waiting.append(w)
        self._session.save_soon()
        self._emit(OnionMessageStateChanged(w.id, OnionMessageState.WAITING, ident.id, entry.name))
        runtime = self._runtime(identity_id)
        if runtime is not None:
            runtime.flush(entry.address)
        return w.id

    def message_state(self, identity_id: str, msg_id: str) -> OnionMessageState | None:
        """WAITING or SENT while kept; None once gone (delivered or failed: see the events)."""
        for w in self.identity(identity_id).waiting:
            if w.id == msg_id:
                return OnionMessageState.SENT if w.on_wire else OnionMessageState.WAITING
        return None

    # ---- helpers ----

    def _parse(self, contact: str) -> OnionAddress:
        try:
            return parse_contact_id(contact)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None

    def _contact(
        self, identity_id: str, contact: str, status: ContactStatus | None
    ) -> tuple[StoredIdentity, OnionContact]:
        ident = self.identity(identity_id)
        entry = ident.contacts.get(self._parse(contact))
        if entry is None or (status is not None and entry.status is not status):
            raise NotFound(f"no such {'request' if status is ContactStatus.INCOMING else 'contact'}")
        return ident, entry

    def _fail_waiting(self, ident: StoredIdentity, address: OnionAddress) -> None:
        for w in [w for w in ident.waiting if w.contact == address]:
            ident.waiting.remove(w)
            self._emit(
                OnionMessageStateChanged(w.id, OnionMessageState.FAILED, ident.id, contact_id(address))
            )

    def _contact_info(self, c: OnionContact) -> OnionContactInfo:
        return OnionContactInfo(c.name, c.status.value, c.verified, c.nickname)

    def _changed(self, ident: StoredIdentity, c: OnionContact) -> None:
        self._emit(OnionContactChanged(ident.id, c.name, c.status.value, c.verified))
