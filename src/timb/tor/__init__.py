"""The Tor layer: the only package that opens sockets, and only to tor's loopback ports.

Error tree (timb.tor.errors)::

    TorError
     ├── TorNotReady               not bootstrapped yet
     ├── TorUnavailable            tor gone: control/SOCKS port refused or closed
     ├── TorStartError             could not start tor (carries tor's log tail)
     │    └── OfflineGuardError    TIMB_OFFLINE=1 and tor is not on the private test network
     ├── ControlError              control-port error reply (.code, .message)
     └── StreamError               SOCKS connect failed (.reason)
"""
