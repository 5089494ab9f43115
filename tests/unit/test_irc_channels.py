"""IRC channels in the service (core/service/channels.py) over an in-memory IRC-like server: the
NOT PRIVATE banner, the first-message confirmation (an unconfirmed first message does NOT leave),
no history unless turned on for that channel, channels never touching OTR, hostile events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.unit.fake_network import FakeAdapter, FakeServer
from tests.unit.test_core_service import PASS, Client, connection, running
from timb.common.secret import Secret
from timb.core.accounts import Account
from timb.core.errors import ConfirmationRequired
from timb.core.events import (
    ChannelFailed,
    ChannelJoined,
    ChannelLeft,
    ChannelMembersChanged,
    ChannelMessageReceived,
    ChannelTopicChanged,
    ConnectionState,
    CoreEvent,
    OtrStateChanged,
)
from timb.core.service import InvalidRequest, TimbService, Unavailable
from timb.core.service.channels import banner
from timb.net import base as net
from timb.net.irc.errors import UnsendableMessage
from timb.net.irc.events import (
    ChannelMessage,
    CommandFailed,
    Joined,
    Names,
    NickChanged,
    Parted,
    TopicChanged,
)

SERVER = "irc.test"


@dataclass
class FakeIrcServer(FakeServer):
    """Adds channels: who is in each, and every channel line it carried (``said``)."""

    channels: dict[str, set[FakeIrcAdapter]] = field(default_factory=dict)
    said: list[str] = field(default_factory=list)

    def factory(self, account: Account, dialer: net.Dialer | None) -> net.Adapter:
        return FakeIrcAdapter(self, account)

    def to_channel(self, channel: str, event: object, *, but: FakeIrcAdapter | None = None) -> None:
        for member in self.channels.get(channel, set()):
            if member is not but:
                member.later(event)


class FakeIrcAdapter(FakeAdapter):
    """A `ChannelHost` as `IrcChatAdapter` is one: channel events go to ``channel_sink``, later."""

    def __init__(self, server: FakeIrcServer, account: Account) -> None:
        super().__init__(server, account.jid)
        self.irc_server = server
        self.channel_sink: Callable[[Any], None] | None = None
        self._nick = account.jid.local or ""

    @property
    def nick(self) -> str | None:
        return self._nick

    def later(self, event: object) -> None:
        if self.channel_sink is not None:
            asyncio.get_running_loop().call_soon(self.channel_sink, event)

    def join_channel(self, channel: str) -> None:
        if not self.connected:
            raise net.NotConnectedError("not connected")
        if channel == "#banned":
            self.later(CommandFailed("474", channel, "Cannot join channel (+b)"))
            return
        members = self.irc_server.channels.setdefault(channel, set())
        members.add(self)
        self.irc_server.to_channel(channel, Joined(channel, self._nick, me=False), but=self)
        self.later(Joined(channel, self._nick, me=True))
        self.later(Names(channel, tuple(sorted(m._nick for m in members))))

    def part_channel(self, channel: str) -> None:
        self.irc_server.to_channel(channel, Parted(channel, self._nick, me=False), but=self)
        self.irc_server.channels.get(channel, set()).discard(self)
        self.later(Parted(channel, self._nick, me=True))

    def set_topic(self, channel: str, topic: str) -> None:
        self.irc_server.to_channel(channel, TopicChanged(channel, topic, self._nick))

    def request_names(self, channel: str) -> None:
        self.later(Names(channel, tuple(sorted(m._nick for m in self.irc_server.channels[channel]))))

    async def send_channel(self, channel: str, text: str) -> str:
        if "\n" in text:
            raise UnsendableMessage("a line break")
        self.irc_server.said.append(text)
        self.irc_server.to_channel(channel, ChannelMessage(channel, self._nick, text))  # with echo
        return f"irc-{len(self.irc_server.said)}"


async def irc_setup(client: Client, nick: str) -> None:
    s = client.service
    await s.create_profile(PASS)
    await s.add_account("irc", f"{nick}@{SERVER}", Secret(""), network="irc")
    await s.connect("irc")
    await client.wait(connection(ConnectionState.CONNECTED))


def of(kind: type, **match: object) -> Callable[[list[CoreEvent]], bool]:
    return lambda ev: any(
        isinstance(e, kind) and all(getattr(e, k) == v for k, v in match.items()) for e in ev
    )


def channel_texts(client: Client) -> list[str]:
    return [e.text for e in client.events if isinstance(e, ChannelMessageReceived) and not e.own]


async def joined(client: Client, channel: str) -> None:
    def count(ev: list[CoreEvent]) -> int:
        return sum(isinstance(e, ChannelJoined) and e.channel == channel for e in ev)

    before = count(client.events)
    client.service.channels.join_channel("irc", channel)
    await client.wait(lambda ev: count(ev) > before)


async def test_a_channel_is_not_private_and_its_first_message_leaves_only_when_confirmed(
    tmp_path: Path,
) -> None:
    server = FakeIrcServer()
    async with running(tmp_path / "a", server) as alice, running(tmp_path / "b", server) as bob:
        await irc_setup(alice, "alice")
        await irc_setup(bob, "bob")
        await joined(alice, "#timb")
        await joined(bob, "#timb")
        event = next(e for e in alice.events if isinstance(e, ChannelJoined))
        assert event.banner == banner("#timb") == "NOT PRIVATE: everyone in #timb and the server reads this"
        await alice.wait(of(ChannelMembersChanged, members=("alice", "bob")))
        [info] = alice.service.channels.list_channels("irc")
        assert info.private is False and info.banner == event.banner and info.joined

        with pytest.raises(ConfirmationRequired, match="NOT PRIVATE: everyone in #timb"):
            await alice.service.channels.send_channel_message("irc", "#timb", "hello all")
        assert server.said == []  # nothing left
        assert not alice.service.channels.list_channels("irc")[0].confirmed

        await alice.service.channels.send_channel_message("irc", "#timb", "hello all", confirmed=True)
        await alice.service.channels.send_channel_message("irc", "#timb", "second, no question")
        await bob.wait(lambda ev: len(channel_texts(bob)) == 2)
        assert channel_texts(bob) == ["hello all", "second, no question"]
        assert [e.sender for e in bob.events if isinstance(e, ChannelMessageReceived)] == ["alice"] * 2
        await alice.wait(of(ChannelMessageReceived, own=True))  # the echo is marked as ours
        # Bob's first message in the same channel still asks him.
        with pytest.raises(ConfirmationRequired):
            await bob.service.channels.send_channel_message("irc", "#timb", "me too")
        # Channels never touch OTR.
        assert not any(isinstance(e, OtrStateChanged) for e in alice.events + bob.events)
        assert server.log == []  # no 1:1 traffic at all

        # Leaving ends the confirmation: a new join asks again.
        alice.service.channels.part_channel("irc", "#timb")
        await alice.wait(of(ChannelLeft, channel="#timb"))
        await bob.wait(of(ChannelMembersChanged, members=("bob",)))
        assert alice.service.channels.list_channels("irc") == []
        with pytest.raises(InvalidRequest, match="join it first"):
            await alice.service.channels.send_channel_message("irc", "#timb", "x", confirmed=True)
        await joined(alice, "#timb")
        with pytest.raises(ConfirmationRequired):
            await alice.service.channels.send_channel_message("irc", "#timb", "back")
        assert server.said == ["hello all", "second, no question"]


async def test_channel_history_is_off_even_when_the_profile_records_and_on_only_per_channel(
    tmp_path: Path,
) -> None:
    server = FakeIrcServer()
    async with running(tmp_path / "a", server) as alice, running(tmp_path / "b", server) as bob:
        await irc_setup(alice, "alice")
        await irc_setup(bob, "bob")
        await alice.service.set_settings(history=True)  # 1:1 conversations: on by default now
        await joined(alice, "#a")
        await joined(alice, "#b")
        await joined(bob, "#a")
        await joined(bob, "#b")
        await alice.service.channels.set_channel_history("irc", "#b", True)
        assert [c.history for c in alice.service.channels.list_channels("irc")] == [False, True]
        for channel in ("#a", "#b"):
            await alice.service.channels.send_channel_message(
                "irc", channel, f"out {channel}", confirmed=True
            )
            await bob.service.channels.send_channel_message("irc", channel, f"in {channel}", confirmed=True)
        await alice.wait(lambda ev: len(channel_texts(alice)) == 2)
        await alice.service.close()  # background history writes are done
    async with TimbService(tmp_path / "a", adapter_factory=server.factory) as service:
        await service.unlock_profile(PASS)
        assert await service.channels.read_channel_history("irc", "#a") == []
        entries = await service.channels.read_channel_history("irc", "#b")
        assert [(e.direction.value, e.text, e.encrypted) for e in entries] == [
            ("out", "out #b", False),
            ("in", "in #b", False),
        ]


async def test_hostile_and_refused_channel_events_change_nothing(tmp_path: Path) -> None:
    server = FakeIrcServer()
    async with running(tmp_path / "a", server) as alice:
        await irc_setup(alice, "alice")
        channels = alice.service.channels
        channels.join_channel("irc", "#banned")
        await alice.wait(of(ChannelFailed, channel="#banned"))
        assert channels.list_channels("irc") == []
        await joined(alice, "#timb")
        adapter = next(iter(server.adapters.values()))
        assert isinstance(adapter, FakeIrcAdapter)
        # The server talks about channels we are not in: nothing is tracked or shown.
        for event in (
            ChannelMessage("#other", "mallory", "buy now"),
            TopicChanged("#other", "spam"),
            Names("#other", ("a", "b")),
            Joined("#other", "mallory", me=False),
        ):
            adapter.later(event)
        adapter.later(TopicChanged("#timb", "the topic", "carol"))
        await alice.wait(of(ChannelTopicChanged, channel="#timb"))
        assert [c.channel for c in channels.list_channels("irc")] == ["#timb"]
        assert not any(isinstance(e, ChannelMessageReceived) for e in alice.events)
        assert channels.list_channels("irc")[0].topic == "the topic"
        adapter.later(Joined("#timb", "carol", me=False))
        adapter.later(NickChanged("carol", "carla", me=False))
        await alice.wait(of(ChannelMembersChanged, members=("alice", "carla")))
        # A text IRC cannot carry is a typed error, and it does not count as confirmed.
        with pytest.raises(InvalidRequest):
            await channels.send_channel_message("irc", "#timb", "two\nlines", confirmed=True)
        assert server.said == [] and not channels.list_channels("irc")[0].confirmed
        with pytest.raises(InvalidRequest):
            await channels.set_channel_history("irc", "not-a-channel", True)


async def test_channels_need_a_connected_irc_account(tmp_path: Path) -> None:
    server = FakeIrcServer()
    async with running(tmp_path / "a", server) as alice:
        s = alice.service
        await s.create_profile(PASS)
        await s.add_account("x", "alice@xmpp.test", Secret("pw"))
        await s.add_account("irc", f"alice@{SERVER}", Secret(""), network="irc")
        with pytest.raises(InvalidRequest, match="not an IRC account"):
            s.channels.join_channel("x", "#timb")
        with pytest.raises(Unavailable):
            s.channels.join_channel("irc", "#timb")


async def test_jsonrpc_channel_methods_refuse_an_unconfirmed_first_message_with_their_own_code(
    tmp_path: Path,
) -> None:
    from timb.ui.cli.jsonrpc import JsonRpcServer, event_to_notification  # noqa: PLC0415

    server = FakeIrcServer()
    async with running(tmp_path / "a", server) as alice:
        await irc_setup(alice, "alice")
        rpc = JsonRpcServer(alice.service)

        async def call(method: str, **params: object) -> dict[str, Any]:
            line = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
            reply = await rpc.handle_line(line)
            assert reply is not None
            result: dict[str, Any] = json.loads(reply)
            return result

        assert (await call("channel.join", account="irc", channel="#timb"))["result"] is None
        await alice.wait(of(ChannelJoined, channel="#timb"))
        joined_event = next(e for e in alice.events if isinstance(e, ChannelJoined))
        assert event_to_notification(joined_event) == {
            "jsonrpc": "2.0",
            "method": "channel.joined",
            "params": {"account": "irc", "channel": "#timb", "banner": banner("#timb")},
        }
        refused = await call("channel.send", account="irc", channel="#timb", text="hello 4f2a")
        assert refused["error"]["code"] == -32004 and "NOT PRIVATE" in refused["error"]["message"]
        assert "4f2a" not in refused["error"]["message"] and server.said == []
        sent = await call("channel.send", account="irc", channel="#timb", text="hello 4f2a", confirmed=True)
        assert sent["result"].startswith("irc-") and server.said == ["hello 4f2a"]
        [listed] = (await call("channel.list", account="irc"))["result"]
        assert (listed["private"], listed["confirmed"], listed["history"]) == (False, True, False)
