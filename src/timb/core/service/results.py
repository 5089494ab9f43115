"""What the service's queries and commands return: frozen values, never ``dict[str, Any]``.

Ids keep their types (`Jid`, `Fingerprint`, the state enums) up to the UI, which decides how to
show them; ``timb jsonrpc`` writes them with the same serialiser as its notifications (field
names are the JSON keys; a field whose metadata names ``omit_unless`` is left out while that
field is None).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from timb.common.ids import Fingerprint, Jid, OnionAddress
from timb.core.events import MessageState, OtrState, TrustLevel
from timb.core.tor_link import TorInfo

__all__ = [
    "AccountInfo",
    "ContactInfo",
    "Fingerprints",
    "HistoryDirection",
    "HistoryItem",
    "KeyExport",
    "KeyImport",
    "KnownKey",
    "OnionInfo",
    "SendResult",
    "SettingsInfo",
    "TorInfo",
]


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """An account as a UI may show it (no password, no isolation key)."""

    id: str
    jid: Jid
    host: str | None
    port: int
    tls_pin_sha256: str | None
    auto_connect: bool
    network: str  # "xmpp" or "irc"
    connected: bool
    fingerprint: Fingerprint  # ours, for this account
    # IRC accounts only (left out of JSON for the others): "auto" or the SASL mechanism, and
    # whether CTCP PING is answered
    sasl_mechanism: str | None = field(default=None, metadata={"omit_unless": "sasl_mechanism"})
    answer_ctcp_ping: bool | None = field(default=None, metadata={"omit_unless": "answer_ctcp_ping"})


@dataclass(frozen=True, slots=True)
class ContactInfo:
    """One contact: the effective OTR policy, the conversation's state, presence ("offline",
    "available", away/chat/dnd/xa), subscription (RFC 6121 none/to/from/both, or None while the
    roster has not said), whether history is recorded, whether it is blocked."""

    jid: str
    policy: str
    otr: OtrState
    presence: str
    subscription: str | None
    history: bool
    blocked: bool


@dataclass(frozen=True, slots=True)
class KnownKey:
    fingerprint: Fingerprint
    trust: TrustLevel


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """Ours; with a contact asked about, theirs in the current session (None: no session) and
    every key known for them (``known`` is None when no contact was asked about)."""

    ours: Fingerprint
    theirs: Fingerprint | None = field(default=None, metadata={"omit_unless": "known"})
    known: tuple[KnownKey, ...] | None = field(default=None, metadata={"omit_unless": "known"})

    def is_verified(self, fingerprint: Fingerprint | None) -> bool:
        return any(k.fingerprint == fingerprint and k.trust is TrustLevel.VERIFIED for k in self.known or ())


class HistoryDirection(enum.Enum):
    IN = "in"
    OUT = "out"


@dataclass(frozen=True, slots=True)
class HistoryItem:
    direction: HistoryDirection
    timestamp: float
    text: str = field(repr=False)  # never in a log or crash report
    encrypted: bool
    verified: bool


@dataclass(frozen=True, slots=True)
class SendResult:
    """A message queued by `send_message`: its id (as in `MessageStateChanged`) and its state
    right after the call (PENDING until a private session exists, else SENT)."""

    id: str
    state: MessageState


@dataclass(frozen=True, slots=True)
class HeldNotice:
    """The messages held for a key change with a contact (`HeldForKeyChange`), for a UI that
    asks the user again later: their ids (oldest first), the keys they were written for, and
    the key of the private session now (`release_held` takes only that one; None: no session)."""

    ids: tuple[str, ...]
    written_for: tuple[Fingerprint, ...]
    offered: Fingerprint | None


@dataclass(frozen=True, slots=True)
class KeyImport:
    fingerprint: Fingerprint  # ours, now
    fingerprints_imported: int


@dataclass(frozen=True, slots=True)
class KeyExport:
    fingerprint: Fingerprint
    fingerprints_exported: int


@dataclass(frozen=True, slots=True)
class OnionInfo:
    """A local port published as an onion service: reach ``address``:``virtual_port`` through
    tor to get 127.0.0.1:``local_port``."""

    address: OnionAddress
    virtual_port: int
    local_port: int


@dataclass(frozen=True, slots=True)
class SettingsInfo:
    """Profile-wide defaults, and how this service reaches tor (chosen when it starts)."""

    history: bool
    otr_policy: str
    auto_connect: bool
    tor: TorInfo
