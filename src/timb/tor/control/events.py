"""Typed asynchronous events and status lines of the control port (control-spec §4.1). Pure.

``parse_event`` turns a 650 `Reply` into one of the event dataclasses below; events TIMB does not
model become `UnknownEvent` (tor may send new ones; they must never break the reader).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from timb.tor.control.bootstrap import BootstrapStatus
from timb.tor.control.reply import (
    Arguments,
    ControlProtocolError,
    Reply,
    split_arguments,
)

# BootstrapStatus lives below timb.tor.errors (which carries it); importers may take it from here.
__all__ = [
    "LOG_SEVERITIES",
    "BootstrapEvent",
    "BootstrapStatus",
    "Circuit",
    "ControlEvent",
    "HsDescEvent",
    "LogEvent",
    "OrConnEvent",
    "StatusEvent",
    "Stream",
    "UnknownEvent",
    "parse_bootstrap",
    "parse_circuit",
    "parse_circuit_status",
    "parse_event",
    "parse_stream",
    "parse_stream_status",
]


def parse_bootstrap(text: str) -> BootstrapStatus | None:
    """Read ``NOTICE BOOTSTRAP PROGRESS=.. TAG=.. SUMMARY=".."`` (the value of
    ``GETINFO status/bootstrap-phase`` and the body of a ``STATUS_CLIENT`` event).

    Returns None when the status is not a BOOTSTRAP one (e.g. ``CIRCUIT_ESTABLISHED``).

    Raises:
        ControlProtocolError: a BOOTSTRAP status with missing or invalid fields.
    """
    args = split_arguments(text)
    if len(args.positional) < 2 or args.positional[1] != "BOOTSTRAP":
        return None
    progress = args.require("PROGRESS")
    if not progress.isascii() or not progress.isdigit() or int(progress) > 100:
        raise ControlProtocolError("BOOTSTRAP PROGRESS is not 0..100")
    warning = args.keywords.get("WARNING") if args.positional[0] in {"WARN", "ERR"} else None
    return BootstrapStatus(int(progress), args.require("TAG"), args.require("SUMMARY"), warning)


@dataclass(frozen=True, slots=True)
class BootstrapEvent:
    """``650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=.. TAG=.. SUMMARY=".."``."""

    status: BootstrapStatus


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """Any other ``STATUS_GENERAL`` / ``STATUS_CLIENT`` / ``STATUS_SERVER`` event."""

    kind: str  # STATUS_CLIENT, ...
    severity: str  # NOTICE, WARN, ERR
    action: str  # e.g. CIRCUIT_ESTABLISHED
    arguments: dict[str, str]


@dataclass(frozen=True, slots=True)
class Circuit:
    """A ``CIRC`` event or a ``GETINFO circuit-status`` line (control-spec §4.1.1).

    ``path`` holds the relays as tor names them (``$FINGERPRINT~nickname``); empty while the
    circuit is LAUNCHED. ``socks_username``/``socks_password`` show the isolation it serves.
    """

    circuit_id: str
    status: str  # LAUNCHED, BUILT, GUARD_WAIT, EXTENDED, FAILED, CLOSED
    path: tuple[str, ...]
    purpose: str | None
    socks_username: str | None
    socks_password: str | None
    arguments: dict[str, str]


@dataclass(frozen=True, slots=True)
class Stream:
    """A ``STREAM`` event or a ``GETINFO stream-status`` line (control-spec §4.1.2)."""

    stream_id: str
    status: str  # NEW, SENTCONNECT, SUCCEEDED, FAILED, CLOSED, DETACHED, ...
    circuit_id: str  # "0" while not attached
    target: str  # host:port as the client asked for it
    socks_username: str | None
    socks_password: str | None
    arguments: dict[str, str]


@dataclass(frozen=True, slots=True)
class HsDescEvent:
    """``650 HS_DESC Action HSAddress AuthType HsDir [DescriptorID] [REASON=..]`` (§4.1.25)."""

    action: str  # REQUESTED, UPLOAD, RECEIVED, UPLOADED, IGNORE, FAILED, CREATED
    address: str  # service id without ".onion", or UNKNOWN
    hs_dir: str
    descriptor_id: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class LogEvent:
    """``650 WARN message`` (and DEBUG/INFO/NOTICE/ERR): one line of tor's log (§4.1.5).

    The message is tor's text; with ``SafeLogging`` off it may name addresses, so it is shown
    to the user and matched, never written to TIMB's log.
    """

    severity: str
    message: str


@dataclass(frozen=True, slots=True)
class OrConnEvent:
    """``650 ORCONN Target Status [REASON=..] [NCIRCS=..] [ID=..]`` (§4.1.3): a connection to a
    relay or bridge (``$FP~nick`` or ``addr:port``) was LAUNCHED, CONNECTED, FAILED, CLOSED."""

    target: str
    status: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """An event TIMB does not model; its name and the text after it."""

    name: str
    text: str


ControlEvent = (
    BootstrapEvent | StatusEvent | Circuit | Stream | HsDescEvent | LogEvent | OrConnEvent | UnknownEvent
)
LOG_SEVERITIES = frozenset({"DEBUG", "INFO", "NOTICE", "WARN", "ERR"})


def parse_circuit(text: str) -> Circuit:
    """``CircuitID SP CircStatus [SP Path] [SP KEY=VALUE ...]``.

    Raises:
        ControlProtocolError: fewer than two fields.
    """
    args = split_arguments(text)
    if len(args.positional) < 2:
        raise ControlProtocolError("circuit status needs an id and a status")
    path = tuple(args.positional[2].split(",")) if len(args.positional) > 2 else ()
    return Circuit(
        circuit_id=args.positional[0],
        status=args.positional[1],
        path=path,
        purpose=args.keywords.get("PURPOSE"),
        socks_username=args.keywords.get("SOCKS_USERNAME"),
        socks_password=args.keywords.get("SOCKS_PASSWORD"),
        arguments=args.keywords,
    )


def parse_stream(text: str) -> Stream:
    """``StreamID SP StreamStatus SP CircuitID SP Target [SP KEY=VALUE ...]``.

    Raises:
        ControlProtocolError: fewer than four fields.
    """
    args = split_arguments(text)
    if len(args.positional) < 4:
        raise ControlProtocolError("stream status needs id, status, circuit and target")
    return Stream(
        stream_id=args.positional[0],
        status=args.positional[1],
        circuit_id=args.positional[2],
        target=args.positional[3],
        socks_username=args.keywords.get("SOCKS_USERNAME"),
        socks_password=args.keywords.get("SOCKS_PASSWORD"),
        arguments=args.keywords,
    )


def parse_circuit_status(value: str) -> list[Circuit]:
    """The value of ``GETINFO circuit-status``: one circuit per line (may be empty)."""
    return [parse_circuit(line) for line in value.splitlines() if line.strip()]


def parse_stream_status(value: str) -> list[Stream]:
    """The value of ``GETINFO stream-status``: one stream per line (may be empty)."""
    return [parse_stream(line) for line in value.splitlines() if line.strip()]


def _hs_desc(args: Arguments) -> HsDescEvent:
    if len(args.positional) < 4:
        raise ControlProtocolError("HS_DESC needs action, address, auth type and HSDir")
    return HsDescEvent(
        action=args.positional[0],
        address=args.positional[1],
        hs_dir=args.positional[3],
        descriptor_id=args.positional[4] if len(args.positional) > 4 else None,
        reason=args.keywords.get("REASON"),
    )


def _orconn(args: Arguments) -> OrConnEvent:
    if len(args.positional) < 2:
        raise ControlProtocolError("ORCONN needs a target and a status")
    return OrConnEvent(args.positional[0], args.positional[1], args.keywords.get("REASON"))


def _status(kind: str, body: str) -> BootstrapEvent | StatusEvent:
    bootstrap = parse_bootstrap(body)
    if bootstrap is not None:
        return BootstrapEvent(bootstrap)
    args = split_arguments(body)
    if len(args.positional) < 2:
        raise ControlProtocolError(f"{kind} needs a severity and an action")
    return StatusEvent(kind, args.positional[0], args.positional[1], args.keywords)


_WITH_ARGUMENTS: dict[str, Callable[[Arguments], ControlEvent]] = {"HS_DESC": _hs_desc, "ORCONN": _orconn}


def parse_event(reply: Reply) -> ControlEvent:
    """Turn an asynchronous reply (650) into a typed event.

    Multi-line events keep only their first line here (TIMB subscribes to none that need more).

    Raises:
        ControlProtocolError: not a 650 reply, or a modelled event with malformed fields.
    """
    if reply.status != 650:
        raise ControlProtocolError(f"not an event: status {reply.status}")
    name, _, body = reply.lines[0].text.partition(" ")
    if name == "CIRC":
        return parse_circuit(body)
    if name == "STREAM":
        return parse_stream(body)
    if name in {"STATUS_CLIENT", "STATUS_GENERAL", "STATUS_SERVER"}:
        return _status(name, body)
    parse_args = _WITH_ARGUMENTS.get(name)
    if parse_args is not None:
        return parse_args(split_arguments(body))
    if name in LOG_SEVERITIES:
        return LogEvent(name, body)
    return UnknownEvent(name, body)
