"""``timb jsonrpc``'s file transfers with XMPP contacts (``file.*``) and their notifications, read
from `XmppFiles` (``service.files``) the way `jsonrpc_onion` reads ``service.onion``: parameters
come from the method signatures."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import Any

from timb.core.file_events import FileChanged, FileOffered, FileProgress
from timb.core.service import TimbService
from timb.core.service.xmpp_files import XmppFiles
from timb.ui.cli.jsonrpc_schema import Param, json_types

FILE_METHODS: dict[str, str] = {
    "file.send": "send_file",
    "file.accept": "accept_file",
    "file.reject": "reject_file",
    "file.cancel": "cancel_file",
    "file.size_cap": "set_file_size_cap",
}

_RENAMES = {"account_id": "account"}

FILE_NOTIFICATIONS: dict[type, str] = {
    FileOffered: "file.offer",
    FileChanged: "file",
    FileProgress: "file.progress",
}


def file_params(method: str) -> list[Param]:
    function = getattr(XmppFiles, FILE_METHODS[method])
    hints = typing.get_type_hints(function)
    params = []
    for argument in list(inspect.signature(function).parameters.values())[1:]:
        kinds, secret = json_types(hints[argument.name])
        required = argument.default is inspect.Parameter.empty
        params.append(
            Param(_RENAMES.get(argument.name, argument.name), kinds, required, argument.name, secret)
        )
    return params


def file_methods(
    service: TimbService,
) -> dict[str, tuple[list[Param], Callable[..., Awaitable[Any] | Any]]]:
    return {
        method: (file_params(method), getattr(service.files, name)) for method, name in FILE_METHODS.items()
    }
