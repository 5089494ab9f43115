"""A file's bytes encrypted and authenticated as CoyIM does it (session/filetransfer/encryption.go).

The key is the OTR session's extra symmetric key (TLV 8), so a transfer is tied to the verified
session and carries no key of its own on the wire. From that 32-byte key:

    encryption key = SHA-256("xmpp-encryption-key" || key)[:16]    (AES-128-CTR)
    MAC key        = SHA-256("xmpp-mac-key" || key)                (HMAC-SHA-256)

and the stream the transport carries is ``IV (16 random bytes) || AES-CTR(plaintext) ||
HMAC-SHA-256(ciphertext)``; the MAC covers the ciphertext only. After the transfer the receiver
may reveal the MAC key (deniability: anyone could then have forged the tag).

The tag does not cover the IV (CoyIM's choice, kept to interoperate): a changed IV decrypts to
the wrong plaintext under a valid tag. The sender's hash of the plaintext, which every TIMB
offer carries and `IncomingFile.finish` checks, is what catches that.

Pure: the IV comes from the caller. The opener releases plaintext before the tag is checked,
so its output goes to an `IncomingFile`, which only gives the file its final name after
`StreamOpener.finish` succeeded.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

from timb.common.secret import Secret
from timb.core.files.errors import FileIntegrityError

KEY_BYTES = 32  # libotr's OTRL_EXTRAKEY_BYTES
IV_BYTES = 16
TAG_BYTES = 32
_ENCRYPTION_PREFIX = b"xmpp-encryption-key"
_MAC_PREFIX = b"xmpp-mac-key"


class StreamKeys:
    """The AES and MAC keys derived from one extra symmetric key; never printed."""

    __slots__ = ("_aes", "_mac")

    def __init__(self, extra_key: Secret[bytes]) -> None:
        key = extra_key.reveal()
        if len(key) != KEY_BYTES:
            raise ValueError("the extra symmetric key is 32 bytes")
        self._aes = hashlib.sha256(_ENCRYPTION_PREFIX + key).digest()[:16]
        self._mac = hashlib.sha256(_MAC_PREFIX + key).digest()

    @property
    def mac_key(self) -> Secret[bytes]:
        return Secret(self._mac)

    def cipher(self, iv: bytes) -> Cipher[modes.CTR]:
        return Cipher(algorithms.AES(self._aes), modes.CTR(iv))

    def __repr__(self) -> str:
        return "StreamKeys(<redacted>)"


def encrypted_size(size: int) -> int:
    """The bytes on the wire for a file of `size` bytes."""
    return IV_BYTES + size + TAG_BYTES


class StreamSealer:
    """Sender side: `header()` first, `seal()` each chunk, `finish()` last (the tag)."""

    def __init__(self, keys: StreamKeys, iv: bytes) -> None:
        if len(iv) != IV_BYTES:
            raise ValueError("the IV is 16 bytes")
        self._iv = iv
        self._encryptor = keys.cipher(iv).encryptor()
        self._mac = hmac.new(keys.mac_key.reveal(), digestmod=hashlib.sha256)

    def header(self) -> bytes:
        return self._iv

    def seal(self, chunk: bytes) -> bytes:
        ciphertext = self._encryptor.update(chunk)
        self._mac.update(ciphertext)
        return ciphertext

    def finish(self) -> bytes:
        return self._encryptor.finalize() + self._mac.digest()


class StreamOpener:
    """Receiver side: `feed()` wire bytes in any pieces, `finish()` checks the tag.

    Holds back the last 32 bytes it has seen (they may be the tag), so memory stays bounded
    by the largest piece fed.
    """

    def __init__(self, keys: StreamKeys) -> None:
        self._keys = keys
        self._mac = hmac.new(keys.mac_key.reveal(), digestmod=hashlib.sha256)
        self._iv = b""
        self._decryptor: CipherContext | None = None
        self._held = b""

    def feed(self, data: bytes) -> bytes:
        """The plaintext that `data` completes (possibly empty)."""
        if len(self._iv) < IV_BYTES:
            need = IV_BYTES - len(self._iv)
            self._iv += data[:need]
            data = data[need:]
            if len(self._iv) < IV_BYTES:
                return b""
        self._held += data
        if len(self._held) <= TAG_BYTES:
            return b""
        ciphertext, self._held = self._held[:-TAG_BYTES], self._held[-TAG_BYTES:]
        self._mac.update(ciphertext)
        if self._decryptor is None:
            self._decryptor = self._keys.cipher(self._iv).decryptor()
        return self._decryptor.update(ciphertext)

    def finish(self) -> Secret[bytes]:
        """Check the tag; return the MAC key (to reveal to the sender afterwards).

        Raises:
            FileIntegrityError: the stream was cut short or altered (one opaque error).
        """
        complete = len(self._iv) == IV_BYTES and len(self._held) == TAG_BYTES
        if not complete or not hmac.compare_digest(self._mac.digest(), self._held):
            raise FileIntegrityError("the file was altered or cut short on its way")
        return self._keys.mac_key
