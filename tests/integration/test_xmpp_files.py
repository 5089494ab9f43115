"""Files between two TIMB services through the private Tor network and Prosody (an onion
service): the offer inside the OTR session, the bytes over in-band bytestreams through the
server (never a direct connection), the file saved checked. A 1 MB file and an empty one."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from tests.fixtures.prosody import ProsodyServer
from tests.fixtures.tor import TorNetwork
from tests.integration.test_service_xmpp import Local, local_client, setup_alice
from timb.core.events import CoreEvent, OtrState, OtrStateChanged
from timb.core.file_events import FileChanged, FileOffered
from timb.core.files.errors import TransferRefused

pytestmark = pytest.mark.integration

SIZE = 1 << 20


def private(local: Local) -> bool:
    return any(
        isinstance(e, OtrStateChanged) and e.state is OtrState.PRIVATE_UNVERIFIED for e in local.events
    )


def ended(transfer_count: int) -> object:
    def check(events: list[CoreEvent]) -> bool:
        done = [e for e in events if isinstance(e, FileChanged) and e.state in {"completed", "failed"}]
        return len(done) >= transfer_count

    return check


def offers(local: Local) -> list[FileOffered]:
    return [e for e in local.events if isinstance(e, FileOffered)]


def finals(local: Local) -> list[FileChanged]:
    return [e for e in local.events if isinstance(e, FileChanged) and e.state in {"completed", "failed"}]


def read(path: Path) -> tuple[int, bytes]:
    return stat.S_IMODE(path.stat().st_mode), path.read_bytes()


async def test_files_go_inside_otr_over_ibb_through_the_onion_prosody(
    tmp_path: Path,
    tor_network: TorNetwork,
    prosody_server: ProsodyServer,
    prosody_onion: str,
    xmpp_accounts: tuple[tuple[str, str], tuple[str, str]],
) -> None:
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    pin = prosody_server.cert_pin
    content = os.urandom(SIZE)
    big, empty, inbox = tmp_path / "big.bin", tmp_path / "empty.bin", tmp_path / "inbox"
    big.write_bytes(content)
    empty.write_bytes(b"")
    inbox.mkdir()
    async with (
        local_client(tmp_path / "alice", tor_network) as alice,
        local_client(tmp_path / "bob", tor_network) as bob,
    ):
        await setup_alice(alice, alice_jid, alice_pw, bob_jid, prosody_onion, pin)
        await setup_alice(bob, bob_jid, bob_pw, alice_jid, prosody_onion, pin)
        with pytest.raises(TransferRefused, match="private OTR"):  # not private yet: says why
            await alice.service.files.send_file("main", bob_jid, big, strip_metadata=False)
        alice.service.start_otr("main", bob_jid)
        await alice.wait(lambda _: private(alice))
        await bob.wait(lambda _: private(bob))
        started = time.monotonic()
        await alice.service.files.send_file("main", bob_jid, big, strip_metadata=False)
        await alice.service.files.send_file("main", bob_jid, empty, strip_metadata=False)
        await bob.wait(lambda _: len(offers(bob)) == 2)
        for offer in offers(bob):
            await bob.service.files.accept_file("main", offer.transfer, inbox)
        await bob.wait(ended(2), limit=300)
        await alice.wait(ended(2), limit=60)
        elapsed = time.monotonic() - started
        assert [e.state for e in finals(bob)] == ["completed", "completed"], (finals(bob), finals(alice))
        assert [e.state for e in finals(alice)] == ["completed", "completed"], finals(alice)
        saved = {Path(e.saved_as).name: Path(e.saved_as) for e in finals(bob)}
        assert read(saved["big.bin"]) == (0o600, content)
        assert read(saved["empty.bin"]) == (0o600, b"")
        assert sorted(p.name for p in inbox.iterdir()) == ["big.bin", "empty.bin"]  # no partial left
        print(f"\n1 MiB over IBB through tor and the onion Prosody: {SIZE / elapsed / 1024:.0f} KiB/s")
    stored = prosody_server.stored_bytes()
    assert stored
    for start in range(0, SIZE, SIZE // 16):
        assert content[start : start + 64] not in stored
