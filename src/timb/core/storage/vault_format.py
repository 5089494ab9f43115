"""The vault file format: a passphrase-keyed AES-256-GCM container (internal to timb.core.storage).

File layout (integers big-endian)::

    magic        8   b"TIMBVLT\\0"
    version      2   FORMAT_VERSION
    header_len   2
    header       n   JSON: {"kdf": {"name": ..., params...}, "salt": base64}
    check       32   HMAC-SHA256(check_key, aad): tells a wrong passphrase from a damaged file
    nonce       12   random, fresh on every write
    ciphertext   *   AES-256-GCM(enc_key, nonce, padded JSON document, aad)
    digest      32   SHA-256 of everything above: finds damage before any KDF work is spent

    aad = magic || version || header_len || header
    enc_key || check_key = KDF(NFC(passphrase), salt, params)   (64 bytes)

Later format versions must keep the magic and version first and the SHA-256 trailer last, so an
older TIMB can say "made by a newer version" (`UnsupportedVault`) rather than "damaged".

The KDF name and parameters live in the authenticated header so they can be raised later. The
digest is unkeyed: it catches accidental damage and any tampering by someone who did not recompute
it; tampering by someone who did is caught by the check (header) or by GCM (body).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
from typing import Final, TypeAlias

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from timb.common.random import Random
from timb.common.secret import Secret
from timb.core.storage.errors import UnsupportedVault, VaultCorrupted, WrongPassphrase
from timb.core.storage.kdf import KdfParams, kdf_from_json

JsonValue: TypeAlias = dict[str, "JsonValue"] | list["JsonValue"] | str | int | float | bool | None
JsonObject: TypeAlias = dict[str, JsonValue]
Keys: TypeAlias = tuple[Secret[bytes], Secret[bytes]]  # (enc_key, check_key)

MAGIC: Final = b"TIMBVLT\x00"
FORMAT_VERSION: Final = 1
SALT_LEN: Final = 16
NONCE_LEN: Final = 12
CHECK_LEN: Final = 32
DIGEST_LEN: Final = 32
PAD_BLOCK: Final = 1024  # the file size tells only the content size rounded up to this
_PREFIX: Final = struct.Struct(">8sHH")


def encode_header(kdf: KdfParams, salt: bytes) -> bytes:
    """The authenticated prefix: magic, version, header length and the JSON header."""
    header = {"kdf": kdf.to_json(), "salt": base64.b64encode(salt).decode()}
    body = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    return _PREFIX.pack(MAGIC, FORMAT_VERSION, len(body)) + body


def header_salt(header: bytes) -> bytes:
    """The salt of a header made by `encode_header`. Raises: VaultCorrupted, UnsupportedVault."""
    return _parse_header(header)[1]


def _parse_header(header: bytes) -> tuple[KdfParams, bytes]:
    try:
        doc = json.loads(header[_PREFIX.size :])
        salt = base64.b64decode(doc["salt"], validate=True)
        kdf_doc = doc["kdf"]
    except (ValueError, KeyError, TypeError, RecursionError) as e:
        # RecursionError: a resealed header of deeply nested JSON (found while writing fuzz_vault).
        raise VaultCorrupted("the vault header is damaged") from e
    if not isinstance(kdf_doc, dict) or not SALT_LEN <= len(salt) <= 64:
        raise VaultCorrupted("the vault header is damaged")
    return kdf_from_json(kdf_doc), salt


def derive_keys(kdf: KdfParams, secret: Secret[bytes], salt: bytes) -> Keys:
    """(enc_key, check_key) from the passphrase bytes. Raises: UnsupportedAlgorithm (no Argon2id)."""
    out = kdf.derive(secret.reveal(), salt, 64)
    return Secret(out[:32]), Secret(out[32:])


def _check_tag(check_key: Secret[bytes], aad: bytes) -> bytes:
    return hmac.new(check_key.reveal(), b"timb vault check\x00" + aad, hashlib.sha256).digest()


def encrypt(
    header: bytes, enc_key: Secret[bytes], check_key: Secret[bytes], plain: bytes, random: Random
) -> bytes:
    """The whole file for the document bytes `plain`, padded to PAD_BLOCK, with a fresh nonce."""
    padded_len = -(-(4 + len(plain)) // PAD_BLOCK) * PAD_BLOCK
    padded = struct.pack(">I", len(plain)) + plain + bytes(padded_len - 4 - len(plain))
    nonce = random.randbytes(NONCE_LEN)
    body = header + _check_tag(check_key, header) + nonce
    body += AESGCM(enc_key.reveal()).encrypt(nonce, padded, header)
    return body + hashlib.sha256(body).digest()


def intact(blob: bytes) -> bool:
    """Magic and digest hold (no key needed)."""
    if len(blob) < _PREFIX.size + CHECK_LEN + NONCE_LEN + 16 + DIGEST_LEN or blob[:8] != MAGIC:
        return False
    return hmac.compare_digest(hashlib.sha256(blob[:-DIGEST_LEN]).digest(), blob[-DIGEST_LEN:])


def decrypt(blob: bytes, secret: Secret[bytes]) -> tuple[KdfParams, bytes, Keys, JsonObject]:
    """Open a vault file: its KDF parameters, header (the AAD for the next write), keys and document.

    Raises:
        VaultCorrupted: the digest, header, GCM tag or document is wrong.
        UnsupportedVault: a newer format version, or an unknown or unavailable KDF.
        WrongPassphrase: the check value does not match the derived check key.
    """
    if not intact(blob):
        raise VaultCorrupted("the vault file is damaged or was modified (integrity check failed)")
    _magic, version, header_len = _PREFIX.unpack_from(blob)
    if version != FORMAT_VERSION:
        raise UnsupportedVault(f"vault format {version} is not supported (this TIMB reads {FORMAT_VERSION})")
    end = _PREFIX.size + header_len
    if end + CHECK_LEN + NONCE_LEN + 16 > len(blob) - DIGEST_LEN:
        raise VaultCorrupted("the vault header is damaged")
    header = blob[:end]
    kdf, salt = _parse_header(header)
    keys = derive_keys(kdf, secret, salt)
    if not hmac.compare_digest(_check_tag(keys[1], header), blob[end : end + CHECK_LEN]):
        raise WrongPassphrase("wrong passphrase for this profile")
    nonce = blob[end + CHECK_LEN : end + CHECK_LEN + NONCE_LEN]
    try:
        padded = AESGCM(keys[0].reveal()).decrypt(
            nonce, blob[end + CHECK_LEN + NONCE_LEN : -DIGEST_LEN], header
        )
    except InvalidTag as e:
        raise VaultCorrupted("the vault contents fail authentication (tampered with)") from e
    length = int.from_bytes(padded[:4], "big")
    if len(padded) < 4 or 4 + length > len(padded):
        raise VaultCorrupted("the vault contents are malformed")
    try:
        data = json.loads(padded[4 : 4 + length])
    except (ValueError, RecursionError) as e:
        raise VaultCorrupted("the vault contents do not parse") from e
    if not isinstance(data, dict):
        raise VaultCorrupted("the vault contents are not a JSON object")
    return kdf, header, keys, data


__all__ = [
    "CHECK_LEN",
    "DIGEST_LEN",
    "FORMAT_VERSION",
    "MAGIC",
    "NONCE_LEN",
    "PAD_BLOCK",
    "SALT_LEN",
    "JsonObject",
    "JsonValue",
    "Keys",
    "decrypt",
    "derive_keys",
    "encode_header",
    "encrypt",
    "header_salt",
    "intact",
]
