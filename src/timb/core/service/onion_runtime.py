"""One onion identity online: its `OnionPeer` and the rules between the peer's events and what
the profile keeps (`onion_store`).

- Presence is an open connection (`ContactOnline` / `ContactOffline`).
- A message goes on the wire only while the contact is online; until its every part is
  acknowledged it stays in the profile. If its connection dies first it waits again and goes on
  the next connection *with the same ids*, and a receiver that saw those ids drops the repeat
  (the ids it saw are kept in the profile, so this holds across a restart of either side).
- Nothing is sent to an address the user did not enter or accept: the peer only dials and takes
  the contacts this runtime gives it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

from timb.common.ids import OnionAddress
from timb.core.events import CoreEvent, ErrorEvent
from timb.core.onion_events import (
    OnionContactChanged,
    OnionContactRequested,
    OnionIdentityChanged,
    OnionMessageReceived,
    OnionMessageState,
    OnionMessageStateChanged,
    OnionPresenceChanged,
)
from timb.core.service.onion_files import FilePeer
from timb.core.service.onion_store import (
    MAX_INCOMING,
    SEEN_KEPT,
    ContactStatus,
    OnionContact,
    StoredIdentity,
    WaitingMessage,
)
from timb.net.errors import AdapterCrashed, NotConnectedError
from timb.net.onion import peer_events as pe
from timb.net.onion.errors import OnionUsageError
from timb.net.onion.identity import contact_id
from timb.net.onion.messages import Status


class OnionPeerLike(FilePeer, Protocol):
    """What the runtime needs of `timb.net.onion.adapter.OnionPeer` (unit tests pass fakes)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def events(self) -> AsyncIterator[pe.PeerEvent]: ...
    def add_contact(self, peer: OnionAddress) -> None: ...
    def request_contact(self, peer: OnionAddress, message: str = "", nickname: str | None = None) -> None: ...
    def accept_request(self, peer: OnionAddress) -> None: ...
    def reject_request(self, peer: OnionAddress) -> None: ...
    def block(self, peer: OnionAddress) -> None: ...
    def forget(self, peer: OnionAddress) -> None: ...
    def is_online(self, peer: OnionAddress) -> bool: ...
    def send_message(self, peer: OnionAddress, text: str) -> tuple[int, ...]: ...
    def resend_message(self, peer: OnionAddress, text: str, ids: tuple[int, ...]) -> None: ...


class FileEvents(Protocol):
    """Where an identity's file-transfer events go (`onion_files.OnionFiles`)."""

    def handle(self, identity: str, event: pe.PeerEvent) -> None: ...
    def identity_offline(self, identity: str) -> None: ...


@dataclass(frozen=True, slots=True)
class OnionHooks:
    emit: Callable[[CoreEvent], None]
    save_soon: Callable[[], None]
    block_unknown: Callable[[], bool]
    files: FileEvents | None = None


class IdentityRuntime:
    """The identity ``ident`` online through ``peer``. `run` consumes the peer's events."""

    def __init__(self, ident: StoredIdentity, peer: OnionPeerLike, hooks: OnionHooks) -> None:
        self.ident = ident
        self.peer = peer
        self._hooks = hooks
        self.online = False

    def give_contacts(self) -> None:
        """Tell the peer whom to dial, take and refuse (before `start`)."""
        for c in self.ident.contacts.values():
            match c.status:
                case ContactStatus.CONTACT:
                    self.peer.add_contact(c.address)
                case ContactStatus.REQUESTED:
                    self.peer.request_contact(c.address, c.message, self.ident.nickname)
                case ContactStatus.BLOCKED:
                    self.peer.block(c.address)
                case _:
                    pass

    async def run(self) -> None:
        """Until cancelled. An adapter crash is reported, and the identity is offline."""
        try:
            async for event in self.peer.events():
                self.handle(event)
        except AdapterCrashed:
            self.went_offline()
            self._hooks.emit(ErrorEvent(f"onion identity {self.ident.id}: the connection layer failed"))
            self._hooks.emit(OnionIdentityChanged(self.ident.id, online=False))

    # ---- the peer's events ----

    def handle(self, event: pe.PeerEvent) -> None:
        match event:
            case pe.ServiceOnline():
                self.online = True
                self._hooks.emit(OnionIdentityChanged(self.ident.id, online=True))
            case pe.ContactRequest(peer=who, nickname=nick, message=text):
                self._on_request(who, nick, text)
            case pe.RequestAnswered(peer=who, status=status):
                self._on_answer(who, status)
            case pe.ContactOnline(peer=who):
                self._on_online(who)
            case pe.ContactOffline(peer=who):
                self._hooks.emit(OnionPresenceChanged(self.ident.id, contact_id(who), online=False))
                self._wait_again(lambda w: w.contact == who)
            case pe.MessageIn(peer=who, text=text, message_ids=ids):
                self._on_message(who, text, ids)
            case pe.MessageAcked(peer=who, message_id=mid, accepted=ok):
                self._on_ack(who, mid, ok)
            case pe.MessageNotDelivered(peer=who, message_id=mid):
                self._wait_again(lambda w: w.contact == who and mid in w.wire_ids)
            case pe.FileOffer() | pe.FileAccepted() | pe.FileMoved() | pe.FileDone():
                self._on_file(event)
            case pe.PeerError():
                pass  # that one connection ended; the peer redials contacts on its own

    def _on_file(self, event: pe.FileOffer | pe.FileAccepted | pe.FileMoved | pe.FileDone) -> None:
        contact = self.ident.contacts.get(event.peer)
        if isinstance(event, pe.FileOffer) and (
            contact is None or contact.status is not ContactStatus.CONTACT
        ):
            with contextlib.suppress(NotConnectedError, OnionUsageError):  # its connection may be gone
                self.peer.reject_file(event.peer, event.file_id)  # only a contact's files reach the user
            return
        if self._hooks.files is not None:
            self._hooks.files.handle(self.ident.id, event)

    def _on_request(self, who: OnionAddress, nickname: str, message: str) -> None:
        known = self.ident.contacts.get(who)
        if known is not None and known.status is ContactStatus.BLOCKED:
            self.peer.reject_request(who)
            return
        incoming = sum(1 for _ in self.ident.contacts_with(ContactStatus.INCOMING))
        if known is None and (self._hooks.block_unknown() or incoming >= MAX_INCOMING):
            self.peer.reject_request(who)
            return
        if known is None or known.status is ContactStatus.INCOMING:
            self.ident.contacts[who] = OnionContact(who, ContactStatus.INCOMING, False, nickname, message)
            self._hooks.save_soon()
            self._hooks.emit(OnionContactRequested(self.ident.id, contact_id(who), nickname, message))

    def _on_answer(self, who: OnionAddress, status: Status) -> None:
        contact = self.ident.contacts.get(who)
        if contact is None or status is Status.Pending:
            return
        if status is Status.Accepted:
            # Only a request the user still stands by becomes a contact: an Accepted answer that
            # was queued before the user blocked (or removed) the peer must not revive it.
            if contact.status is ContactStatus.REQUESTED:
                self._set_status(contact, ContactStatus.CONTACT)
            elif contact.status is ContactStatus.BLOCKED:
                self.peer.block(who)  # drops the connection the answer came on
        elif contact.status is ContactStatus.REQUESTED:
            self._set_status(contact, ContactStatus.REJECTED)
            self._fail(lambda w: w.contact == who)

    def _on_online(self, who: OnionAddress) -> None:
        contact = self.ident.contacts.get(who)
        if contact is None or contact.status not in (ContactStatus.CONTACT, ContactStatus.REQUESTED):
            return  # only the user makes a contact: a stranger's request stays a request
        if contact.status is ContactStatus.REQUESTED:
            self._set_status(contact, ContactStatus.CONTACT)  # asked (or accepted) by the user
        self._hooks.emit(OnionPresenceChanged(self.ident.id, contact.name, online=True))
        self.flush(who)

    def _on_message(self, who: OnionAddress, text: str, ids: tuple[int, ...]) -> None:
        contact = self.ident.contacts.get(who)
        if contact is None or contact.status is not ContactStatus.CONTACT:
            return
        if ids and ids[-1] in contact.seen:
            return  # re-sent after a connection died (maybe before a restart): shown already
        contact.seen = (contact.seen + list(ids))[-SEEN_KEPT:]
        self._hooks.save_soon()
        self._hooks.emit(OnionMessageReceived(self.ident.id, contact.name, text, contact.verified))

    def _on_ack(self, who: OnionAddress, mid: int, ok: bool) -> None:
        for w in self.ident.waiting:
            if w.contact == who and mid in w.wire_ids and w.on_wire:
                if not ok:
                    self._fail_one(w)
                    return
                w.acked.add(mid)
                if w.acked >= set(w.wire_ids):
                    self.ident.waiting.remove(w)
                    self._hooks.save_soon()
                    self._state(w, OnionMessageState.DELIVERED)
                return
        # an ack for nothing we have on the wire (a hostile or confused peer): ignored

    # ---- sending ----

    def flush(self, who: OnionAddress) -> None:
        """Put every message waiting for ``who`` on its connection, in order (if it is online)."""
        if not self.online or not self.peer.is_online(who):
            return
        sent = False
        for w in [w for w in self.ident.waiting if w.contact == who and not w.on_wire]:
            try:
                if w.wire_ids:
                    self.peer.resend_message(who, w.text.reveal(), w.wire_ids)
                else:
                    w.wire_ids = self.peer.send_message(who, w.text.reveal())
            except NotConnectedError:
                break
            except OnionUsageError:
                self._fail_one(w)
                continue
            w.on_wire, sent = True, True
            self._state(w, OnionMessageState.SENT)
        if sent:
            self._hooks.save_soon()  # the wire ids: a restart re-sends with them

    def _wait_again(self, which: Callable[[WaitingMessage], bool]) -> None:
        for w in self.ident.waiting:
            if w.on_wire and which(w):
                w.on_wire = False
                self._state(w, OnionMessageState.WAITING)

    def went_offline(self) -> None:
        """The peer stopped: what was on the wire waits again."""
        self.online = False
        self._wait_again(lambda _w: True)
        if self._hooks.files is not None:
            self._hooks.files.identity_offline(self.ident.id)

    def _fail(self, which: Callable[[WaitingMessage], bool]) -> None:
        failed = [w for w in self.ident.waiting if which(w)]
        for w in failed:
            self.ident.waiting.remove(w)
            self._state(w, OnionMessageState.FAILED)
        if failed:
            self._hooks.save_soon()

    def _fail_one(self, w: WaitingMessage) -> None:
        self.ident.waiting.remove(w)
        self._hooks.save_soon()
        self._state(w, OnionMessageState.FAILED)

    def _state(self, w: WaitingMessage, state: OnionMessageState) -> None:
        self._hooks.emit(OnionMessageStateChanged(w.id, state, self.ident.id, contact_id(w.contact)))

    def _set_status(self, contact: OnionContact, status: ContactStatus) -> None:
        if contact.status is not status:
            contact.status = status
            self._hooks.save_soon()
            self._hooks.emit(OnionContactChanged(self.ident.id, contact.name, status.value, contact.verified))
