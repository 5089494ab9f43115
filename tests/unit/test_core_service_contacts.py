"""TimbService over the fake server: presence, roster subscription, subscription requests,
blocking (kept in the profile), profile-wide settings, and tor failures as TorFailed."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.unit.fake_network import FakeAdapter, FakeServer
from tests.unit.test_core_service import ALICE, BOB, PASS, running, setup
from timb.common.ids import Jid
from timb.common.secret import Secret
from timb.core.accounts import Account
from timb.core.events import (
    MessageReceived,
    PresenceChanged,
    SubscriptionRequested,
    TorFailed,
)
from timb.core.service import InvalidRequest, NotFound, TimbService, TorSettings, Unavailable
from timb.net import base as net

CAROL = "carol@timb.test"


def presence(jid: str, available: bool = True, show: str | None = None) -> net.PresenceChanged:
    return net.PresenceChanged(Jid.parse(jid), available, show)


def contact(service: TimbService, jid: str) -> dict[str, object]:
    return next(c for c in service.list_contacts("main") if c.jid == jid)


async def test_presence_follows_every_resource_and_goes_offline_with_the_session(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice:
        await setup(alice, ALICE, BOB)
        s = alice.service
        assert contact(s, BOB).presence == "offline"
        adapter = server.adapters[Jid.parse(ALICE)]
        adapter.queue.put_nowait(presence(f"{BOB}/phone", show="away"))
        adapter.queue.put_nowait(presence(f"{BOB}/desk"))
        adapter.queue.put_nowait(presence(f"{BOB}/desk", available=False))
        await alice.wait(lambda ev: sum(isinstance(e, PresenceChanged) for e in ev) == 3)
        shown = [e.presence for e in alice.events if isinstance(e, PresenceChanged)]
        # away (phone), available (desk too), away again (desk left, phone still there)
        assert shown == ["away", "available", "away"]
        assert contact(s, BOB).presence == "away"
        items = (net.RosterItem(Jid.parse(BOB), None, net.Subscription.BOTH),)
        adapter.queue.put_nowait(net.RosterChanged(items))
        adapter.queue.put_nowait(presence(f"{BOB}/phone", show="xa"))
        await alice.wait(lambda ev: any(isinstance(e, PresenceChanged) and e.presence == "xa" for e in ev))
        assert contact(s, BOB).subscription == "both"
        await s.disconnect("main")
        await alice.wait(lambda ev: ev[-1] == PresenceChanged("main", BOB, "offline"))
        assert contact(s, BOB).presence == "offline"


async def test_list_contacts_shows_the_effective_history_and_policy(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice:
        await setup(alice, ALICE, BOB)
        s = alice.service
        entry = contact(s, BOB)
        assert (entry.history, entry.policy, entry.blocked) == (False, "always", False)
        await s.set_history("main", BOB, True)
        await s.set_contact_policy("main", BOB, "opportunistic")
        assert (contact(s, BOB).history, contact(s, BOB).policy) == (True, "opportunistic")
        await s.set_contact_policy("main", BOB, None)
        assert contact(s, BOB).policy == "always"
        with pytest.raises(NotFound):
            await s.set_contact_policy("main", CAROL, "never")
        with pytest.raises(InvalidRequest):
            await s.set_contact_policy("main", BOB, "sometimes")


async def test_subscription_requests_wait_for_the_user(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice:
        await setup(alice, ALICE, BOB)
        s = alice.service
        adapter = server.adapters[Jid.parse(ALICE)]
        adapter.queue.put_nowait(net.SubscriptionRequest(Jid.parse(CAROL)))
        adapter.queue.put_nowait(net.SubscriptionRequest(Jid.parse(BOB)))
        await alice.wait(lambda ev: sum(isinstance(e, SubscriptionRequested) for e in ev) == 2)
        assert adapter.answers == []  # nothing approved automatically
        assert s.subscription_requests("main") == [BOB, CAROL]
        await s.approve_subscription("main", BOB)
        await s.deny_subscription("main", CAROL)
        assert adapter.answers == [("approve", Jid.parse(BOB)), ("deny", Jid.parse(CAROL))]
        assert s.subscription_requests("main") == []
        await s.disconnect("main")
        with pytest.raises(Unavailable):
            await s.approve_subscription("main", BOB)


async def test_a_blocked_address_is_refused_silenced_and_stays_blocked(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice:
        await setup(alice, ALICE, BOB)
        s = alice.service
        adapter = server.adapters[Jid.parse(ALICE)]
        pending = s.send_message("main", BOB, "never sent").id
        await s.block_contact("main", BOB)
        assert adapter.answers == [("deny", Jid.parse(BOB))]
        assert s.message_state("main", pending).value == "failed"
        with pytest.raises(InvalidRequest, match="blocked"):
            s.send_message("main", BOB, "hello")
        with pytest.raises(InvalidRequest, match="blocked"):
            await s.approve_subscription("main", BOB)
        adapter.queue.put_nowait(net.MessageIn(Jid.parse(f"{BOB}/x"), "plain text from bob"))
        adapter.queue.put_nowait(presence(f"{BOB}/x"))
        adapter.queue.put_nowait(net.SubscriptionRequest(Jid.parse(BOB)))
        adapter.queue.put_nowait(net.MessageIn(Jid.parse(f"{CAROL}/y"), "plain text from carol"))
        await alice.wait(lambda ev: any(isinstance(e, MessageReceived) for e in ev))
        received = [e for e in alice.events if isinstance(e, MessageReceived)]
        assert [e.contact for e in received] == [CAROL]
        assert not any(isinstance(e, PresenceChanged | SubscriptionRequested) for e in alice.events)
        assert adapter.answers == [("deny", Jid.parse(BOB))] * 2  # refused again, without asking
        assert contact(s, BOB).blocked is True
    async with running(tmp_path / "a", server) as again:
        await again.service.unlock_profile(PASS)
        assert again.service.list_blocked("main") == [BOB]
        await again.service.unblock_contact("main", BOB)
        assert again.service.list_blocked("main") == []
        with pytest.raises(NotFound):
            await again.service.unblock_contact("main", BOB)
        again.service.send_message("main", BOB, "hello again")


async def test_profile_settings_apply_and_persist(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice:
        s = alice.service
        await s.create_profile(PASS)
        settings = s.settings()
        assert (settings.history, settings.otr_policy, settings.auto_connect) == (False, "always", False)
        assert settings.tor.mode == "none"
        await s.add_account("main", ALICE, Secret("pw"))
        await s.add_contact("main", BOB)
        await s.add_contact("main", CAROL, policy="never")
        await s.set_settings(otr_policy="opportunistic", history=True, auto_connect=True)
        assert contact(s, BOB).policy == "opportunistic"  # follows the default
        assert contact(s, CAROL).policy == "never"  # its own setting wins
        assert contact(s, BOB).history is True
        with pytest.raises(InvalidRequest):
            await s.set_settings(otr_policy="sometimes")
    async with running(tmp_path / "a", server) as again:
        await again.service.unlock_profile(PASS)
        assert again.service.settings().otr_policy == "opportunistic"
        # auto_connect for the whole profile: the account connects at unlock without its own flag.
        assert again.service.list_accounts()[0].auto_connect is False
        await again.wait(lambda ev: Jid.parse(ALICE) in server.adapters)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_tor_that_cannot_be_reached_is_tor_failed(tmp_path: Path) -> None:
    tor = TorSettings(control_port=_closed_port())
    async with TimbService(tmp_path / "p", tor=tor) as service:
        first = await anext(service.events())
        assert isinstance(first, TorFailed) and first.message
        await service.close()  # no ErrorEvent copy follows: the stream just ends
        assert [e async for e in service.events()] == []


async def test_managed_tor_for_the_public_network_is_refused_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMB_OFFLINE", "1")
    tor = TorSettings(managed=True, data_dir=tmp_path / "tor")
    assert tor.mode == "managed"
    async with TimbService(tmp_path / "p", tor=tor) as service:
        failed = await anext(service.events())
        assert isinstance(failed, TorFailed)
        assert "private" in failed.message or "offline" in failed.message.lower()
    assert not (tmp_path / "tor" / "control_port").exists()  # no tor was started


async def test_register_account_makes_a_random_account_and_connects_it(tmp_path: Path) -> None:
    server = FakeServer()
    async with running(tmp_path / "a", server) as alice:
        s = alice.service
        await s.create_profile(PASS)
        first = await s.register_account("throwaway", "timb.test", host="xyz.onion")
        second = await s.register_account("another", "timb.test")
        assert first.connected is True and first.host == "xyz.onion"
        names = {first.jid, second.jid}
        assert names == server.registered and len(names) == 2  # random, different names
        assert all(str(n.local).startswith("timb-") for n in names)
        server.registration_open = False
        with pytest.raises(Unavailable, match="not-allowed"):
            await s.register_account("refused", "timb.test")
        assert [a.id for a in s.list_accounts()] == ["throwaway", "another"]  # nothing kept


async def test_register_account_needs_an_adapter_that_can(tmp_path: Path) -> None:
    server = FakeServer()

    class CannotRegister(FakeAdapter):
        register_on_connect = None  # type: ignore[assignment]

    def factory(account: Account, dialer: net.Dialer | None) -> net.Adapter:
        return CannotRegister(server, account.jid)

    async with TimbService(tmp_path / "a", adapter_factory=factory) as s:
        await s.create_profile(PASS)
        with pytest.raises(Unavailable, match="cannot create accounts"):
            await s.register_account("x", "timb.test")
        assert s.list_accounts() == []


async def test_publishing_an_onion_needs_tor_and_a_port(tmp_path: Path) -> None:
    async with TimbService(tmp_path / "p") as service:
        with pytest.raises(InvalidRequest, match="port"):
            await service.publish_onion(0)
        with pytest.raises(Unavailable, match="no tor"):
            await service.publish_onion(5222)
        with pytest.raises(InvalidRequest):
            await service.unpublish_onion("not-an-onion")
