"""The credentials of IRC accounts: SASL keys, TLS client certificates, and which one logs in.

Both kinds are made here and kept in the account record, which lives only in the encrypted
vault (`timb.core.accounts.Account`: ``sasl_key_pem``, ``client_cert_pem``; never in a repr, an
`AccountInfo` or a JSON result). Choosing a mechanism whose credential the account lacks makes
it (`complete`), so an account never names a mechanism it cannot log in with.

The client certificate (CertFP, SASL EXTERNAL) is self-signed, P-256, subject ``CN=user`` (the
username every TIMB IRC account registers with, so it tells the server nothing new), valid from
2000-01-01 to 9999-12-31 (no creation time to read in it, and nothing to renew: services match
the fingerprint, never the dates). It is presented at every TLS connection of the account once
it exists, whatever the mechanism, so ``/msg NickServ CERT ADD`` sent while logged in by
password registers it (the server knows which hash it uses; the user need not).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from timb.common.secret import Secret
from timb.core.accounts import SASL_AUTO, SASL_MECHANISMS, Account
from timb.core.errors import InvalidRequest

if TYPE_CHECKING:
    from timb.net.irc.client_cert import ClientCertificate
    from timb.net.irc.sasl import SaslMechanism

EXTERNAL = "EXTERNAL"
ECDSA = "ECDSA-NIST256P-CHALLENGE"
_NOT_BEFORE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
_NOT_AFTER = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)  # RFC 5280 4.1.2.5


@dataclass(frozen=True, slots=True)
class IrcClientCertificate:
    """The public side of an account's client certificate, and how to register it.

    Which hash a network's services compare is the server's configuration: SHA-512 (the
    default ``register`` command; Libera/Solanum, Atheme and Anope store the ircd's), SHA-256
    (InspIRCd's and UnrealIRCd's defaults) or SHA-1 (older OFTC). ``/msg NickServ CERT ADD``
    with no argument, sent while the certificate is presented, lets the server pick."""

    account: str
    sha512: str  # lower-case hex, no colons, as CERT ADD takes it
    sha256: str
    sha1: str
    register: str  # /msg NickServ CERT ADD <sha512>
    mechanism: str  # the account's SASL mechanism now ("EXTERNAL" once it logs in with this)


def canonical_mechanism(name: str) -> str:
    """``auto``, ``plain``, ``external``... in any case -> the stored name. Raises: InvalidRequest."""
    for mechanism in SASL_MECHANISMS:
        if name.casefold() == mechanism.casefold():
            return mechanism
    raise InvalidRequest(f"the SASL mechanism must be one of {', '.join(SASL_MECHANISMS)}")


def complete(current: Account | None, changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` to an IRC account (``current`` None: a new one) with the mechanism in its
    stored name and the credential it needs made if the account has none.
    Raises: InvalidRequest (an unknown mechanism)."""
    done = dict(changes)
    if done.get("sasl_mechanism") is None:
        done.pop("sasl_mechanism", None)
        return done
    mechanism = done["sasl_mechanism"] = canonical_mechanism(str(done["sasl_mechanism"]))
    if mechanism == EXTERNAL and (current is None or current.client_cert_pem is None):
        done["client_cert_pem"] = new_client_certificate()
    if mechanism == ECDSA and (current is None or current.sasl_key_pem is None):
        done["sasl_key_pem"] = new_sasl_key()
    return done


def new_sasl_key() -> Secret[str]:
    """A P-256 key for ECDSA-NIST256P-CHALLENGE, PEM (PKCS#8)."""
    return Secret(_pem_key(ec.generate_private_key(ec.SECP256R1())).decode())


def new_client_certificate() -> Secret[str]:
    """A self-signed client certificate and its key, PEM (certificate first)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "user")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Secret((cert.public_bytes(serialization.Encoding.PEM) + _pem_key(key)).decode())


def describe_certificate(account: Account) -> IrcClientCertificate:
    """Raises: InvalidRequest (the account has no client certificate, or a damaged one)."""
    if account.client_cert_pem is None:
        raise InvalidRequest(f"account {account.id!r} has no client certificate: make one first")
    try:
        cert = x509.load_pem_x509_certificate(account.client_cert_pem.reveal().encode())
    except ValueError:  # a damaged record: say so, never a traceback with the PEM in it
        raise InvalidRequest(f"account {account.id!r}: its client certificate cannot be read") from None
    der = cert.public_bytes(serialization.Encoding.DER)
    sha512 = hashlib.sha512(der).hexdigest()
    return IrcClientCertificate(
        account.id,
        sha512,
        hashlib.sha256(der).hexdigest(),
        hashlib.sha1(der).hexdigest(),  # noqa: S324 -- a name some services use, not a security check
        f"/msg NickServ CERT ADD {sha512}",
        account.sasl_mechanism,
    )


def sasl_for(account: Account) -> SaslMechanism | None:
    """The mechanism an IRC account logs in with. "auto": its SASL key (the user registered
    it), else PLAIN with a non-empty password, else none."""
    from timb.net.irc.sasl import SaslEcdsa, SaslExternal, SaslPlain  # noqa: PLC0415

    mechanism = account.sasl_mechanism
    key = account.sasl_key_pem
    if mechanism == EXTERNAL:
        return SaslExternal()
    if key is not None and mechanism in (ECDSA, SASL_AUTO):
        return SaslEcdsa(account.jid.local, Secret(key.reveal().encode()))
    if mechanism == "PLAIN" or account.password.reveal():
        return SaslPlain(account.jid.local, account.password)
    return None


def client_certificate_for(account: Account) -> ClientCertificate | None:
    """The certificate to present in every TLS handshake of the account, if it has one."""
    from timb.net.irc.client_cert import ClientCertificate  # noqa: PLC0415

    pem = account.client_cert_pem
    return None if pem is None else ClientCertificate(Secret(pem.reveal().encode()))


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
