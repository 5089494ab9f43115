"""The Tor layer's errors: one tree, every failure of timb.tor is one of these.

This is the one drawing of the tree; tests/architecture compares it with the classes.

Error tree::

    Exception
     └── TorError                  anything that went wrong in the Tor layer
          ├── TorNotReady          tor runs but has not bootstrapped (no circuits yet)
          │    └── BootstrapStalled    no new bootstrap phase for the stall time-out (.stall,
          │                            a Stall below: where, for how long, why)
          ├── TorUnavailable       tor is gone: its control or SOCKS port refused or closed
          ├── TorStartError        tor could not be started (binary missing, bad torrc,
          │    │                   exited early); carries the tail of tor's log
          │    └── OfflineGuardError   TIMB_OFFLINE=1 and the tor is not on the private
          │                            test network (refused before any packet leaves)
          ├── ControlError         the control port answered with an error reply (.code, .message)
          ├── ControlProtocolError the control port sent no well-formed (or not the expected)
          │                        reply, or failed authentication (tor/control/reply.py)
          ├── BridgeLineError      a bridge line (pasted or from a file) is malformed (.line, .field)
          ├── KnownServersError    the known-servers file is malformed (.entry, .field)
          └── StreamError          tor could not open a stream (SOCKS reply: .reason)

Messages never carry secrets (cookies, keys, passwords); a log tail is the end of tor's own
notice log, which holds none of them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from timb.tor.control.bootstrap import BootstrapStatus


class TorError(Exception):
    """Base of every error raised by timb.tor."""


class StallReason(enum.Enum):
    """Why bootstrap is stuck, from the most to the least specific evidence (`timb.tor.stall`)."""

    TRANSPORT_CANNOT_CONNECT = "the transport cannot connect to the bridge"
    FIRST_HOP_SILENT = "the bridge (or first relay) does not answer"
    CONNECTIONS_FAIL = "connections to the first relay fail"
    TOR_WARNING = "tor reports a problem"
    NO_PROGRESS = "tor makes no progress"


@dataclass(frozen=True, slots=True)
class Stall:
    """A stalled bootstrap: where it stands, for how long, why, and a sentence for the user.

    Found by `timb.tor.stall.BootstrapWatch`; defined here, at the bottom of the layer, so that
    `BootstrapStalled` can carry it without importing the watch (which imports the control
    events, which import this module).
    """

    reason: StallReason
    status: BootstrapStatus
    seconds: float
    detail: str

    def describe(self) -> str:
        return (
            f"Connecting to Tor is stuck at {self.status.progress} % ({self.status.summary}) for "
            f"{self.seconds:.0f} s: {self.reason.value}. {self.detail}"
        )


class TorNotReady(TorError):
    """Tor is running but has not finished bootstrapping, so it cannot carry streams yet."""


class BootstrapStalled(TorNotReady):
    """Bootstrap made no progress for the configured time; nothing fell back to anything.

    Attributes:
        stall: where it stands, for how long, and the likely reason (for the user).
    """

    def __init__(self, stall: Stall) -> None:
        self.stall = stall
        super().__init__(stall.describe())


class TorUnavailable(TorError):
    """Tor is gone: its control or SOCKS port refused the connection or closed it."""


class TorStartError(TorError):
    """A tor process could not be started or exited before it was ready.

    Attributes:
        log_tail: the last lines of tor's own log (may be empty), to show to the user.
    """

    def __init__(self, message: str, *, log_tail: str = "") -> None:
        self.log_tail = log_tail
        text = message if not log_tail else f"{message}\n--- tor log (tail) ---\n{log_tail}"
        super().__init__(text)


class OfflineGuardError(TorStartError):
    """TIMB_OFFLINE=1 is set and the tor (to start or to attach to) is not on the private
    test network: no ``TestingTorNetwork 1``, or an authority/bridge outside 127.0.0.0/8."""


class ControlError(TorError):
    """The control port answered a command with an error reply (e.g. ``552 Unrecognized key``).

    Attributes:
        code: the three-digit status code of the reply.
        message: tor's text for it.
    """

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code} {message}")


class BridgeLineError(TorError):
    """A bridge line is malformed: nothing of the text it came in is used.

    Attributes:
        line: the 1-based line number in the pasted text (0: the text as a whole).
        field: what is wrong (``address``, ``port``, ``fingerprint``, ``transport``, ``cert``,
            ``url``, ...).
        reason: in words, without the line itself (it may be a bridge the user keeps secret).
    """

    def __init__(self, line: int, field: str, reason: str) -> None:
        self.line = line
        self.field = field
        self.reason = reason
        where = f"bridge line {line}" if line else "bridge lines"
        super().__init__(f"{where}: {field} {reason}")


class StreamError(TorError):
    """Tor could not open a stream to the destination (SOCKS connect failed).

    Attributes:
        reason: why, in words (e.g. "host unreachable", "onion service not found").
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class KnownServersError(TorError):
    """The known-servers file is malformed (nothing of it is used). ``entry``: 1-based index in
    ``servers`` (0: the file as a whole); ``field``: what is wrong."""

    def __init__(self, entry: int, field: str, reason: str) -> None:
        self.entry = entry
        self.field = field
        self.reason = reason
        super().__init__(f"known servers entry {entry}: {field}: {reason}")
