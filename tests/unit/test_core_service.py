"""TimbService end to end over a fake chat server (no tor, no sockets): profiles, accounts,
contacts, the AKE, messages both ways, trust, a client restart, and a server that sees no plaintext."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.fake_network import FakeServer
from timb.common.ids import Jid
from timb.common.secret import Secret
from timb.core.events import (
    ConnectionState,
    ConnectionStateChanged,
    CoreEvent,
    ErrorEvent,
    KeyChanged,
    MessageReceived,
    MessageState,
    MessageStateChanged,
    OtrState,
    OtrStateChanged,
    OtrUnavailable,
    SmpFinished,
    SmpOutcome,
    SmpRequested,
    TrustChanged,
    TrustLevel,
)
from timb.core.service import InvalidRequest, NotFound, ProfileError, TimbService
from timb.core.service.results import KnownKey
from timb.core.storage import StorageError

ALICE, BOB = "alice@timb.test", "bob@timb.test"
PASS = Secret("correct horse battery staple")


class Client:
    """A running service plus everything it emitted."""

    def __init__(self, service: TimbService, *, limit: float = 20.0) -> None:
        self.service = service
        self.events: list[CoreEvent] = []
        self.limit = limit  # default seconds to wait for an event
        self._changed = asyncio.Event()

    async def collect(self) -> None:
        async for event in self.service.events():
            self.events.append(event)
            self._changed.set()

    async def wait(self, predicate: Callable[[list[CoreEvent]], bool], limit: float | None = None) -> None:
        async with asyncio.timeout(self.limit if limit is None else limit):
            while not predicate(self.events):
                self._changed.clear()
                await self._changed.wait()

    def received(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, MessageReceived)]


@contextlib.asynccontextmanager
async def running(directory: Path, server: FakeServer) -> AsyncIterator[Client]:
    async with TimbService(directory, adapter_factory=server.factory) as service:
        client = Client(service)
        task = asyncio.create_task(client.collect())
        try:
            yield client
        finally:
            await service.close()
            await task


async def setup(client: Client, me: str, peer: str, *, create: bool = True) -> None:
    s = client.service
    if create:
        await s.create_profile(PASS)
        await s.add_account("main", me, Secret("pw"))
        await s.add_contact("main", peer)
    else:
        await s.unlock_profile(PASS)
    await s.connect("main")
    await client.wait(
        lambda ev: any(
            isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.CONNECTED for e in ev
        )
    )


def connection(state: ConnectionState) -> Callable[[list[CoreEvent]], bool]:
    return lambda ev: any(isinstance(e, ConnectionStateChanged) and e.state is state for e in ev)


def private_with(contact: str) -> Callable[[list[CoreEvent]], bool]:
    return lambda ev: any(
        isinstance(e, OtrStateChanged) and e.contact == contact and e.state is OtrState.PRIVATE_UNVERIFIED
        for e in ev
    )


async def test_two_services_chat_privately_and_the_server_sees_no_plaintext(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice, running(tmp_path / "b", server) as bob:
        await setup(alice, ALICE, BOB)
        await setup(bob, BOB, ALICE)
        a_texts = [f"alice says secret {i}" for i in range(20)]
        b_texts = [f"bob answers secret {i}" for i in range(20)]
        first = alice.service.send_message("main", BOB, a_texts[0]).id
        assert alice.service.message_state("main", first) is MessageState.PENDING
        await bob.wait(lambda ev: len([e for e in ev if isinstance(e, MessageReceived)]) == 1)
        for a, b in zip(a_texts[1:], b_texts[:-1], strict=True):
            alice.service.send_message("main", BOB, a)
            bob.service.send_message("main", ALICE, b)
        bob.service.send_message("main", ALICE, b_texts[-1])
        await bob.wait(lambda ev: len([e for e in ev if isinstance(e, MessageReceived)]) == 20)
        await alice.wait(lambda ev: len([e for e in ev if isinstance(e, MessageReceived)]) == 20)
        assert bob.received() == a_texts
        assert alice.received() == b_texts
        states = [e.state for e in alice.events if isinstance(e, ConnectionStateChanged)]
        assert states == [ConnectionState.CONNECTING, ConnectionState.CONNECTED]  # each shown once
        await alice.wait(lambda ev: alice.service.message_state("main", first) is MessageState.DELIVERED)
        assert server.log
        for body in server.log:
            assert body.startswith("?OTR")
            assert not any(t in body for t in a_texts + b_texts)
        # Fingerprints: each side sees the other's key, the one the other reports as its own.
        fa = alice.service.fingerprints("main", BOB)
        fb = bob.service.fingerprints("main", ALICE)
        assert fa.theirs == fb.ours and fb.theirs == fa.ours
        assert fa.known == (KnownKey(fb.ours, TrustLevel.UNVERIFIED),)
        # Verifying by hand makes the conversation "private verified".
        await alice.service.set_trust("main", BOB, fb.ours.human(), "verified")
        await alice.wait(lambda ev: any(isinstance(e, TrustChanged) for e in ev))
        await alice.wait(
            lambda ev: any(
                isinstance(e, OtrStateChanged) and e.state is OtrState.PRIVATE_VERIFIED for e in ev
            )
        )
        bob.service.send_message("main", ALICE, "now you know it is me")
        await alice.wait(lambda ev: isinstance(ev[-1], MessageReceived))
        assert alice.events[-1] == MessageReceived("main", BOB, "now you know it is me", True, True)


async def test_restarted_client_rekeys_and_gets_what_it_missed(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice:
        await setup(alice, ALICE, BOB)
        async with running(tmp_path / "b", server) as bob:
            await setup(bob, BOB, ALICE)
            alice.service.send_message("main", BOB, "before restart")
            await bob.wait(lambda ev: bob.received() == ["before restart"])
            await alice.wait(private_with(BOB))
            await asyncio.sleep(1.5)  # bob's acknowledgement goes out at the next poll
        # Bob is gone; Alice keeps writing (the server keeps it for him).
        missed = [alice.service.send_message("main", BOB, f"while away {i}").id for i in range(3)]
        async with running(tmp_path / "b", server) as bob2:
            await setup(bob2, BOB, ALICE, create=False)
            await bob2.wait(lambda ev: len(bob2.received()) == 3)
            await alice.wait(
                lambda ev: all(
                    alice.service.message_state("main", m) is MessageState.DELIVERED for m in missed
                )
            )
            assert bob2.received() == [f"while away {i}" for i in range(3)]
            # Same key after the restart (it lives in the profile): no key-change alarm.
            assert not any(isinstance(e, KeyChanged) for e in alice.events)
            resent = [e for e in alice.events if isinstance(e, MessageStateChanged) and e.id == missed[0]]
            assert [e.state for e in resent].count(MessageState.SENT) == 2


async def test_commands_fail_clearly(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice:
        s = alice.service
        with pytest.raises(ProfileError, match="no profile is unlocked"):
            s.list_accounts()
        with pytest.raises(ProfileError, match="no profile"):
            await s.unlock_profile(PASS)
        await s.create_profile(PASS)
        with pytest.raises(NotFound):
            s.send_message("nope", BOB, "text here")
        with pytest.raises(InvalidRequest):
            await s.add_account("x", "not a jid", Secret("pw"))
        await s.add_account("main", ALICE, Secret("pw"))
        with pytest.raises(InvalidRequest):
            await s.add_contact("main", BOB, policy="sometimes")
        with pytest.raises(InvalidRequest):
            s.send_message("main", "bad jid@", "text here")
        with pytest.raises(InvalidRequest, match="NUL"):  # OTR cannot carry it
            s.send_message("main", BOB, "text\x00here")
        assert [a.id for a in s.list_accounts()] == ["main"]
        assert "password" not in repr(s.list_accounts()[0]) and not hasattr(s.list_accounts()[0], "password")
    async with running(tmp_path / "a", server) as again:
        with pytest.raises(ProfileError, match="wrong passphrase"):
            await again.service.unlock_profile(Secret("wrong"))
        await again.service.unlock_profile(PASS)
        assert [a.id for a in again.service.list_accounts()] == ["main"]
        with pytest.raises(ProfileError, match="wrong passphrase"):
            await again.service.change_passphrase(Secret("wrong"), Secret("new passphrase"))
        await again.service.change_passphrase(PASS, Secret("new passphrase"))
    async with running(tmp_path / "a", server) as third:
        with pytest.raises(ProfileError, match="wrong passphrase"):
            await third.service.unlock_profile(PASS)
        await third.service.unlock_profile(Secret("new passphrase"))
        assert [a.id for a in third.service.list_accounts()] == ["main"]


async def test_wrong_password_is_a_failed_connection_not_a_crash(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice:
        await alice.service.create_profile(PASS)
        await alice.service.add_account("main", ALICE, Secret("pw"))
        server.refuse.add(Jid.parse(ALICE))
        await alice.service.connect("main")
        await alice.wait(
            lambda ev: any(
                isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.FAILED for e in ev
            )
        )


async def test_history_is_off_by_default_and_records_only_when_turned_on(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice, running(tmp_path / "b", server) as bob:
        await setup(alice, ALICE, BOB)
        await setup(bob, BOB, ALICE)
        alice.service.send_message("main", BOB, "not to be kept")
        await bob.wait(lambda ev: bob.received() == ["not to be kept"])
        for client in (alice, bob):
            assert not (client.service.profile_dir / "history").exists()
            assert await client.service.read_history("main", BOB if client is alice else ALICE) == []
        await bob.service.set_history("main", ALICE, True)
        alice.service.send_message("main", BOB, "keep this one")
        await bob.wait(lambda ev: bob.received()[-1:] == ["keep this one"])
        bob.service.send_message("main", ALICE, "and my answer")
        await alice.wait(lambda ev: alice.received() == ["and my answer"])
        await asyncio.sleep(0.2)  # the record is written by a task of the service
        kept = await bob.service.read_history("main", ALICE)
        assert [(e.direction.value, e.text, e.encrypted) for e in kept] == [
            ("in", "keep this one", True),
            ("out", "and my answer", True),
        ]
        assert not (alice.service.profile_dir / "history").exists()
        await bob.service.delete_history("main", ALICE)
        assert await bob.service.read_history("main", ALICE) == []


async def test_smp_success_marks_the_contact_verified_and_a_later_failure_unverifies(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice, running(tmp_path / "b", server) as bob:
        await setup(alice, ALICE, BOB)
        await setup(bob, BOB, ALICE)
        with pytest.raises(InvalidRequest, match="private"):
            alice.service.smp_start("main", BOB, Secret("our secret"))
        alice.service.send_message("main", BOB, "let us verify")
        await alice.wait(private_with(BOB))
        await bob.wait(private_with(ALICE))
        alice.service.smp_start("main", BOB, Secret("our secret"))
        await bob.wait(lambda ev: any(isinstance(e, SmpRequested) for e in ev))
        bob.service.smp_respond("main", ALICE, Secret("our secret"))
        await alice.wait(
            lambda ev: any(
                isinstance(e, OtrStateChanged) and e.state is OtrState.PRIVATE_VERIFIED for e in ev
            )
        )
        await bob.wait(
            lambda ev: any(
                isinstance(e, OtrStateChanged) and e.state is OtrState.PRIVATE_VERIFIED for e in ev
            )
        )  # no question: a shared secret verifies both ways
        known = alice.service.fingerprints("main", BOB).known
        assert known == (KnownKey(bob.service.fingerprints("main").ours, TrustLevel.VERIFIED),)
        # A later check whose answers differ may be a man in the middle: the key is no longer
        # verified, on both sides (as libotr), and the event says so.
        alice.service.smp_start("main", BOB, Secret("our secret"))
        await bob.wait(lambda ev: len([e for e in ev if isinstance(e, SmpRequested)]) == 2)
        bob.service.smp_respond("main", ALICE, Secret("another secret"))
        for client, peer in ((alice, BOB), (bob, ALICE)):
            await client.wait(lambda ev: any(isinstance(e, SmpFinished) and e.unverified for e in ev))
            [failed] = [e for e in client.events if isinstance(e, SmpFinished) and e.unverified]
            assert failed.outcome is SmpOutcome.FAILED and not failed.verified
            assert any(
                isinstance(e, TrustChanged) and e.trust is TrustLevel.UNVERIFIED for e in client.events
            )
            last = [e for e in client.events if isinstance(e, OtrStateChanged) and e.contact == peer][-1]
            assert last.state is OtrState.PRIVATE_UNVERIFIED
            assert [k.trust for k in client.service.fingerprints("main", peer).known or ()] == [
                TrustLevel.UNVERIFIED
            ]


async def test_nothing_is_sent_to_a_distrusted_key(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice, running(tmp_path / "b", server) as bob:
        await setup(alice, ALICE, BOB)
        await setup(bob, BOB, ALICE)
        alice.service.send_message("main", BOB, "first, before any doubt")
        await bob.wait(lambda ev: bob.received() == ["first, before any doubt"])
        theirs = alice.service.fingerprints("main", BOB).theirs
        assert theirs is not None
        await alice.service.set_trust("main", BOB, theirs.human(), "distrusted")
        held = alice.service.send_message("main", BOB, "not for that key").id
        await alice.wait(lambda ev: any(isinstance(e, OtrUnavailable) for e in ev))
        assert alice.service.message_state("main", held) is MessageState.PENDING
        await asyncio.sleep(1.2)  # a poll later: still held, not sent under the distrusted key
        assert alice.service.message_state("main", held) is MessageState.PENDING
        assert bob.received() == ["first, before any doubt"]
        await alice.service.set_trust("main", BOB, theirs.human(), "verified")  # checked by phone after all
        await bob.wait(lambda ev: bob.received()[-1:] == ["not for that key"])


async def test_only_accounts_marked_auto_connect_connect_at_unlock(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as first:
        await first.service.create_profile(PASS)
        await first.service.add_account("manual", ALICE, Secret("pw"))
        await first.service.add_account("auto", "carol@timb.test", Secret("pw"))
        await first.service.update_account("auto", auto_connect=True)
    async with running(tmp_path / "a", server) as again:
        await again.service.unlock_profile(PASS)
        await again.wait(connection(ConnectionState.CONNECTED))
        await asyncio.sleep(0.2)
        connected = {e.account for e in again.events if isinstance(e, ConnectionStateChanged)}
        assert connected == {"auto"}
        state = {a.id: a.connected for a in again.service.list_accounts()}
        assert state == {"manual": False, "auto": True}


async def test_a_background_save_that_fails_is_reported_and_the_service_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new contact key is saved in the background. If the disk refuses, the user must hear
    # about it, and the service (every connection) must not die with that task.
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice, running(tmp_path / "b", server) as bob:
        await setup(alice, ALICE, BOB)
        await setup(bob, BOB, ALICE)
        vault = alice.service._session.require().vault
        save = type(vault).save

        def refuse(self: Any) -> None:
            if self is vault:
                raise StorageError("disk full")
            save(self)

        monkeypatch.setattr(type(vault), "save", refuse)
        alice.service.send_message("main", BOB, "first message")
        await bob.wait(lambda ev: "first message" in [e.text for e in ev if isinstance(e, MessageReceived)])
        await alice.wait(lambda ev: any(isinstance(e, ErrorEvent) and "disk full" in e.message for e in ev))
        bob.service.send_message("main", ALICE, "still here")
        await alice.wait(lambda ev: "still here" in [e.text for e in ev if isinstance(e, MessageReceived)])
