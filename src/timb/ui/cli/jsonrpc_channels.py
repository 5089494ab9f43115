"""The IRC channel methods and notifications of `timb jsonrpc` (docs/jsonrpc.md, "IRC channels").

Kept beside `jsonrpc` so the channel surface reads in one place; `jsonrpc` registers them. Channel
messages are plaintext by nature: ``channel.send`` refuses the first message in a channel with
`CONFIRMATION_REQUIRED` unless ``confirmed`` is true, and nothing has left then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from timb.core.events import (
    ChannelFailed,
    ChannelJoined,
    ChannelLeft,
    ChannelMembersChanged,
    ChannelMessageReceived,
    ChannelTopicChanged,
)
from timb.core.service import TimbService

CONFIRMATION_REQUIRED = -32004  # the first message in a channel was not confirmed: nothing sent

CHANNEL_NOTIFICATIONS: dict[type, str] = {
    ChannelJoined: "channel.joined",
    ChannelLeft: "channel.left",
    ChannelMessageReceived: "channel.message",
    ChannelTopicChanged: "channel.topic",
    ChannelMembersChanged: "channel.members",
    ChannelFailed: "channel.failed",
}


def channel_methods(service: TimbService, p: Callable[..., Any]) -> dict[str, tuple[list[Any], Any]]:
    """The methods, each ``name: ([params], function)``; ``p`` makes a param spec (`jsonrpc._p`)."""
    c = service.channels
    account, channel = p("account"), p("channel")

    async def send(account_id: str, channel: str, text: str, confirmed: bool = False) -> dict[str, str]:
        return {"id": await c.send_channel_message(account_id, channel, text, confirmed=confirmed)}

    return {
        "channel.join": ([account, channel], c.join_channel),
        "channel.part": ([account, channel], c.part_channel),
        "channel.set_topic": ([account, channel, p("topic")], c.set_channel_topic),
        "channel.names": ([account, channel], c.refresh_members),
        "channel.list": ([account], c.list_channels),
        "channel.send": ([account, channel, p("text"), p("confirmed", bool, False)], send),
        "channel.set_history": ([account, channel, p("enabled", bool)], c.set_channel_history),
        "channel.read_history": ([account, channel], c.read_channel_history),
        "channel.delete_history": ([account, channel], c.delete_channel_history),
    }
