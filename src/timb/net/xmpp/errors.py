"""Errors of the XMPP adapter: the net layer's tree (timb.net.base) plus one XMPP-only leaf.

Error tree::

    NetError                          (timb.net.base)
     ├── ConnectError                 tor could not open the stream, or it was lost
     ├── TlsError                     certificate not trusted / pin mismatch / no TLS offered
     ├── AuthError                    SASL failure (wrong password, no acceptable mechanism)
     ├── NotConnectedError            no session right now
     ├── RemoteError                  an <iq> or <message> came back with an error (.condition)
     ├── AdapterCrashed               an exception escaped a slixmpp handler (a bug)
     └── IncompatibleSlixmpp          the installed slixmpp is not the version whose private
                                      connect internals the client overrides
"""

from __future__ import annotations

from timb.net.base import (
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
