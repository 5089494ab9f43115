"""Identifiers validated at construction: a value that exists is a valid one."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from timb.common.errors import InvalidIdentifier

_ONION_V3_LEN = 56
_ONION_CHECKSUM_PREFIX = b".onion checksum"
_ONION_VERSION = b"\x03"


@dataclass(frozen=True, slots=True)
class OnionAddress:
    """A v3 onion service address (rend-spec-v3: base32(PUBKEY | CHECKSUM | VERSION)).

    ``OnionAddress("xyz....onion")`` or without the suffix; v2 (16 characters) and anything whose
    checksum or version byte is wrong raise `InvalidIdentifier`.
    """

    service_id: str

    def __init__(self, address: str) -> None:
        text = address.strip().lower()
        text = text.removesuffix(".onion")
        if len(text) == 16:
            raise InvalidIdentifier("v2 onion addresses are obsolete and not supported")
        if len(text) != _ONION_V3_LEN or not re.fullmatch(r"[a-z2-7]+", text):
            raise InvalidIdentifier("not a v3 onion address (56 base32 characters)")
        raw = base64.b32decode(text.upper())
        pubkey, checksum, version = raw[:32], raw[32:34], raw[34:35]
        if version != _ONION_VERSION:
            raise InvalidIdentifier("onion address has a wrong version byte")
        expected = hashlib.sha3_256(_ONION_CHECKSUM_PREFIX + pubkey + version).digest()[:2]
        if checksum != expected:
            raise InvalidIdentifier("onion address checksum does not match")
        object.__setattr__(self, "service_id", text)

    @classmethod
    def from_public_key(cls, pubkey: bytes) -> OnionAddress:
        """The address of an ed25519 public key (32 bytes)."""
        if len(pubkey) != 32:
            raise InvalidIdentifier("an ed25519 public key is 32 bytes")
        checksum = hashlib.sha3_256(_ONION_CHECKSUM_PREFIX + pubkey + _ONION_VERSION).digest()[:2]
        raw = pubkey + checksum + _ONION_VERSION
        return cls(base64.b32encode(raw).decode().lower())

    @property
    def public_key(self) -> bytes:
        return base64.b32decode(self.service_id.upper())[:32]

    @property
    def host(self) -> str:
        return f"{self.service_id}.onion"

    def __str__(self) -> str:
        return self.host


_JID_PART_MAX = 1023


@dataclass(frozen=True, slots=True)
class Jid:
    """An XMPP address ``local@domain/resource`` (RFC 7622), normalised to a lower-case bare part.

    This is a conservative validator, not full PRECIS: it rejects what would be ambiguous or
    dangerous (spaces, control characters, empty parts, stray separators).
    """

    local: str
    domain: str
    resource: str | None = None

    def __post_init__(self) -> None:
        if not self.domain or len(self.domain) > _JID_PART_MAX:
            raise InvalidIdentifier("a JID needs a domain")
        if not re.fullmatch(r"[a-z0-9.-]+|\[[0-9a-f:.]+\]", self.domain):
            raise InvalidIdentifier("JID domain has invalid characters")
        if self.domain.startswith(".") or self.domain.endswith(".") or ".." in self.domain:
            raise InvalidIdentifier("JID domain has empty labels")
        bad_local = re.search(r"[\s\"&'/:<>@\x00-\x1f\x7f]", self.local)
        if self.local and (len(self.local) > _JID_PART_MAX or bad_local):
            raise InvalidIdentifier("JID local part has invalid characters")
        if self.resource is not None:
            if not self.resource or len(self.resource) > _JID_PART_MAX:
                raise InvalidIdentifier("JID resource is empty or too long")
            if re.search(r"[\x00-\x1f\x7f]", self.resource):
                raise InvalidIdentifier("JID resource has control characters")

    @classmethod
    def parse(cls, text: str) -> Jid:
        """Parse ``local@domain/resource``; raises `InvalidIdentifier`."""
        rest, slash, resource = text.partition("/")
        local, at, domain = rest.rpartition("@")
        if at and not local:
            raise InvalidIdentifier("JID local part is empty")
        return cls(
            local=local.lower(),
            domain=domain.lower(),
            resource=resource if slash else None,
        )

    @property
    def bare(self) -> Jid:
        return Jid(self.local, self.domain, None)

    def __str__(self) -> str:
        text = f"{self.local}@{self.domain}" if self.local else self.domain
        return f"{text}/{self.resource}" if self.resource is not None else text


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """An OTR fingerprint: SHA-1 of the public key, 20 bytes.

    ``str()`` gives libotr's human format: five groups of eight upper-case hex digits.
    """

    digest: bytes

    def __post_init__(self) -> None:
        if len(self.digest) != 20:
            raise InvalidIdentifier("an OTR fingerprint is 20 bytes")

    @classmethod
    def from_hex(cls, text: str) -> Fingerprint:
        cleaned = re.sub(r"[\s:]", "", text)
        if not re.fullmatch(r"[0-9a-fA-F]{40}", cleaned):
            raise InvalidIdentifier("an OTR fingerprint is 40 hex digits")
        return cls(bytes.fromhex(cleaned))

    @property
    def hex(self) -> str:
        return self.digest.hex()

    def human(self) -> str:
        h = self.digest.hex().upper()
        return " ".join(h[i : i + 8] for i in range(0, 40, 8))

    def __str__(self) -> str:
        return self.human()
