"""An IRC account as the adapter needs it, and the reconnection policy. Values only."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from timb.common.ids import OnionAddress
from timb.common.secret import Secret
from timb.net.irc.client_cert import ClientCertificate
from timb.net.irc.errors import InvalidIrcAccount
from timb.net.irc.flood import FloodPolicy
from timb.net.irc.sasl import SaslExternal, SaslMechanism
from timb.net.tls import CertificatePin

__all__ = ["CertificatePin", "ClientCertificate", "IrcAccount", "ReconnectPolicy"]


@dataclass(frozen=True, slots=True)
class IrcAccount:
    """How to reach one IRC network as one nickname.

    ``host`` is sent to tor as a name (never looked up here). ``tls`` may only be off for a
    ``.onion`` host (the onion service itself authenticates and encrypts); ``pin`` trusts
    exactly one certificate (onion IRC servers often self-sign); ``ca_file`` replaces the
    system's CAs; ``client_cert`` (PEM, certificate and key: a file, or a `ClientCertificate` in
    memory from the profile) is presented in the handshake for SASL EXTERNAL / CertFP.
    ``password`` is the server password (PASS). ``isolation`` keeps this account's streams on
    their own tor circuits (default: ``nick@host``).

    Raises:
        InvalidIdentifier: an invalid ``.onion`` host.
        ValueError: a port outside 1..65535, an empty nick or host.
        InvalidIrcAccount (a ValueError): TLS off for a non-onion host, SASL EXTERNAL without
            TLS or without a client certificate, a client certificate without TLS.
    """

    host: str
    nick: str
    port: int = 6697
    tls: bool = True
    pin: CertificatePin | None = None
    ca_file: Path | None = None
    client_cert: Path | ClientCertificate | None = None
    sasl: SaslMechanism | None = None
    password: Secret[str] | None = field(default=None, repr=False)
    isolation: str | None = None
    answer_ctcp_ping: bool = False
    flood: FloodPolicy = field(default_factory=FloodPolicy)

    def __post_init__(self) -> None:
        if not self.host or not self.nick or any(ch in self.nick for ch in " ,:!@\r\n\0"):
            raise ValueError("an IRC account needs a host and a valid nickname")
        onion = self.host.lower().endswith(".onion")
        if onion:
            OnionAddress(self.host)  # a mistyped onion address fails here, not after a slow lookup
        if not self.tls and not onion:
            raise InvalidIrcAccount("IRC without TLS is only allowed to a .onion server")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port out of range: {self.port}")
        if isinstance(self.sasl, SaslExternal) and (self.client_cert is None or not self.tls):
            # EXTERNAL logs in with the certificate presented in the TLS handshake: without one
            # the server could only refuse (or log us in by the address, which Tor hides).
            raise InvalidIrcAccount("SASL EXTERNAL needs TLS and a client certificate")
        if self.client_cert is not None and not self.tls:
            raise InvalidIrcAccount("a client certificate is only presented inside TLS")

    @property
    def isolation_key(self) -> str:
        return self.isolation or f"irc:{self.nick}@{self.host}"


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Backoff between reconnection attempts, the time one attempt may take, and how long the
    server may stay silent before we PING it (twice that: the connection is lost).

    The wait starts at ``initial`` and grows by ``factor`` after every attempt, failed or not, up
    to ``maximum``; it goes back to ``initial`` only once a session stayed up ``stable`` seconds.
    A server that registers us and drops us at once is therefore not redialled through tor every
    ``initial`` seconds for ever."""

    initial: float = 1.0
    maximum: float = 60.0
    factor: float = 2.0
    stable: float = 60.0
    attempt_timeout: float = 120.0
    idle_ping: float = 120.0
