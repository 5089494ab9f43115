"""Errors of the IRC adapter: the net layer's tree (drawn in timb.net.errors) plus the IRC-only
leaves drawn here (tests/architecture checks it).

Error tree::

    NetError
     ├── MalformedLine                remote: a line we cannot parse (dropped; nothing changed)
     ├── InvalidIrcAccount            local: account settings that cannot be used safely (TLS off
     │                                for a clearnet host, SASL EXTERNAL without TLS or certificate)
     └── UnsendableMessage            local: a command we refuse to serialize (CR/LF/NUL,
                                      a space in a middle parameter, over 512 bytes)
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
    "InvalidIrcAccount",
    "MalformedLine",
    "NetError",
    "NotConnectedError",
    "RemoteError",
    "TlsError",
    "UnsendableMessage",
]


class MalformedLine(NetError):
    """The server sent a line that is not an IRC message (the text never quotes the line)."""


class InvalidIrcAccount(NetError, ValueError):
    """Account settings the adapter refuses (a ValueError too: it is bad input, not a network
    event); nothing was dialled."""


class UnsendableMessage(NetError, ValueError):
    """A command we will not put on the wire: it would inject a line or exceed the limit."""
