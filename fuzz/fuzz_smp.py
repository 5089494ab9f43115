"""Fuzz `timb.otr.smp.SmpEngine.receive` with arbitrary and mutated SMP TLVs.

Set up once: a genuine exchange between Alice (secret "alpha") and Bob (secret "bravo": the
secrets DIFFER), keeping each engine in every state (EXPECT1, Alice in EXPECT2, Bob awaiting the
user's answer, Bob in EXPECT3, Alice in EXPECT4) and every genuine TLV (SMP1, SMP1Q, SMP2, SMP3,
SMP4, abort). Each input feeds a sequence of TLVs -- random types and values, genuine TLVs, and
genuine TLVs mutated byte-wise or with one MPI replaced -- to a copy of one engine.

Checked: `receive` never raises; a cheat (`SmpCheated`) or an out-of-order step answers exactly one
abort TLV and returns to SMPSTATE_EXPECT1 with nothing in progress; and since the secrets differ and
the fuzzer does not know Alice's, no input ever yields `SmpSucceeded` (a forged success would let a
man in the middle pass verification).
"""

from __future__ import annotations

import copy
import sys

from fuzzlib import Provider, check, instrumented, mutate, run

with instrumented():
    from timb.common.random import DeterministicRandom
    from timb.otr.encoding import encode_int, encode_mpi
    from timb.otr.modexp import DH_MODULUS
    from timb.otr.smp import (
        SmpAborted,
        SmpAbortReason,
        SmpCheated,
        SmpEngine,
        SmpState,
        SmpSucceeded,
        smp_secret,
    )
    from timb.otr.tlv import Tlv, TlvType

FP_A, FP_B, SSID = b"\x11" * 20, b"\x22" * 20, b"\x33" * 8
ALPHA = smp_secret(FP_A, FP_B, SSID, b"alpha")
BRAVO = smp_secret(FP_A, FP_B, SSID, b"bravo")
# Values a cheating peer would try in place of a group element, exponent or hash.
P = DH_MODULUS
SPECIAL = (0, 1, 2, P - 2, P - 1, P, P + 1, (P - 1) // 2, (P - 1) // 2 + 1, 1 << 256, (1 << 1536) - 1)


def _bases() -> tuple[list[SmpEngine], list[Tlv]]:
    alice, bob = SmpEngine(DeterministicRandom(b"alice")), SmpEngine(DeterministicRandom(b"bob"))
    engines = [copy.deepcopy(alice)]
    (smp1,) = alice.start(ALPHA)
    engines.append(copy.deepcopy(alice))  # EXPECT2
    question = SmpEngine(DeterministicRandom(b"q")).start(ALPHA, "what is it?")[0]
    outcome = bob.receive(smp1)
    check(not outcome.replies and bob.awaiting_answer, "SMP1 was not accepted")
    engines.append(copy.deepcopy(bob))  # awaiting the answer
    (smp2,) = bob.respond(BRAVO)
    engines.append(copy.deepcopy(bob))  # EXPECT3
    (smp3,) = alice.receive(smp2).replies
    engines.append(copy.deepcopy(alice))  # EXPECT4
    outcome = bob.receive(smp3)
    (smp4,) = outcome.replies
    check(not any(isinstance(e, SmpSucceeded) for e in outcome.events), "different secrets succeeded")
    abort = Tlv(TlvType.SMP_ABORT)
    return engines, [smp1, question, smp2, smp3, smp4, abort]


ENGINES, GENUINE = _bases()


def _replace_mpi(p: Provider, value: bytes) -> bytes:
    """`value` (a count and MPIs, maybe after a question) with one MPI replaced."""
    start = value.find(b"\0") + 1 if p.flag() else 0
    count = int.from_bytes(value[start : start + 4], "big")
    pos = start + 4
    mpis: list[int] = []
    while pos + 4 <= len(value) and len(mpis) < count:
        length = int.from_bytes(value[pos : pos + 4], "big")
        mpis.append(int.from_bytes(value[pos + 4 : pos + 4 + length], "big"))
        pos += 4 + length
    if not mpis:
        return value
    index = p.number(0, len(mpis) - 1)
    mpis[index] = p.pick(SPECIAL) if p.flag() else int.from_bytes(p.blob(200), "big")
    return value[:start] + encode_int(len(mpis)) + b"".join(encode_mpi(m) for m in mpis)


def _tlv(p: Provider) -> Tlv:
    mode = p.number(0, 3)
    if mode == 0:
        return Tlv(p.number(0, 9), p.blob(2048))
    original = p.pick(GENUINE)
    kind = p.number(0, 9) if p.number(0, 7) == 0 else original.type
    if mode == 1:
        return Tlv(kind, original.value)
    if mode == 2:
        return Tlv(kind, mutate(p, original.value)[:0xFFFF])
    return Tlv(kind, _replace_mpi(p, original.value))


def test_one_input(data: bytes) -> None:
    p = Provider(data)
    engine = copy.deepcopy(ENGINES[p.number(0, len(ENGINES) - 1)])
    for _ in range(p.number(1, 5)):
        tlv = _tlv(p)
        outcome = engine.receive(tlv)
        check(
            not any(isinstance(e, SmpSucceeded) for e in outcome.events), f"forged success from {tlv!r:.80}"
        )
        reset = any(
            isinstance(e, SmpCheated)
            or (isinstance(e, SmpAborted) and e.reason is SmpAbortReason.OUT_OF_ORDER)
            for e in outcome.events
        )
        if reset:
            check(outcome.replies == (Tlv(TlvType.SMP_ABORT),), "a cheat must answer exactly one abort")
        if reset or any(isinstance(e, SmpAborted) for e in outcome.events):
            check(engine.state is SmpState.SMPSTATE_EXPECT1 and not engine.in_progress, "not reset")


if __name__ == "__main__":
    run(test_one_input, sys.argv)
