"""The net layer's errors, shared by every adapter: the one drawing of their tree
(tests/architecture checks it). An adapter's own leaves are drawn in its errors module.

Messages never carry passwords or message bodies.

Error tree::

    Exception
     └── NetError                  anything that went wrong in a network adapter
          ├── ConnectError         the stream could not be opened or was lost (tor said no,
          │                        unknown host, connection refused/reset); retried with backoff
          │                        once a session existed, raised by `connect` before that
          ├── TlsError             TLS failed: certificate not trusted, pin mismatch, server
          │                        offered no TLS, handshake error (never retried: fatal)
          ├── AuthError            the server refused our credentials, or offered no mechanism
          │                        we accept (never retried: fatal)
          ├── NotConnectedError    a command needs a session and there is none right now
          ├── RemoteError          the server or peer answered a request with an error
          │                        (.condition: the XMPP/IRC error condition)
          └── AdapterCrashed       a bug: an exception escaped a protocol handler (wraps it)
"""

from __future__ import annotations


class NetError(Exception):
    """Base of every error raised by a network adapter."""


class ConnectError(NetError):
    """The stream to the server could not be opened, or it was lost."""


class TlsError(NetError):
    """TLS could not be established with a certificate we trust (fatal, never retried)."""


class AuthError(NetError):
    """The server refused the credentials, or no acceptable mechanism was offered (fatal)."""


class NotConnectedError(NetError):
    """The command needs an established session and there is none right now."""


class RemoteError(NetError):
    """The server or the peer answered a request with an error.

    Attributes:
        condition: the protocol's error condition (e.g. ``"item-not-found"``).
    """

    def __init__(self, condition: str, message: str = "") -> None:
        self.condition = condition
        super().__init__(f"{condition}: {message}" if message else condition)


class AdapterCrashed(NetError):
    """An exception escaped a protocol handler inside the adapter; ``__cause__`` holds it."""
