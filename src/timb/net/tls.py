"""TLS for XMPP and IRC: which certificates we trust, and the SHA-256 certificate pin.

Two ways to trust a server, chosen per account:

* **Certificate authorities** (default): the system's CA store, or one CA file, with the host
  name checked against the server's name (for XMPP the JID's domain, RFC 6120 section 13.7.2).
* **A pin**: the SHA-256 of the server certificate's DER encoding. Exactly that certificate is
  accepted, even self-signed, even with a name that does not match (a server reached as an onion
  service); any other certificate is rejected with `TlsError` *before* the client sends anything
  inside TLS. Python's ``ssl`` has no verification callback, so the handshake runs with
  verification off and `check_peer_certificate` is called on the finished handshake, before the
  stream header (see ``xmpp.client.TorClientXMPP.connection_made``), or before IRC registration
  (``irc.connection.establish``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

from timb.net.base import TlsError

_SHA256_LEN = 32


@dataclass(frozen=True, slots=True)
class CertificatePin:
    """SHA-256 of a certificate (DER). ``str()`` gives colon-separated upper-case hex."""

    digest: bytes

    def __post_init__(self) -> None:
        if len(self.digest) != _SHA256_LEN:
            raise ValueError("a SHA-256 certificate pin is 32 bytes")

    @classmethod
    def from_hex(cls, text: str) -> CertificatePin:
        """Parse 64 hex digits, optionally with colons or spaces (``AB:CD:...``).

        Raises:
            ValueError: not a SHA-256 fingerprint.
        """
        cleaned = re.sub(r"[\s:]", "", text)
        if not re.fullmatch(r"[0-9a-fA-F]{64}", cleaned):
            raise ValueError("a SHA-256 certificate pin is 64 hex digits")
        return cls(bytes.fromhex(cleaned))

    @classmethod
    def of(cls, der: bytes) -> CertificatePin:
        """The pin of a DER-encoded certificate."""
        return cls(hashlib.sha256(der).digest())

    def matches(self, der: bytes) -> bool:
        return hmac.compare_digest(self.digest, hashlib.sha256(der).digest())

    def __str__(self) -> str:
        return ":".join(f"{b:02X}" for b in self.digest)


def make_ssl_context(pin: CertificatePin | None = None, ca_file: Path | None = None) -> ssl.SSLContext:
    """The client context for one account: TLS 1.2 or later.

    With ``pin``, certificate verification is left to `check_peer_certificate` (``ca_file`` is
    then ignored). Without it, the certificate must chain to ``ca_file`` if given, else to the
    system's CAs, and match the server name.
    """
    if pin is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def check_peer_certificate(der: bytes | None, pin: CertificatePin | None) -> None:
    """Accept the server's certificate after the handshake, or raise.

    Without a pin the handshake itself has verified the chain and the name: nothing to do.

    Raises:
        TlsError: a pin is set and the server sent no certificate or a different one.
    """
    if pin is None:
        return
    if der is None:
        raise TlsError("the server sent no certificate, but the account pins one")
    if not pin.matches(der):
        got = CertificatePin.of(der)
        raise TlsError(
            f"the server's certificate does not match the pinned one (pinned SHA-256 {pin}, "
            f"got {got}): refusing to continue"
        )


def describe_ssl_error(exc: ssl.SSLError) -> str:
    """A clear sentence for a failed handshake (no secrets: OpenSSL's reason text)."""
    # .reason and .verify_message are only set on errors raised by OpenSSL itself.
    reason = getattr(exc, "reason", None) or str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the server's certificate is not trusted ({getattr(exc, 'verify_message', None) or reason})"
    return f"TLS handshake failed ({reason})"
