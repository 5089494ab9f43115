"""The Tor layer: the only package that opens sockets, and only to tor's loopback ports.

Errors: the tree is drawn once, in `timb.tor.errors`.
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
