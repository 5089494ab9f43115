"""The shape of ``timb jsonrpc``'s methods, read from the service, and the one JSON serialiser.

Each JSON method names a `TimbService` method; its parameters (names, JSON types, which are
required, which are secrets) come from that method's signature, so the table cannot drift from
the service. `to_json` writes results and notification params alike.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
import typing
from dataclasses import dataclass
from pathlib import Path

from timb.common.ids import Fingerprint, Jid
from timb.common.secret import Secret
from timb.core.service import TimbService


@dataclass(frozen=True, slots=True)
class Param:
    """One JSON parameter: its name, the JSON types it accepts, whether it must be given, the
    service's argument name, and whether the service wants it as a `Secret`."""

    name: str
    type: tuple[type, ...]
    required: bool
    argument: str
    secret: bool = False


# JSON method -> the service's method, and JSON names that differ from its argument names
# ("account" is always the service's "account_id"). The parameters come from its signature.
SERVICE_METHODS: dict[str, tuple[str, dict[str, str]]] = {
    "profile.exists": ("profile_exists", {}),
    "profile.create": ("create_profile", {}),
    "profile.unlock": ("unlock_profile", {}),
    "profile.change_passphrase": ("change_passphrase", {}),
    "account.add": ("add_account", {"id": "account_id"}),
    "account.update": ("update_account", {}),
    "account.register": ("register_account", {"id": "account_id"}),
    "account.list": ("list_accounts", {}),
    "account.remove": ("remove_account", {}),
    "account.connect": ("connect", {}),
    "account.disconnect": ("disconnect", {}),
    "contact.add": ("add_contact", {}),
    "contact.list": ("list_contacts", {}),
    "contact.remove": ("remove_contact", {}),
    "contact.set_policy": ("set_contact_policy", {}),
    "contact.approve": ("approve_subscription", {}),
    "contact.deny": ("deny_subscription", {}),
    "contact.requests": ("subscription_requests", {}),
    "contact.block": ("block_contact", {}),
    "contact.unblock": ("unblock_contact", {}),
    "contact.blocked": ("list_blocked", {}),
    "settings.get": ("settings", {}),
    "settings.set": ("set_settings", {}),
    "tor.bridges.get": ("tor_connection", {}),
    "tor.bridges.set": ("set_tor_connection", {}),
    "tor.bridges.import": ("import_bridge_list", {}),
    "libotr.import": ("import_libotr", {}),
    "libotr.export": ("export_libotr", {}),
    "message.send": ("send_message", {}),
    "message.state": ("message_state", {"id": "msg_id"}),
    "message.list_held": ("held_messages", {}),
    "message.held_notice": ("held_notice", {}),
    "message.release_held": ("release_held", {}),
    "message.discard_held": ("discard_held", {}),
    "otr.start": ("start_otr", {}),
    "otr.end": ("end_otr", {}),
    "otr.fingerprints": ("fingerprints", {}),
    "trust.set": ("set_trust", {}),
    "smp.start": ("smp_start", {}),
    "smp.respond": ("smp_respond", {}),
    "smp.abort": ("smp_abort", {}),
    "history.set": ("set_history", {}),
    "history.read": ("read_history", {}),
    "history.delete": ("delete_history", {}),
    "onion.publish": ("publish_onion", {}),
    "onion.unpublish": ("unpublish_onion", {}),
}


def json_types(hint: object) -> tuple[tuple[type, ...], bool]:
    """The JSON types for a service argument's annotation, and whether it is a `Secret`."""
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    parts = typing.get_args(hint) if union else (hint,)
    kinds: list[type] = []
    secret = False
    for part in parts:
        origin = typing.get_origin(part) or part
        if origin is Secret:
            secret = True
            kinds.append(str)
        elif origin is Path:
            kinds.append(str)
        elif isinstance(origin, type):
            kinds.append(origin)
        else:
            raise TypeError(f"no JSON type for {hint!r}")
    return tuple(dict.fromkeys(kinds)), secret


def service_params(method: str) -> list[Param]:
    """The parameters of a JSON method, read from the service method's signature."""
    name, renames = SERVICE_METHODS[method]
    function = getattr(TimbService, name)
    hints = typing.get_type_hints(function)
    json_names = {v: k for k, v in {"account": "account_id", **renames}.items()}
    params = []
    for argument in list(inspect.signature(function).parameters.values())[1:]:
        kinds, secret = json_types(hints[argument.name])
        required = argument.default is inspect.Parameter.empty
        params.append(
            Param(json_names.get(argument.name, argument.name), kinds, required, argument.name, secret)
        )
    return params


def to_json(value: object) -> object:
    """A result, or an event's fields, as JSON: dataclasses by field (one path for both)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Fingerprint):
        return value.human()
    if isinstance(value, Jid | Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_json(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.metadata.get("omit_unless", f.name)) is not None
            or "omit_unless" not in f.metadata
        }
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{type(value).__name__} has no JSON form")  # a Secret, say: never written
