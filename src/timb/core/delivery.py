"""The user's outgoing messages of one account and where each one is (PENDING, SENT, DELIVERED,
FAILED): the delivery tracking half of `timb.core.conversations`. Pure: no OTR, no I/O.

OTR has no receipts. A message sent in a session is DELIVERED once a readable Data Message from
the peer in that session names, as its recipient key id, at least the key our message announced
(`confirm`), so a message that crossed the peer's does not count. When a session is replaced,
messages it had not confirmed are either carried over to the new session (same live instance:
the peer's next readable message confirms them) or put back in front of the queue to be sent
again (`requeue`), in the order they were first sent. docs/core.md gives the full rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from timb.common.ids import Fingerprint
from timb.common.secret import Secret
from timb.core.events import CoreEvent, MessageState, MessageStateChanged


@dataclass(slots=True)
class OutgoingMessage:
    id: str
    contact: str
    text: Secret[str]
    needs_otr: bool  # typed while the contact's policy required encryption: never in plaintext
    state: MessageState = MessageState.PENDING
    announced: int | None = None  # the id of our next D-H key, announced by its Data Message
    # The keys the message is written for: the peer's key in the session where the user typed it
    # or where it first went out; typed before any session, the contact's known keys then (none
    # known: the first session's). Never sent or re-sent under another key unless that key is
    # verified or the user says so (issue 9, item 1).
    written_for: frozenset[Fingerprint] = frozenset()
    resent_to_libotr: bool = False  # (a libotr peer gets it again at most once: it may show each)


class Deliveries:
    """Every outgoing message of one account, by id. State changes are emitted as
    `MessageStateChanged` through ``emit``."""

    def __init__(self, account: str, emit: Callable[[CoreEvent], None]) -> None:
        self._account = account
        self._emit = emit
        self._messages: dict[str, OutgoingMessage] = {}
        self._order: dict[str, int] = {}  # message id -> position when first sent
        self._sent_count = 0  # never goes down: positions stay in sending order after deletions

    def add(
        self, msg_id: str, contact: str, text: str, *, needs_otr: bool, written_for: frozenset[Fingerprint]
    ) -> OutgoingMessage:
        """A new message, PENDING, written for the keys ``written_for``."""
        msg = OutgoingMessage(msg_id, contact, Secret(text), needs_otr, written_for=written_for)
        self._messages[msg_id] = msg
        self._emit(MessageStateChanged(msg_id, MessageState.PENDING, self._account, contact))
        return msg

    def __contains__(self, msg_id: object) -> bool:
        return msg_id in self._messages

    def undelivered(self) -> list[OutgoingMessage]:
        """Every message PENDING or SENT, in the order they were typed."""
        live = (MessageState.PENDING, MessageState.SENT)
        return [m for m in self._messages.values() if m.state in live]

    def __getitem__(self, msg_id: str) -> OutgoingMessage:
        """Raises: KeyError for an unknown id."""
        return self._messages[msg_id]

    def place(self, msg: OutgoingMessage) -> bool:
        """Encrypted for the network: its first sending fixes its place in the re-send order
        (it becomes SENT once its wire leaves the core, `Conversations.data_to_send`); True the
        first time."""
        first = msg.id not in self._order
        if first:
            # (len(self._order) would not do: delivered messages leave it, and a later one
            # would get a position before older ones still waiting: re-sent out of order)
            self._order[msg.id] = self._sent_count
            self._sent_count += 1
        return first

    def set_state(self, msg: OutgoingMessage, state: MessageState) -> None:
        msg.state = state
        if state in (MessageState.DELIVERED, MessageState.FAILED):
            # Never sent again: drop the text now rather than keep plaintext in memory.
            msg.text = Secret("")
            self._order.pop(msg.id, None)
        self._emit(MessageStateChanged(msg.id, state, self._account, msg.contact))

    def fail(self, msg_ids: Iterable[str]) -> None:
        for msg_id in msg_ids:
            self.set_state(self._messages[msg_id], MessageState.FAILED)

    def untrack(self, msg_id: str) -> None:
        """No longer followed (`ConversationsBase._track` caps what is): it stays SENT, is never
        sent again, and its text leaves memory now."""
        self._messages[msg_id].text = Secret("")
        self._order.pop(msg_id, None)

    def position(self, msg_id: str) -> int:
        """Its place in the sending order. Raises: KeyError for one not sent."""
        return self._order[msg_id]

    def confirm(self, unconfirmed: list[str], recipient_keyid: int | None) -> None:
        """The peer wrote a readable message knowing our keys up to ``recipient_keyid``: our
        messages (``unconfirmed``, in sending order, updated in place) that announced no newer
        key have reached it (in-order delivery). One that announced a newer key crossed this
        message and may not have."""
        if recipient_keyid is None:
            return
        done = 0
        for msg_id in unconfirmed:
            announced = self._messages[msg_id].announced
            if announced is None or announced > recipient_keyid:
                break
            self.set_state(self._messages[msg_id], MessageState.DELIVERED)
            done += 1
        del unconfirmed[:done]

    def confirm_ids(self, queue: list[str], acked: set[str]) -> None:
        """The peer (a TIMB client) says it decrypted the messages ``acked``: those in ``queue``
        (a session's unconfirmed ones, or PENDING ones waiting to be re-sent) are DELIVERED and
        leave it."""
        for msg_id in [m for m in queue if m in acked]:
            self.set_state(self._messages[msg_id], MessageState.DELIVERED)
            queue.remove(msg_id)

    def carry_over(self, msg_ids: list[str]) -> list[str]:
        """Messages sent under keys now gone, to the same live instance, in sending order: the
        peer's next readable message (written after the re-key) confirms them; if they came
        too late to be read, the peer's OTR error makes the session suspect and they are re-sent."""
        for msg_id in msg_ids:
            self._messages[msg_id].announced = 0
        return sorted(msg_ids, key=self._order.__getitem__)

    def requeue(self, msg_ids: list[str]) -> list[str]:
        """Messages to send again, in sending order, PENDING again."""
        ordered = sorted(msg_ids, key=self._order.__getitem__)
        for msg_id in ordered:
            self._messages[msg_id].announced = None  # key ids belong to the old session
            self.set_state(self._messages[msg_id], MessageState.PENDING)
        return ordered
