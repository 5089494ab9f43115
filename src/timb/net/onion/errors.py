"""Errors of the onion (Ricochet Refresh protocol v3) adapter and its sans-I/O core: the onion
leaves of the net layer's tree (whose root is drawn in timb.net.errors).

Error tree::

    NetError
     └── OnionError              anything in timb.net.onion
          ├── OnionProtocolError the peer sent something the protocol forbids (remote: the
          │    │                 connection it came on is closed; nothing else changes)
          │    ├── FrameError    bad version negotiation, packet size, channel id or parity
          │    └── MessageError  a payload that is not the protobuf message its channel expects,
          │                      or a field out of its limits (text length, cookie size, ...)
          ├── OnionAuthError     the dialling side's proof is missing, malformed or does not
          │                      verify; or the listening side refused ours
          ├── PurposeTimeout     a connection got no purpose (contact, request) within 15 s
          ├── LinkDead           our keep-alive got no answer in time
          └── OnionUsageError    the caller misused the core (local: raised, state unchanged):
                                 a text out of limits, a command in the wrong state

Messages never carry message text, nicknames, cookies or keys.
"""

from __future__ import annotations

from timb.net.errors import NetError


class OnionError(NetError):
    """Base of every error in timb.net.onion."""


class OnionProtocolError(OnionError):
    """The peer broke the protocol; the connection is closed."""


class FrameError(OnionProtocolError):
    """Version negotiation or packet framing is invalid."""


class MessageError(OnionProtocolError):
    """A packet's payload is not a valid message for its channel."""


class OnionAuthError(OnionError):
    """Hidden-service authentication failed."""


class PurposeTimeout(OnionError):
    """The connection had no purpose within the time-out (Ricochet's UnknownPurposeTimeout)."""


class LinkDead(OnionError):
    """The peer did not answer our keep-alive in time."""


class OnionUsageError(OnionError):
    """The caller asked for something the protocol or the current state does not allow."""
