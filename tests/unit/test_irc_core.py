"""IRC accounts in the core: the account record's network, the adapter factory, the OTR
fragment size for IRC."""

from __future__ import annotations

import pytest

from timb.common.random import DeterministicRandom
from timb.common.secret import Secret
from timb.core.accounts import Account, AccountError, Accounts
from timb.core.service.account_book import default_adapter_factory, irc_fragment_size
from timb.net.irc.chat import IrcChatAdapter
from timb.net.irc.errors import UnsendableMessage
from timb.net.irc.limits import ServerLimits, longest_prefix
from timb.net.irc.message import MAX_LINE

ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
PIN = "ab" * 32


class NoDialer:
    async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
        raise AssertionError("nothing connects in this test")


def test_an_irc_account_round_trips_with_its_network_and_default_port() -> None:
    accounts = Accounts()
    account = accounts.add("irc", f"alice@{ONION}", Secret(""), DeterministicRandom(b"s"), network="irc")
    assert (account.network, account.port) == ("irc", 6697)
    xmpp = accounts.add("x", "bob@example.org", Secret("pw"), DeterministicRandom(b"t"))
    assert (xmpp.network, xmpp.port) == ("xmpp", 5222)
    again = Accounts.from_section(accounts.to_section())
    assert [a.network for a in again] == ["irc", "xmpp"]
    old_record = {k: v for k, v in xmpp.to_record().items() if k != "network"}
    assert Account.from_record(old_record).network == "xmpp"  # profiles from before IRC
    with pytest.raises(AccountError):
        accounts.add("y", "c@example.org", Secret(""), DeterministicRandom(b"u"), network="matrix")


def test_the_factory_makes_an_irc_chat_adapter_for_an_irc_account() -> None:
    accounts = Accounts()
    account = accounts.add(
        "irc",
        f"alice@{ONION}",
        Secret("sasl-pw"),
        DeterministicRandom(b"s"),
        network="irc",
        tls_pin_sha256=PIN,
    )
    adapter = default_adapter_factory(account, NoDialer())
    assert isinstance(adapter, IrcChatAdapter)
    irc = adapter.irc._account
    assert (irc.host, irc.nick, irc.port, irc.tls) == (ONION, "alice", 6697, True)
    assert irc.pin is not None and irc.pin.digest.hex() == PIN
    assert irc.sasl is not None and irc.sasl.name == "PLAIN"
    assert irc.isolation == account.isolation_key
    no_sasl = accounts.add("irc2", f"bob@{ONION}", Secret(""), DeterministicRandom(b"v"), network="irc")
    assert default_adapter_factory(no_sasl, NoDialer()).irc._account.sasl is None  # type: ignore[attr-defined]


def test_irc_otr_fragments_fit_after_the_longest_prefix_to_a_30_character_nick() -> None:
    size = irc_fragment_size()
    relayed = longest_prefix(ServerLimits()) + len("PRIVMSG ") + 30 + len(" :") + size + len("\r\n")
    assert relayed == MAX_LINE


def test_channel_events_go_to_the_channel_sink_and_never_to_the_core_s_1to1_events() -> None:
    from timb.net.irc.events import ChannelMessage, CommandFailed, Joined, PrivateMessage  # noqa: PLC0415

    accounts = Accounts()
    account = accounts.add("irc", f"alice@{ONION}", Secret(""), DeterministicRandom(b"s"), network="irc")
    adapter = default_adapter_factory(account, NoDialer())
    assert isinstance(adapter, IrcChatAdapter)
    seen: list[object] = []
    adapter.channel_sink = seen.append
    channel_events = [
        ChannelMessage("#timb", "bob", "hi"),
        Joined("#timb", "bob", me=False),
        CommandFailed("474", "#timb", "banned"),
    ]
    for event in channel_events:
        assert adapter._to_channels(event)
    assert seen == channel_events
    assert not adapter._to_channels(CommandFailed("401", "bob", "no such nick"))  # a nick: 1:1
    assert not adapter._to_channels(PrivateMessage("bob", "hi"))
    with pytest.raises(UnsendableMessage):
        adapter.join_channel("bob")  # not a channel name: never sent
