"""The service's onion file transfers (`timb.core.service.onion_files`): offers, the cap, saving
through `IncomingFile` (safe names, 0600, hash checked), mat2 on send, and the adapter's events,
with a recording peer (the real cores and the real Ricochet peer: test_onion_files.py and
tests/integration/test_onion_files_ricochet.py)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_ft_metadata import PLAIN_JPEG, _gps_exif
from timb.common.clock import FakeClock
from timb.common.ids import OnionAddress
from timb.common.random import DeterministicRandom
from timb.core.errors import NotFound, Unavailable
from timb.core.onion_events import OnionFileChanged, OnionFileOffered
from timb.core.service.onion_files import MAX_OFFERS_WAITING, OnionFiles
from timb.core.service.onion_runtime import IdentityRuntime, OnionHooks
from timb.core.service.onion_store import ContactStatus, OnionContact, StoredIdentity
from timb.net.errors import NotConnectedError
from timb.net.onion import peer_events as pe
from timb.net.onion.events import FileEnd
from timb.net.onion.identity import OnionIdentity
from timb.ui.cli.jsonrpc_onion import ONION_NOTIFICATIONS, onion_params

THEM = OnionIdentity.generate(DeterministicRandom(b"them")).address
DATA = b"the leaked memo\n" * 1000


class RecordingPeer:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []
        self.accepted: dict[int, Any] = {}
        self.rejected: list[int] = []
        self.cancelled: list[tuple[int, bool]] = []

    def send_file(self, peer: OnionAddress, size: int, name: str, digest: bytes, source: Any) -> int:
        self.sent.append((peer, size, name, digest, source))
        return 41

    def accept_file(self, peer: OnionAddress, file_id: int, sink: Any) -> None:
        self.accepted[file_id] = sink

    def reject_file(self, peer: OnionAddress, file_id: int) -> None:
        self.rejected.append(file_id)

    def cancel_file(self, peer: OnionAddress, file_id: int, *, outgoing: bool) -> None:
        self.cancelled.append((file_id, outgoing))


class Harness:
    def __init__(self) -> None:
        self.events: list[Any] = []
        self.peer: RecordingPeer | None = RecordingPeer()
        self.tasks: list[asyncio.Task[None]] = []
        self.files = OnionFiles(self.events.append, self._spawn, FakeClock(), lambda _i: self.peer)

    def _spawn(self, work: Any) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self.tasks.append(task)
        return task

    async def settle(self) -> None:
        await asyncio.gather(*self.tasks)
        self.tasks.clear()

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def read(path: Path) -> bytes:
    return path.read_bytes()


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def offer(h: Harness, name: str = "memo.txt", data: bytes = DATA, file_id: int = 9) -> OnionFileOffered:
    h.files.handle("me", pe.FileOffer(THEM, file_id, len(data), name, hashlib.sha3_512(data).digest()))
    [offered] = h.of(OnionFileOffered)
    return offered


async def test_an_accepted_file_is_saved_0600_under_a_sanitised_name_once_its_hash_matches(
    tmp_path: Path,
) -> None:
    h = Harness()
    offered = offer(h, name="../../.bashrc\u202egpj.exe")
    assert "/" not in offered.name and not offered.name.startswith(".") and "\u202e" not in offered.name
    assert listing(tmp_path) == []  # nothing before the user accepts
    await h.files.accept(offered.transfer, tmp_path)
    assert h.peer is not None
    sink = h.peer.accepted[9]
    sink.write(DATA[:1000])
    h.files.handle("me", pe.FileMoved(THEM, 9, False, 1000, len(DATA)))
    assert listing(tmp_path)[0].startswith(".timb-partial-")  # never the final name early
    sink.write(DATA[1000:])
    h.files.handle("me", pe.FileMoved(THEM, 9, False, len(DATA), len(DATA)))
    h.files.handle("me", pe.FileDone(THEM, 9, False, FileEnd.COMPLETED))
    with pytest.raises(NotFound):  # being saved: a cancel now cannot race the check and the link
        h.files.cancel(offered.transfer)
    h.files.identity_offline("me")
    await h.settle()
    [done] = [e for e in h.of(OnionFileChanged) if e.state == "completed"]
    saved = Path(done.saved_as)
    assert saved.parent == tmp_path and saved.name == offered.name
    assert read(saved) == DATA
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    assert listing(tmp_path) == [saved.name]


async def test_bytes_that_do_not_match_the_hash_leave_nothing_in_the_folder(tmp_path: Path) -> None:
    h = Harness()
    offered = offer(h)
    await h.files.accept(offered.transfer, tmp_path)
    assert h.peer is not None
    h.peer.accepted[9].write(b"X" + DATA[1:])
    h.files.handle("me", pe.FileMoved(THEM, 9, False, len(DATA), len(DATA)))
    h.files.handle("me", pe.FileDone(THEM, 9, False, FileEnd.COMPLETED))  # a lying core or sender
    await h.settle()
    assert [e.state for e in h.of(OnionFileChanged)][-1] == "failed"
    assert listing(tmp_path) == []


async def test_a_transfer_that_ends_early_removes_its_partial_file(tmp_path: Path) -> None:
    h = Harness()
    offered = offer(h)
    await h.files.accept(offered.transfer, tmp_path)
    assert h.peer is not None
    h.peer.accepted[9].write(DATA[:10])
    h.files.handle("me", pe.FileDone(THEM, 9, False, FileEnd.CANCELLED, by_peer=True))
    [end] = h.of(OnionFileChanged)[-1:]
    assert (end.state, end.by_peer) == ("cancelled", True)
    assert listing(tmp_path) == []


def test_an_offer_over_the_cap_is_refused_without_asking() -> None:
    h = Harness()
    h.files.book.size_cap = 100
    h.files.handle("me", pe.FileOffer(THEM, 3, 101, "big.iso", b"\0" * 64))
    assert h.of(OnionFileOffered) == []
    assert h.peer is not None and h.peer.rejected == [3]
    [changed] = h.of(OnionFileChanged)
    assert changed.state == "rejected" and "cap" in changed.reason


def test_offers_waiting_per_identity_are_bounded() -> None:
    h = Harness()
    for i in range(MAX_OFFERS_WAITING + 5):
        h.files.handle("me", pe.FileOffer(THEM, i, 10, "f", b"\0" * 64))
    assert len(h.of(OnionFileOffered)) == MAX_OFFERS_WAITING
    assert h.peer is not None and h.peer.rejected == list(range(MAX_OFFERS_WAITING, MAX_OFFERS_WAITING + 5))


async def test_reject_and_cancel_tell_the_peer_and_unknown_transfers_are_not_found(tmp_path: Path) -> None:
    h = Harness()
    first = offer(h, file_id=1)
    h.files.reject(first.transfer)
    assert h.peer is not None and h.peer.rejected == [1]
    with pytest.raises(NotFound):
        await h.files.accept(first.transfer, tmp_path)
    with pytest.raises(NotFound):
        h.files.cancel("ft-999")


async def test_sending_strips_gps_from_a_photo_and_tells_only_the_files_name(tmp_path: Path) -> None:
    h = Harness()
    photo = tmp_path / "IMG_0001.JPG"
    photo.write_bytes(PLAIN_JPEG[:2] + _gps_exif() + PLAIN_JPEG[2:])
    result = await h.files.send("me", THEM, photo, strip=True)
    assert result.metadata == "removed" and {"GPSLatitude", "GPSLongitude"} <= set(result.metadata_removed)
    assert h.peer is not None
    [(peer, size, name, digest, source)] = h.peer.sent
    leaving = source.read()
    assert peer == THEM and name == "IMG_0001.JPG" and size == len(leaving)
    assert b"Exif\0\0" not in leaving and hashlib.sha3_512(leaving).digest() == digest
    h.files.handle("me", pe.FileAccepted(THEM, 41))
    h.files.handle("me", pe.FileMoved(THEM, 41, True, size, size))
    h.files.handle("me", pe.FileDone(THEM, 41, True, FileEnd.COMPLETED))
    assert [e.state for e in h.of(OnionFileChanged)] == ["offered", "running", "completed"]
    assert source.closed


async def test_a_type_mat2_does_not_know_goes_as_it_is_and_says_so(tmp_path: Path) -> None:
    h = Harness()
    blob = tmp_path / "data.bin"
    blob.write_bytes(b"\x00\x01opaque")
    assert (await h.files.send("me", THEM, blob, strip=True)).metadata == "unsupported"
    assert (await h.files.send("me", THEM, blob, strip=False)).metadata == "kept"


async def test_offline_identity_or_contact_is_unavailable_and_going_offline_fails_transfers(
    tmp_path: Path,
) -> None:
    h = Harness()
    offered = offer(h)
    h.files.identity_offline("me")
    assert h.of(OnionFileChanged)[-1].state == "failed"
    h.peer = None
    blob = tmp_path / "a.txt"
    blob.write_bytes(b"a")
    with pytest.raises(Unavailable):
        await h.files.send("me", THEM, blob, strip=False)
    with pytest.raises(NotFound):
        await h.files.accept(offered.transfer, tmp_path)


def test_jsonrpc_exposes_the_file_methods_from_their_signatures() -> None:
    names = {
        m: [(p.name, p.required) for p in onion_params(m)] for m in ("onion.file.send", "onion.file.accept")
    }
    assert names["onion.file.send"] == [
        ("identity", True),
        ("contact", True),
        ("path", True),
        ("strip_metadata", False),
    ]
    assert names["onion.file.accept"] == [("identity", True), ("transfer", True), ("folder", True)]
    assert ONION_NOTIFICATIONS[OnionFileOffered] == "onion.file.offer"
    assert ONION_NOTIFICATIONS[OnionFileChanged] == "onion.file"


def test_a_strangers_offer_is_refused_and_a_gone_connection_does_not_crash_the_runtime() -> None:
    me = OnionIdentity.generate(DeterministicRandom(b"me"))
    ident = StoredIdentity("me", me.seed, "", None)
    ident.contacts[THEM] = OnionContact(THEM, ContactStatus.BLOCKED, True)
    seen: list[Any] = []

    class GonePeer(RecordingPeer):
        def reject_file(self, peer: OnionAddress, file_id: int) -> None:
            super().reject_file(peer, file_id)
            raise NotConnectedError("gone")

    peer = GonePeer()
    files = Harness().files
    runtime = IdentityRuntime(ident, peer, OnionHooks(seen.append, lambda: None, lambda: False, files))  # type: ignore[arg-type]
    runtime.handle(pe.FileOffer(THEM, 5, 10, "x", b"\0" * 64))
    assert peer.rejected == [5] and seen == []
