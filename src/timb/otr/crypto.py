"""The symmetric primitives OTR uses, and the one importer of pyca/cryptography in `timb.otr`.

AES-128 in counter mode (Protocol-v3: "AES128-CTR"), SHA-1, SHA-256 and their HMACs, plus DSA key
generation. DSA signing and verification live in `timb.otr.keys`, done with `timb.otr.modexp`,
because OTR signs a 256-bit value "taken modulo q instead of being truncated" (Protocol-v3), which
no FIPS-186 API (OpenSSL's, through cryptography's ``Prehashed``) does.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives.asymmetric import dsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_ZERO_HALF = bytes(8)
_ECB_LIMIT = 512
_BLOCK_INDEX = [i.to_bytes(8, "big") for i in range(_ECB_LIMIT // 16)]


class AesCtr:
    """An AES-128 key, kept ready for repeated CTR-mode use (one per session key).

    Short messages take the keystream from a long-lived ECB context over the counter blocks (the
    same blocks CTR mode encrypts): building a CTR context per message costs more than the AES
    itself. Long messages use OpenSSL's CTR mode directly.
    """

    __slots__ = ("_algorithm", "_ecb")

    def __init__(self, key: bytes) -> None:
        if len(key) != 16:
            raise ValueError("OTR uses AES-128: the key is 16 bytes")
        self._algorithm = algorithms.AES(key)
        self._ecb = Cipher(self._algorithm, modes.ECB()).encryptor()  # noqa: S305 - CTR keystream

    def __deepcopy__(self, memo: dict[int, object]) -> AesCtr:
        # OpenSSL contexts cannot be copied; a copy gets its own context for the same key.
        return AesCtr(bytes(self._algorithm.key))

    def apply(self, top_half: bytes, data: bytes) -> bytes:
        """Encrypt or decrypt `data`; the initial counter is `top_half` (8 bytes) then 8 zero bytes.

        Protocol-v3: "The initial counter is a 16-byte value whose first 8 bytes are the above 'top
        half of counter init' value, and whose last 8 bytes are all 0x00."
        """
        size = len(data)
        if size <= _ECB_LIMIT:
            if not size:
                return b""
            # Fewer than 2**64 blocks: the low half never carries into the top half.
            blocks = b"".join([top_half + _BLOCK_INDEX[i] for i in range((size + 15) // 16)])
            stream = self._ecb.update(blocks)
            mixed = int.from_bytes(data, "big") ^ int.from_bytes(stream[:size], "big")
            return mixed.to_bytes(size, "big")
        encryptor = Cipher(self._algorithm, modes.CTR(top_half + _ZERO_HALF)).encryptor()
        return encryptor.update(data) + encryptor.finalize()


def aes_ctr_zero(key: bytes, data: bytes) -> bytes:
    """AES-128-CTR with initial counter 0, as the AKE uses for gx and the encrypted signatures."""
    return AesCtr(key).apply(_ZERO_HALF, data)


def sha1(data: bytes) -> bytes:
    return hashlib.sha1(data).digest()  # noqa: S324 - OTR v3 mandates SHA-1 (keys, MACs, fingerprints)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sha512(data: bytes) -> bytes:
    return hashlib.sha512(data).digest()


def hmac_sha1(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, "sha1")


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, "sha256")


def equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison for MACs and hashes."""
    return hmac.compare_digest(a, b)


def generate_dsa_numbers() -> tuple[int, int, int, int, int]:
    """A fresh DSA-1024 key (q of 160 bits, as OTR's SIG format needs) from OpenSSL's CSPRNG.

    Returns (p, q, g, y, x).
    """
    # OTR v3 fixes q at 160 bits, and every OTR v3 client (libotr) uses DSA-1024.
    private = dsa.generate_private_key(key_size=1024)  # noqa: S505
    numbers = private.private_numbers()
    params = numbers.public_numbers.parameter_numbers
    return params.p, params.q, params.g, numbers.public_numbers.y, numbers.x
