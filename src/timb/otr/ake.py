"""The authenticated key exchange (Protocol-v3, "Authenticated Key Exchange" and "The protocol state
machine", authentication state): D-H Commit, D-H Key, Reveal Signature and Signature messages.

The machine is pure: it takes a parsed message and returns the binary reply to send (if any) and,
when the exchange completes, an `AkeResult`. Messages that fail a check are ignored and leave the
state unchanged (Protocol-v3: "If everything checks out: ... Otherwise, ignore the message"), so a
forged message cannot disturb an exchange in progress.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from timb.common.random import Random
from timb.otr import crypto
from timb.otr.encoding import Reader, encode_int, encode_mpi
from timb.otr.errors import MalformedMessage
from timb.otr.keys import SIGNATURE_HALF, PrivateKey, PublicKey
from timb.otr.modexp import DH_GENERATOR, DH_MODULUS, is_valid_group_element, powmod_secret
from timb.otr.wire import (
    DH_COMMIT,
    DH_KEY,
    MAC_LENGTH,
    REVEAL_SIGNATURE,
    SIGNATURE,
    DHCommit,
    DHKey,
    Header,
    RevealSignature,
    Signature,
)

# Protocol-v3: "Choose a random value x (at least 320 bits)"; libotr uses exactly 320.
DH_PRIVATE_BYTES = 40
# libotr's auth always labels the AKE's D-H key with keyid 1 (spec: "must be greater than 0").
AKE_KEYID = 1

AkeMessage = DHCommit | DHKey | RevealSignature | Signature


class AuthState(enum.Enum):
    AUTHSTATE_NONE = "none"
    AUTHSTATE_AWAITING_DHKEY = "awaiting_dhkey"
    AUTHSTATE_AWAITING_REVEALSIG = "awaiting_revealsig"
    AUTHSTATE_AWAITING_SIG = "awaiting_sig"


class DHKeyPair:
    """A D-H key pair in the RFC 3526 group 5; the private part never prints."""

    __slots__ = ("_public_mpi", "private", "public")

    def __init__(self, private: int) -> None:
        self.private = private
        self.public = powmod_secret(DH_GENERATOR, private, DH_MODULUS)
        self._public_mpi = b""

    @property
    def public_mpi(self) -> bytes:
        """The public value as an MPI (cached: every Data Message carries the next one)."""
        if not self._public_mpi:
            self._public_mpi = encode_mpi(self.public)
        return self._public_mpi

    @classmethod
    def generate(cls, rng: Random) -> DHKeyPair:
        # The top bit set: every private key is exactly 320 bits, so powmod_secret's time is fixed.
        return cls(int.from_bytes(rng.randbytes(DH_PRIVATE_BYTES), "big") | 1 << 319)

    def shared_secret(self, their_public: int) -> int:
        return powmod_secret(their_public, self.private, DH_MODULUS)

    def __repr__(self) -> str:
        return "DHKeyPair(<redacted>)"


@dataclass(frozen=True, slots=True)
class AkeResult:
    """What the data phase needs once the AKE has authenticated the peer."""

    protocol_version: int
    their_instance_tag: int
    their_public_key: PublicKey
    their_keyid: int
    their_dh: int
    our_dh: DHKeyPair = field(repr=False)
    our_keyid: int
    ssid: bytes
    sent_reveal_signature: bool


@dataclass(frozen=True, slots=True)
class _AkeKeys:
    """Protocol-v3, "Computing AES keys, MAC keys, and the secure session id".

    h2(b) = SHA256(b || secbytes), secbytes being s as an MPI.
    """

    ssid: bytes
    c: bytes = field(repr=False)  # AES and MAC keys: never in a repr
    c_prime: bytes = field(repr=False)
    m1: bytes = field(repr=False)
    m2: bytes = field(repr=False)
    m1_prime: bytes = field(repr=False)
    m2_prime: bytes = field(repr=False)

    @classmethod
    def derive(cls, s: int) -> _AkeKeys:
        secbytes = encode_mpi(s)

        def h2(b: int) -> bytes:
            return crypto.sha256(bytes((b,)) + secbytes)

        cc = h2(0x01)
        return cls(h2(0x00)[:8], cc[:16], cc[16:], h2(0x02), h2(0x03), h2(0x04), h2(0x05))


class AuthenticatedKeyExchange:
    """One peer's authentication state machine (AUTHSTATE_*)."""

    def __init__(self, key: PrivateKey, rng: Random, our_instance_tag: int) -> None:
        self._key = key
        self._rng = rng
        self._our_tag = our_instance_tag
        self._reset()

    def _reset(self) -> None:
        self.state = AuthState.AUTHSTATE_NONE
        self.version = 0
        self._their_tag = 0
        self._dh: DHKeyPair | None = None
        self._r = b""
        self._gxmpi = b""  # ours (initiator) while awaiting the D-H Key
        self._their_commit: DHCommit | None = None  # theirs (responder)
        self._their_gy = 0
        self._keys: _AkeKeys | None = None
        self._last_sent = b""  # the message to retransmit in this state

    def clear(self) -> None:
        """Forget any exchange in progress (AUTHSTATE_NONE)."""
        self._reset()

    def _header(self, message_type: int) -> Header:
        return Header(self.version, message_type, self._our_tag, self._their_tag)

    # --- starting ---------------------------------------------------------------------------

    def start(self, version: int, their_instance_tag: int = 0) -> bytes:
        """Send a D-H Commit Message and enter AUTHSTATE_AWAITING_DHKEY; returns the message."""
        self._reset()
        self.version = version
        self._their_tag = their_instance_tag
        self._dh = DHKeyPair.generate(self._rng)
        self._r = self._rng.randbytes(16)
        self._gxmpi = encode_mpi(self._dh.public)
        commit = DHCommit(
            self._header(DH_COMMIT), crypto.aes_ctr_zero(self._r, self._gxmpi), crypto.sha256(self._gxmpi)
        )
        self._last_sent = commit.encode()
        self.state = AuthState.AUTHSTATE_AWAITING_DHKEY
        return self._last_sent

    # --- receiving --------------------------------------------------------------------------

    def receive(self, message: AkeMessage) -> tuple[bytes | None, AkeResult | None]:
        """Handle one AKE message; returns (reply to send, result when the AKE completed)."""
        if isinstance(message, DHCommit):
            return self._on_commit(message), None
        if isinstance(message, DHKey):
            return self._on_dh_key(message), None
        if isinstance(message, RevealSignature):
            return self._on_reveal_signature(message)
        return None, self._on_signature(message)

    def _on_commit(self, commit: DHCommit) -> bytes | None:
        state = self.state
        dh = self._dh
        lost_r = b""
        if state is AuthState.AUTHSTATE_AWAITING_DHKEY and dh is not None:
            # "The symmetry will be broken by comparing the hashed gx you sent ... with the one you
            # received, considered as 32-byte unsigned big-endian values."
            if crypto.sha256(self._gxmpi) > commit.hashed_gx:
                return self._last_sent  # "Ignore the incoming ... but resend your D-H Commit"
            # "Forget your old gx value ... and pretend you're in AUTHSTATE_NONE". Our key pair may
            # serve as the D-H Key: it was committed to but never revealed.
            if commit.header.version == 2:
                lost_r = self._r
        elif state is not AuthState.AUTHSTATE_AWAITING_REVEALSIG or dh is None:
            # AUTHSTATE_NONE, or AUTHSTATE_AWAITING_SIG: "Reply with a new D-H Key message".
            dh = DHKeyPair.generate(self._rng)
        # In AUTHSTATE_AWAITING_REVEALSIG: "Retransmit your D-H Key Message ... Forget the old D-H
        # Commit message, and use this new one instead."
        self._reset()
        self.version = commit.header.version
        self._their_tag = commit.header.sender_tag
        self._dh = dh
        self._their_commit = commit
        # Measured against libotr 4.1.1: in version 2 it answers a crossed D-H Commit with a D-H Key
        # even when its own hash is higher, and then ignores our D-H Key. So after losing the
        # comparison in v2 we keep r: if a D-H Key answering our own commit arrives, we continue as
        # the initiator (see _on_dh_key). In v3 libotr also completes its own exchange (its
        # instance contexts), so there we follow the spec.
        self._r = lost_r
        self._last_sent = DHKey(self._header(DH_KEY), dh.public).encode()
        self.state = AuthState.AUTHSTATE_AWAITING_REVEALSIG
        return self._last_sent

    def _matches_exchange(self, header: Header) -> bool:
        return header.version == self.version and (self.version == 2 or header.sender_tag == self._their_tag)

    def _on_dh_key(self, message: DHKey) -> bytes | None:
        if message.header.version != self.version:
            return None
        if self.state is AuthState.AUTHSTATE_AWAITING_SIG:
            # "If this D-H Key message is the same the one you received earlier ... Retransmit
            # your Reveal Signature Message. Otherwise: Ignore the message."
            same = message.gy == self._their_gy and self._matches_exchange(message.header)
            return self._last_sent if same else None
        # Besides AUTHSTATE_AWAITING_DHKEY: AUTHSTATE_AWAITING_REVEALSIG after we lost a crossed v2
        # commit comparison to libotr, which answered our commit anyway (spec: ignore; libotr would
        # wait for a Reveal Signature that never comes, and both sides would stall).
        crossed = self.state is AuthState.AUTHSTATE_AWAITING_REVEALSIG and bool(self._r)
        if not (self.state is AuthState.AUTHSTATE_AWAITING_DHKEY or crossed) or self._dh is None:
            return None
        gy = message.gy
        if not is_valid_group_element(gy):  # "Verifies that Alice's gy is a legal value"
            return None
        keys = _AkeKeys.derive(self._dh.shared_secret(gy))
        # Bob's side: MB = MAC_m1(gx, gy, pubB, keyidB); XB = pubB, keyidB, sigB(MB).
        encrypted = self._encrypted_signature(self._dh.public, gy, keys.c, keys.m1)
        mac = crypto.hmac_sha256(keys.m2, encode_int(len(encrypted)) + encrypted)[:MAC_LENGTH]
        if self.version == 3:
            self._their_tag = message.header.sender_tag
        reveal = RevealSignature(self._header(REVEAL_SIGNATURE), self._r, encrypted, mac)
        self._their_gy = gy
        self._keys = keys
        self._last_sent = reveal.encode()
        self.state = AuthState.AUTHSTATE_AWAITING_SIG
        return self._last_sent

    def _encrypted_signature(self, ours: int, theirs: int, c: bytes, m1: bytes) -> bytes:
        pub = self._key.public_key().encode()
        keyid = encode_int(AKE_KEYID)
        m = crypto.hmac_sha256(m1, encode_mpi(ours) + encode_mpi(theirs) + pub + keyid)
        x = pub + keyid + self._key.sign(m, self._rng)
        return crypto.aes_ctr_zero(c, x)

    def _on_reveal_signature(self, message: RevealSignature) -> tuple[bytes | None, AkeResult | None]:
        commit = self._their_commit
        if (
            self.state is not AuthState.AUTHSTATE_AWAITING_REVEALSIG
            or commit is None
            or self._dh is None
            or not self._matches_exchange(message.header)
        ):
            return None, None
        # "Use the received value of r to decrypt the value of gx ... and verify the hash therein."
        gxmpi = crypto.aes_ctr_zero(message.revealed_key, commit.encrypted_gx)
        if not crypto.equal(crypto.sha256(gxmpi), commit.hashed_gx):
            return None, None
        try:
            reader = Reader(gxmpi)
            gx = reader.mpi()
            reader.expect_end()
        except MalformedMessage:
            return None, None
        if not is_valid_group_element(gx):
            return None, None
        keys = _AkeKeys.derive(self._dh.shared_secret(gx))
        verified = self._verify_signature(
            message.encrypted_signature, message.mac, gx, self._dh.public, keys.c, keys.m1, keys.m2
        )
        if verified is None:
            return None, None
        their_key, their_keyid = verified
        # Alice's side: MA = MAC_m1'(gy, gx, pubA, keyidA).
        encrypted = self._encrypted_signature(self._dh.public, gx, keys.c_prime, keys.m1_prime)
        mac = crypto.hmac_sha256(keys.m2_prime, encode_int(len(encrypted)) + encrypted)[:MAC_LENGTH]
        reply = Signature(self._header(SIGNATURE), encrypted, mac).encode()
        result = AkeResult(
            self.version, self._their_tag, their_key, their_keyid, gx, self._dh, AKE_KEYID, keys.ssid, False
        )
        self._reset()  # "Transition authstate to AUTHSTATE_NONE."
        return reply, result

    def _on_signature(self, message: Signature) -> AkeResult | None:
        keys = self._keys
        if (
            self.state is not AuthState.AUTHSTATE_AWAITING_SIG
            or keys is None
            or self._dh is None
            or not self._matches_exchange(message.header)
        ):
            return None
        gy = self._their_gy
        verified = self._verify_signature(
            message.encrypted_signature,
            message.mac,
            gy,
            self._dh.public,
            keys.c_prime,
            keys.m1_prime,
            keys.m2_prime,
        )
        if verified is None:
            return None
        their_key, their_keyid = verified
        result = AkeResult(
            self.version, self._their_tag, their_key, their_keyid, gy, self._dh, AKE_KEYID, keys.ssid, True
        )
        self._reset()
        return result

    @staticmethod
    def _verify_signature(  # noqa: PLR0917 - the spec's seven inputs, named as it names them
        encrypted: bytes, mac: bytes, theirs: int, ours: int, c: bytes, m1: bytes, m2: bytes
    ) -> tuple[PublicKey, int] | None:
        """Check the MAC, decrypt X = (pub, keyid, sig), verify sig over MAC_m1(theirs, ours, pub, keyid)."""
        expected = crypto.hmac_sha256(m2, encode_int(len(encrypted)) + encrypted)[:MAC_LENGTH]
        if not crypto.equal(expected, mac):
            return None
        x = crypto.aes_ctr_zero(c, encrypted)
        try:
            reader = Reader(x)
            their_key = PublicKey.read(reader)
            pub_end = len(x) - reader.remaining
            keyid = reader.uint32()
            signature = reader.take(2 * SIGNATURE_HALF)
            reader.expect_end()
        except MalformedMessage:
            return None
        if keyid == 0:  # "It is an INT, and must be greater than 0."
            return None
        m = crypto.hmac_sha256(m1, encode_mpi(theirs) + encode_mpi(ours) + x[:pub_end] + encode_int(keyid))
        if not their_key.verify(m, signature):
            return None
        return their_key, keyid
