"""The Socialist Millionaires' Protocol (Protocol-v3, "The Socialist Millionaires' Protocol (SMP)").

A pure state machine over SMP TLVs (types 2-7): it knows nothing of data messages. The caller
(`Conversation`) feeds it the SMP TLVs of each decrypted data message, sends the TLVs it returns in
data messages of their own, and calls `reset()` whenever MSGSTATE_ENCRYPTED is left ("If at any
point MSGSTATE_ENCRYPTED becomes unset, SMP must abandon its state").

Alice (the initiator) calls `start()`; Bob receives SMP1/SMP1Q, gets `SmpQuestion`, and once his
user types the answer calls `respond()`. Every group element and exponent is range-checked and
every zero-knowledge proof verified exactly as libotr's sm.c does, and, beyond libotr, every group
element received must have order q (see `_check_group_elem`); anything wrong is reported as an
event (`SmpCheated`) with an SMP abort TLV to send, never raised out of `receive()`.

Every exponentiation whose exponent is ours (a2, a3, r4, the proof nonces, the secret) goes through
`powmod_secret`; only the peer's public proof values (D, c) use the faster `powmod`, `powmod2` and
the precomputed g1 table (`timb.otr.modexp`; tests/unit/test_smp_arith.py checks the split).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from timb.common.random import Random
from timb.otr.encoding import Reader, encode_int, encode_mpi
from timb.otr.errors import LocalError, MalformedMessage
from timb.otr.modexp import (
    DH_GENERATOR,
    DH_MODULUS,
    DH_ORDER,
    G1_TABLE,
    has_order_q,
    invert,
    powmod,
    powmod2,
    powmod_secret,
)
from timb.otr.tlv import Tlv, TlvType

# The spec's names: g1 is the DH generator, the modulus is the 1536-bit prime, q = (p-1)/2.
_G1 = DH_GENERATOR
_P = DH_MODULUS
_Q = DH_ORDER
# "The random exponents are 1536-bit numbers" (libotr: 192 random bytes, not reduced mod q).
_EXPONENT_BYTES = 192
_SMP_VERSION = 1
_FINGERPRINT_LEN = 20
_SSID_LEN = 8

# MPIs per message (libotr sm.c SM_MSG1_LEN .. SM_MSG4_LEN).
_MSG1_LEN = 6
_MSG2_LEN = 11
_MSG3_LEN = 8
_MSG4_LEN = 3
# The largest SMP1 MPI part: the count, two group elements and two D values of at most 192 bytes,
# and two 32-byte hashes, each MPI with its 4-byte length.
_MSG1_MAX_BYTES = 4 + 4 * (4 + 192) + 2 * (4 + 32)

# Progress figures libotr reports to its UI at the same steps.
_PROGRESS_AFTER_SMP2 = 60


class SmpState(enum.Enum):
    """The spec's smpstate: which SMP TLV is expected next."""

    SMPSTATE_EXPECT1 = 1
    SMPSTATE_EXPECT2 = 2
    SMPSTATE_EXPECT3 = 3
    SMPSTATE_EXPECT4 = 4


# Which state accepts which TLV type ("SMPSTATE_EXPECT1: only type 2 ... and type 7").
_EXPECTED_STATE: dict[int, SmpState] = {
    TlvType.SMP1: SmpState.SMPSTATE_EXPECT1,
    TlvType.SMP1Q: SmpState.SMPSTATE_EXPECT1,
    TlvType.SMP2: SmpState.SMPSTATE_EXPECT2,
    TlvType.SMP3: SmpState.SMPSTATE_EXPECT3,
    TlvType.SMP4: SmpState.SMPSTATE_EXPECT4,
}


class SmpAbortReason(enum.Enum):
    PEER_ABORTED = "peer_aborted"  # we received a type 6 TLV
    OUT_OF_ORDER = "out_of_order"  # the peer sent a step we did not expect; we answered with an abort
    SESSION_ENDED = "session_ended"  # MSGSTATE_ENCRYPTED was left (or replaced) mid-exchange


@dataclass(frozen=True, slots=True)
class SmpQuestion:
    """The peer started SMP; the user must supply the secret (the answer to `question`, if any)
    and the caller then calls `SmpEngine.respond()`."""

    question: str | None = field(repr=False)


@dataclass(frozen=True, slots=True)
class SmpProgress:
    percent: int


@dataclass(frozen=True, slots=True)
class SmpSucceeded:
    """Both secrets were equal.

    `answered_question` is True when we answered the peer's question (SMP1Q). That proves nothing
    about the peer to us: a man in the middle may have asked a question whose answer it knows. So,
    like libotr, only mark the peer's fingerprint verified when `verifies_peer` is True.
    """

    answered_question: bool = False

    @property
    def verifies_peer(self) -> bool:
        return not self.answered_question


@dataclass(frozen=True, slots=True)
class SmpFailed:
    """The protocol ran correctly, but the secrets differ."""


@dataclass(frozen=True, slots=True)
class SmpAborted:
    reason: SmpAbortReason


@dataclass(frozen=True, slots=True)
class SmpCheated:
    """A step was malformed or one of its proofs did not verify; we reset and sent an abort."""

    reason: str


SmpEvent = SmpQuestion | SmpProgress | SmpSucceeded | SmpFailed | SmpAborted | SmpCheated


@dataclass(frozen=True, slots=True)
class SmpOutcome:
    """What `receive()` produced: TLVs to send (each in a data message) and events for the user."""

    replies: tuple[Tlv, ...] = ()
    events: tuple[SmpEvent, ...] = ()


class _Cheat(Exception):
    """Internal: a received step failed a check. Never leaves this module."""


def smp_secret(
    initiator_fingerprint: bytes, responder_fingerprint: bytes, ssid: bytes, user_secret: bytes
) -> int:
    """The secret x (or y) compared by SMP: SHA-256 of version 1, both fingerprints in
    initiator/responder order, the secure session id and the user's secret, as an integer.

    libotr (message.c, init_respond_smp) hashes exactly these bytes: 0x01, the 20-byte initiator
    fingerprint, the 20-byte responder fingerprint, the 8-byte ssid, the secret bytes as given.

    Raises:
        LocalError: a fingerprint is not 20 bytes or the ssid is not 8 bytes.
    """
    if len(initiator_fingerprint) != _FINGERPRINT_LEN or len(responder_fingerprint) != _FINGERPRINT_LEN:
        raise LocalError("an OTR fingerprint is 20 bytes")
    if len(ssid) != _SSID_LEN:
        raise LocalError("the secure session id is 8 bytes")
    material = bytes([_SMP_VERSION]) + initiator_fingerprint + responder_fingerprint + ssid + user_secret
    return int.from_bytes(hashlib.sha256(material).digest(), "big")


def _hash(version: int, first: int, second: int | None = None) -> int:
    """The spec's "SMP Hash function": SHA256(version BYTE, first MPI [, second MPI])."""
    data = bytes([version]) + encode_mpi(first)
    if second is not None:
        data += encode_mpi(second)
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


def _encode_mpis(values: list[int]) -> bytes:
    return encode_int(len(values)) + b"".join(encode_mpi(v) for v in values)


def _decode_mpis(data: bytes, count: int) -> list[int]:
    """Raises: _Cheat on a wrong MPI count, truncation or trailing bytes."""
    reader = Reader(data)
    try:
        if reader.uint32() != count:
            raise _Cheat("wrong number of MPIs")
        values = [reader.mpi() for _ in range(count)]
        reader.expect_end()
    except MalformedMessage as exc:
        raise _Cheat(str(exc)) from exc
    return values


def _check_group_elem(value: int) -> None:
    # libotr check_group_elem: 2 <= value <= p-2.
    if not 2 <= value <= _P - 2:
        raise _Cheat("group element out of range")
    # Beyond libotr: the element must have order q. One of order 2q (a non-residue such as p - g1^a)
    # passes the range check and, with a chosen even hash, its proof; the responder's values then
    # carry the Legendre symbol of their exponents, which leaks a bit of the secret's hash.
    if not has_order_q(value):
        raise _Cheat("group element not of order q")


def _check_expon(value: int) -> None:
    # libotr check_expon: 1 <= value < q.
    if not 1 <= value < _Q:
        raise _Cheat("exponent out of range")


def _check_hash_value(c: int) -> None:
    # c is a SHA-256 output. libotr does not range-check it; we do, so that a hostile 64 KB "c"
    # cannot make us run a 500,000-bit exponentiation before the comparison fails anyway.
    if c >= 1 << 256:
        raise _Cheat("hash value out of range")


def _check_know_log(c: int, d: int, x: int, version: int) -> None:
    """Verify a proof of knowledge of log_g1(x): c == H(version, g1^d x^c)."""
    _check_hash_value(c)
    if _hash(version, G1_TABLE.power(d) * powmod(x, c, _P) % _P) != c:
        raise _Cheat("proof of knowledge of a discrete log failed")


class SmpEngine:
    """One SMP instance per conversation instance. See the module docstring for the contract."""

    __slots__ = (
        "_answered_question",
        "_awaiting_answer",
        "_g2",
        "_g3",
        "_g3o",
        "_msg1",
        "_p",
        "_pab",
        "_q",
        "_qab",
        "_rng",
        "_secret",
        "_state",
        "_x2",
        "_x3",
    )

    _msg1: tuple[int, int] | None  # Bob: (g2a, g3a) of an SMP1 waiting for the user's answer
    _x2: int  # our exponent for g2 (the spec's a2 or b2)
    _x3: int  # our exponent for g3 (a3 or b3)
    _g3o: int  # the peer's half of g3 (g3b or g3a)
    _p: int  # our P (Pa or Pb)
    _q: int  # our Q
    _pab: int  # Pa / Pb
    _qab: int  # Qa / Qb

    def __init__(self, rng: Random) -> None:
        self._rng = rng
        self.reset()

    # ---- public API -------------------------------------------------------------------------

    @property
    def state(self) -> SmpState:
        return self._state

    @property
    def awaiting_answer(self) -> bool:
        """True between a received SMP1/SMP1Q and `respond()` (smpstate is still EXPECT1 then)."""
        return self._awaiting_answer

    @property
    def in_progress(self) -> bool:
        return self._state is not SmpState.SMPSTATE_EXPECT1 or self._awaiting_answer

    def reset(self) -> None:
        """Forget everything and return to SMPSTATE_EXPECT1, sending nothing (e.g. when the
        conversation leaves MSGSTATE_ENCRYPTED)."""
        self._state = SmpState.SMPSTATE_EXPECT1
        self._awaiting_answer = False
        self._answered_question = False
        self._msg1 = None
        self._secret = 0
        self._x2 = 0
        self._x3 = 0
        self._g2 = self._g3 = self._g3o = 0
        self._p = self._q = self._pab = self._qab = 0

    def abandon(self) -> SmpOutcome:
        """MSGSTATE_ENCRYPTED was left or the session replaced: like `reset()`, but tells the user
        (`SmpAborted(SESSION_ENDED)`) when an exchange was in progress, so no dialog waits forever."""
        was_running = self.in_progress
        self.reset()
        if not was_running:
            return SmpOutcome()
        return SmpOutcome(events=(SmpAborted(SmpAbortReason.SESSION_ENDED),))

    def start(self, secret: int, question: str | None = None) -> list[Tlv]:
        """User requests to begin SMP: the SMP1 (or SMP1Q) TLV to send.

        If SMP was already underway, the list starts with an SMP abort TLV ("If you wish to
        restart SMP, send a type 6 TLV (SMP abort) to the other party and then proceed as if
        smpstate was SMPSTATE_EXPECT1"). Send each TLV in a data message of its own, in order:
        libotr handles an abort after the other SMP TLVs of the same message, which would cancel
        the restart.

        Raises:
            LocalError: the secret is out of range, or the question contains NUL or is too long.
        """
        _check_secret(secret)
        prefix = b""
        if question is not None:
            raw = question.encode("utf-8")
            if b"\0" in raw:
                raise LocalError("an SMP question cannot contain NUL")
            prefix = raw + b"\0"
        # Refuse before touching the state, so a too-long question leaves a running SMP intact.
        if len(prefix) + _MSG1_MAX_BYTES > 0xFFFF:
            raise LocalError("the SMP question is too long")
        out = [self.abort()] if self.in_progress else []
        self.reset()
        self._secret = secret
        self._x2 = self._random_exponent()
        self._x3 = self._random_exponent()
        g2a = powmod_secret(_G1, self._x2, _P)
        c2, d2 = self._proof_know_log(self._x2, 1)
        g3a = powmod_secret(_G1, self._x3, _P)
        c3, d3 = self._proof_know_log(self._x3, 2)
        payload = prefix + _encode_mpis([g2a, c2, d2, g3a, c3, d3])
        self._state = SmpState.SMPSTATE_EXPECT2
        out.append(Tlv(TlvType.SMP1Q if question is not None else TlvType.SMP1, payload))
        return out

    def respond(self, secret: int) -> list[Tlv]:
        """The user supplied the secret after an `SmpQuestion`: the SMP2 TLV to send.

        Raises:
            LocalError: no SMP1 is waiting for an answer, or the secret is out of range.
        """
        _check_secret(secret)
        if not self._awaiting_answer or self._msg1 is None:
            raise LocalError("no SMP request is waiting for an answer")
        g2a, g3a = self._msg1
        self._msg1 = None
        self._awaiting_answer = False
        self._secret = secret
        b2 = self._random_exponent()
        b3 = self._random_exponent()
        self._x2 = b2
        self._x3 = b3
        self._g3o = g3a
        self._g2 = powmod_secret(g2a, b2, _P)
        self._g3 = powmod_secret(g3a, b3, _P)
        g2b = powmod_secret(_G1, b2, _P)
        c2, d2 = self._proof_know_log(b2, 3)
        g3b = powmod_secret(_G1, b3, _P)
        c3, d3 = self._proof_know_log(b3, 4)
        r4 = self._random_exponent()
        self._p = powmod_secret(self._g3, r4, _P)
        self._q = powmod_secret(_G1, r4, _P) * powmod_secret(self._g2, secret, _P) % _P
        cp, d5, d6 = self._proof_equal_coords(r4, 5)
        self._state = SmpState.SMPSTATE_EXPECT3
        mpis = [g2b, c2, d2, g3b, c3, d3, self._p, self._q, cp, d5, d6]
        return [Tlv(TlvType.SMP2, _encode_mpis(mpis))]

    def abort(self) -> Tlv:
        """User requests to abort SMP: "In all cases, send a type 6 TLV (SMP abort) to the
        correspondent and set smpstate to SMPSTATE_EXPECT1"."""
        self.reset()
        return Tlv(TlvType.SMP_ABORT)

    def receive(self, tlv: Tlv) -> SmpOutcome:
        """Handle one received TLV. Non-SMP TLVs are ignored. Never raises."""
        kind = tlv.type
        if kind == TlvType.SMP_ABORT:
            self.reset()
            return SmpOutcome(events=(SmpAborted(SmpAbortReason.PEER_ABORTED),))
        expected = _EXPECTED_STATE.get(kind)
        if expected is None:
            return SmpOutcome()
        if self._state is not expected:
            # "If smpstate is not SMPSTATE_EXPECTn: Set smpstate to SMPSTATE_EXPECT1 and send a
            # type 6 TLV (SMP abort)".
            return SmpOutcome(replies=(self.abort(),), events=(SmpAborted(SmpAbortReason.OUT_OF_ORDER),))
        handlers: dict[int, Callable[[bytes], SmpOutcome]] = {
            TlvType.SMP1: self._receive_smp1,
            TlvType.SMP1Q: self._receive_smp1q,
            TlvType.SMP2: self._receive_smp2,
            TlvType.SMP3: self._receive_smp3,
            TlvType.SMP4: self._receive_smp4,
        }
        try:
            return handlers[kind](tlv.value)
        except _Cheat as exc:
            return SmpOutcome(replies=(self.abort(),), events=(SmpCheated(str(exc)),))

    # ---- receiving --------------------------------------------------------------------------

    def _receive_smp1q(self, value: bytes) -> SmpOutcome:
        end = value.find(b"\0")
        if end < 0:
            raise _Cheat("SMP1Q question is not NUL-terminated")
        question = value[:end].decode("utf-8", errors="replace")
        return self._handle_smp1(value[end + 1 :], question)

    def _receive_smp1(self, value: bytes) -> SmpOutcome:
        return self._handle_smp1(value, None)

    def _handle_smp1(self, value: bytes, question: str | None) -> SmpOutcome:
        # A new SMP1 replaces one still waiting for an answer, as libotr does.
        self.reset()
        g2a, c2, d2, g3a, c3, d3 = _decode_mpis(value, _MSG1_LEN)
        _check_group_elem(g2a)
        _check_expon(d2)
        _check_group_elem(g3a)
        _check_expon(d3)
        _check_know_log(c2, d2, g2a, 1)
        _check_know_log(c3, d3, g3a, 2)
        self._msg1 = (g2a, g3a)
        self._awaiting_answer = True
        self._answered_question = question is not None
        return SmpOutcome(events=(SmpQuestion(question),))

    def _receive_smp2(self, value: bytes) -> SmpOutcome:
        g2b, c2, d2, g3b, c3, d3, pb, qb, cp, d5, d6 = _decode_mpis(value, _MSG2_LEN)
        for elem in (g2b, g3b, pb, qb):
            _check_group_elem(elem)
        for expon in (d2, d3, d5, d6):
            _check_expon(expon)
        _check_know_log(c2, d2, g2b, 3)
        _check_know_log(c3, d3, g3b, 4)
        self._g3o = g3b
        self._g2 = powmod_secret(g2b, self._x2, _P)
        self._g3 = powmod_secret(g3b, self._x3, _P)
        self._check_equal_coords(cp, d5, d6, (pb, qb), 5)
        r4 = self._random_exponent()
        self._p = powmod_secret(self._g3, r4, _P)
        self._q = powmod_secret(_G1, r4, _P) * powmod_secret(self._g2, self._secret, _P) % _P
        cp_a, d5_a, d6_a = self._proof_equal_coords(r4, 6)
        self._pab = self._p * invert(pb, _P) % _P
        self._qab = self._q * invert(qb, _P) % _P
        ra = powmod_secret(self._qab, self._x3, _P)
        cr, d7 = self._proof_equal_logs(7)
        self._state = SmpState.SMPSTATE_EXPECT4
        mpis = [self._p, self._q, cp_a, d5_a, d6_a, ra, cr, d7]
        return SmpOutcome(
            replies=(Tlv(TlvType.SMP3, _encode_mpis(mpis)),),
            events=(SmpProgress(_PROGRESS_AFTER_SMP2),),
        )

    def _receive_smp3(self, value: bytes) -> SmpOutcome:
        pa, qa, cp, d5, d6, ra, cr, d7 = _decode_mpis(value, _MSG3_LEN)
        for elem in (pa, qa, ra):
            _check_group_elem(elem)
        for expon in (d5, d6, d7):
            _check_expon(expon)
        self._check_equal_coords(cp, d5, d6, (pa, qa), 6)
        self._pab = pa * invert(self._p, _P) % _P
        self._qab = qa * invert(self._q, _P) % _P
        self._check_equal_logs(cr, d7, ra, 7)
        rb = powmod_secret(self._qab, self._x3, _P)
        cr_b, d7_b = self._proof_equal_logs(8)
        rab = powmod_secret(ra, self._x3, _P)
        event = self._result(rab)
        self.reset()
        reply = Tlv(TlvType.SMP4, _encode_mpis([rb, cr_b, d7_b]))
        return SmpOutcome(replies=(reply,), events=(event,))

    def _receive_smp4(self, value: bytes) -> SmpOutcome:
        rb, cr, d7 = _decode_mpis(value, _MSG4_LEN)
        _check_group_elem(rb)
        _check_expon(d7)
        self._check_equal_logs(cr, d7, rb, 8)
        rab = powmod_secret(rb, self._x3, _P)
        event = self._result(rab)
        self.reset()
        return SmpOutcome(events=(event,))

    def _result(self, rab: int) -> SmpSucceeded | SmpFailed:
        # "Determine if x = y by checking the equivalent condition that (Pa / Pb) = Rab."
        if rab == self._pab:
            return SmpSucceeded(answered_question=self._answered_question)
        return SmpFailed()

    # ---- proofs -----------------------------------------------------------------------------

    def _random_exponent(self) -> int:
        return int.from_bytes(self._rng.randbytes(_EXPONENT_BYTES), "big")

    def _proof_know_log(self, x: int, version: int) -> tuple[int, int]:
        """c = H(version, g1^r), D = r - x c mod q."""
        r = self._random_exponent()
        c = _hash(version, powmod_secret(_G1, r, _P))
        return c, (r - x * c) % _Q

    def _proof_equal_coords(self, r4: int, version: int) -> tuple[int, int, int]:
        """cP = H(version, g3^r5, g1^r5 g2^r6), D5 = r5 - r4 cP, D6 = r6 - secret cP (mod q)."""
        r5 = self._random_exponent()
        r6 = self._random_exponent()
        first = powmod_secret(self._g3, r5, _P)
        second = powmod_secret(_G1, r5, _P) * powmod_secret(self._g2, r6, _P) % _P
        c = _hash(version, first, second)
        return c, (r5 - r4 * c) % _Q, (r6 - self._secret * c) % _Q

    def _check_equal_coords(self, c: int, d5: int, d6: int, pq: tuple[int, int], version: int) -> None:
        """cP == H(version, g3^D5 P^cP, g1^D5 g2^D6 Q^cP), (P, Q) being the peer's."""
        _check_hash_value(c)
        p, q = pq
        first = powmod2(self._g3, d5, p, c, _P)
        second = G1_TABLE.power(d5) * powmod2(self._g2, d6, q, c, _P) % _P
        if _hash(version, first, second) != c:
            raise _Cheat("proof of equal coordinates failed")

    def _proof_equal_logs(self, version: int) -> tuple[int, int]:
        """cR = H(version, g1^r7, (Qa/Qb)^r7), D7 = r7 - a3 cR mod q."""
        r7 = self._random_exponent()
        c = _hash(version, powmod_secret(_G1, r7, _P), powmod_secret(self._qab, r7, _P))
        return c, (r7 - self._x3 * c) % _Q

    def _check_equal_logs(self, c: int, d7: int, r: int, version: int) -> None:
        """cR == H(version, g1^D7 g3o^cR, (Qa/Qb)^D7 R^cR), g3o being the peer's g3 half."""
        _check_hash_value(c)
        first = G1_TABLE.power(d7) * powmod(self._g3o, c, _P) % _P
        second = powmod2(self._qab, d7, r, c, _P)
        if _hash(version, first, second) != c:
            raise _Cheat("proof of equal logarithms failed")


def _check_secret(secret: int) -> None:
    if not 0 <= secret < _Q:
        raise LocalError("the SMP secret must be in [0, q)")
