"""SASL for IRC (IRCv3 sasl-3.1/3.2): PLAIN, EXTERNAL and ECDSA-NIST256P-CHALLENGE. Pure.

Exchange: ``AUTHENTICATE <MECH>``, then the server's challenges and our responses as base64 in
``AUTHENTICATE`` lines of at most 400 bytes ("+" alone is an empty payload; a payload that is an
exact multiple of 400 bytes is followed by "+"), ending in 903 (success) or 904/905/906/908.

* PLAIN (RFC 4616): ``authzid NUL authcid NUL password``, with an empty authzid. Only ever
  inside TLS (the session refuses it otherwise).
* EXTERNAL (RFC 4422 appendix A): an empty response; the client certificate presented in the
  TLS handshake is the credential.
* ECDSA-NIST256P-CHALLENGE (Atheme's, used by OFTC and Tor Messenger): first the account name,
  then the server's 32-byte challenge signed with the account's P-256 key. The challenge is
  signed as it is, as a 32-byte digest (ecdsatool's ``ECDSA_sign`` on the raw challenge), DER.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from timb.common.secret import Secret
from timb.net.irc.errors import AuthError, MalformedLine

CHUNK = 400
MAX_CHALLENGE = 4096  #: bytes of base64 a server may send us in one challenge
_CHALLENGE_LEN = 32


@dataclass(frozen=True, slots=True)
class SaslPlain:
    account: str
    password: Secret[str] = field(repr=False)
    name = "PLAIN"


@dataclass(frozen=True, slots=True)
class SaslExternal:
    name = "EXTERNAL"


@dataclass(frozen=True, slots=True)
class SaslEcdsa:
    """``key_pem``: the account's P-256 private key, PEM (PKCS#8 or SEC1), unencrypted."""

    account: str
    key_pem: Secret[bytes] = field(repr=False)
    name = "ECDSA-NIST256P-CHALLENGE"


SaslMechanism = SaslPlain | SaslExternal | SaslEcdsa


class SaslExchange:
    """Our side of one exchange: feed each complete challenge, get the response (raw bytes)."""

    def __init__(self, mechanism: SaslMechanism) -> None:
        self.mechanism = mechanism
        self._step = 0

    def respond(self, challenge: bytes) -> bytes:
        """Raises: AuthError: the exchange cannot go on (a bad challenge, a bad key)."""
        step, self._step = self._step, self._step + 1
        mech = self.mechanism
        if isinstance(mech, SaslExternal):
            if step > 0:
                raise AuthError("the server asked EXTERNAL for more than one step")
            return b""
        if isinstance(mech, SaslPlain):
            if step > 0:
                raise AuthError("the server asked PLAIN for more than one step")
            return b"\0" + mech.account.encode() + b"\0" + mech.password.reveal().encode()
        if step == 0:
            return mech.account.encode()
        if step == 1:
            return sign_challenge(mech.key_pem, challenge)
        raise AuthError("the server asked ECDSA-NIST256P-CHALLENGE for more than two steps")


def sign_challenge(key_pem: Secret[bytes], challenge: bytes) -> bytes:
    """Raises: AuthError: not a 32-byte challenge, or not an unencrypted P-256 key."""
    if len(challenge) != _CHALLENGE_LEN:
        raise AuthError("the server's ECDSA challenge is not 32 bytes")
    try:
        key = serialization.load_pem_private_key(key_pem.reveal(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise AuthError("the account's ECDSA key cannot be read (an unencrypted PEM key)") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise AuthError("ECDSA-NIST256P-CHALLENGE needs a P-256 key")
    return key.sign(challenge, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


def public_key_b64(key_pem: Secret[bytes]) -> str:
    """What the user registers with services (``NS SET PUBKEY``): the compressed point, base64."""
    key = serialization.load_pem_private_key(key_pem.reveal(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise AuthError("not an EC key")
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    return base64.b64encode(point).decode()


def encode_response(payload: bytes) -> list[str]:
    """The ``AUTHENTICATE`` parameters carrying ``payload`` (400-byte chunks, '+' rules)."""
    if not payload:
        return ["+"]
    text = base64.b64encode(payload).decode()
    chunks = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)]
    if len(chunks[-1]) == CHUNK:
        chunks.append("+")
    return chunks


class ChallengeReader:
    """Reassembles a server challenge from ``AUTHENTICATE`` chunks (bounded)."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0

    def feed(self, param: str) -> bytes | None:
        """The decoded challenge once complete, else None.

        Raises: MalformedLine: not base64, a chunk over 400 bytes, or too long in total.
        """
        if param == "+":
            return self._finish()
        if len(param) > CHUNK:
            raise MalformedLine("an AUTHENTICATE chunk over 400 bytes")
        self._size += len(param)
        if self._size > MAX_CHALLENGE:
            raise MalformedLine("a SASL challenge too long")
        self._parts.append(param)
        return self._finish() if len(param) < CHUNK else None

    def _finish(self) -> bytes:
        text, self._parts, self._size = "".join(self._parts), [], 0
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedLine("a SASL challenge that is not base64") from None
