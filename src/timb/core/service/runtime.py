"""One account at run time: its conversations core, its network link, what the network says.

The runtime is the only holder of the account's `Conversations`, and the only way to drive it is
`act`, which flushes (`_pump`) after the command whatever it did: wire messages go to the link's
ordered outbox, events to the trust keeper, the history and the UI. No caller can forget to
flush, because no caller can reach the core without `act`.

Network events come in through `on_net_event`, one at a time, from the link's task. Whatever
goes wrong while handling one of them (a peer's hostile input meeting a bug, a record the disk
refuses) is that event's failure alone: an `ErrorEvent` for the account and contact, logged as its
type only (the text may quote the peer's message), and the next event is handled as usual. The
same holds for each event the conversations core produced: a failing hook loses nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from timb.common.ids import Fingerprint, Jid
from timb.core import roster
from timb.core.accounts import Account
from timb.core.connection import AccountLink
from timb.core.conversations import Conversations
from timb.core.events import (
    CoreEvent,
    ErrorEvent,
    MessageReceived,
    MessageSent,
    MessageState,
    MessageStateChanged,
    OtrState,
    OtrStateChanged,
    PresenceChanged,
    SmpFinished,
    SubscriptionRequested,
)
from timb.core.file_events import FileKeyReceived
from timb.core.service.trust_keeper import TrustKeeper
from timb.core.storage.history import Direction
from timb.net import base as net
from timb.otr import PrivateKey

T = TypeVar("T")

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]
Remember = Callable[[str, str, Direction, "MessageReceived | MessageSent | str"], None]


@dataclass(frozen=True, slots=True)
class RuntimeHooks:
    """What a runtime needs from the rest of the service (given by the facade)."""

    emit: Callable[[CoreEvent], None]
    trust: TrustKeeper
    remember: Remember
    is_blocked: Callable[[str, str], bool]
    spawn: Spawn
    # (account, contact) -> the user accepted this address as a contact (issue 9, item 7)
    is_contact: Callable[[str, str], bool] = lambda _account, _contact: True
    # a background save of the profile: a contact's message id was shown (timb.core.seen_ids)
    save_soon: Callable[[], None] = lambda: None
    # a TLV 8 of a contact's private session (timb.core.extra_keys): the service's file part
    on_file_key: Callable[[FileKeyReceived], None] = lambda _event: None


class AccountRuntime:
    """One account while the profile is unlocked."""

    def __init__(
        self, account: Account, key: PrivateKey, conversations: Conversations, hooks: RuntimeHooks
    ) -> None:
        self.account = account
        self.key = key
        self._conversations = conversations
        self._hooks = hooks
        self.link = self._new_link()
        self.status = roster.ContactStatus()
        self.register_next = False  # create the account on the server at the next connect

    def _new_link(self) -> AccountLink:
        return AccountLink(self.account.id, self._hooks.emit, self._on_link_down, self._on_link_up)

    @property
    def id(self) -> str:
        return self.account.id

    @property
    def connected(self) -> bool:
        return self.link.connected.is_set()

    def rekey(self, key: PrivateKey, conversations: Conversations, contacts: list[str]) -> None:
        """A new OTR identity (libotr import): pending messages to ``contacts`` fail, wire
        messages queued for the old sessions are dropped with the old link. The ids of the
        messages shown stay known (peers re-send to the new key with the same ids)."""
        self.fail_pending(contacts)
        self.key = key
        conversations.restore_seen(dict(self._conversations.seen_section()))
        self._conversations = conversations
        self.link = self._new_link()

    def fail_pending(self, contacts: list[str]) -> None:
        """Messages still pending for ``contacts`` will not be sent (FAILED)."""

        def fail(conversations: Conversations) -> None:
            for contact in contacts:
                conversations.fail_pending(contact)

        self.act(fail)

    # -- commands and queries -------------------------------------------------------------------

    def act(self, command: Callable[[Conversations], T]) -> T:
        """Run ``command`` on the conversations core, then flush what it produced."""
        try:
            return command(self._conversations)
        finally:
            self._pump()

    def seen_section(self) -> dict[str, list[str]]:
        """The ids of the contacts' messages shown (the profile keeps them across restarts)."""
        return self._conversations.seen_section()

    def restore_seen(self, section: dict[str, object]) -> None:
        self._conversations.restore_seen(section)

    def outbox_section(self) -> list[dict[str, object]]:
        """The messages not yet delivered (the profile keeps them across restarts)."""
        return self._conversations.outbox_section()

    def restore_outbox(self, section: object) -> None:
        self.act(lambda c: c.restore_outbox(section))

    def otr_state(self, contact: str) -> OtrState:
        return self._conversations.otr_state(contact)

    def their_fingerprint(self, contact: str) -> Fingerprint | None:
        return self._conversations.their_fingerprint(contact)

    def accept(self, contact: str) -> None:
        """The user made ``contact`` a contact: its state and its current key are kept now."""
        self.act(lambda c: c.accepted(contact))
        fingerprint = self._conversations.their_fingerprint(contact)
        if fingerprint is not None:
            state = self._conversations.otr_state(contact)
            version = self._conversations.protocol_version(contact)
            self._hooks.trust.observe(OtrStateChanged(self.id, contact, state, fingerprint, version))

    def message_state(self, msg_id: str) -> MessageState:
        """Raises: KeyError (unknown id)."""
        return self._conversations.message_state(msg_id)

    def start(self, run: Callable[[AccountLink], Coroutine[Any, Any, None]]) -> None:
        """Start the link's task (``run(link)``) unless it runs already."""
        if not self.link.running:
            self.link.task = self._hooks.spawn(run(self.link))

    # -- the pump ---------------------------------------------------------------------------------

    def _pump(self) -> None:
        """Move what the conversations core produced to the outbox, the trust keeper, the history
        and the UI, until it has nothing more (handling an event may produce more)."""
        conversations = self._conversations
        while True:
            for contact, wire in conversations.data_to_send():
                self.link.enqueue(contact, wire)
            event = conversations.next_event()
            if event is None:
                if conversations.seen_changed:
                    # Saved at once, so a crash does not show the message again (seen_ids).
                    conversations.seen_changed = False
                    self._hooks.save_soon()
                return
            shown: CoreEvent | None = event
            try:
                shown = self._apply(event)
            except Exception as exc:  # noqa: BLE001 - one event's failure, reported (module docstring)
                self._failed(exc, type(event).__name__, getattr(event, "contact", ""))
            if shown is not None:
                self._hooks.emit(shown)

    def _apply(self, event: CoreEvent) -> CoreEvent | None:
        """What an event from the conversations core changes before the UI sees it (returned;
        None: not for the UI)."""
        if isinstance(event, OtrStateChanged):
            # Issue 9, item 7: a stranger's key enters the trust store only once the user
            # accepts the contact (`accept`), so hostile AKEs cannot grow the vault.
            if self._hooks.is_contact(event.account, event.contact):
                self._hooks.trust.observe(event)
        elif isinstance(event, MessageStateChanged):
            self._hooks.save_soon()  # the outbox the profile keeps changed (core/outbox.py)
        elif isinstance(event, MessageSent):
            # Recorded when (and as) it went out; the UIs follow the message's state instead.
            self._hooks.remember(event.account, event.contact, Direction.OUTGOING, event)
            return None
        elif isinstance(event, SmpFinished):
            changed = self._hooks.trust.smp_finished(event)
            if changed is not None:
                self._conversations.refresh_trust(event.contact)  # the badge follows the trust
                return changed
        elif isinstance(event, MessageReceived):
            self._hooks.remember(event.account, event.contact, Direction.INCOMING, event)
        return event

    def _failed(self, exc: Exception, what: str, contact: str) -> None:
        # The type only: an exception's text may quote what the peer sent.
        kind = type(exc).__name__
        log.error("account %s: %s while handling %s", self.id, kind, what)
        message = f"account {self.id}: could not handle {what}" + (f" from {contact}" if contact else "")
        self._hooks.emit(ErrorEvent(f"{message} ({kind})", self.id, contact))

    # -- what the network says ------------------------------------------------------------------------

    def on_net_event(self, event: net.NetEvent) -> None:
        """Handle one network event; any failure is reported for it alone (module docstring)."""
        try:
            self._on_net_event(event)
        except Exception as exc:  # noqa: BLE001 - one event's failure, reported (module docstring)
            self._failed(exc, type(event).__name__, _contact_of(event))

    def poll(self) -> None:
        """Let the conversations core act on time passing; a failure is reported, not raised."""
        try:
            self.act(lambda c: c.poll())
        except Exception as exc:  # noqa: BLE001 - the timer must keep running for every account
            self._failed(exc, "a timer", "")

    def _on_net_event(self, event: net.NetEvent) -> None:
        match event:
            case net.MessageIn(sender=sender, body=body):
                if sender.local and not self._blocked(sender):
                    self.act(lambda c: c.receive(str(sender.bare), body))
            case net.MessageFailed(peer=peer, condition=condition):
                self._hooks.emit(ErrorEvent(f"account {self.id}: message to {peer} failed: {condition}"))
                if peer.local:
                    self.act(lambda c: c.delivery_failed(str(peer.bare)))
            case net.ErrorEvent(error=error):
                self._hooks.emit(ErrorEvent(f"account {self.id}: {error}"))
            case net.PresenceChanged():
                self._on_presence(event)
            case net.RosterChanged(items=items):
                self.status.update_roster(items)
            case net.SubscriptionRequest(sender=sender) if sender.local:
                self._on_subscription_request(sender)
            case _:
                pass  # acks: OTR delivery is inferred from the conversation (docs/core.md)

    def _blocked(self, jid: Jid) -> bool:
        return self._hooks.is_blocked(self.id, str(jid.bare))

    def _on_presence(self, event: net.PresenceChanged) -> None:
        if not event.jid.local or self._blocked(event.jid):
            return
        changed = self.status.update_presence(event)
        if changed is not None:
            self._hooks.emit(PresenceChanged(self.id, *changed))
        if event.available:
            self.act(lambda c: c.peer_online(str(event.jid.bare)))

    def _on_subscription_request(self, sender: Jid) -> None:
        adapter = self.link.adapter
        if self._blocked(sender):
            if adapter is not None:
                self._hooks.spawn(_refuse_quietly(adapter, sender))
            return
        contact = str(sender.bare)
        self.status.requests.add(contact)
        self._hooks.emit(SubscriptionRequested(self.id, contact))

    def _on_link_up(self) -> None:
        try:
            self.act(lambda c: c.resume())
        except Exception as exc:  # noqa: BLE001 - reported; the link keeps running
            self._failed(exc, "the reconnection", "")

    def _on_link_down(self) -> None:
        """The account lost its session: nobody's presence is known any more."""
        for contact in self.status.disconnected():
            self._hooks.emit(PresenceChanged(self.id, contact, roster.OFFLINE))


def _contact_of(event: net.NetEvent) -> str:
    """The bare address an event comes from or concerns ("" for none)."""
    match event:
        case net.MessageIn(sender=jid) | net.SubscriptionRequest(sender=jid):
            return str(jid.bare)
        case net.MessageFailed(peer=jid) | net.PresenceChanged(jid=jid):
            return str(jid.bare)
        case _:
            return ""


async def _refuse_quietly(adapter: net.Adapter, sender: Jid) -> None:
    with contextlib.suppress(net.NotConnectedError):
        await adapter.deny_subscription(sender.bare)
