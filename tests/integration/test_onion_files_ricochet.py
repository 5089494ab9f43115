"""Files between a TimbService and the real Ricochet Refresh (libtego 3.0.41 tego_peer) over the
private Tor network, through ``im.ricochet.file-transfer``: 100 kB each way with the SHA3-512
checked on both sides, and a refusal and a cancel each way (skipped without ../shared, failing
under CI); and TIMB to TIMB: a photo sent with GPS EXIF arrives without it."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from tests.fixtures.ricochet import TegoFactory
from tests.fixtures.tor import TorNetwork
from tests.integration.test_onion_service import Side, running
from tests.unit.test_ft_metadata import PLAIN_JPEG, _gps_exif
from timb.core.onion_events import (
    OnionContactRequested,
    OnionFileChanged,
    OnionFileOffered,
    OnionPresenceChanged,
)

pytestmark = pytest.mark.integration
SIZE = 100_000


def _file_state(side: Side, transfer: str, state: str) -> OnionFileChanged | None:
    for e in side.events:
        if isinstance(e, OnionFileChanged) and e.transfer == transfer and e.state == state:
            return e
    return None


def _sha3(path: Path) -> str:
    return hashlib.sha3_512(path.read_bytes()).hexdigest()


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _offers(side: Side) -> list[OnionFileOffered]:
    return [e for e in side.events if isinstance(e, OnionFileOffered)]


async def test_files_both_ways_with_ricochet_and_a_refusal_and_a_cancel_each_way(
    tor_network: TorNetwork, tego_factory: TegoFactory, tmp_path: Path
) -> None:
    tego = await tego_factory("f")
    b_id = await tego.start()
    outgoing = tmp_path / "out" / "report.bin"  # a type mat2 does not know: it goes as it is
    outgoing.parent.mkdir()
    outgoing.write_bytes(os.urandom(SIZE))
    theirs = tmp_path / "theirs.bin"
    theirs.write_bytes(os.urandom(SIZE))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    async with running(tor_network, tmp_path / "svc", create=True) as a:
        me = a.onion.list_identities()[0].address.removeprefix("ricochet:")
        await a.onion.go_online("me")
        await a.onion.add_contact("me", f"ricochet:{b_id}", message="files?")
        await tego.event("request-from", id=me, timeout=120)
        await tego.send(f"accept {me}")
        await a.wait(
            lambda: any(isinstance(e, OnionPresenceChanged) and e.online for e in a.events), "B online"
        )
        contact = f"ricochet:{b_id}"

        # TIMB -> Ricochet: offered, accepted by libtego, saved there with the same SHA3-512
        offer = await a.onion.send_file("me", contact, outgoing)
        assert (offer.name, offer.size, offer.metadata) == ("report.bin", SIZE, "unsupported")
        req = await tego.event("file-request", id=me, timeout=60)
        assert (req["name"], req["size"]) == ("report.bin", SIZE)
        assert req["hash"] == _sha3(outgoing)
        dest = tmp_path / "at-ricochet.bin"
        await tego.send(f"accept-file {me} {req['file_id']} {dest}")
        done = await tego.event("file-complete", id=me, file_id=req["file_id"], timeout=60)
        assert done["result"] == "success"
        assert dest.read_bytes() == outgoing.read_bytes()
        await a.wait(lambda: _file_state(a, offer.transfer, "completed") is not None, "TIMB: completed")

        # Ricochet -> TIMB: accepted into the inbox, checked, saved 0600
        await tego.send(f"send-file {me} {theirs}")
        sent = await tego.event("file-sent", id=me)
        await a.wait(lambda: len(_offers(a)) == 1, "TIMB: the offer")
        (offered,) = _offers(a)
        assert (offered.name, offered.size) == ("theirs.bin", SIZE)
        await a.onion.accept_file("me", offered.transfer, inbox)
        await a.wait(lambda: _file_state(a, offered.transfer, "completed") is not None, "TIMB: saved")
        saved = Path(_file_state(a, offered.transfer, "completed").saved_as)  # type: ignore[union-attr]
        assert saved.parent == inbox and _sha3(saved) == sent["hash"]
        assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
        assert (await tego.event("file-complete", id=me, file_id=sent["file_id"]))["result"] == "success"

        # refusals: Ricochet refuses ours, TIMB refuses theirs (nothing is written)
        refused = await a.onion.send_file("me", contact, outgoing, strip_metadata=False)
        req = await tego.event("file-request", id=me, timeout=60)
        await tego.send(f"reject-file {me} {req['file_id']}")
        await a.wait(lambda: _file_state(a, refused.transfer, "rejected") is not None, "TIMB: refused")
        assert _file_state(a, refused.transfer, "rejected").by_peer  # type: ignore[union-attr]
        await tego.send(f"send-file {me} {theirs}")
        sent = await tego.event("file-sent", id=me)
        await a.wait(lambda: len(_offers(a)) == 2, "TIMB: the second offer")
        a.onion.reject_file("me", _offers(a)[1].transfer)
        response = await tego.event("file-response", id=me, file_id=sent["file_id"], timeout=60)
        assert response["response"] == "reject"
        assert sorted(os.listdir(inbox)) == [saved.name]

        # cancels, before an answer: ours reaches libtego, libtego's reaches TIMB
        mine = await a.onion.send_file("me", contact, outgoing, strip_metadata=False)
        req = await tego.event("file-request", id=me, timeout=60)
        a.onion.cancel_file("me", mine.transfer)
        done = await tego.event("file-complete", id=me, file_id=req["file_id"], timeout=60)
        assert done["result"] == "cancelled"
        await tego.send(f"send-file {me} {theirs}")
        sent = await tego.event("file-sent", id=me)
        await a.wait(lambda: len(_offers(a)) == 3, "TIMB: the third offer")
        await tego.send(f"cancel-file {me} {sent['file_id']}")
        third = _offers(a)[2].transfer
        await a.wait(lambda: _file_state(a, third, "cancelled") is not None, "TIMB: cancelled by them")
        assert _file_state(a, third, "cancelled").by_peer  # type: ignore[union-attr]
        assert sorted(os.listdir(inbox)) == [saved.name]


async def test_timb_to_timb_a_photo_arrives_without_its_gps(tor_network: TorNetwork, tmp_path: Path) -> None:
    photo = tmp_path / "IMG_0001.JPG"
    photo.write_bytes(PLAIN_JPEG[:2] + _gps_exif() + PLAIN_JPEG[2:] + os.urandom(300_000))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    async with (
        running(tor_network, tmp_path / "a", create=True) as a,
        running(tor_network, tmp_path / "b", create=True) as b,
    ):
        a_id, b_id = a.onion.list_identities()[0].address, b.onion.list_identities()[0].address
        await a.onion.go_online("me")
        await b.onion.go_online("me")
        await a.onion.add_contact("me", b_id)
        await b.wait(lambda: any(isinstance(e, OnionContactRequested) for e in b.events), "B: request")
        await b.onion.accept("me", a_id)
        await a.wait(lambda: a.presence(True), "A sees B online")
        await b.wait(lambda: b.presence(True), "B sees A online")
        offer = await a.onion.send_file("me", b_id, photo)
        assert offer.metadata == "removed" and "GPSLatitude" in offer.metadata_removed
        await b.wait(lambda: len(_offers(b)) == 1, "B: the offer")
        (offered,) = _offers(b)
        assert (offered.name, offered.size) == ("IMG_0001.JPG", offer.size)
        await b.onion.accept_file("me", offered.transfer, inbox)
        await b.wait(lambda: _file_state(b, offered.transfer, "completed") is not None, "B: saved")
        await a.wait(lambda: _file_state(a, offer.transfer, "completed") is not None, "A: completed")
        saved = Path(_file_state(b, offered.transfer, "completed").saved_as)  # type: ignore[union-attr]
        arrived = _read(saved)
        assert arrived.startswith(b"\xff\xd8") and b"Exif\0\0" not in arrived
        assert b"Exif\0\0" in _read(photo)  # the user's original is untouched
