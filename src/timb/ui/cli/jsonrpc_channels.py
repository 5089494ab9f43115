"""The IRC methods and notifications of `timb jsonrpc` (docs/jsonrpc.md, "IRC channels").

As for the service's other methods (`jsonrpc_schema`), each JSON method names a method, here of
``service.channels`` (`timb.core.service.channels.Channels`) or ``service.irc_sasl``
(`timb.core.service.irc_sasl.IrcSasl`), and its parameters come from that method's signature.
Channel messages are plaintext by nature: ``channel.send`` refuses the first message in a
channel with `CONFIRMATION_REQUIRED` unless ``confirmed`` is true (nothing left then).
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
from timb.core.service.irc_sasl import IrcSasl
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

_PARTS: dict[str, type] = {"channels": Channels, "irc_sasl": IrcSasl}

# JSON method -> (the service's part, its method)
CHANNEL_METHODS: dict[str, tuple[str, str]] = {
    "channel.join": ("channels", "join_channel"),
    "channel.part": ("channels", "part_channel"),
    "channel.set_topic": ("channels", "set_channel_topic"),
    "channel.names": ("channels", "refresh_members"),
    "channel.list": ("channels", "list_channels"),
    "channel.send": ("channels", "send_channel_message"),
    "channel.set_history": ("channels", "set_channel_history"),
    "channel.read_history": ("channels", "read_channel_history"),
    "channel.delete_history": ("channels", "delete_channel_history"),
    "irc.make_sasl_key": ("irc_sasl", "make_irc_sasl_key"),
    "irc.sasl_key": ("irc_sasl", "irc_sasl_key"),
    "irc.make_client_certificate": ("irc_sasl", "make_irc_client_certificate"),
    "irc.client_certificate": ("irc_sasl", "irc_client_certificate"),
}

_JSON_TYPES: dict[object, tuple[type, ...]] = {str: (str,), bool: (bool,)}


def channel_params(part: str, name: str) -> list[Param]:
    """A method's parameters from its signature (``account`` is ``account_id``)."""
    function = getattr(_PARTS[part], name)
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
        method: (channel_params(part, name), getattr(getattr(service, part), name))
        for method, (part, name) in CHANNEL_METHODS.items()
    }
