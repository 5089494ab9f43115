"""Fuzz `timb.core.storage.history.decode_log`: an opt-in history log read back from disk, after
damage, a torn append, or tampering by someone without the key.

Set up once: a log of five genuine records. Each input damages it byte-wise or frame-wise (drop,
duplicate, swap, truncate frames) and decodes it with a fuzzer-chosen count of committed records;
some inputs instead append a frame sealed with the right key around an arbitrary plaintext (what
another format version might write).

Checked: nothing but `HistoryCorrupted` escapes; without the key, what decodes is exactly a prefix
of the genuine records (nothing altered, reordered or replayed), at least the committed ones, and
the offset returned is where those records end.
"""

from __future__ import annotations

import sys

from fuzzlib import Provider, check, instrumented, mutate, run

with instrumented():
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from timb.common.secret import Secret
    from timb.core.storage.errors import HistoryCorrupted
    from timb.core.storage.history_format import (
        Direction,
        HistoryEntry,
        aad,
        decode_log,
        encode_record,
        file_header,
    )

KEY = bytes(range(32))
TAG = bytes(range(100, 116))
BODIES = ("hello", "", "\u00e9\u263a \U0001f600", "x" * 300, "last")
ENTRIES = [
    HistoryEntry(Direction(1 + i % 2), 1_700_000_000.0 + i, Secret(body), encrypted=i != 2, verified=i == 1)
    for i, body in enumerate(BODIES)
]
FRAMES = [encode_record(KEY, TAG, i, e, bytes([i]) * 12) for i, e in enumerate(ENTRIES)]
HEADER = file_header(TAG)


def _summary(entry: HistoryEntry) -> tuple[object, ...]:
    return (entry.direction, entry.timestamp, entry.body.reveal(), entry.encrypted, entry.verified)


def _frames(p: Provider) -> list[bytes]:
    frames = list(FRAMES)
    for _ in range(p.number(0, 3)):
        op, i, j = p.number(0, 3), p.number(0, 4), p.number(0, 4)
        if op == 0 and frames:
            del frames[i % len(frames)]
        elif op == 1 and frames:
            frames.insert(j % (len(frames) + 1), frames[i % len(frames)])
        elif op == 2 and frames:
            a, b = i % len(frames), j % len(frames)
            frames[a], frames[b] = frames[b], frames[a]
        else:
            del frames[i:]
    return frames


def test_one_input(data: bytes) -> None:
    p = Provider(data)
    committed = p.number(0, 6)
    keyed = p.number(0, 7) == 0
    frames = _frames(p)
    if keyed:  # an authentic frame around any plaintext, as record number len(frames)
        nonce, plain = p.blob(12).ljust(12, b"\0"), p.blob(300)
        sealed = nonce + AESGCM(KEY).encrypt(nonce, plain, aad(TAG, len(frames)))
        frames.append(len(sealed).to_bytes(4, "big") + sealed)
    log = HEADER + b"".join(frames)
    if p.flag():
        log = mutate(p, log)
    try:
        entries, offset = decode_log(KEY, TAG, log, committed)
    except HistoryCorrupted:
        return
    check(len(entries) >= committed, "fewer records than committed, and no HistoryCorrupted")
    if keyed:
        return
    check(
        [_summary(e) for e in entries] == [_summary(e) for e in ENTRIES[: len(entries)]],
        "a damaged log decoded to records that were never written (or out of order)",
    )
    if entries:
        check(offset == len(HEADER) + sum(len(f) for f in FRAMES[: len(entries)]), "wrong end offset")


if __name__ == "__main__":
    run(test_one_input, sys.argv)
