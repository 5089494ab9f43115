"""Opt-in encrypted history: nothing on disk when off; when on, no plaintext on disk and every
reordering, truncation, move or alteration of records is detected."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timb.common.random import DeterministicRandom
from timb.common.secret import Secret
from timb.core.storage import (
    Argon2idParams,
    Direction,
    History,
    HistoryCorrupted,
    HistoryEntry,
    InsecureProfile,
    ScryptParams,
    Vault,
)
from timb.core.storage.history_format import (
    MAGIC,
    MAX_BODY,
    Truncated,
    conversation_tag,
    decode_log,
    encode_record,
    file_header,
    file_key,
)
from timb.core.storage.vault import argon2id_available

FAST = Argon2idParams(memory_cost=8, iterations=1, lanes=1) if argon2id_available() else ScryptParams(4, 1, 1)
PW = Secret("pw for history tests")
ALICE = History.conversation_id("me@example.org", "alice@example.org")
BOB = History.conversation_id("me@example.org", "bob@example.org")
SECRET_TEXT = "meet at the north gate at 21:00"


def _entry(text: str, n: int = 0, direction: Direction = Direction.OUTGOING) -> HistoryEntry:
    return HistoryEntry(direction, 1_700_000_000.25 + n, Secret(text), encrypted=True, verified=n % 2 == 0)


def _same(a: list[HistoryEntry], b: list[HistoryEntry]) -> bool:
    return [(e.direction, e.timestamp, e.body.reveal(), e.encrypted, e.verified) for e in a] == [
        (e.direction, e.timestamp, e.body.reveal(), e.encrypted, e.verified) for e in b
    ]


def _all_bytes(root: Path) -> bytes:
    """Every byte under `root`, file names included."""
    out = b""
    for p in sorted(root.rglob("*")):
        out += str(p.relative_to(root)).encode() + b"\0"
        if p.is_file():
            out += p.read_bytes()
    return out


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dir>" for p in root.rglob("*")}


class Env:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.on: set[str] = set()
        self.vault = Vault.create(root, PW, kdf=FAST)
        self.history = History(self.vault, root / "history", self.on.__contains__)

    def reopen(self) -> None:
        self.vault.lock()
        self.vault = Vault.unlock(self.root, PW)
        self.history = History(self.vault, self.root / "history", self.on.__contains__)

    def log(self, conversation: str) -> Path:
        (path,) = [
            p for p in (self.root / "history").iterdir() if p.suffix == ".log" and _is(p, conversation, self)
        ]
        return path


def _is(path: Path, conversation: str, env: Env) -> bool:
    entry = env.vault.section("history")["logs"]
    assert isinstance(entry, dict)
    value = entry.get(path.stem)
    return isinstance(value, dict) and value.get("conversation") == conversation


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = Env(tmp_path / "profile")
    yield e
    e.vault.lock()


def test_history_off_writes_nothing(env: Env) -> None:
    before = _snapshot(env.root)
    for n in range(5):
        assert env.history.record(ALICE, _entry(f"{SECRET_TEXT} #{n}", n)) is False
    assert _snapshot(env.root) == before
    assert not (env.root / "history").exists()
    assert SECRET_TEXT.encode() not in _all_bytes(env.root)
    assert env.history.read(ALICE) == []
    assert env.history.conversations() == []


def test_round_trip_and_no_plaintext_on_disk(env: Env) -> None:
    env.on.add(ALICE)
    entries = [_entry(f"{SECRET_TEXT} #{n}", n, Direction(1 + n % 2)) for n in range(6)]
    for e in entries:
        assert env.history.record(ALICE, e) is True
    assert env.history.record(BOB, _entry("not kept")) is False
    assert _same(env.history.read(ALICE), entries)
    disk = _all_bytes(env.root)
    assert SECRET_TEXT.encode() not in disk and SECRET_TEXT.encode("utf-16-le") not in disk
    assert b"alice" not in disk and b"not kept" not in disk  # file names are keyed tags
    env.reopen()
    env.on.clear()  # turning history off later does not hide what was kept
    assert _same(env.history.read(ALICE), entries)
    assert env.history.conversations() == [ALICE]
    assert env.history.read(BOB) == []


def test_file_and_directory_permissions(env: Env) -> None:
    env.on.add(ALICE)
    env.history.record(ALICE, _entry("x"))
    assert (env.root / "history").stat().st_mode & 0o777 == 0o700
    assert env.log(ALICE).stat().st_mode & 0o777 == 0o600


def _frames(data: bytes) -> tuple[bytes, list[bytes]]:
    header, rest, frames = data[: len(MAGIC) + 16], data[len(MAGIC) + 16 :], []
    while rest:
        n = 4 + int.from_bytes(rest[:4], "big")
        frames.append(rest[:n])
        rest = rest[n:]
    return header, frames


def _three(env: Env) -> Path:
    env.on.add(ALICE)
    for n in range(3):
        env.history.record(ALICE, _entry(f"m{n}", n))
    return env.log(ALICE)


def test_reordered_records_are_detected(env: Env) -> None:
    path = _three(env)
    header, frames = _frames(path.read_bytes())
    path.write_bytes(header + frames[1] + frames[0] + frames[2])
    with pytest.raises(HistoryCorrupted, match="record 0"):
        env.history.read(ALICE)


@pytest.mark.parametrize(
    "cut", ["last-record", "two-records", "all-records", "in-header", "mid-record", "gcm-tag"]
)
def test_truncation_is_detected(env: Env, cut: str) -> None:
    path = _three(env)
    data = path.read_bytes()
    header, frames = _frames(data)
    cuts = {
        "last-record": header + frames[0] + frames[1],
        "two-records": header + frames[0],
        "all-records": header,
        "in-header": data[:10],
        "mid-record": data[:-30],
        "gcm-tag": data[:-2],
    }
    path.write_bytes(cuts[cut])
    with pytest.raises(HistoryCorrupted):
        env.history.read(ALICE)
    with pytest.raises(HistoryCorrupted):  # and nothing is appended to a damaged log
        env.history.record(ALICE, _entry("after"))
    assert path.read_bytes() == cuts[cut]


def test_every_flipped_byte_is_detected(env: Env) -> None:
    path = _three(env)
    good = path.read_bytes()
    for i in range(len(good)):
        bad = bytearray(good)
        bad[i] ^= 0x04
        path.write_bytes(bytes(bad))
        with pytest.raises(HistoryCorrupted):
            env.history.read(ALICE)
    path.write_bytes(good)
    assert len(env.history.read(ALICE)) == 3


def test_records_cannot_move_between_conversations(env: Env) -> None:
    env.on.update({ALICE, BOB})
    env.history.record(ALICE, _entry("for alice"))
    env.history.record(BOB, _entry("for bob"))
    alice, bob = env.log(ALICE), env.log(BOB)
    _, a_frames = _frames(alice.read_bytes())
    b_header, _ = _frames(bob.read_bytes())
    bob.write_bytes(b_header + a_frames[0])  # alice's record 0 as bob's record 0
    with pytest.raises(HistoryCorrupted):
        env.history.read(BOB)
    bob.write_bytes(alice.read_bytes())  # the whole file moved
    with pytest.raises(HistoryCorrupted, match="header"):
        env.history.read(BOB)


def test_torn_append_is_ignored_and_cut(env: Env) -> None:
    path = _three(env)
    good = path.read_bytes()
    _header, frames = _frames(good)
    path.write_bytes(good + frames[2][:20])  # a crash half-way through a fourth append
    assert [e.body.reveal() for e in env.history.read(ALICE)] == ["m0", "m1", "m2"]
    env.history.record(ALICE, _entry("m3", 3))
    assert [e.body.reveal() for e in env.history.read(ALICE)] == ["m0", "m1", "m2", "m3"]
    env.reopen()
    env.history.record(ALICE, _entry("m4", 4))
    assert [e.body.reveal() for e in env.history.read(ALICE)] == ["m0", "m1", "m2", "m3", "m4"]


def test_record_written_before_a_crash_in_the_vault_save_is_kept(env: Env) -> None:
    path = _three(env)
    # What a crash between the fsync of a fourth record and the vault save leaves: the record
    # is on disk, the vault still says 3.
    master = env.history._master_key()
    assert master is not None
    tag = conversation_tag(master, ALICE)
    key = file_key(master, tag, env.history._salt(tag))
    frame = encode_record(key.reveal(), tag, 3, _entry("m3", 3), bytes(12))
    path.write_bytes(path.read_bytes() + frame)
    assert [e.body.reveal() for e in env.history.read(ALICE)] == ["m0", "m1", "m2", "m3"]
    env.history.record(ALICE, _entry("m4", 4))
    env.reopen()
    assert len(env.history.read(ALICE)) == 5


def test_delete(env: Env) -> None:
    env.on.update({ALICE, BOB})
    env.history.record(ALICE, _entry(SECRET_TEXT))
    env.history.record(BOB, _entry("bob"))
    path = env.log(ALICE)
    env.history.delete(ALICE)
    assert not path.exists()
    assert env.history.read(ALICE) == []
    assert env.history.conversations() == [BOB]
    env.history.record(ALICE, _entry("fresh"))
    assert [e.body.reveal() for e in env.history.read(ALICE)] == ["fresh"]
    orphan = env.root / "history" / f"{'ab' * 16}.log"  # a log the vault never listed
    orphan.write_bytes(b"TIMBHST\0" + bytes(16))
    env.history.delete_all()
    assert env.history.conversations() == []
    assert not [p for p in (env.root / "history").iterdir()]
    env.history.delete(ALICE)  # deleting nothing is fine


def test_missing_file_with_a_count_reads_empty(env: Env) -> None:
    """A log file lost (removed by hand, a damaged disk) must not make history unusable."""
    path = _three(env)
    path.unlink()
    assert env.history.read(ALICE) == []
    env.history.record(ALICE, _entry("again"))
    assert [e.body.reveal() for e in env.history.read(ALICE)] == ["again"]


# -- a deleted log stays deleted (issue 9, item 10) --------------------------------------------


def test_a_deleted_log_copied_back_is_never_read(env: Env, tmp_path: Path) -> None:
    path = _three(env)
    stolen = path.read_bytes()
    env.history.delete(ALICE)
    path.write_bytes(stolen)  # the attacker (or a backup tool) puts the old file back
    assert env.history.read(ALICE) == []
    assert env.history.conversations() == []
    env.reopen()
    assert env.history.read(ALICE) == []
    env.history.record(ALICE, _entry("after the delete"))
    assert [e.body.reveal() for e in env.history.read(ALICE)] == ["after the delete"]
    env.reopen()
    assert [e.body.reveal() for e in env.history.read(ALICE)] == ["after the delete"]
    assert b"m0" not in path.read_bytes() and len(path.read_bytes()) < len(stolen)


def test_a_deleted_log_copied_over_its_successor_is_detected(env: Env) -> None:
    path = _three(env)
    stolen = path.read_bytes()
    env.history.delete(ALICE)
    env.history.record(ALICE, _entry("new"))
    path.write_bytes(stolen)
    with pytest.raises(HistoryCorrupted):
        env.history.read(ALICE)


def test_logs_copied_back_after_delete_all_are_never_read(env: Env) -> None:
    env.on.update({ALICE, BOB})
    for n in range(2):
        env.history.record(ALICE, _entry(f"a{n}", n))
        env.history.record(BOB, _entry(f"b{n}", n))
    saved = _snapshot(env.root / "history")
    env.history.delete_all()
    for name, data in saved.items():
        (env.root / "history" / name).write_bytes(data)
    assert env.history.read(ALICE) == [] and env.history.read(BOB) == []
    env.history.record(BOB, _entry("fresh"))
    assert [e.body.reveal() for e in env.history.read(BOB)] == ["fresh"]


def test_a_crash_inside_delete_leaves_only_an_unreadable_file(env: Env) -> None:
    """The vault forgets the salt before the file goes: a crash between the two leaves a file
    that is never read (and is overwritten by the next record)."""
    path = _three(env)
    leftover = path.read_bytes()
    env.history.delete(ALICE)
    path.write_bytes(leftover)  # what the crash left
    env.reopen()
    assert env.history.read(ALICE) == []


def test_each_generation_of_a_log_has_its_own_salt(env: Env) -> None:
    _three(env)
    logs = env.vault.section("history")["logs"]
    assert isinstance(logs, dict)
    (first,) = logs.values()
    assert isinstance(first, dict) and len(bytes.fromhex(str(first["salt"]))) == 16
    env.history.delete(ALICE)
    env.history.record(ALICE, _entry("again"))
    (second,) = logs.values()
    assert isinstance(second, dict) and second["salt"] != first["salt"]


def test_a_log_from_before_salts_still_reads_and_grows(env: Env) -> None:
    path = _three(env)
    master = env.history._master_key()
    assert master is not None
    tag = conversation_tag(master, ALICE)
    legacy = file_key(master, tag, b"").reveal()  # how logs were keyed before salts
    path.write_bytes(file_header(tag) + encode_record(legacy, tag, 0, _entry("old", 0), bytes(12)))
    logs = env.vault.section("history")["logs"]
    assert isinstance(logs, dict)
    logs[tag.hex()] = {"conversation": ALICE, "count": 1}
    env.vault.save()
    env.reopen()
    assert [e.body.reveal() for e in env.history.read(ALICE)] == ["old"]
    env.history.record(ALICE, _entry("new", 1))
    env.reopen()
    assert [e.body.reveal() for e in env.history.read(ALICE)] == ["old", "new"]


@pytest.mark.parametrize("salt", ["zz", "00" * 8, 7])
def test_a_damaged_salt_is_reported(env: Env, salt: object) -> None:
    _three(env)
    logs = env.vault.section("history")["logs"]
    assert isinstance(logs, dict)
    (log,) = logs.values()
    assert isinstance(log, dict)
    log["salt"] = salt  # type: ignore[assignment]
    with pytest.raises(HistoryCorrupted, match="index"):
        env.history.read(ALICE)
    with pytest.raises(HistoryCorrupted, match="index"):
        env.history.record(ALICE, _entry("x"))


_OPS = st.lists(
    st.one_of(
        st.just(("record", 0)),
        st.just(("delete", 0)),
        st.just(("steal", 0)),
        st.tuples(st.just("put_back"), st.integers(0, 7)),
        st.just(("reopen", 0)),
    ),
    max_size=14,
)


@settings(max_examples=40, deadline=None)
@given(ops=_OPS)
def test_no_sequence_of_deletes_and_copies_brings_a_deleted_message_back(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int]]
) -> None:
    """Whatever is copied back, and when: a read is the live log or HistoryCorrupted, never a
    deleted message; with nothing put back since the last delete it is the live log."""
    env = Env(tmp_path_factory.mktemp("ops") / "profile")
    env.on.add(ALICE)
    live: list[str] = []
    stolen: list[bytes] = []
    tampered = False
    try:
        for n, (op, k) in enumerate(ops):
            path = env.root / "history" / f"{_tag(env)}.log"
            if op == "record":
                try:
                    env.history.record(ALICE, _entry(f"m{n}", n))
                    live.append(f"m{n}")
                except HistoryCorrupted:
                    assert tampered
            elif op == "delete":
                env.history.delete(ALICE)
                live, tampered = [], False
            elif op == "steal" and path.exists():
                stolen.append(path.read_bytes())
            elif op == "put_back" and stolen:
                path.parent.mkdir(mode=0o700, exist_ok=True)
                path.write_bytes(stolen[k % len(stolen)])
                tampered = True
            elif op == "reopen":
                env.reopen()
            try:
                assert [e.body.reveal() for e in env.history.read(ALICE)] == live
            except HistoryCorrupted:
                assert tampered
    finally:
        env.vault.lock()


def _tag(env: Env) -> str:
    master = env.history._master_key()
    return "none" if master is None else conversation_tag(master, ALICE).hex()


# -- oversize messages are cut, never refused with an exception (issue 9, item 6) --------------


def test_an_oversize_body_is_cut_at_a_character_boundary_with_a_notice(env: Env) -> None:
    body = "\ufffd" * 400_000  # what 400 kB of invalid UTF-8 through OTR becomes: 1.2 MB
    entry, truncated = HistoryEntry.fitted(
        Direction.INCOMING, 1.0, Secret(body), encrypted=True, verified=False
    )
    assert truncated == Truncated(original=1_200_000, kept=MAX_BODY - MAX_BODY % 3)
    assert entry.truncated and entry.body.reveal() == "\ufffd" * (MAX_BODY // 3)
    env.on.add(ALICE)
    assert env.history.record(ALICE, entry) is True
    (back,) = env.history.read(ALICE)
    assert back.truncated and back.body.reveal() == entry.body.reveal()


@pytest.mark.parametrize("tail", ["\U0001f600", "\udc80", "\u00e9", "a"])
def test_fitted_cuts_any_character_whole(tail: str) -> None:
    body = "a" * (MAX_BODY - 1) + tail * 3
    entry, truncated = HistoryEntry.fitted(
        Direction.OUTGOING, 1.0, Secret(body), encrypted=True, verified=True
    )
    assert truncated is not None and truncated.kept <= MAX_BODY
    kept = entry.body.reveal()
    assert body.startswith(kept) and len(kept.encode("utf-8", "surrogatepass")) == truncated.kept


def test_a_body_that_fits_is_kept_whole() -> None:
    body = "x" * MAX_BODY
    entry, truncated = HistoryEntry.fitted(
        Direction.OUTGOING, 1.0, Secret(body), encrypted=True, verified=True
    )
    assert truncated is None and not entry.truncated and entry.body.reveal() == body
    assert "x" not in repr(entry)


def test_symlinked_log_is_refused(env: Env, tmp_path: Path) -> None:
    path = _three(env)
    target = tmp_path / "elsewhere"
    target.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(target)
    with pytest.raises(InsecureProfile):
        env.history.record(ALICE, _entry("x"))
    with pytest.raises(InsecureProfile):
        env.history.read(ALICE)


def test_entry_validation() -> None:
    with pytest.raises(ValueError):
        HistoryEntry(Direction.INCOMING, math.nan, Secret("x"), encrypted=True, verified=False)
    with pytest.raises(ValueError):
        HistoryEntry(Direction.INCOMING, 0.0, Secret("x" * (1024 * 1024 + 1)), encrypted=True, verified=False)
    assert "x" not in repr(
        HistoryEntry(Direction.INCOMING, 0.0, Secret("xyz"), encrypted=True, verified=False)
    )


def test_lengths_are_padded() -> None:
    key, tag = bytes(32), bytes(16)
    short = encode_record(key, tag, 0, _entry("a"), bytes(12))
    longer = encode_record(key, tag, 0, _entry("a" * 40), bytes(12))
    assert len(short) == len(longer)


# -- the record format, property-tested ------------------------------------------------------

entries_st = st.lists(
    st.builds(
        HistoryEntry,
        st.sampled_from(Direction),
        st.floats(allow_nan=False, allow_infinity=False),
        st.builds(Secret, st.text(max_size=200)),
        encrypted=st.booleans(),
        verified=st.booleans(),
    ),
    min_size=1,
    max_size=8,
)


def _log(entries: list[HistoryEntry], key: bytes, tag: bytes, seed: bytes) -> tuple[bytes, list[int]]:
    rnd = DeterministicRandom(seed)
    data, bounds = file_header(tag), []
    for i, e in enumerate(entries):
        data += encode_record(key, tag, i, e, rnd.randbytes(12))
        bounds.append(len(data))
    return data, bounds


@settings(max_examples=150, deadline=None)
@given(entries=entries_st, key=st.binary(min_size=32, max_size=32), tag=st.binary(min_size=16, max_size=16))
def test_round_trip_property(entries: list[HistoryEntry], key: bytes, tag: bytes) -> None:
    data, _ = _log(entries, key, tag, b"seed")
    decoded, end = decode_log(key, tag, data, len(entries))
    assert _same(decoded, entries) and end == len(data)


@settings(max_examples=150, deadline=None)
@given(entries=entries_st, data=st.data())
def test_any_mutation_of_committed_records_is_detected(
    entries: list[HistoryEntry], data: st.DataObject
) -> None:
    key, tag = bytes(range(32)), bytes(range(16))
    log, _ = _log(entries, key, tag, b"m")
    pos = data.draw(st.integers(0, len(log) - 1))
    flip = data.draw(st.integers(1, 255))
    bad = bytearray(log)
    bad[pos] ^= flip
    with pytest.raises(HistoryCorrupted):
        decode_log(key, tag, bytes(bad), len(entries))


@settings(max_examples=150, deadline=None)
@given(entries=entries_st, data=st.data())
def test_any_truncation_of_committed_records_is_detected(
    entries: list[HistoryEntry], data: st.DataObject
) -> None:
    key, tag = bytes(range(32)), bytes(range(16))
    log, _ = _log(entries, key, tag, b"t")
    cut = data.draw(st.integers(0, len(log) - 1))
    with pytest.raises(HistoryCorrupted):
        decode_log(key, tag, log[:cut], len(entries))


@settings(max_examples=100, deadline=None)
@given(entries=entries_st.filter(lambda es: len(es) >= 2), data=st.data())
def test_any_reordering_is_detected(entries: list[HistoryEntry], data: st.DataObject) -> None:
    key, tag = bytes(range(32)), bytes(range(16))
    log, bounds = _log(entries, key, tag, b"r")
    starts = [len(file_header(tag)), *bounds[:-1]]
    frames = [log[s:e] for s, e in zip(starts, bounds, strict=True)]
    order = data.draw(st.permutations(range(len(frames))))
    if order == sorted(order):
        order = order[1:] + order[:1]
    with pytest.raises(HistoryCorrupted):
        decode_log(key, tag, file_header(tag) + b"".join(frames[i] for i in order), len(entries))


@settings(max_examples=100, deadline=None)
@given(entries=entries_st, garbage=st.binary(max_size=80))
def test_uncommitted_tail_is_cut_at_the_first_bad_frame(entries: list[HistoryEntry], garbage: bytes) -> None:
    key, tag = bytes(range(32)), bytes(range(16))
    log, _ = _log(entries, key, tag, b"g")
    decoded, end = decode_log(key, tag, log + garbage, len(entries))
    assert _same(decoded, entries) and end == len(log)


def test_records_from_several_threads_all_land(env: Env) -> None:
    env.on.update({ALICE, BOB})

    def work(i: int) -> None:
        for n in range(8):
            env.history.record(ALICE if i % 2 else BOB, _entry(f"{i}-{n}", n))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    env.reopen()
    alice = sorted(e.body.reveal() for e in env.history.read(ALICE))
    bob = sorted(e.body.reveal() for e in env.history.read(BOB))
    assert alice == sorted(f"{i}-{n}" for i in (1, 3) for n in range(8))
    assert bob == sorted(f"{i}-{n}" for i in (0, 2) for n in range(8))
