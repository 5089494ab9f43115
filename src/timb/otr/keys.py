"""Long-term DSA keys: PUBKEY encoding, fingerprints, and DSA signatures as libotr makes them.

Protocol-v3, "Public keys, signatures, and fingerprints": a DSA public key is the SHORT type 0x0000
followed by the MPIs p, q, g, y; a signature is r and s, each `len(q)` (20) bytes big-endian; the
fingerprint is the SHA-1 of the key's encoding "with the two leading 0x00 bytes omitted".

What is signed: the 32-byte HMAC-SHA256 value M, "taken modulo q instead of being truncated (as
described in FIPS-186), and not hashed again". libotr hands M to libgcrypt as a plain (non-opaque)
MPI, and libgcrypt's DSA then computes ``s = k^-1 (M + x r) mod q``, i.e. M mod q: the same thing.
FIPS-186 APIs (OpenSSL, cryptography's ``Prehashed``) would truncate M to q's 160 leading bits and
would not interoperate, so DSA is done here with `timb.otr.modexp`.
"""

from __future__ import annotations

from dataclasses import dataclass

from timb.common.ids import Fingerprint
from timb.common.random import Random
from timb.otr import crypto
from timb.otr.encoding import Reader, encode_mpi, encode_short
from timb.otr.errors import LocalError, MalformedMessage
from timb.otr.modexp import invert, powmod2, powmod_secret

DSA_KEY_TYPE = 0x0000
SIGNATURE_HALF = 20  # Protocol-v3: "len is the length of the DSA public parameter q ... 20 bytes"
_MAX_P_BITS = 4096  # bounds the cost of verifying a hostile key's signature


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A DSA public key (p, q, g, y). Validated at construction; see `PublicKey.read`."""

    p: int
    q: int
    g: int
    y: int

    def __post_init__(self) -> None:
        p, q, g, y = self.p, self.q, self.g, self.y
        if not (
            (q.bit_length() + 7) // 8 == SIGNATURE_HALF
            and q < p
            and p.bit_length() <= _MAX_P_BITS
            and p % 2 == 1
            and (p - 1) % q == 0
            and 1 < g < p
            and 1 < y < p
        ):
            raise MalformedMessage("not a usable DSA public key")

    @classmethod
    def read(cls, reader: Reader) -> PublicKey:
        """Read a PUBKEY field.

        Raises:
            MalformedMessage: truncated, a type other than DSA, or parameters that do not fit.
        """
        if reader.uint16() != DSA_KEY_TYPE:
            raise MalformedMessage("unsupported public key type")
        p, q, g, y = reader.mpi(), reader.mpi(), reader.mpi(), reader.mpi()
        return cls(p, q, g, y)

    def encode(self) -> bytes:
        return encode_short(DSA_KEY_TYPE) + self._mpis()

    def _mpis(self) -> bytes:
        return encode_mpi(self.p) + encode_mpi(self.q) + encode_mpi(self.g) + encode_mpi(self.y)

    def fingerprint(self) -> Fingerprint:
        # Protocol-v3: "if the pubkey type is 0x0000, those two leading 0x00 bytes are omitted".
        return Fingerprint(crypto.sha1(self._mpis()))

    def verify(self, value: bytes, signature: bytes) -> bool:
        """Check a SIG over the 32-byte `value` (taken modulo q). Never raises on bad input."""
        if len(signature) != 2 * SIGNATURE_HALF:
            return False
        q = self.q
        r = int.from_bytes(signature[:SIGNATURE_HALF], "big")
        s = int.from_bytes(signature[SIGNATURE_HALF:], "big")
        if not (0 < r < q and 0 < s < q):
            return False
        h = int.from_bytes(value, "big") % q
        try:
            w = invert(s, q)
        except (ZeroDivisionError, ValueError):
            return False  # a hostile key's q need not be prime (gmpy2 and pow() raise differently)
        u1 = h * w % q
        u2 = r * w % q
        v = powmod2(self.g, u1, self.y, u2, self.p) % q
        return v == r


class PrivateKey:
    """A long-term DSA-1024 key. The private exponent never prints itself."""

    __slots__ = ("_public", "_x")

    def __init__(self, public: PublicKey, x: int) -> None:
        if not 0 < x < public.q or powmod_secret(public.g, x, public.p) != public.y:
            raise LocalError("the private exponent does not match the public key")
        self._public = public
        self._x = x

    @classmethod
    def generate(cls) -> PrivateKey:
        """A new DSA-1024 key (160-bit q) from OpenSSL's generator."""
        p, q, g, y, x = crypto.generate_dsa_numbers()
        return cls(PublicKey(p, q, g, y), x)

    @classmethod
    def from_numbers(cls, p: int, q: int, g: int, y: int, x: int) -> PrivateKey:
        """Rebuild a key (for example from a libotr key file).

        Raises:
            LocalError: the numbers do not form an OTR-usable DSA key.
        """
        try:
            public = PublicKey(p, q, g, y)
        except MalformedMessage as exc:
            raise LocalError(str(exc)) from exc
        return cls(public, x)

    def numbers(self) -> tuple[int, int, int, int, int]:
        """(p, q, g, y, x): handle with care, x is the secret."""
        pub = self._public
        return pub.p, pub.q, pub.g, pub.y, self._x

    def public_key(self) -> PublicKey:
        return self._public

    def fingerprint(self) -> Fingerprint:
        return self._public.fingerprint()

    def sign(self, value: bytes, rng: Random) -> bytes:
        """Sign the 32-byte `value` as libotr does (value mod q); returns r || s, 20 bytes each."""
        pub = self._public
        q = pub.q
        h = int.from_bytes(value, "big") % q
        x_bytes = self._x.to_bytes(SIGNATURE_HALF, "big")
        while True:
            # k is hedged: a hash of the secret, the message and fresh randomness, so a weak
            # generator alone cannot leak x (the Sony PS3 failure), and a 512-bit hash reduced mod q
            # has negligible bias.
            seed = crypto.sha512(x_bytes + value + rng.randbytes(32))
            k = int.from_bytes(seed, "big") % (q - 1) + 1
            # g has order q, so g^(k+q) = g^k: the exponent gets a fixed bit length (one more than
            # q's), and powmod_secret's timing does not reveal k's size.
            k_fixed = k + q if (k + q).bit_length() > q.bit_length() else k + 2 * q
            r = powmod_secret(pub.g, k_fixed, pub.p) % q
            if r == 0:
                continue
            # Blind the inversion (gmpy2's invert is not constant-time): k^-1 = (k b)^-1 b.
            blind = int.from_bytes(rng.randbytes(32), "big") % (q - 1) + 1
            k_inverse = invert(k * blind % q, q) * blind % q
            s = k_inverse * (h + self._x * r) % q
            if s != 0:
                return r.to_bytes(SIGNATURE_HALF, "big") + s.to_bytes(SIGNATURE_HALF, "big")

    def __repr__(self) -> str:
        return f"PrivateKey(fingerprint={self.fingerprint().human()!r})"
