"""Errors of the XMPP adapter: the net layer's tree (drawn in timb.net.errors) plus the
XMPP-only leaf drawn here (tests/architecture checks it).

Error tree::

    NetError
     └── IncompatibleSlixmpp     the installed slixmpp is not the version whose private
                                 connect internals the client overrides
"""

from __future__ import annotations

from timb.net.errors import (
    AdapterCrashed,
    AuthError,
    ConnectError,
    NetError,
    NotConnectedError,
    RemoteError,
    TlsError,
)

__all__ = [
    "AdapterCrashed",
    "AuthError",
    "ConnectError",
    "IncompatibleSlixmpp",
    "NetError",
    "NotConnectedError",
    "RemoteError",
    "TlsError",
]


class IncompatibleSlixmpp(NetError):
    """slixmpp is not the pinned version: its private connect API may have changed, and a
    changed API could let it resolve or dial by itself. Refuse rather than guess."""
