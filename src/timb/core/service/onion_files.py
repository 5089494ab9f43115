"""Files to and from onion contacts (issue 15, the onion half): `service.onion.send_file`,
`accept_file`, `reject_file`, `cancel_file`, over Ricochet's ``im.ricochet.file-transfer``.

The rules (docs/files.md):

- Sending: metadata is stripped with mat2 by default (`prepare_outgoing`); a type mat2 does not
  know goes as it is and the result says so (``metadata: "unsupported"``); mat2 missing or
  failing on a type it knows sends nothing (`MetadataStripError`), unless the user asks for
  ``strip_metadata=False``. The peer is told only the file's own name, never our folder.
- Receiving: nothing is written before the user accepts, into the folder they name; an offer
  over the size cap is refused without asking; the bytes go to a private partial file
  (`IncomingFile`), and only once size and SHA3-512 match does the file get its (sanitised,
  never clobbering) name. It is never opened.
- The link: the onion circuit is end to end between the two onion services, and the address the
  contact was dialled at (or proved) is its key, so a transfer counts as private for
  `TransferBook` without OTR. Transfers do not wait for an offline contact and do not outlive
  their connection (no resume with Ricochet: its protocol has none).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import tempfile
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from timb.common.clock import Clock
from timb.common.ids import OnionAddress
from timb.core.errors import InvalidRequest, NotFound, Unavailable
from timb.core.events import CoreEvent
from timb.core.files import FileTransferError, IncomingFile, OutgoingFile, prepare_outgoing
from timb.core.files.errors import TransferRefused
from timb.core.files.transfer import Direction, State, TransferBook, TransferChanged
from timb.core.onion_events import OnionFileChanged, OnionFileOffered, OnionFileProgress
from timb.core.service.onion_store import ContactStatus, StoredIdentity
from timb.net.errors import NotConnectedError
from timb.net.onion import peer_events as pe
from timb.net.onion.errors import OnionUsageError
from timb.net.onion.events import FileEnd
from timb.net.onion.files import FileSink, FileSource
from timb.net.onion.identity import contact_id

MAX_OFFERS_WAITING = 32  # per identity; more are refused without asking
DEFAULT_SIZE_CAP = 2 << 30  # 2 GiB until the user sets another (`set_file_size_cap`)
Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]

_REASONS = {
    FileEnd.BAD_HASH: "the file does not match the hash its sender declared: nothing was saved",
    FileEnd.NETWORK_ERROR: "the connection to the contact ended",
    FileEnd.FILESYSTEM_ERROR: "the file could not be read or written",
    FileEnd.STALLED: "nothing moved for too long",
    FileEnd.FAILED: "the contact's client reported a failure or broke the protocol",
}


class FilePeer(Protocol):
    """What file transfers need of `OnionPeer` (the runtime's peer)."""

    def send_file(
        self, peer: OnionAddress, size: int, name: str, digest: bytes, source: FileSource
    ) -> int: ...
    def accept_file(self, peer: OnionAddress, file_id: int, sink: FileSink) -> None: ...
    def reject_file(self, peer: OnionAddress, file_id: int) -> None: ...
    def cancel_file(self, peer: OnionAddress, file_id: int, *, outgoing: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class OnionFileOffer:
    """What `send_file` offered: the name the contact sees, the size of what leaves, and what
    mat2 did (``metadata``: removed, none-found, unsupported (sent as it is), kept (the user
    chose); the field names found, removed and still there)."""

    transfer: str
    name: str
    size: int
    metadata: str
    metadata_found: tuple[str, ...] = ()
    metadata_removed: tuple[str, ...] = ()
    metadata_remaining: tuple[str, ...] = ()


@dataclass(slots=True)
class _Live:
    identity: str
    address: OnionAddress
    file_id: int
    outgoing: bool
    size: int
    name: str = field(repr=False)  # the sender's (incoming): IncomingFile sanitises it
    digest: bytes = field(default=b"", repr=False)
    source: BinaryIO | None = None
    workdir: Path | None = None  # mat2's private copy, removed at the end
    incoming: IncomingFile | None = None
    finishing: bool = False  # complete: its hash is checked and it is named, in a thread


class _Sink:
    """`IncomingFile` as the core's `FileSink` (whose failures are OSError)."""

    def __init__(self, file: IncomingFile) -> None:
        self._file = file

    def write(self, data: bytes, /) -> None:
        try:
            self._file.write(data)
        except FileTransferError as exc:
            raise OSError(str(exc)) from None


class OnionFiles:
    """The running transfers of every onion identity (kept in memory only)."""

    def __init__(
        self,
        emit: Callable[[CoreEvent], None],
        spawn: Spawn,
        clock: Clock,
        peer_of: Callable[[str], FilePeer | None],
    ) -> None:
        self._emit = emit
        self._spawn = spawn
        self._peer_of = peer_of
        self.book = TransferBook(clock, DEFAULT_SIZE_CAP)
        self._live: dict[str, _Live] = {}
        self._wire: dict[tuple[str, OnionAddress, int, bool], str] = {}

    # ---- commands ----

    async def send(self, identity: str, address: OnionAddress, path: Path, strip: bool) -> OnionFileOffer:
        """Raises: Unavailable (offline), InvalidRequest (an empty file, too many), FileTransferError."""
        peer = self._peer(identity)
        workdir = Path(tempfile.mkdtemp(prefix="timb-send-"))  # 0700: mat2's private copy
        try:
            ready, source = await asyncio.to_thread(_prepare, path, workdir, strip)
            try:
                file_id = peer.send_file(address, ready.size, ready.name, ready.digest, source)
            except BaseException:
                source.close()
                raise
        except NotConnectedError:
            shutil.rmtree(workdir, ignore_errors=True)
            raise Unavailable("the contact is not online: files go only while both are") from None
        except OnionUsageError as exc:
            shutil.rmtree(workdir, ignore_errors=True)
            raise InvalidRequest(str(exc)) from None
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        transfer = self.book.offer(contact_id(address), ready.name, ready.size, private=True)
        live = _Live(identity, address, file_id, True, ready.size, ready.name, ready.digest, source, workdir)
        self._add(transfer.id, live)
        self._changed(live, TransferChanged(transfer))
        return _offer_result(transfer.id, ready, strip)

    async def accept(self, transfer_id: str, folder: Path) -> None:
        """Raises: NotFound, Unavailable, FileTooLarge, FileTransferError (the folder)."""
        live = self._incoming_offer(transfer_id)
        peer = self._peer(live.identity)
        incoming = IncomingFile(folder, live.name, live.size, live.digest, cap=self.book.size_cap)
        try:
            peer.accept_file(live.address, live.file_id, _Sink(incoming))
        except (NotConnectedError, OnionUsageError):
            incoming.abort()
            raise Unavailable("the offer is gone (the connection to the contact ended)") from None
        live.incoming = incoming
        self._changed(live, self.book.accept(transfer_id))

    def reject(self, transfer_id: str) -> None:
        """Raises: NotFound."""
        live = self._incoming_offer(transfer_id)
        peer = self._peer_of(live.identity)
        with contextlib.suppress(NotConnectedError, OnionUsageError):
            if peer is not None:
                peer.reject_file(live.address, live.file_id)
        self._end(transfer_id, self.book.reject(transfer_id))

    def cancel(self, transfer_id: str) -> None:
        """Raises: NotFound (also for a file already complete and being saved)."""
        live = self._get(transfer_id)
        if live.finishing:
            raise NotFound("the file is complete: it is being saved")
        peer = self._peer_of(live.identity)
        with contextlib.suppress(NotConnectedError, OnionUsageError):
            if peer is not None:
                peer.cancel_file(live.address, live.file_id, outgoing=live.outgoing)
        self._end(transfer_id, self.book.cancel(transfer_id))

    def belongs(self, transfer_id: str, identity: str) -> bool:
        live = self._live.get(transfer_id)
        return live is not None and live.identity == identity

    def identity_offline(self, identity: str) -> None:
        """Every transfer of ``identity`` fails: its connections are gone."""
        for tid in [t for t, live in self._live.items() if live.identity == identity and not live.finishing]:
            self._end(
                tid, self._safely(functools.partial(self.book.fail, tid, _REASONS[FileEnd.NETWORK_ERROR]))
            )

    # ---- the peer's events (through the identity's runtime) ----

    def handle(self, identity: str, event: pe.PeerEvent) -> None:
        match event:
            case pe.FileOffer():
                self._offered(identity, event)
            case pe.FileAccepted(peer=who, file_id=fid):
                tid = self._wire.get((identity, who, fid, True))
                if tid is not None:
                    self._changed(self._live[tid], self._safely(functools.partial(self.book.accept, tid)))
            case pe.FileMoved(peer=who, file_id=fid, outgoing=out, done=done):
                self._moved(self._wire.get((identity, who, fid, out)), done)
            case pe.FileDone(peer=who, file_id=fid, outgoing=out, end=end, by_peer=by_peer):
                tid = self._wire.get((identity, who, fid, out))
                if tid is not None:
                    self._done(tid, end, by_peer)
            case _:
                pass

    def _offered(self, identity: str, offer: pe.FileOffer) -> None:
        who, file_id, size, name, digest = offer.peer, offer.file_id, offer.size, offer.name, offer.file_hash
        changed = self.book.offered(contact_id(who), name, size, private=True)
        waiting = [x for x in self._live.values() if x.identity == identity and not x.outgoing]
        if changed.transfer.state is State.OFFERED and len(waiting) >= MAX_OFFERS_WAITING:
            # a contact flooding offers over reconnections (each connection carries at most 16)
            changed = replace(self.book.reject(changed.transfer.id), reason="too many files are waiting")
        live = _Live(identity, who, file_id, False, size, name, digest)
        if changed.transfer.state is State.REJECTED:  # over the cap: refused without asking
            peer = self._peer_of(identity)
            with contextlib.suppress(NotConnectedError, OnionUsageError):
                if peer is not None:
                    peer.reject_file(who, file_id)
            self._changed(live, changed)
            return
        self._add(changed.transfer.id, live)
        t = changed.transfer
        self._emit(OnionFileOffered(identity, t.contact, t.id, t.name, t.size, verified=True))

    def _moved(self, tid: str | None, done: int) -> None:
        if tid is None:
            return
        before = self.book.get(tid).done
        try:
            progress = self.book.progress(tid, done - before)
        except TransferRefused:
            return  # the core already bounds the counts; a stale event changes nothing
        if progress is not None:
            t, live = progress.transfer, self._live[tid]
            self._emit(
                OnionFileProgress(
                    live.identity,
                    t.contact,
                    t.id,
                    t.direction.value,
                    t.done,
                    t.size,
                    progress.bytes_per_second,
                    progress.seconds_remaining,
                )
            )

    def _done(self, tid: str, end: FileEnd, by_peer: bool) -> None:
        live = self._live[tid]
        if end is FileEnd.COMPLETED and live.incoming is not None:
            live.finishing = True  # every byte is in: neither a cancel nor going offline undoes it
            self._spawn(self._finish(tid, live.incoming))
            return
        if end is FileEnd.COMPLETED:
            changed = self._safely(lambda: self.book.complete(tid))
        elif end is FileEnd.REJECTED:
            changed = self._safely(lambda: self.book.reject(tid, by_peer=by_peer))
        elif end is FileEnd.CANCELLED:
            changed = self._safely(lambda: self.book.cancel(tid, by_peer=by_peer))
        else:
            changed = self._safely(lambda: self.book.fail(tid, _REASONS[end]))
        self._end(tid, changed)

    async def _finish(self, tid: str, incoming: IncomingFile) -> None:
        """Check size and hash (again, on what was written) and give the file its name."""
        try:
            saved = await asyncio.to_thread(incoming.finish)
        except FileTransferError as exc:
            reason = str(exc)
            self._end(tid, self._safely(lambda: self.book.fail(tid, reason)))
            return
        self._end(tid, self._safely(lambda: self.book.complete(tid)), saved_as=str(saved))

    # ---- helpers ----

    def _peer(self, identity: str) -> FilePeer:
        peer = self._peer_of(identity)
        if peer is None:
            raise Unavailable("the identity is not online")
        return peer

    def _get(self, transfer_id: str) -> _Live:
        live = self._live.get(transfer_id)
        if live is None:
            raise NotFound("no such running file transfer")
        return live

    def _incoming_offer(self, transfer_id: str) -> _Live:
        live = self._get(transfer_id)
        if live.outgoing or self.book.get(transfer_id).state is not State.OFFERED:
            raise NotFound("no such file offer waiting for an answer")
        return live

    def _add(self, tid: str, live: _Live) -> None:
        self._live[tid] = live
        self._wire[(live.identity, live.address, live.file_id, live.outgoing)] = tid

    def _end(self, tid: str, changed: TransferChanged | None, saved_as: str = "") -> None:
        """Forget the transfer, close its files, remove a partial file and mat2's copy."""
        live = self._live.pop(tid, None)
        if live is None:
            return
        self._wire.pop((live.identity, live.address, live.file_id, live.outgoing), None)
        if live.source is not None:
            live.source.close()
        if live.workdir is not None:
            shutil.rmtree(live.workdir, ignore_errors=True)
        if live.incoming is not None and not saved_as:
            live.incoming.abort()
        if changed is not None:
            self._changed(live, changed, saved_as)

    def _changed(self, live: _Live, changed: TransferChanged | None, saved_as: str = "") -> None:
        if changed is None:
            return
        t = changed.transfer
        direction = Direction.OUTGOING if live.outgoing else Direction.INCOMING
        self._emit(
            OnionFileChanged(
                live.identity,
                t.contact,
                t.id,
                direction.value,
                t.state.value,
                changed.reason,
                changed.by_peer,
                saved_as,
            )
        )

    @staticmethod
    def _safely(move: Callable[[], TransferChanged]) -> TransferChanged | None:
        """A book transition the peer's events ask for; None when the state does not allow it
        (a late or repeated event changes nothing)."""
        try:
            return move()
        except TransferRefused:
            return None


def _prepare(path: Path, workdir: Path, strip: bool) -> tuple[OutgoingFile, BinaryIO]:
    """mat2, size and hash, then the file that leaves, open (blocking: runs in a thread)."""
    ready = prepare_outgoing(path, workdir, strip=strip)
    if ready.size == 0:
        raise InvalidRequest("Ricochet cannot carry an empty file")
    try:
        return ready, open(ready.path, "rb")  # closed when the transfer ends
    except OSError as exc:
        raise FileTransferError(f"the file cannot be read: {exc.strerror}") from None


def _offer_result(tid: str, ready: OutgoingFile, strip: bool) -> OnionFileOffer:
    report = ready.metadata
    if not strip or report is None:
        return OnionFileOffer(tid, ready.name, ready.size, "kept")
    if not report.supported:
        return OnionFileOffer(tid, ready.name, ready.size, "unsupported")
    found = tuple(f.name for f in report.found)
    status = "removed" if found else "none-found"
    removed = tuple(f.name for f in report.removed)
    remaining = tuple(f.name for f in report.remaining)
    return OnionFileOffer(tid, ready.name, ready.size, status, found, removed, remaining)


class OnionFileCommands:
    """The file commands of `OnionPart` (``service.onion``; JSON-RPC ``onion.file.*``)."""

    files: OnionFiles

    def identity(self, identity_id: str) -> StoredIdentity:
        raise NotImplementedError  # OnionPart's

    def _parse(self, contact: str) -> OnionAddress:
        raise NotImplementedError  # OnionPart's

    async def send_file(
        self, identity_id: str, contact: str, path: Path, strip_metadata: bool = True
    ) -> OnionFileOffer:
        """Offer the file at ``path`` to an online contact, with its metadata removed by mat2
        unless ``strip_metadata`` is False. Its states come as `OnionFileChanged`.

        Raises: ProfileError, NotFound, InvalidRequest (not a contact, an empty file),
        Unavailable (the identity or the contact is offline), MetadataStripError (mat2 missing
        or failed: nothing is sent as it is), FileTooLarge, FileTransferError (unreadable)."""
        ident = self.identity(identity_id)
        entry = ident.contacts.get(self._parse(contact))
        if entry is None or entry.status is not ContactStatus.CONTACT:
            raise InvalidRequest("files go only to a contact")
        return await self.files.send(identity_id, entry.address, Path(path), strip_metadata)

    async def accept_file(self, identity_id: str, transfer: str, folder: Path) -> None:
        """Accept an offered file into ``folder`` (saved 0600 under its sanitised name once its
        size and SHA3-512 match; never opened).

        Raises: ProfileError, NotFound, Unavailable, FileTooLarge, FileTransferError."""
        self.identity(identity_id)
        await self.files.accept(self._own(identity_id, transfer), Path(folder))

    def reject_file(self, identity_id: str, transfer: str) -> None:
        """Refuse an offered file. Raises: ProfileError, NotFound."""
        self.identity(identity_id)
        self.files.reject(self._own(identity_id, transfer))

    def cancel_file(self, identity_id: str, transfer: str) -> None:
        """Stop a transfer either way; the contact is told. Raises: ProfileError, NotFound."""
        self.identity(identity_id)
        self.files.cancel(self._own(identity_id, transfer))

    def set_file_size_cap(self, limit: int) -> None:
        """Offers over ``limit`` bytes are refused without asking (for this session)."""
        if limit < 0:
            raise InvalidRequest("the cap is a number of bytes")
        self.files.book.size_cap = limit

    def _own(self, identity_id: str, transfer: str) -> str:
        if not self.files.belongs(transfer, identity_id):
            raise NotFound("no such file transfer for this identity")
        return transfer
