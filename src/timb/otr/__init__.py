"""OTR version 3 (and 2), sans-I/O: Protocol-v3 from libotr, interoperable with libotr 4.1.1.

One `Conversation` per remote instance; see `timb.otr.conversation` for the contract.

Errors: the tree is drawn once, in `timb.otr.errors`.
"""

from timb.otr.ake import AuthState
from timb.otr.conversation import Conversation, MessageState
from timb.otr.errors import (
    DecryptionFailed,
    LocalError,
    MalformedMessage,
    OtrError,
    PolicyViolation,
    RemoteError,
)
from timb.otr.events import (
    DataMessageAuthenticated,
    Event,
    ExtraSymmetricKeyReceived,
    GoneInsecure,
    GoneSecure,
    MalformedMessageReceived,
    MessageHeld,
    MessageReceived,
    PeerError,
    SessionFinished,
    SmpAborted,
    SmpCheated,
    SmpFailed,
    SmpProgress,
    SmpQuestion,
    SmpSucceeded,
    UnreadableMessage,
)
from timb.otr.keys import PrivateKey, PublicKey
from timb.otr.policy import Policy

__all__ = [
    "AuthState",
    "Conversation",
    "DataMessageAuthenticated",
    "DecryptionFailed",
    "Event",
    "ExtraSymmetricKeyReceived",
    "GoneInsecure",
    "GoneSecure",
    "LocalError",
    "MalformedMessage",
    "MalformedMessageReceived",
    "MessageHeld",
    "MessageReceived",
    "MessageState",
    "OtrError",
    "PeerError",
    "Policy",
    "PolicyViolation",
    "PrivateKey",
    "PublicKey",
    "RemoteError",
    "SessionFinished",
    "SmpAborted",
    "SmpCheated",
    "SmpFailed",
    "SmpProgress",
    "SmpQuestion",
    "SmpSucceeded",
    "UnreadableMessage",
]
