"""`OnionPeer`: one onion identity on the network, speaking Ricochet protocol v3 (asyncio).

It publishes the identity's onion service on port 9878 (``ADD_ONION`` with the identity's own
key, through tor's control port; tor forwards streams to a loopback listener), dials contacts
only through tor's SOCKS door (``open_stream``) with one isolation key per contact, so every
contact gets its own circuits, and reconnects with exponential backoff while a contact is
offline. Each connection runs one `OnionConnection` core; this module only moves bytes, keeps
time and applies Ricochet's duplicate-connection rule (ContactUser::assignConnection):

- a new connection in the same direction as the contact's current one replaces it;
- so does any new connection when the current one is older than 30 s;
- otherwise the connection whose listening side has the smaller service id wins.

Bounds: at most ``max_strangers`` connections that are not (yet) a contact's, at most
``max_requests`` requests waiting for the user and ``request_rate`` new ones a minute (others
are answered Error); each core bounds its own buffers and channels. A misbehaving connection
ends alone, as a `PeerError`; other contacts are unaffected.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any

from timb.common.clock import Clock, SystemClock
from timb.common.ids import OnionAddress
from timb.common.random import Random, SystemRandom
from timb.net.errors import AdapterCrashed, NotConnectedError
from timb.net.onion import chat
from timb.net.onion import events as ev
from timb.net.onion import peer_events as pe
from timb.net.onion.book import ContactBook, ContactState, RequestLimiter
from timb.net.onion.connection import OnionConnection
from timb.net.onion.dialing import Redialler
from timb.net.onion.errors import OnionAuthError, OnionError, OnionProtocolError, OnionUsageError
from timb.net.onion.identity import OnionIdentity
from timb.net.onion.messages import ChatMessage, Status
from timb.net.onion.peer_files import PeerFiles, file_event
from timb.net.onion.state import KEEPALIVE_INTERVAL, KEEPALIVE_TIMEOUT, Role
from timb.tor.client import TorClient
from timb.tor.errors import TorError
from timb.tor.onion import OnionKey, OnionListener

RICOCHET_PORT = 9878
REPLACE_AFTER = 30.0  # seconds: Ricochet replaces a contact connection older than this
_READ_SIZE = 65536
SEEN_IDS = 512  # recent message ids kept per contact, to drop re-sent duplicates


@dataclass(eq=False, slots=True)
class _Link:
    conn: OnionConnection
    writer: asyncio.StreamWriter
    outbound: bool
    assigned: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)


class OnionPeer(PeerFiles):
    """An onion identity online. Use `start`, then the commands; read `events()` throughout."""

    def __init__(
        self,
        tor: TorClient,
        identity: OnionIdentity,
        *,
        nickname: str = "",
        clock: Clock | None = None,
        random: Random | None = None,
        tick_interval: float = 1.0,
        backoff: tuple[float, float] = (1.0, 60.0),
        max_strangers: int = 32,
        max_requests: int = 16,
        request_rate: int = 10,
        await_publication: bool = True,
        keepalive: tuple[float, float] = (KEEPALIVE_INTERVAL, KEEPALIVE_TIMEOUT),
    ) -> None:
        self.tor = tor
        self.identity = identity
        self.nickname = nickname
        self.book = ContactBook()
        self._clock = clock or SystemClock()
        self._random = random or SystemRandom()
        self._tick = tick_interval
        self._max_strangers = max_strangers
        self._max_requests = max_requests
        self._limiter = RequestLimiter(request_rate)
        self._await_publication = await_publication
        self._keepalive = keepalive  # (ask after this much silence, give up this much later)
        self._listener: OnionListener | None = None
        self._events: asyncio.Queue[pe.PeerEvent | BaseException] = asyncio.Queue()
        self._links: set[_Link] = set()
        self._active: dict[OnionAddress, _Link] = {}
        self._requests: dict[OnionAddress, _Link] = {}
        self._dialler = Redialler(
            wants=lambda peer: self._running and self.book.wants_connection(peer),
            online=self.is_online,
            attempt=self._attempt,
            guard=self._guard,
            random=self._random,
            backoff=backoff,
        )
        self._seen: dict[OnionAddress, deque[int]] = {}
        self._running = False

    @property
    def address(self) -> OnionAddress:
        return self.identity.address

    def isolation_key(self, peer: OnionAddress) -> str:
        """The SOCKS isolation key of our streams to ``peer``: one per (identity, contact)."""
        return f"ricochet:{self.address.service_id}:{peer.service_id}"

    # ---- life cycle ----

    async def start(self) -> None:
        """Publish the onion service, then dial every contact.

        Raises:
            TorError (ControlError, TorNotReady, TorUnavailable): tor refused or failed.
        """
        key = OnionKey.parse(self.identity.key_blob())
        self._listener = await OnionListener.start(
            self.tor.control,
            self.handle_inbound,
            virtual_port=RICOCHET_PORT,
            key=key,
            await_publication=self._await_publication,
        )
        self._running = True
        self._events.put_nowait(pe.ServiceOnline(self.address))
        for peer in self.book.to_dial():
            self._dialler.ensure(peer)

    async def stop(self) -> None:
        """Remove the onion service, close every connection, stop dialling. Idempotent."""
        self._running = False
        if self._listener is not None:
            listener, self._listener = self._listener, None
            await listener.close()
        links = list(self._links)
        for link in links:
            link.conn.close()
            self._flush(link)
        if links:  # each link loop sees its core closed within one tick and ends
            await asyncio.wait(
                [asyncio.ensure_future(link.done.wait()) for link in links], timeout=5 * self._tick
            )
        await self._dialler.stop()

    async def events(self) -> AsyncIterator[pe.PeerEvent]:
        """The events, in order, for one consumer. Raises AdapterCrashed (from the iteration)."""
        while True:
            item = await self._events.get()
            if isinstance(item, BaseException):
                raise AdapterCrashed("the onion adapter failed") from item
            yield item

    # ---- commands ----

    def add_contact(self, peer: OnionAddress) -> None:
        """A contact the user already has (e.g. restored from the profile): dial it, take it."""
        self.book.set(peer, ContactState.ALLOWED)
        self._dialler.ensure(peer)

    def request_contact(self, peer: OnionAddress, message: str = "", nickname: str | None = None) -> None:
        """Ask ``peer`` to become a contact; asked again on every connection until answered.

        Raises:
            OnionUsageError: our own address.
        """
        if peer == self.address:
            raise OnionUsageError("cannot add our own address")
        self.book.set(peer, ContactState.REQUESTING, self.nickname if nickname is None else nickname, message)
        self._dialler.ensure(peer)

    def accept_request(self, peer: OnionAddress) -> None:
        """Accept ``peer``'s request (on its waiting connection, or by dialling it back)."""
        link = self._requests.pop(peer, None)
        if link is not None and link.conn.is_open:
            self.book.set(peer, ContactState.ALLOWED)
            link.conn.accept_request(self._clock.now())
            self._flush(link)
        else:
            # its connection is gone: ask it back. It is asking us, so it takes us at once; as a
            # contact we would read its "unknown" answer (it has not made us one yet) as a refusal.
            self.book.set(peer, ContactState.REQUESTING, self.nickname)
        self._dialler.ensure(peer)

    def reject_request(self, peer: OnionAddress) -> None:
        """Refuse ``peer``'s request and forget it (it may ask again)."""
        self.book.forget(peer)
        self._refuse(peer)

    def block(self, peer: OnionAddress) -> None:
        """Refuse ``peer`` now and later; drops its connection if it is a contact."""
        self.book.set(peer, ContactState.BLOCKED)
        self._refuse(peer)
        self._drop(peer)

    def forget(self, peer: OnionAddress) -> None:
        self.book.forget(peer)
        self._seen.pop(peer, None)
        self._drop(peer)

    def is_online(self, peer: OnionAddress) -> bool:
        return peer in self._active

    def is_dialling(self, peer: OnionAddress) -> bool:
        """Whether we (re)connect to ``peer``: False once it refused our request, was blocked
        or forgotten (and after `stop`)."""
        return self._dialler.running(peer)

    def connected_since(self, peer: OnionAddress) -> float | None:
        """When the contact's current connection became a contact's (clock time), None offline.
        A new value without a `ContactOffline` in between is a connection replaced in place."""
        link = self._active.get(peer)
        return None if link is None else link.conn.contact_since

    def keepalive_replies(self, peer: OnionAddress) -> int:
        """How many of our keep-alives the contact's current connection has answered."""
        link = self._active.get(peer)
        return 0 if link is None else link.conn.keepalive_replies

    def send_message(self, peer: OnionAddress, text: str) -> tuple[int, ...]:
        """Send ``text`` (split into parts when longer than 2000 UTF-16 units); the parts' ids.

        Raises:
            NotConnectedError: ``peer`` is offline (the caller keeps the text and retries).
            OnionUsageError: an empty text or one over the size limit.
        """
        link = self._active.get(peer)
        if link is None or not link.conn.is_open:
            raise NotConnectedError("the contact is offline")
        ids = link.conn.send_message(text)
        self._flush(link)
        return ids

    def resend_message(self, peer: OnionAddress, text: str, ids: tuple[int, ...]) -> None:
        """Send again a text that went on a connection which died unacknowledged, with its parts'
        first ids (a TIMB receiver drops a repeated id; libtego re-sends the same way).

        Raises:
            NotConnectedError: ``peer`` is offline.
            OnionUsageError: ``ids`` do not match the text's parts, or a bad text.
        """
        link = self._active.get(peer)
        if link is None or not link.conn.is_open:
            raise NotConnectedError("the contact is offline")
        parts = chat.split_text(text)
        if len(parts) != len(ids):
            raise OnionUsageError("one id per part of the text")
        last = len(parts) - 1
        link.conn.resend(
            [ChatMessage(p, i, 0, more=k < last) for k, (p, i) in enumerate(zip(parts, ids, strict=True))]
        )
        self._flush(link)

    # ---- internals: connections ----

    def _contact_connection(self, peer: OnionAddress) -> OnionConnection:
        link = self._active.get(peer)
        if link is None or not link.conn.is_open:
            raise NotConnectedError("the contact is offline")
        return link.conn

    def _flush_contact(self, peer: OnionAddress) -> None:
        link = self._active.get(peer)
        if link is not None:
            self._flush(link)

    def _now(self) -> float:
        return self._clock.now()

    def _refuse(self, peer: OnionAddress) -> None:
        link = self._requests.pop(peer, None)
        if link is not None and link.conn.is_open:
            link.conn.reject_request()
            self._flush(link)

    def _drop(self, peer: OnionAddress) -> None:
        link = self._active.get(peer)
        if link is not None:
            link.conn.close()
            self._flush(link)
        self._dialler.wake(peer)

    def _new_connection(self, role: Role, peer: OnionAddress | None) -> OnionConnection:
        return OnionConnection(
            role,
            self.identity,
            now=self._clock.now(),
            random=self._random,
            peer=peer,
            # a client we know, or (dialling side) one we asked: Ricochet's implicit accept
            is_contact=self.book.is_contact if role is Role.SERVER else self.book.wants_connection,
            screen_request=self._screen,
            keepalive_interval=self._keepalive[0],
            keepalive_timeout=self._keepalive[1],
        )

    def _screen(self, peer: OnionAddress) -> Status:
        status = self.book.screen(peer)
        if status is Status.Pending:
            if peer in self._requests:
                self._refuse_quietly(self._requests.pop(peer))  # the newer connection asks again
            if len(self._requests) >= self._max_requests or not self._limiter.allow(self._clock.now()):
                return Status.Error
        return status

    def _refuse_quietly(self, link: _Link) -> None:
        link.conn.close()
        self._flush(link)

    async def handle_inbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One stream tor forwarded from our onion service (the listener's handler)."""
        # inbound connections not (yet) a contact's; our own dialling does not count
        strangers = sum(1 for link in self._links if not link.assigned and not link.outbound)
        if not self._running or strangers >= self._max_strangers:
            writer.close()
            return
        link = _Link(self._new_connection(Role.SERVER, None), writer, outbound=False)
        await self._guard(self._run_link(link, reader))

    async def _guard(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a connection or a dial loop; an unexpected exception is the adapter's crash
        (raised from `events()`), never lost."""
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 -- not swallowed: events() raises it as AdapterCrashed
            self._events.put_nowait(e)

    async def _run_link(self, link: _Link, reader: asyncio.StreamReader) -> None:
        self._links.add(link)
        conn = link.conn
        try:
            self._flush(link)
            while not conn.closed:
                try:
                    data: bytes | None = await asyncio.wait_for(reader.read(_READ_SIZE), self._tick)
                except TimeoutError:
                    data = None
                except OSError:
                    data = b""
                now = self._clock.now()
                if data is not None:
                    conn.receive_data(data, now)
                conn.tick(now)
                self._flush(link)
                with contextlib.suppress(OSError):
                    await link.writer.drain()
        finally:
            self._links.discard(link)
            self._detach(link)
            link.writer.close()
            link.done.set()

    def _flush(self, link: _Link) -> None:
        """Handle the core's events and write what it has to send (the order matters: a
        rejection is written before the stream closes)."""
        for event in link.conn.take_events():
            self._on_event(link, event)
        out = link.conn.data_to_send()
        if out and not link.writer.is_closing():
            link.writer.write(out)
        if link.conn.closed and not link.writer.is_closing():
            link.writer.close()

    def _on_event(self, link: _Link, event: ev.ConnectionEvent) -> None:
        peer = link.conn.peer
        file = None if peer is None else file_event(peer, event)
        if file is not None:
            self._events.put_nowait(file)
            return
        match event:
            case ev.Authenticated(known=False) if link.outbound:
                self._on_unknown_to_peer(link)
            case ev.ContactRequestReceived(peer=who, nickname=nick, message=text):
                self._requests[who] = link
                self._events.put_nowait(pe.ContactRequest(who, nick, text))
            case ev.ContactRequestAnswered(status=status) if peer is not None:
                self._on_answer(peer, status)
            case ev.BecameContact() if peer is not None:
                self._assign(peer, link)
            case ev.MessageReceived(message_ids=ids, text=text, time_delta=delta) if peer is not None:
                if self._first_time(peer, ids):
                    self._events.put_nowait(pe.MessageIn(peer, text, ids, delta))
            case ev.MessageAcknowledged(message_id=mid, accepted=ok) if peer is not None:
                self._events.put_nowait(pe.MessageAcked(peer, mid, ok))
            case ev.MessageUndelivered(message_id=mid) if peer is not None:
                self._events.put_nowait(pe.MessageNotDelivered(peer, mid))
            case ev.ProtocolViolation(error=error):
                self._events.put_nowait(pe.PeerError(peer, error))
            case ev.ConnectionClosed(error=error) if error is not None and _reportable(error):
                self._events.put_nowait(pe.PeerError(peer if link.conn.authenticated else None, error))
            case _:
                pass

    def _first_time(self, peer: OnionAddress, ids: tuple[int, ...]) -> bool:
        """False for a text whose ids we saw lately from ``peer``: re-sent after a connection was
        replaced (both TIMB and libtego re-send unacknowledged messages with their ids)."""
        seen = self._seen.setdefault(peer, deque(maxlen=SEEN_IDS))
        if ids and ids[-1] in seen:
            return False
        seen.extend(ids)
        return True

    def _on_unknown_to_peer(self, link: _Link) -> None:
        peer = link.conn.peer
        assert peer is not None
        entry = self.book.entry(peer)
        if entry is not None and entry.state is ContactState.REQUESTING:
            try:
                link.conn.send_contact_request(entry.nickname, entry.message)
            except OnionUsageError as e:
                self._events.put_nowait(pe.PeerError(peer, e))
                link.conn.close()
            return
        if entry is not None and entry.state is ContactState.ALLOWED:
            # Ricochet: "Contact says we're unknown; marking as rejected"
            self.book.set(peer, ContactState.REJECTED)
            self._events.put_nowait(pe.RequestAnswered(peer, Status.Rejected))
        link.conn.close()

    def _on_answer(self, peer: OnionAddress, status: Status) -> None:
        if status is Status.Accepted and self.book.get(peer) is ContactState.REQUESTING:
            self.book.set(peer, ContactState.ALLOWED)
        elif status in (Status.Rejected, Status.Error) and self.book.get(peer) is ContactState.REQUESTING:
            self.book.set(peer, ContactState.REJECTED)
        self._events.put_nowait(pe.RequestAnswered(peer, status))

    def _assign(self, peer: OnionAddress, link: _Link) -> None:
        if not self.book.wants_connection(peer):
            # blocked or forgotten while its answer was on the way: a late Accepted (or the peer
            # dialling back) never re-makes a contact the user no longer wants
            link.conn.close()
            return
        if self.book.get(peer) is not ContactState.ALLOWED:
            self.book.set(peer, ContactState.ALLOWED)  # implicit accept of our own request
            self._events.put_nowait(pe.RequestAnswered(peer, Status.Accepted))
        current = self._active.get(peer)
        if current is not None and current.conn.is_open:
            if not self._new_wins(peer, current, link):
                link.conn.close()
                return
            current.assigned = False
            unsent = current.conn.take_unsent()  # unacknowledged or still queued: re-sent on the winner
            current.conn.close()
            self._active[peer] = link
            link.assigned = True
            link.conn.resend(unsent)
            self._flush(current)
            return
        self._active[peer] = link
        link.assigned = True
        self._events.put_nowait(pe.ContactOnline(peer))

    def _new_wins(self, peer: OnionAddress, old: _Link, new: _Link) -> bool:
        if old.outbound == new.outbound:
            return True
        since = old.conn.contact_since
        if since is not None and self._clock.now() - since > REPLACE_AFTER:
            return True
        prefer_outbound = peer.service_id < self.address.service_id
        return new.outbound == prefer_outbound

    def _detach(self, link: _Link) -> None:
        peer = link.conn.peer
        if peer is not None and self._requests.get(peer) is link:
            del self._requests[peer]
        if peer is not None and self._active.get(peer) is link:
            del self._active[peer]
            self._events.put_nowait(pe.ContactOffline(peer))
            self._dialler.wake(peer)

    # ---- internals: dialling ----

    async def _attempt(self, peer: OnionAddress) -> bool | None:
        """One connection to ``peer`` through tor, run to its end (see `Redialler`)."""
        try:
            reader, writer = await self.tor.open_stream(
                peer.host, RICOCHET_PORT, isolation=self.isolation_key(peer)
            )
        except (TorError, OSError):
            return None
        link = _Link(self._new_connection(Role.CLIENT, peer), writer, outbound=True)
        await self._run_link(link, reader)
        return link.assigned or link.conn.contact_since is not None


def _reportable(error: OnionError) -> bool:
    """Errors worth telling the core: the peer misbehaved or failed to authenticate."""
    return isinstance(error, OnionProtocolError | OnionAuthError)
