"""Errors of the OTR layer: the one drawing of its tree (tests/architecture checks it).

Error tree::

    OtrError
     ├── LocalError              the caller misused the API (raised)
     │    └── PolicyViolation    e.g. sending plaintext while the policy requires encryption,
     │                           or anything at all in MSGSTATE_FINISHED
     ├── RemoteError             the peer (or the network) sent something bad; never raised out of
     │    │                      Conversation.receive(): it becomes an event and changes nothing
     │    ├── MalformedMessage   cannot be parsed
     │    └── DecryptionFailed   MAC or decryption failure; one opaque error, no reason given
     └── KeyFileError            a libotr key or fingerprints file is malformed (.line, .reason)
"""


class OtrError(Exception):
    """Base of every OTR error."""


class LocalError(OtrError):
    """The caller used the API wrongly; the conversation is unchanged."""


class PolicyViolation(LocalError):
    """The request would break the conversation's policy."""


class RemoteError(OtrError):
    """The peer sent something we cannot accept."""


class MalformedMessage(RemoteError):
    """A wire message, TLV or field did not parse."""


class DecryptionFailed(RemoteError):
    """Decryption or MAC check failed. Deliberately says nothing about why."""

    def __init__(self) -> None:
        super().__init__("message could not be decrypted")


class KeyFileError(OtrError):
    """A key or fingerprint file is malformed; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.reason = message
