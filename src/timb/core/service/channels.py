"""IRC channels in the service: join, part, topic, members and messages. Plaintext by nature.

A channel is a conversation kind of its own, beside the 1:1 conversations of `Conversations`: it
never meets OTR (everyone in the channel and the server read it, so there is nothing to encrypt
end to end), and this part is its one owner. Three rules make that plain to the user:

- The conversation is NOT PRIVATE, permanently: every description and `ChannelJoined` carries
  the banner "NOT PRIVATE: everyone in #channel and the server reads this".
- The first message in each channel needs the user's explicit confirmation
  (``send_channel_message(..., confirmed=True)``); without it `ConfirmationRequired` is raised
  and nothing leaves. The confirmation lasts while we are in the channel (a reconnection's
  automatic rejoin keeps it); leaving the channel, or a new service, asks again.
- Nothing about a channel is written unless history is turned on for that very channel
  (`set_channel_history`); the profile's default for 1:1 conversations does not apply.

Channel events come from the adapter's ``channel_sink`` (`timb.net.irc.chat.IrcChatAdapter`);
only channels we are in, or asked to join, are tracked, and member lists are bounded, so a
hostile server cannot grow memory without end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from timb.core.errors import ConfirmationRequired, InvalidRequest, Unavailable
from timb.core.events import (
    ChannelFailed,
    ChannelJoined,
    ChannelLeft,
    ChannelMembersChanged,
    ChannelMessageReceived,
    ChannelTopicChanged,
    CoreEvent,
    MessageReceived,
)
from timb.core.service.account_book import AccountBook
from timb.core.service.history import HistoryPart
from timb.core.service.results import HistoryItem
from timb.core.service.session import ProfileSession
from timb.core.service.translate import translated
from timb.core.storage.history import Direction
from timb.net import base as net
from timb.net.irc.events import (
    ChannelMessage,
    CommandFailed,
    Joined,
    Names,
    NickChanged,
    Parted,
    TopicChanged,
    UserQuit,
)

CHANNELS_SECTION = "irc_channels"  # {account id: [channels with history on]}
MAX_CHANNELS = 200  # per account
MAX_MEMBERS = 10_000  # per channel


def banner(channel: str) -> str:
    """The permanent NOT PRIVATE text of a channel conversation."""
    return f"NOT PRIVATE: everyone in {channel} and the server reads this"


@runtime_checkable
class ChannelHost(Protocol):
    """What an adapter that has channels offers (`IrcChatAdapter`)."""

    channel_sink: Callable[[Any], None] | None

    @property
    def nick(self) -> str | None: ...

    def join_channel(self, channel: str) -> None: ...

    def part_channel(self, channel: str) -> None: ...

    def set_topic(self, channel: str, topic: str) -> None: ...

    def request_names(self, channel: str) -> None: ...

    async def send_channel(self, channel: str, text: str) -> str: ...


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A channel as a UI shows it. ``private`` is always False: the banner says why."""

    channel: str
    joined: bool
    private: bool
    banner: str
    topic: str | None
    members: tuple[str, ...]
    confirmed: bool  # the first message was confirmed (the next ones leave without asking)
    history: bool


@dataclass(slots=True)
class _Channel:
    name: str
    joined: bool = False
    confirmed: bool = False
    topic: str | None = None
    members: set[str] = field(default_factory=set)


def _fold(name: str) -> str:
    return name.lower()


class Channels:
    """The channel commands (``service.channels``) and the channel events of every IRC account."""

    def __init__(
        self,
        session: ProfileSession,
        accounts: AccountBook,
        history: HistoryPart,
        emit: Callable[[CoreEvent], None],
    ) -> None:
        self._session = session
        self._accounts = accounts
        self._history = history
        self._emit = emit
        self._state: dict[str, dict[str, _Channel]] = {}

    def attach(self, account_id: str, adapter: net.Adapter) -> None:
        """A new adapter for ``account_id``: its channel events come here."""
        host: object = adapter
        if isinstance(host, ChannelHost):
            found = host
            found.channel_sink = lambda event: self._on_event(account_id, found, event)

    # -- commands ---------------------------------------------------------------------------------

    def join_channel(self, account_id: str, channel: str) -> None:
        """Ask to join; `ChannelJoined` follows (or `ChannelFailed`).
        Raises: NotFound, InvalidRequest (not an IRC account, not a channel name), Unavailable."""
        host = self._host(account_id)
        channels = self._state.setdefault(account_id, {})
        if _fold(channel) not in channels and len(channels) >= MAX_CHANNELS:
            raise InvalidRequest(f"at most {MAX_CHANNELS} channels per account")
        with translated():
            host.join_channel(channel)
        channels.setdefault(_fold(channel), _Channel(channel))

    def part_channel(self, account_id: str, channel: str) -> None:
        """Leave (an empty PART message). Raises: NotFound, InvalidRequest, Unavailable."""
        host = self._host(account_id)
        self._joined(account_id, channel)
        with translated():
            host.part_channel(channel)

    def set_channel_topic(self, account_id: str, channel: str, topic: str) -> None:
        """Raises: NotFound, InvalidRequest, Unavailable."""
        host = self._host(account_id)
        self._joined(account_id, channel)
        with translated():
            host.set_topic(channel, topic)

    def refresh_members(self, account_id: str, channel: str) -> None:
        """Ask the server who is there (`ChannelMembersChanged` follows)."""
        host = self._host(account_id)
        self._joined(account_id, channel)
        with translated():
            host.request_names(channel)

    def list_channels(self, account_id: str) -> list[ChannelInfo]:
        """Each channel we are in or asked to join. Raises: ProfileError, NotFound."""
        self._accounts.runtime(account_id)
        on = self._history_on(account_id)
        return [
            ChannelInfo(
                c.name,
                c.joined,
                False,
                banner(c.name),
                c.topic,
                tuple(sorted(c.members)),
                c.confirmed,
                key in on,
            )
            for key, c in sorted(self._state.get(account_id, {}).items())
        ]

    async def send_channel_message(
        self, account_id: str, channel: str, text: str, *, confirmed: bool = False
    ) -> str:
        """Send plaintext to a channel we are in; returns a local id. The first message in a
        channel leaves only with ``confirmed=True``.

        Raises: ConfirmationRequired (the first message, unconfirmed: nothing was sent);
        NotFound; InvalidRequest (not in the channel, a text IRC cannot carry); Unavailable.
        """
        host = self._host(account_id)
        state = self._joined(account_id, channel)
        if not (state.confirmed or confirmed):
            raise ConfirmationRequired(f"{banner(state.name)}: confirm the first message to send it")
        with translated():
            msg_id = await host.send_channel(state.name, text)
        state.confirmed = True
        self._remember(account_id, state.name, Direction.OUTGOING, text)
        return msg_id

    async def set_channel_history(self, account_id: str, channel: str, enabled: bool) -> None:
        """Record this channel's messages (off unless turned on here). Existing logs are kept.
        Raises: ProfileError, NotFound, InvalidRequest (not a channel name)."""
        self._accounts.runtime(account_id)
        if not channel or channel[0] not in "#&+!":
            raise InvalidRequest("not a channel name (channels start with # or &)")
        on = self._history_on(account_id)
        (on.add if enabled else on.discard)(_fold(channel))
        self._session.section(CHANNELS_SECTION)[account_id] = sorted(on)
        await self._history.set(account_id, _fold(channel), enabled)  # explicit, never the default
        await self._session.save()

    async def read_channel_history(self, account_id: str, channel: str) -> list[HistoryItem]:
        self._accounts.runtime(account_id)
        return await self._history.read(account_id, _fold(channel))

    async def delete_channel_history(self, account_id: str, channel: str) -> None:
        self._accounts.runtime(account_id)
        await self._history.delete(account_id, _fold(channel))

    # -- helpers ----------------------------------------------------------------------------------

    def _host(self, account_id: str) -> ChannelHost:
        runtime = self._accounts.runtime(account_id)
        if runtime.account.network != "irc":
            raise InvalidRequest(f"account {account_id!r} is not an IRC account: it has no channels")
        adapter: object = runtime.link.adapter  # an Adapter that may also be a ChannelHost
        if not isinstance(adapter, ChannelHost) or not runtime.connected:
            raise Unavailable("the account is not connected")
        return adapter

    def _joined(self, account_id: str, channel: str) -> _Channel:
        state = self._state.get(account_id, {}).get(_fold(channel))
        if state is None or not state.joined:
            raise InvalidRequest(f"not in {channel}: join it first")
        return state

    def _history_on(self, account_id: str) -> set[str]:
        stored = self._session.section(CHANNELS_SECTION).get(account_id, [])
        return {str(c) for c in stored} if isinstance(stored, list) else set()

    def _remember(self, account_id: str, channel: str, direction: Direction, text: str) -> None:
        if self._session.is_open and _fold(channel) in self._history_on(account_id):
            # recorded as what it was: plaintext, from nobody verified
            entry = MessageReceived(account_id, _fold(channel), text, encrypted=False, verified=False)
            self._history.remember(account_id, _fold(channel), direction, entry)

    # -- what the server says ------------------------------------------------------------------------

    def _on_event(self, account_id: str, host: ChannelHost, event: object) -> None:
        channels = self._state.setdefault(account_id, {})
        match event:
            case Joined() | Parted():
                self._membership(account_id, channels, event)
            case ChannelMessage(channel=name) if state := self._tracked(channels, name):
                self._message(account_id, host, state, event)
            case TopicChanged(channel=name, topic=topic, setter=setter) if state := self._tracked(
                channels, name
            ):
                state.topic = topic
                self._emit(ChannelTopicChanged(account_id, state.name, topic, setter))
            case Names(channel=name, nicks=nicks) if state := self._tracked(channels, name):
                state.members = set(nicks[:MAX_MEMBERS])
                self._members(account_id, state)
            case NickChanged(old=old, new=new):
                self._renamed(account_id, channels, old, new)
            case UserQuit(nick=nick):
                self._renamed(account_id, channels, nick, None)
            case CommandFailed(target=name, reason=reason) if name and _fold(name) in channels:
                if not channels[_fold(name)].joined:
                    del channels[_fold(name)]  # the join was refused
                self._emit(ChannelFailed(account_id, name, reason))
            case _:
                pass

    def _membership(self, account_id: str, channels: dict[str, _Channel], event: Joined | Parted) -> None:
        match event:
            case Joined(channel=name, me=True):
                state = channels.get(_fold(name))
                if state is None:
                    if len(channels) >= MAX_CHANNELS:
                        return
                    state = channels[_fold(name)] = _Channel(name)
                state.joined = True
                self._emit(ChannelJoined(account_id, state.name, banner(state.name)))
            case Parted(channel=name, me=True, kicked_by=kicked_by):
                if channels.pop(_fold(name), None) is not None:
                    self._emit(ChannelLeft(account_id, name, kicked_by))
            case Joined(channel=name, nick=nick) if state := self._tracked(channels, name):
                if len(state.members) < MAX_MEMBERS:
                    state.members.add(nick)
                self._members(account_id, state)
            case Parted(channel=name, nick=nick) if state := self._tracked(channels, name):
                state.members.discard(nick)
                self._members(account_id, state)
            case _:
                pass

    @staticmethod
    def _tracked(channels: dict[str, _Channel], name: str) -> _Channel | None:
        state = channels.get(_fold(name))
        return state if state is not None and state.joined else None

    def _members(self, account_id: str, state: _Channel) -> None:
        self._emit(ChannelMembersChanged(account_id, state.name, tuple(sorted(state.members))))

    def _message(self, account_id: str, host: ChannelHost, state: _Channel, event: ChannelMessage) -> None:
        own = host.nick is not None and _fold(event.sender) == _fold(host.nick)
        self._emit(
            ChannelMessageReceived(account_id, state.name, event.sender, event.body, own, event.action)
        )
        if not own:  # our own was recorded when it left
            self._remember(account_id, state.name, Direction.INCOMING, event.body)

    def _renamed(self, account_id: str, channels: dict[str, _Channel], old: str, new: str | None) -> None:
        for state in channels.values():
            if state.joined and old in state.members:
                state.members.discard(old)
                if new is not None:
                    state.members.add(new)
                self._members(account_id, state)
