"""Onion identities: an Ed25519 key made by TIMB, its onion address and the auth proof.

One 32-byte seed is the identity. ``cryptography`` signs with it; tor wants the *expanded*
form (rend-spec-v3 appendix A, tor's ``ed25519_secret_key_from_seed``): SHA-512 of the seed,
the first half clamped, which is the 64-byte ``ED25519-V3`` blob given to ``ADD_ONION``. Both
sign identically, so the key tor publishes is the key that signs Ricochet's auth proof.

The proof (libtego AuthHiddenServiceChannel.cpp): ``HMAC-SHA256(key = client_cookie ||
server_cookie, msg = client_service_id || server_service_id)`` over the 56-character ids
(no ``.onion``), signed with plain Ed25519 (no domain separator).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from timb.common.errors import InvalidIdentifier
from timb.common.ids import OnionAddress
from timb.common.random import Random
from timb.common.secret import Secret
from timb.net.onion.errors import OnionAuthError

SEED_LEN = 32
CONTACT_ID_PREFIX = "ricochet:"


def expand_seed(seed: bytes) -> bytes:
    """tor's 64-byte expanded secret key for an Ed25519 seed."""
    digest = bytearray(hashlib.sha512(seed).digest())
    digest[0] &= 248
    digest[31] &= 127
    digest[31] |= 64
    return bytes(digest)


class OnionIdentity:
    """An Ed25519 identity: signs auth proofs and gives tor its ``ED25519-V3`` key blob."""

    __slots__ = ("_key", "_seed", "address")

    def __init__(self, seed: Secret[bytes]) -> None:
        """Raises: ValueError if the seed is not 32 bytes."""
        raw = seed.reveal()
        if len(raw) != SEED_LEN:
            raise ValueError("an Ed25519 seed is 32 bytes")
        self._seed = seed
        self._key = Ed25519PrivateKey.from_private_bytes(raw)
        public = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.address = OnionAddress.from_public_key(public)

    @classmethod
    def generate(cls, random: Random) -> OnionIdentity:
        return cls(Secret(random.randbytes(SEED_LEN)))

    @property
    def seed(self) -> Secret[bytes]:
        """The one secret to store (encrypted, in the profile)."""
        return self._seed

    def key_blob(self) -> Secret[str]:
        """``ED25519-V3:<base64 of the expanded key>``, for ``ADD_ONION`` (timb.tor.onion.OnionKey)."""
        expanded = expand_seed(self._seed.reveal())
        return Secret("ED25519-V3:" + base64.b64encode(expanded).decode())

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"OnionIdentity({self.address.service_id})"


def auth_proof_message(
    client_cookie: bytes, server_cookie: bytes, client: OnionAddress, server: OnionAddress
) -> bytes:
    """The 32 bytes the dialling side signs."""
    msg = client.service_id.encode() + server.service_id.encode()
    return hmac.new(client_cookie + server_cookie, msg, hashlib.sha256).digest()


def verify_proof(signature: bytes, message: bytes, client: OnionAddress) -> None:
    """Raises: OnionAuthError if ``signature`` is not ``client``'s over ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(client.public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise OnionAuthError("the proof's signature does not verify") from None


def parse_contact_id(text: str) -> OnionAddress:
    """``ricochet:<56 chars>`` (what Ricochet Refresh shows), ``<id>.onion`` or the bare id.

    Raises:
        InvalidIdentifier: not a valid v3 onion address.
    """
    text = text.strip()
    if text.lower().startswith(CONTACT_ID_PREFIX):
        text = text[len(CONTACT_ID_PREFIX) :]
    if not text:
        raise InvalidIdentifier("empty contact id")
    return OnionAddress(text)


def contact_id(address: OnionAddress) -> str:
    return CONTACT_ID_PREFIX + address.service_id
