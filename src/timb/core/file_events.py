"""Events of file transfers with XMPP contacts (issue 15, the XMPP half; `core/service/xmpp_files.py`).

Shaped like the onion file events (`timb.core.onion_events`), with ``account`` where those have
``identity``: an XMPP transfer belongs to an account and one of its contacts.

`FileKeyReceived` is not a core event: the conversations core (`timb.core.extra_keys`) hands a
TLV 8 of the contact's authenticated Data Message, with the extra symmetric key it yields, to the
service's file part through a hook; it is never shown (the key is a `Secret`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from timb.common.ids import Fingerprint
from timb.common.secret import Secret


@dataclass(frozen=True, slots=True)
class FileKeyReceived:
    """The contact's private session carried TLV 8 ("extra symmetric key") for ``use``."""

    account: str
    contact: str
    use: int
    data: bytes = field(repr=False)
    key: Secret[bytes] = field(repr=False)
    fingerprint: Fingerprint | None = None


@dataclass(frozen=True, slots=True)
class FileOffered:
    """A contact offers a file inside the private OTR session: `files.accept_file` (into a folder
    the user chose) or `files.reject_file`. ``name`` is already sanitised; ``verified``: the
    session's key is one the user verified."""

    account: str
    contact: str
    transfer: str
    name: str
    size: int
    verified: bool


@dataclass(frozen=True, slots=True)
class FileChanged:
    """A transfer's state: ``offered`` (ours, waiting for the contact), ``running``,
    ``completed``, ``rejected``, ``cancelled`` or ``failed``; ``reason`` says why for the user,
    ``by_peer`` that the contact ended it, ``saved_as`` the path of a complete incoming file
    (size, MAC and SHA3-512 checked; never opened)."""

    account: str
    contact: str
    transfer: str
    direction: str  # incoming, outgoing
    state: str
    reason: str = ""
    by_peer: bool = False
    saved_as: str = ""


@dataclass(frozen=True, slots=True)
class FileProgress:
    account: str
    contact: str
    transfer: str
    direction: str
    done: int
    size: int
    bytes_per_second: float
    seconds_remaining: float | None


FileEvent = FileOffered | FileChanged | FileProgress
