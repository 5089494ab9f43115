"""The IRC channel methods and notifications of `timb jsonrpc` (docs/jsonrpc.md, "IRC channels").

As for the service's other methods (`jsonrpc_schema`), each JSON method names a method, here of
``service.channels`` (`timb.core.service.channels.Channels`), and its parameters come from that
method's signature. Channel messages are plaintext by nature: ``channel.send`` refuses the first
message in a channel with `CONFIRMATION_REQUIRED` unless ``confirmed`` is true (nothing left then).
"""

from __future__ import annotations

import inspect
import typing
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
from timb.core.service.channels import Channels
from timb.ui.cli.jsonrpc_schema import Param

CONFIRMATION_REQUIRED = -32004  # the first message in a channel was not confirmed: nothing sent

CHANNEL_NOTIFICATIONS: dict[type, str] = {
    ChannelJoined: "channel.joined",
    ChannelLeft: "channel.left",
    ChannelMessageReceived: "channel.message",
    ChannelTopicChanged: "channel.topic",
    ChannelMembersChanged: "channel.members",
    ChannelFailed: "channel.failed",
}

CHANNEL_METHODS: dict[str, str] = {
    "channel.join": "join_channel",
    "channel.part": "part_channel",
    "channel.set_topic": "set_channel_topic",
    "channel.names": "refresh_members",
    "channel.list": "list_channels",
    "channel.send": "send_channel_message",
    "channel.set_history": "set_channel_history",
    "channel.read_history": "read_channel_history",
    "channel.delete_history": "delete_channel_history",
}

_JSON_TYPES: dict[object, tuple[type, ...]] = {str: (str,), bool: (bool,)}


def channel_params(name: str) -> list[Param]:
    """A channel method's parameters from its signature (``account`` is ``account_id``)."""
    function = getattr(Channels, name)
    hints = typing.get_type_hints(function)
    params = []
    for argument in list(inspect.signature(function).parameters.values())[1:]:
        kinds = _JSON_TYPES[hints[argument.name]]  # channel commands take text and flags only
        required = argument.default is inspect.Parameter.empty
        json_name = "account" if argument.name == "account_id" else argument.name
        params.append(Param(json_name, kinds, required, argument.name))
    return params


def channel_methods(service: TimbService) -> dict[str, tuple[list[Param], Callable[..., Any]]]:
    return {
        method: (channel_params(name), getattr(service.channels, name))
        for method, name in CHANNEL_METHODS.items()
    }
