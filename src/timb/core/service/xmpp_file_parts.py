"""The pieces of `xmpp_files` that hold no service state: a transfer's record, what the
adapter must offer, and the sending of the sealed stream (XEP-0047 through the server)."""

from __future__ import annotations

import asyncio
import collections
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from xml.etree import ElementTree as ET

from timb.common.ids import Fingerprint, Jid
from timb.core.extra_keys import FileConversations
from timb.core.files import IncomingFile
from timb.core.files.encrypted_stream import IV_BYTES, StreamKeys, StreamOpener, StreamSealer
from timb.core.files.errors import TransferRefused
from timb.core.files.transfer import TransferChanged
from timb.net.xmpp import ibb
from timb.otr import PolicyViolation

BLOCK_SIZE = 16384  # IBB block size: 12 KiB of ciphertext per <iq/>, well under servers' limits
WINDOW = 64  # IBB <iq/>s in flight: 16 -> 0.6, 32 -> 1.2, 64 and 128 -> 1.3 MiB/s (bench/xmpp_ft_bench.py)
_READ = 1 << 18


@runtime_checkable
class IbbHost(Protocol):
    """What transfers need of the account's adapter (`XmppAdapter`)."""

    ibb_sink: Callable[[Jid, ET.Element], None] | None

    @property
    def bound_jid(self) -> Jid | None: ...
    async def send_ibb(self, to: Jid, element: ET.Element) -> None: ...


@dataclass(frozen=True, slots=True)
class FileOffer:
    """What `send_file` offered: the name the contact sees, the size of what leaves, and what
    mat2 did (``metadata``: removed, none-found, unsupported (sent as it is), kept)."""

    transfer: str
    name: str
    size: int
    metadata: str
    metadata_found: tuple[str, ...] = ()
    metadata_removed: tuple[str, ...] = ()


@dataclass(slots=True)
class LiveTransfer:
    """One running transfer, either way (kept in memory only)."""

    account: str
    contact: str
    sid: str
    outgoing: bool
    size: int
    keys: StreamKeys = field(repr=False)
    fingerprint: Fingerprint | None
    name: str = field(default="", repr=False)  # the sender's (incoming): IncomingFile sanitises it
    digest: bytes = field(default=b"", repr=False)
    path: Path | None = None  # outgoing: what leaves (mat2's copy or the original)
    workdir: Path | None = None
    task: asyncio.Task[None] | None = None
    incoming: IncomingFile | None = None
    opener: StreamOpener | None = None
    receiver: ibb.IbbReceiver | None = None
    stream_from: Jid | None = None
    finishing: bool = False
    peer_done: bool = False


def files_of(conversations: object) -> FileConversations:
    if not isinstance(conversations, FileConversations):
        raise PolicyViolation("this account cannot carry files")
    return conversations


def full_jid_of(text: str, contact: str) -> Jid | None:
    """The receiver's full address from its accept: only one of the contact's own resources."""
    try:
        jid = Jid.parse(text)
    except ValueError:
        return None
    return jid if jid.resource and str(jid.bare) == contact else None


def safely(move: Callable[[], TransferChanged]) -> TransferChanged | None:
    """A book transition a peer's message or a stream asks for; None when the state does not
    allow it (a late or repeated event changes nothing)."""
    try:
        return move()
    except TransferRefused:
        return None


def offer_result(tid: str, name: str, size: int, report: Any, strip: bool) -> FileOffer:
    if not strip or report is None:
        return FileOffer(tid, name, size, "kept")
    if not report.supported:
        return FileOffer(tid, name, size, "unsupported")
    found = tuple(f.name for f in report.found)
    removed = tuple(f.name for f in report.removed)
    return FileOffer(tid, name, size, "removed" if found else "none-found", found, removed)


async def send_stream(host: IbbHost, live: LiveTransfer, peer: Jid, progress: Callable[[int], None]) -> None:
    """Seal the file and send it to ``peer`` in IBB <iq/>s, WINDOW in flight, then close;
    ``progress`` gets each count of plaintext bytes sealed.

    Raises:
        NetError: an <iq/> was refused or the account went offline; OSError: unreadable.
    """
    assert live.path is not None
    sender = ibb.IbbSender(live.sid, BLOCK_SIZE)
    sealer = StreamSealer(live.keys, secrets.token_bytes(IV_BYTES))
    flight: collections.deque[asyncio.Future[None]] = collections.deque()

    async def put(payload: bytes) -> None:
        for data in sender.data(payload):
            flight.append(asyncio.ensure_future(host.send_ibb(peer, data.to_element())))
            if len(flight) >= WINDOW:
                await flight.popleft()

    try:
        await host.send_ibb(peer, sender.open().to_element())
        source = await asyncio.to_thread(open, live.path, "rb")
        with source:
            pending = sealer.header()
            while chunk := await asyncio.to_thread(source.read, _READ):
                pending += sealer.seal(chunk)
                cut = len(pending) - len(pending) % sender.chunk_size
                await put(pending[:cut])
                pending = pending[cut:]
                progress(len(chunk))
            await put(pending + sealer.finish())
        while flight:
            await flight.popleft()
        await host.send_ibb(peer, sender.close().to_element())
    finally:
        for pending_iq in flight:
            pending_iq.cancel()
