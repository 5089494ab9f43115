"""`XmppFiles`: two services' file parts paired through fakes of the OTR session (TLV 8) and of
the adapters' in-band bytestreams, plus hostile peers speaking the raw messages."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from tests.unit.test_ft_metadata import PLAIN_JPEG, _gps_exif
from timb.common.clock import FakeClock
from timb.common.ids import Fingerprint, Jid
from timb.common.secret import Secret
from timb.core.events import OtrState
from timb.core.extra_keys import FileConversations
from timb.core.file_events import FileChanged, FileKeyReceived, FileOffered, FileProgress
from timb.core.files import xmpp_offer as wire
from timb.core.files.encrypted_stream import StreamKeys, StreamSealer
from timb.core.files.errors import TransferRefused
from timb.core.service.xmpp_files import XmppFiles
from timb.net.errors import RemoteError
from timb.net.xmpp import ibb

ALICE, BOB, EVE = "alice@timb.test", "bob@timb.test", "eve@timb.test"
FP = {ALICE: Fingerprint.from_hex("aa" * 20), BOB: Fingerprint.from_hex("bb" * 20)}


class FakeConv(FileConversations):
    """Only TLV 8: delivered to the other side as FileKeyReceived, with the same key."""

    def __init__(self, side: Side) -> None:
        self.side = side

    def send_extra_key(self, contact: str, use: int, data: bytes) -> Secret[bytes]:
        key = os.urandom(32)
        peer = self.side.peers[contact]
        got = peer.tamper(key)
        event = FileKeyReceived(peer.account, self.side.name, use, data, Secret(got), FP[self.side.name])
        asyncio.get_running_loop().call_soon(peer.files.on_key, event)
        self.side.sent.append(wire.decode(data))
        return Secret(key)


class FakeAdapter:
    def __init__(self, side: Side) -> None:
        self.side = side
        self.ibb_sink: Callable[[Jid, ET.Element], None] | None = None
        self.bound_jid: Jid | None = Jid.parse(side.name + "/res")
        self.elements: list[bytes] = []

    async def send_ibb(self, to: Jid, element: ET.Element) -> None:
        text = ET.tostring(element)
        self.elements.append(text)
        await asyncio.sleep(0)
        sink = self.side.peers[str(to.bare)].adapter.ibb_sink
        if sink is None:
            raise RemoteError("service-unavailable")
        assert self.bound_jid is not None
        sink(self.bound_jid, ET.fromstring(text))


class Link:
    def __init__(self, adapter: FakeAdapter) -> None:
        self.adapter = adapter


class Runtime:
    def __init__(self, side: Side) -> None:
        self.side = side
        self.link = Link(side.adapter)

    def otr_state(self, contact: str) -> OtrState:
        return OtrState.PRIVATE_UNVERIFIED if self.side.private else OtrState.NOT_PRIVATE

    def their_fingerprint(self, contact: str) -> Fingerprint | None:
        return FP.get(contact)

    def act(self, command: Callable[[FileConversations], Any]) -> Any:
        return command(self.side.conv)


class Side:
    def __init__(self, name: str, peers: dict[str, Side], tasks: set[asyncio.Task[None]]) -> None:
        self.name, self.account, self.peers = name, name.split("@", maxsplit=1)[0], peers
        self.private = True
        self.contacts = {ALICE, BOB} - {name}
        self.distrusted: set[Fingerprint] = set()
        self.tamper: Callable[[bytes], bytes] = lambda key: key
        self.sent: list[wire.FileMessage] = []
        self.events: list[object] = []
        self.changed = asyncio.Event()
        self.conv = FakeConv(self)
        self.adapter = FakeAdapter(self)
        self.runtimes = {self.account: Runtime(self)}

        def spawn(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
            task = asyncio.ensure_future(coro)
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            return task

        self.files = XmppFiles(self, self, self, emit=self.emit, spawn=spawn, clock=FakeClock())  # type: ignore[arg-type]
        peers[name] = self

    # AccountBook, ContactBook and TrustKeeper, as far as XmppFiles uses them
    def runtime(self, account_id: str) -> Runtime:
        return self.runtimes[account_id]

    def is_contact(self, account_id: str, contact: str) -> bool:
        return contact in self.contacts

    def is_verified(self, account: str, contact: str, fingerprint: Fingerprint) -> bool:
        return False

    def is_distrusted(self, account: str, contact: str, fingerprint: Fingerprint) -> bool:
        return fingerprint in self.distrusted

    def emit(self, event: object) -> None:
        self.events.append(event)
        self.changed.set()

    async def until(self, predicate: Callable[[list[object]], bool]) -> None:
        async with asyncio.timeout(30):
            while not predicate(self.events):
                self.changed.clear()
                await self.changed.wait()

    def states(self) -> list[str]:
        return [e.state for e in self.events if isinstance(e, FileChanged)]

    def offers(self) -> list[FileOffered]:
        return [e for e in self.events if isinstance(e, FileOffered)]


def files_in(folder: Path) -> list[Path]:
    return list(folder.iterdir())


def mode_and_bytes(path: Path) -> tuple[int, bytes]:
    return stat.S_IMODE(path.stat().st_mode), path.read_bytes()


def ended(events: list[object]) -> bool:
    return any(
        isinstance(e, FileChanged) and e.state in {"completed", "failed", "cancelled", "rejected"}
        for e in events
    )


@pytest.fixture
def pair() -> tuple[Side, Side]:
    peers: dict[str, Side] = {}
    tasks: set[asyncio.Task[None]] = set()
    return Side(ALICE, peers, tasks), Side(BOB, peers, tasks)


@pytest.mark.parametrize("size", [0, 1, 300_000])
async def test_a_file_goes_encrypted_and_is_saved_checked(
    pair: tuple[Side, Side], tmp_path: Path, size: int
) -> None:
    alice, bob = pair
    source, folder = tmp_path / "report.txt", tmp_path / "inbox"
    folder.mkdir()
    content = os.urandom(size)
    source.write_bytes(content)
    offer = await alice.files.send_file("alice", BOB, source, strip_metadata=False)
    assert (offer.name, offer.size, offer.metadata) == ("report.txt", size, "kept")
    await bob.until(lambda ev: bool(bob.offers()))
    (offered,) = bob.offers()
    assert (offered.contact, offered.name, offered.size) == (ALICE, "report.txt", size)
    assert files_in(folder) == []  # nothing before the user accepts
    await bob.files.accept_file("bob", offered.transfer, folder)
    await bob.until(ended)
    await alice.until(ended)
    assert bob.states() == ["running", "completed"] and alice.states() == ["offered", "running", "completed"]
    saved = Path(next(e.saved_as for e in bob.events if isinstance(e, FileChanged) and e.saved_as))
    assert saved == folder / "report.txt" and mode_and_bytes(saved) == (0o600, content)
    assert files_in(folder) == [saved]
    done = [m for m in bob.sent if isinstance(m, wire.Done)]
    assert len(done) == 1 and len(done[0].mac_key) == 32  # the MAC key revealed after
    window = content[:64]
    assert len(window) < 64 or not any(
        window in ET.fromstring(x).text.encode() for x in alice.adapter.elements if b"data" in x
    )


async def test_no_private_session_no_offer_and_says_why(pair: tuple[Side, Side], tmp_path: Path) -> None:
    alice, _bob = pair
    alice.private = False
    (tmp_path / "a.txt").write_bytes(b"secret")
    with pytest.raises(TransferRefused, match="private OTR"):
        await alice.files.send_file("alice", BOB, tmp_path / "a.txt", strip_metadata=False)
    assert alice.sent == [] and alice.events == []


async def test_a_strangers_offer_is_refused_unseen(pair: tuple[Side, Side], tmp_path: Path) -> None:
    alice, bob = pair
    bob.contacts = set()
    (tmp_path / "a.txt").write_bytes(b"x" * 10)
    await alice.files.send_file("alice", BOB, tmp_path / "a.txt", strip_metadata=False)
    await alice.until(ended)
    assert bob.offers() == [] and alice.states() == ["offered", "rejected"]


async def test_an_offer_under_a_distrusted_key_is_refused_unseen(
    pair: tuple[Side, Side], tmp_path: Path
) -> None:
    alice, bob = pair
    bob.distrusted = {FP[ALICE]}
    (tmp_path / "a.txt").write_bytes(b"x" * 10)
    await alice.files.send_file("alice", BOB, tmp_path / "a.txt", strip_metadata=False)
    await alice.until(ended)
    assert bob.offers() == [] and alice.states() == ["offered", "rejected"]


@pytest.mark.parametrize("who", ["sender", "receiver"])
async def test_cancel_on_either_side_leaves_nothing(
    pair: tuple[Side, Side], tmp_path: Path, who: str
) -> None:
    alice, bob = pair
    folder = tmp_path / "inbox"
    folder.mkdir()
    (tmp_path / "a.txt").write_bytes(os.urandom(2_000_000))
    sent = await alice.files.send_file("alice", BOB, tmp_path / "a.txt", strip_metadata=False)
    await bob.until(lambda ev: bool(bob.offers()))
    received = bob.offers()[0].transfer
    await bob.files.accept_file("bob", received, folder)
    await bob.until(lambda ev: any(isinstance(e, FileProgress) for e in ev))  # bytes are moving
    if who == "sender":
        alice.files.cancel_file("alice", sent.transfer)
    else:
        bob.files.cancel_file("bob", received)
    await alice.until(ended)
    await bob.until(ended)
    assert alice.states()[-1] == bob.states()[-1] == "cancelled"
    by_peer = [
        e.by_peer
        for e in (alice.events + bob.events)
        if isinstance(e, FileChanged) and e.state == "cancelled"
    ]
    assert sorted(by_peer) == [False, True]
    assert files_in(folder) == [] and bob.adapter.ibb_sink is None  # no stream is taken any more


async def test_a_wrong_mac_saves_nothing(pair: tuple[Side, Side], tmp_path: Path) -> None:
    alice, bob = pair
    bob.tamper = lambda key: bytes([key[0] ^ 1]) + key[1:]  # bob derives other keys: the tag fails
    folder = tmp_path / "inbox"
    folder.mkdir()
    (tmp_path / "a.txt").write_bytes(os.urandom(50_000))
    await alice.files.send_file("alice", BOB, tmp_path / "a.txt", strip_metadata=False)
    await bob.until(lambda ev: bool(bob.offers()))
    await bob.files.accept_file("bob", bob.offers()[0].transfer, folder)
    await bob.until(ended)
    await alice.until(ended)
    assert bob.states()[-1] == "failed" and alice.states()[-1] == "failed"
    assert files_in(folder) == []


class Hostile:
    """A peer that speaks the raw messages to bob: its own offer, its own stream."""

    def __init__(self, bob: Side, sid: str = "ab" * 16) -> None:
        self.bob, self.sid = bob, sid
        self.key = os.urandom(32)

    def offer(self, size: int, digest: bytes, name: str = "f.bin") -> None:
        data = wire.encode(wire.Offer(self.sid, name, size, digest))
        self.bob.files.on_key(
            FileKeyReceived("bob", ALICE, wire.USE_TIMB_FILE, data, Secret(self.key), FP[ALICE])
        )

    def stream(self, content: bytes, frm: str = ALICE + "/res") -> list[RemoteError]:
        sealer = StreamSealer(StreamKeys(Secret(self.key)), os.urandom(16))
        sender = ibb.IbbSender(self.sid, 4096)
        elements = [
            sender.open(),
            *sender.data(sealer.header() + sealer.seal(content) + sealer.finish()),
            sender.close(),
        ]
        sink = self.bob.adapter.ibb_sink
        assert sink is not None
        errors = []
        for element in elements:
            try:
                sink(Jid.parse(frm), ET.fromstring(ET.tostring(element.to_element())))
            except RemoteError as exc:
                errors.append(exc)
        return errors


async def accept(bob: Side, folder: Path) -> None:
    await bob.files.accept_file("bob", bob.offers()[-1].transfer, folder)


@pytest.mark.parametrize("declared", [10, 5000])
async def test_a_peer_that_lies_about_the_size_saves_nothing(
    pair: tuple[Side, Side], tmp_path: Path, declared: int
) -> None:
    _alice, bob = pair
    content = os.urandom(1000)
    hostile = Hostile(bob)
    hostile.offer(declared, hashlib.sha3_512(content).digest())
    await accept(bob, tmp_path)
    errors = hostile.stream(content)
    if declared < len(content):
        assert errors and errors[0].condition == "not-acceptable"
    await bob.until(ended)
    assert bob.states()[-1] == "failed" and files_in(tmp_path) == []


async def test_a_stream_from_someone_else_is_refused(pair: tuple[Side, Side], tmp_path: Path) -> None:
    _alice, bob = pair
    content = os.urandom(100)
    hostile = Hostile(bob)
    hostile.offer(len(content), hashlib.sha3_512(content).digest())
    await accept(bob, tmp_path)
    errors = hostile.stream(content, frm=EVE + "/res")
    assert errors and {e.condition for e in errors} == {"item-not-found"}
    assert bob.states() == ["running"]  # nothing changed: the contact's own stream is still awaited
    assert hostile.stream(content) == []
    await bob.until(ended)
    assert bob.states()[-1] == "completed" and mode_and_bytes(tmp_path / "f.bin") == (0o600, content)


async def test_hostile_names_a_cap_and_malformed_messages(pair: tuple[Side, Side], tmp_path: Path) -> None:
    _alice, bob = pair
    Hostile(bob, "01" * 16).offer(3, b"\0" * 64, name="../../.bashrc\u202e")
    assert bob.offers()[-1].name == "bashrc"
    bob.files.set_file_size_cap(100)
    Hostile(bob, "02" * 16).offer(101, b"\0" * 64)
    assert bob.states()[-1] == "rejected" and len(bob.offers()) == 1
    for data in (b"{", b'{"op":"offer","sid":"x"}', b"[]", b'{"op":"done","sid":"' + b"03" * 16 + b'"}'):
        bob.files.on_key(
            FileKeyReceived("bob", ALICE, wire.USE_TIMB_FILE, data, Secret(b"k" * 32), FP[ALICE])
        )
    assert len(bob.offers()) == 1 and len(bob.states()) == 1
    for n in range(200):  # refused offers leave nothing behind: memory stays bounded
        Hostile(bob, f"{n:032x}").offer(101, b"\0" * 64)
    assert len(bob.files.book._transfers) == 1  # the one offer waiting for the user


async def test_a_photo_with_gps_arrives_without_it(pair: tuple[Side, Side], tmp_path: Path) -> None:
    alice, bob = pair
    photo, folder = tmp_path / "IMG_0001.JPG", tmp_path / "inbox"
    folder.mkdir()
    photo.write_bytes(PLAIN_JPEG[:2] + _gps_exif() + PLAIN_JPEG[2:])
    offer = await alice.files.send_file("alice", BOB, photo)  # mat2 on by default
    assert offer.metadata == "removed" and {"GPSLatitude", "GPSLongitude"} <= set(offer.metadata_removed)
    await bob.until(lambda ev: bool(bob.offers()))
    await bob.files.accept_file("bob", bob.offers()[0].transfer, folder)
    await bob.until(ended)
    _mode, arrived = mode_and_bytes(folder / "IMG_0001.JPG")
    assert arrived.startswith(b"\xff\xd8") and b"Exif\0\0" not in arrived
    assert bob.offers()[0].size == len(arrived) == offer.size


async def test_losing_the_server_fails_the_transfers_and_leaves_nothing(
    pair: tuple[Side, Side], tmp_path: Path
) -> None:
    alice, bob = pair
    (tmp_path / "a.txt").write_bytes(b"y" * 100)
    hostile = Hostile(bob)
    hostile.offer(1000, b"\0" * 64)
    await accept(bob, tmp_path)
    await alice.files.send_file("alice", BOB, tmp_path / "a.txt", strip_metadata=False)
    bob.files.account_offline("bob")
    alice.files.account_offline("alice")
    assert bob.states()[-1] == "failed" and alice.states()[-1] == "failed"
    assert files_in(tmp_path) == [tmp_path / "a.txt"] and bob.adapter.ibb_sink is None
