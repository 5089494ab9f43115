"""A fake `service.channels` (timb.core.service.channels.Channels) for the GUI tests: the same
commands, results, errors and rules (the first message needs ``confirmed=True``, which lasts
until we leave), the server's answers put into the fake service's event queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from timb.core.errors import ConfirmationRequired, InvalidRequest, NotFound
from timb.core.events import (
    ChannelFailed,
    ChannelJoined,
    ChannelLeft,
    ChannelMembersChanged,
    ChannelMessageReceived,
    ChannelTopicChanged,
    CoreEvent,
)
from timb.core.service.channels import ChannelInfo, banner


@dataclass
class _Channel:
    name: str
    joined: bool = False
    confirmed: bool = False
    topic: str | None = None
    members: set[str] = field(default_factory=set)


class FakeChannels:
    def __init__(self, emit: Callable[[CoreEvent], None], networks: Callable[[], dict[str, str]]) -> None:
        self._emit, self._networks = emit, networks  # account id -> "xmpp" / "irc"
        self.state: dict[str, dict[str, _Channel]] = {}
        self.said: list[tuple[str, str, str]] = []  # (account, channel, text) that left
        self.calls: list[tuple[object, ...]] = []
        self.answer_joins = True  # False: the server has not answered yet

    def _irc(self, account_id: str) -> dict[str, _Channel]:
        network = self._networks().get(account_id)
        if network is None:
            raise NotFound(f"no account {account_id!r}")
        if network != "irc":
            raise InvalidRequest(f"account {account_id!r} is not an IRC account: it has no channels")
        return self.state.setdefault(account_id, {})

    def _joined(self, account_id: str, channel: str) -> _Channel:
        state = self._irc(account_id).get(channel.lower())
        if state is None or not state.joined:
            raise InvalidRequest(f"not in {channel}: join it first")
        return state

    def join_channel(self, account_id: str, channel: str) -> None:
        self.calls.append(("join_channel", account_id, channel))
        channels = self._irc(account_id)
        if not channel or channel[0] not in "#&":
            raise InvalidRequest("not a channel name (channels start with # or &)")
        channels.setdefault(channel.lower(), _Channel(channel))
        if self.answer_joins:
            self.server_joins(account_id, channel)

    def part_channel(self, account_id: str, channel: str) -> None:
        self.calls.append(("part_channel", account_id, channel))
        state = self._joined(account_id, channel)
        del self.state[account_id][channel.lower()]
        self._emit(ChannelLeft(account_id, state.name))

    def list_channels(self, account_id: str) -> list[ChannelInfo]:
        return [
            ChannelInfo(
                c.name, c.joined, False, banner(c.name), c.topic, tuple(sorted(c.members)), c.confirmed, False
            )
            for _, c in sorted(self._irc(account_id).items())
        ]

    async def send_channel_message(
        self, account_id: str, channel: str, text: str, *, confirmed: bool = False
    ) -> str:
        self.calls.append(("send_channel_message", account_id, channel, text, confirmed))
        state = self._joined(account_id, channel)
        if not (state.confirmed or confirmed):
            raise ConfirmationRequired(f"{banner(state.name)}: confirm the first message to send it")
        state.confirmed = True
        self.said.append((account_id, state.name, text))
        return f"chan-{len(self.said)}"

    # -- what the server does (test helpers) ------------------------------------------------------

    def server_joins(self, account_id: str, channel: str, *, people: tuple[str, ...] = ("alice",)) -> None:
        channels = self._irc(account_id)
        if channel == "#banned":
            channels.pop(channel.lower(), None)
            self._emit(ChannelFailed(account_id, channel, "Cannot join channel (+b)"))
            return
        state = channels.setdefault(channel.lower(), _Channel(channel))
        state.joined = True
        state.members = set(people)
        self._emit(ChannelJoined(account_id, state.name, banner(state.name)))
        self._emit(ChannelMembersChanged(account_id, state.name, tuple(sorted(state.members))))

    def someone_says(
        self, account_id: str, channel: str, sender: str, text: str, *, action: bool = False
    ) -> None:
        self._emit(ChannelMessageReceived(account_id, channel, sender, text, False, action))

    def topic(self, account_id: str, channel: str, topic: str, setter: str) -> None:
        self._joined(account_id, channel).topic = topic
        self._emit(ChannelTopicChanged(account_id, channel, topic, setter))
