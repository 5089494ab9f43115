"""An XMPP account as the adapter needs it, and the reconnection policy. Values only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from timb.common.errors import InvalidIdentifier
from timb.common.ids import Jid, OnionAddress
from timb.common.secret import Secret
from timb.net.xmpp.tls import CertificatePin


@dataclass(frozen=True, slots=True)
class XmppAccount:
    """How to reach one account. ``host`` defaults to the JID's domain (never looked up: it is
    sent to tor as a name); ``pin`` trusts exactly one certificate; ``ca_file`` replaces the
    system's CAs; ``isolation`` keeps this account's streams on their own tor circuits (default:
    the bare JID).

    Raises:
        InvalidIdentifier: a JID without a local part, or an invalid ``.onion`` host.
        ValueError: a port outside 1..65535.
    """

    jid: Jid
    password: Secret[str]
    host: str | None = None
    port: int = 5222
    direct_tls: bool = False
    pin: CertificatePin | None = None
    ca_file: Path | None = None
    isolation: str | None = None

    def __post_init__(self) -> None:
        if not self.jid.local:
            raise InvalidIdentifier("an XMPP account needs a JID with a local part")
        if self.host is not None and self.host.lower().endswith(".onion"):
            OnionAddress(self.host)  # a mistyped onion address fails here, not after a slow lookup
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port out of range: {self.port}")


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Backoff between reconnection attempts, and the time one attempt may take."""

    initial: float = 1.0
    maximum: float = 60.0
    factor: float = 2.0
    attempt_timeout: float = 120.0
