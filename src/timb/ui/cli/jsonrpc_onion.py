"""``timb jsonrpc``'s serverless onion chat methods (``onion.identity.*``, ``onion.contact.*``,
``onion.message.*``, ``onion.file.*``) and notifications, read from `OnionPart` (``service.onion``) the way
`jsonrpc_schema` reads the service: parameters come from the method signatures.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import Any

from timb.core.onion_events import (
    OnionContactChanged,
    OnionContactRequested,
    OnionFileChanged,
    OnionFileOffered,
    OnionFileProgress,
    OnionIdentityChanged,
    OnionMessageReceived,
    OnionMessageStateChanged,
    OnionPresenceChanged,
)
from timb.core.service import TimbService
from timb.core.service.onion_part import OnionPart
from timb.ui.cli.jsonrpc_schema import Param, json_types

ONION_METHODS: dict[str, str] = {
    "onion.identity.create": "create_identity",
    "onion.identity.list": "list_identities",
    "onion.identity.delete": "delete_identity",
    "onion.identity.online": "go_online",
    "onion.identity.offline": "go_offline",
    "onion.contact.add": "add_contact",
    "onion.contact.list": "list_contacts",
    "onion.contact.accept": "accept",
    "onion.contact.reject": "reject",
    "onion.contact.block": "block",
    "onion.contact.remove": "remove_contact",
    "onion.contact.verify": "verify_contact",
    "onion.settings.block_unknown": "set_block_unknown",
    "onion.message.send": "send_message",
    "onion.message.state": "message_state",
    "onion.file.send": "send_file",
    "onion.file.accept": "accept_file",
    "onion.file.reject": "reject_file",
    "onion.file.cancel": "cancel_file",
    "onion.file.size_cap": "set_file_size_cap",
}

# JSON names that differ from OnionPart's argument names
_RENAMES = {"identity_id": "identity", "msg_id": "id"}

ONION_NOTIFICATIONS: dict[type, str] = {
    OnionIdentityChanged: "onion.identity",
    OnionContactRequested: "onion.contact.request",
    OnionContactChanged: "onion.contact",
    OnionPresenceChanged: "onion.presence",
    OnionMessageReceived: "onion.message.received",
    OnionMessageStateChanged: "onion.message.state",
    OnionFileOffered: "onion.file.offer",
    OnionFileChanged: "onion.file",
    OnionFileProgress: "onion.file.progress",
}


def onion_params(method: str) -> list[Param]:
    function = getattr(OnionPart, ONION_METHODS[method])
    hints = typing.get_type_hints(function)
    params = []
    for argument in list(inspect.signature(function).parameters.values())[1:]:
        kinds, secret = json_types(hints[argument.name])
        required = argument.default is inspect.Parameter.empty
        params.append(
            Param(_RENAMES.get(argument.name, argument.name), kinds, required, argument.name, secret)
        )
    return params


def onion_methods(
    service: TimbService,
) -> dict[str, tuple[list[Param], Callable[..., Awaitable[Any] | Any]]]:
    return {
        method: (onion_params(method), getattr(service.onion, name)) for method, name in ONION_METHODS.items()
    }
