"""``timb jsonrpc``: JSON-RPC 2.0 over stdin/stdout, one JSON object per line (docs/jsonrpc.md).

Requests are handled one at a time, in order; events from the service are written as
notifications whenever they happen, between responses. A line that is not JSON, or not a valid
request, gets an error reply and the process keeps reading. Errors never repeat parameter values
(a passphrase or password must never come back out).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

from timb.common.secret import Secret
from timb.core.errors import ConfirmationRequired
from timb.core.events import (
    ConnectionStateChanged,
    CoreEvent,
    ErrorEvent,
    HeldForKeyChange,
    KeyChanged,
    MessageReceived,
    MessageSent,
    MessageStateChanged,
    OtrStateChanged,
    OtrUnavailable,
    PresenceChanged,
    ProtocolDowngraded,
    SmpFinished,
    SmpRequested,
    SubscriptionRequested,
    TorBootstrap,
    TorFailed,
    TorStalled,
    TrustChanged,
)
from timb.core.files.errors import FileTransferError
from timb.core.service import (
    InvalidRequest,
    NotFound,
    ProfileError,
    ServiceError,
    TimbService,
    TorSettings,
    Unavailable,
    default_profile_dir,
)
from timb.core.service.checks import is_unicode
from timb.ui.cli.jsonrpc_channels import CHANNEL_NOTIFICATIONS, CONFIRMATION_REQUIRED, channel_methods
from timb.ui.cli.jsonrpc_files import FILE_NOTIFICATIONS, file_methods
from timb.ui.cli.jsonrpc_onion import ONION_NOTIFICATIONS, onion_methods
from timb.ui.cli.jsonrpc_schema import SERVICE_METHODS, Param, service_params, to_json
from timb.ui.crash import redacted_report

MAX_LINE = 1 << 20  # a longer line gets a parse error (in pieces) and reading goes on

# JSON-RPC 2.0 codes, and ours in the range the spec leaves to applications.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
PROFILE_ERROR = -32001
NOT_FOUND = -32002
UNAVAILABLE = -32003

_ERROR_CODES: list[tuple[type[ServiceError], int]] = [
    (ProfileError, PROFILE_ERROR),
    (NotFound, NOT_FOUND),
    (ConfirmationRequired, CONFIRMATION_REQUIRED),  # before its base, InvalidRequest
    (InvalidRequest, INVALID_PARAMS),
    (Unavailable, UNAVAILABLE),
    # a file cannot go or come now (no private OTR session, over the cap, mat2 failed): its text says why
    (FileTransferError, UNAVAILABLE),
]

NOTIFICATIONS: dict[type, str] = {
    MessageReceived: "message.received",
    MessageStateChanged: "message.state",
    OtrStateChanged: "otr.state",
    OtrUnavailable: "otr.unavailable",
    SmpRequested: "smp.requested",
    SmpFinished: "smp.finished",
    TrustChanged: "trust.changed",
    KeyChanged: "key.changed",
    HeldForKeyChange: "message.held",
    ProtocolDowngraded: "otr.downgraded",
    MessageSent: "message.sent",  # (the service keeps it for the history; listed so none is missing)
    ConnectionStateChanged: "connection.state",
    TorBootstrap: "tor.bootstrap",
    TorFailed: "tor.failed",
    TorStalled: "tor.stalled",
    PresenceChanged: "contact.presence",
    SubscriptionRequested: "contact.subscription_request",
    ErrorEvent: "error",
    **CHANNEL_NOTIFICATIONS,
    **ONION_NOTIFICATIONS,
    **FILE_NOTIFICATIONS,
}


class RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def event_to_notification(event: CoreEvent) -> dict[str, Any]:
    """A JSON-RPC notification for a core event (``params`` are the event's fields)."""
    return {"jsonrpc": "2.0", "method": NOTIFICATIONS[type(event)], "params": to_json(event)}


class JsonRpcServer:
    """Turns request lines into calls on a `TimbService` and results into response lines."""

    def __init__(self, service: TimbService) -> None:
        self.service = service
        self.shutdown_requested = asyncio.Event()
        self._methods: dict[str, tuple[list[Param], Callable[..., Awaitable[Any] | Any]]] = {
            method: (service_params(method), getattr(service, name))
            for method, (name, _renames) in SERVICE_METHODS.items()
        }
        self._methods.update(channel_methods(service))
        self._methods.update(onion_methods(service))
        self._methods.update(file_methods(service))
        self._methods["shutdown"] = ([], self._shutdown)

    def _shutdown(self) -> None:
        self.shutdown_requested.set()

    # -- the protocol -------------------------------------------------------------------------

    async def handle_line(self, line: str) -> str | None:
        """One input line -> one output line (None for a notification or a blank line)."""
        if not line.strip():
            return None
        try:
            message = json.loads(line)
        except RecursionError:  # valid JSON, nested deeper than Python's parser goes
            return _dump(_error(None, PARSE_ERROR, "parse error: the line nests too deeply"))
        except ValueError:  # not JSON, or a number over Python's 4300-digit limit
            return _dump(_error(None, PARSE_ERROR, "parse error: the line is not valid JSON"))
        if isinstance(message, list):
            if not message:
                return _dump(_error(None, INVALID_REQUEST, "invalid request: empty batch"))
            replies = [r for r in [await self._handle(m) for m in message] if r is not None]
            return _dump(replies) if replies else None
        reply = await self._handle(message)
        return None if reply is None else _dump(reply)

    async def _handle(self, message: object) -> dict[str, Any] | None:
        if not isinstance(message, dict):
            return _error(None, INVALID_REQUEST, "invalid request: expected a JSON object")
        request_id = message.get("id")
        if not isinstance(request_id, str | int | type(None)) or isinstance(request_id, bool):
            return _error(None, INVALID_REQUEST, "invalid request: id must be a string, number or null")
        is_notification = "id" not in message
        try:
            result = await self._dispatch(message)
        except RpcError as exc:
            return None if is_notification else _error(request_id, exc.code, exc.message)
        if is_notification:
            return None
        return {"jsonrpc": "2.0", "id": request_id, "result": to_json(result)}

    async def _dispatch(self, message: dict[str, Any]) -> Any:
        if message.get("jsonrpc") != "2.0":
            raise RpcError(INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"')
        method = message.get("method")
        if not isinstance(method, str):
            raise RpcError(INVALID_REQUEST, 'invalid request: "method" must be a string')
        entry = self._methods.get(method)
        if entry is None:
            raise RpcError(METHOD_NOT_FOUND, f"method not found: {method[:64]!r}")
        spec, function = entry
        kwargs = _check_params(method, spec, message.get("params", {}))
        try:
            result = function(**kwargs)
            if asyncio.iscoroutine(result):
                result = await result
        except ServiceError as exc:
            code = (
                next(c for kind, c in _ERROR_CODES if isinstance(exc, kind))
                if type(exc) is not ServiceError
                else INTERNAL_ERROR
            )
            raise RpcError(code, str(exc)) from None
        return result


def _check_params(method: str, spec: list[Param], params: object) -> dict[str, Any]:
    """Validate by name and type; messages name the parameter, never its value."""
    if not isinstance(params, dict):
        raise RpcError(INVALID_PARAMS, f"{method}: params must be an object (by name)")
    known = {p.name: p for p in spec}
    unknown = sorted(set(params) - known.keys())
    if unknown:
        raise RpcError(INVALID_PARAMS, f"{method}: unknown parameter {unknown[0][:64]!r}")
    kwargs: dict[str, Any] = {}
    for param in spec:
        if param.name not in params:
            if param.required:
                raise RpcError(INVALID_PARAMS, f"{method}: missing parameter {param.name!r}")
            continue
        value = params[param.name]
        bad_bool = isinstance(value, bool) and bool not in param.type
        if not isinstance(value, param.type) or bad_bool:
            raise RpcError(INVALID_PARAMS, f"{method}: parameter {param.name!r} has the wrong type")
        if isinstance(value, str) and not is_unicode(value):  # "\ud800": no layer below can encode it
            raise RpcError(INVALID_PARAMS, f"{method}: parameter {param.name!r} is not valid Unicode")
        kwargs[param.argument] = Secret(value) if param.secret and value is not None else value
    return kwargs


def _error(request_id: object, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _dump(obj: object) -> str:
    line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if not is_unicode(line):  # a lone surrogate (in a request id, say) goes out as its escape
        line = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    return line


# -- the process ------------------------------------------------------------------------------


async def _lines(stream: TextIO) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_LINE)
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stream)
    except ValueError:  # a regular file (``timb jsonrpc < requests``): read it in a thread
        while raw := await asyncio.to_thread(stream.buffer.readline, MAX_LINE):
            yield raw.decode("utf-8", errors="replace")
        return
    while True:
        try:
            raw = await reader.readline()
        except ValueError:  # a line over the limit: skip to its end
            raw = b"\x00"
        if not raw:
            return
        yield raw.decode("utf-8", errors="replace")


async def serve(service: TimbService, stdin: TextIO, stdout: TextIO) -> None:
    """Read requests until EOF or ``shutdown``; write responses and event notifications."""

    def write(line: str) -> None:
        stdout.write(line + "\n")
        stdout.flush()

    async def forward_events() -> None:
        async for event in service.events():
            write(_dump(event_to_notification(event)))

    server = JsonRpcServer(service)

    async def read_requests() -> None:
        async for line in _lines(stdin):
            reply = await server.handle_line(line)
            if reply is not None:
                write(reply)
            if server.shutdown_requested.is_set():
                return

    async with asyncio.TaskGroup() as group:
        events = group.create_task(forward_events())
        await read_requests()
        await service.close()
        with contextlib.suppress(asyncio.CancelledError):
            await events


def tor_settings(args: argparse.Namespace) -> TorSettings:
    """--tor-control PORT attaches; --tor-managed DIR starts our own tor there (on the private
    network of --tor-devnet DIR when given)."""
    if args.tor_managed is not None:
        return TorSettings(managed=True, data_dir=args.tor_managed, devnet_dir=args.tor_devnet)
    return TorSettings(control_port=args.tor_control, cookie_path=args.tor_cookie)


async def _main(args: argparse.Namespace) -> int:
    tor = tor_settings(args)
    async with TimbService(args.profile, tor=tor) as service:
        await serve(service, sys.stdin, sys.stdout)
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_main(args))
    except Exception as error:  # noqa: BLE001 - the last line of defence: report without secrets
        # Python's traceback would print the exception's message, which may quote a message or
        # a key: the redacted report (types and frames only) goes to stderr instead.
        sys.stderr.write(redacted_report(error) + "\n")
        return 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "jsonrpc", help="JSON-RPC 2.0 over stdin/stdout for scripts and bots (docs/jsonrpc.md)"
    )
    parser.add_argument("--profile", type=Path, default=default_profile_dir(), help="profile directory")
    parser.add_argument("--tor-control", type=int, default=None, metavar="PORT", help="tor control port")
    parser.add_argument("--tor-cookie", type=Path, default=None, metavar="PATH", help="tor auth cookie")
    parser.add_argument(
        "--tor-managed", type=Path, default=None, metavar="DIR", help="start our own tor with its data in DIR"
    )
    parser.add_argument(
        "--tor-devnet",
        type=Path,
        default=None,
        metavar="DIR",
        help="with --tor-managed: join the private network in DIR (timb testnet)",
    )
    parser.set_defaults(handler=_run)
