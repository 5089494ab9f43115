"""The Tor layer: the only package that opens sockets, and only to tor's loopback ports.

Error tree (timb.tor.errors)::

    TorError
     ├── TorNotReady               not bootstrapped yet
     │    └── BootstrapStalled     no new bootstrap phase for the stall time-out (.stall)
     ├── TorUnavailable            tor gone: control/SOCKS port refused or closed
     ├── TorStartError             could not start tor (carries tor's log tail)
     │    └── OfflineGuardError    TIMB_OFFLINE=1 and tor is not on the private test network
     ├── ControlError              control-port error reply (.code, .message)
     ├── BridgeLineError           a malformed bridge line (.line, .field)
     └── StreamError               SOCKS connect failed (.reason)
"""

from timb.tor.client import TorClient
from timb.tor.control.events import BootstrapStatus
from timb.tor.control.reply import ControlProtocolError
from timb.tor.errors import (
    BootstrapStalled,
    BridgeLineError,
    ControlError,
    OfflineGuardError,
    StreamError,
    TorError,
    TorNotReady,
    TorStartError,
    TorUnavailable,
)
from timb.tor.onion import OnionKey, OnionListener, OnionService
from timb.tor.socks import open_socket, open_stream

__all__ = [
    "BootstrapStalled",
    "BootstrapStatus",
    "BridgeLineError",
    "ControlError",
    "ControlProtocolError",
    "OfflineGuardError",
    "OnionKey",
    "OnionListener",
    "OnionService",
    "StreamError",
    "TorClient",
    "TorError",
    "TorNotReady",
    "TorStartError",
    "TorUnavailable",
    "open_socket",
    "open_stream",
]
