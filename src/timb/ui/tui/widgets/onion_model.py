"""What the TUI remembers of the serverless onion chats while it runs: the lines of each chat
(bounded), the requests' words and the file transfers. The service is the one truth about
identities and contacts (`list_identities`, `list_contacts`); this holds only what the screens
show and the service does not keep (what was said, how far a file got).

Text a peer wrote (messages, a request's nickname and message, a file's name) is kept as a
plain string and drawn as `rich.text.Text`, never as markup, through `shown`: a terminal control
character (ESC starts an escape sequence the terminal would obey; Rich keeps it) or a bidi
override (it reorders what follows) becomes U+FFFD.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from rich.text import Text

from timb.core.onion_events import OnionMessageState

_CONTROLS = {
    c: "\ufffd" for c in [*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
}
del _CONTROLS[0x0A]  # a newline is a line break, not a control
MAX_LINES = 500  # per chat: older lines scroll away
MAX_TRANSFERS = 64  # remembered transfers (the core caps live ones at 16 each way per connection)

PRIVACY_WORDS = {True: "PRIVATE (ONION), VERIFIED", False: "PRIVATE (ONION), UNVERIFIED"}
PRIVACY_EXPLAINED = (
    "End-to-end private by the onion itself: Tor encrypts the connection between your onion "
    "service and theirs, no server sees it, and the address is their key. No OTR on top."
)


def shown(text: str) -> str:
    """``text`` a peer wrote, safe to draw: control and bidi override characters replaced."""
    return text.translate(_CONTROLS)


def short(contact: str) -> str:
    """``ricochet:abcdefgh…`` for lists (the full address is in the chat's title)."""
    return contact if len(contact) <= 22 else contact[:17] + "…"


def state_words(state: OnionMessageState, contact: str) -> str:
    return {
        OnionMessageState.WAITING: f"waiting for {short(contact)} to come online",
        OnionMessageState.SENT: "sent, not yet acknowledged",
        OnionMessageState.DELIVERED: "delivered",
        OnionMessageState.FAILED: "NOT SENT",
    }[state]


def size_words(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


@dataclass(eq=False)
class ChatLine:
    """One line: ``kind`` is out, in, system or file. Outgoing lines carry the core's id and
    state; file lines their transfer id."""

    kind: str
    text: str = field(repr=False)
    msg_id: str = ""
    state: OnionMessageState | None = None
    transfer: str = ""
    alarm: bool = False  # shown in the error colour (a failed transfer)

    def render(self, contact: str) -> Text:
        if self.kind == "out" and self.state is not None:
            return Text.assemble(
                ("me ", "bold"), (f"[{state_words(self.state, contact)}]", "italic"), " ", shown(self.text)
            )
        if self.kind == "in":
            return Text.assemble((f"{short(contact)}: ", "bold"), shown(self.text))
        if self.kind == "file":
            return Text.assemble(("[file] ", "bold"), shown(self.text))
        return Text(f"* {shown(self.text)}")


class OnionChat:
    """The chat of ``identity`` with ``contact`` (a ``ricochet:`` id)."""

    def __init__(self, identity: str, contact: str, *, verified: bool, online: bool) -> None:
        self.identity, self.contact = identity, contact
        self.verified, self.online = verified, online
        self.lines: deque[ChatLine] = deque(maxlen=MAX_LINES)

    @property
    def key(self) -> tuple[str, str]:
        return self.identity, self.contact

    def add(self, line: ChatLine) -> ChatLine:
        self.lines.append(line)
        return line

    def outgoing(self, msg_id: str) -> ChatLine | None:
        return next((li for li in reversed(self.lines) if li.msg_id == msg_id), None)

    def file_line(self, transfer: str) -> ChatLine | None:
        return next((li for li in reversed(self.lines) if li.transfer == transfer), None)

    def presence_words(self) -> str:
        if self.online:
            return f"{short(self.contact)} is online"
        return f"{short(self.contact)} is offline: your messages wait until you are both online"


@dataclass
class Transfer:
    identity: str
    contact: str
    name: str = field(repr=False)
    size: int
    direction: str  # incoming, outgoing
    ended: bool = False

    def progress_words(self, done: int, rate: float, left: float | None) -> str:
        verb = "receiving" if self.direction == "incoming" else "sending"
        percent = 100 * done // self.size if self.size else 100
        words = f"{verb} {self.name}: {percent}% ({size_words(done)} of {size_words(self.size)})"
        if rate > 0:
            words += f", {size_words(int(rate))}/s"
        if left is not None:
            words += f", {int(left)} s left"
        return words

    def end_words(self, state: str, reason: str, by_peer: bool, saved_as: str) -> str:
        name = self.name
        if state == "completed" and self.direction == "incoming":
            return f"{name} received, checked and saved as {saved_as} (not opened)"
        who = "they" if by_peer else "you"
        words = {
            "completed": f"{name} sent: they have all of it",
            "rejected": f"{name}: {who} refused it",
            "cancelled": f"{name}: {who} cancelled it" + (f" ({reason})" if reason else ""),
            "failed": f"{name} FAILED: {reason or 'the transfer broke off'}",
            "running": f"{name}: accepted, starting",
        }
        return words.get(state, f"{name} ({size_words(self.size)}) offered: waiting for them to accept")


class Transfers:
    """Transfers by id, the oldest ended ones forgotten first (bounded)."""

    def __init__(self) -> None:
        self.by_id: dict[str, Transfer] = {}

    def add(self, transfer_id: str, transfer: Transfer) -> Transfer:
        while len(self.by_id) >= MAX_TRANSFERS:
            ended = next((k for k, t in self.by_id.items() if t.ended), None)
            self.by_id.pop(ended if ended is not None else next(iter(self.by_id)))
        self.by_id[transfer_id] = transfer
        return transfer

    def get(self, transfer_id: str) -> Transfer | None:
        return self.by_id.get(transfer_id)
