"""``im.ricochet.file-transfer``, sans I/O: a layer of `OnionConnection` (libtego 3.0.41's
FileChannel; where its doc and its code differ, the code wins).

The channel is one-way, like chat: the sender opens it, and the receiver answers on it.

    sender                                   receiver
    FileHeader{id, size, name, SHA3-512} ->
                                          <- FileHeaderAck{accepted}   (well-formed, room for it)
                                          <- FileHeaderResponse{0 accept / 1 reject}  (the user)
    FileChunk{<= 63 KiB}                  ->
                                          <- FileChunkAck{bytes_received}   (one per chunk)
    ...                                   <- FileTransferCompleteNotification{result}

Either side ends a transfer with a CompleteNotification{Cancelled}. The bytes never stay here:
a chunk is read from the `FileSource` the caller gives `send_file` only while fewer than
`WINDOW` are unacknowledged (libtego's own sender keeps one; its receiver acknowledges each
chunk as it comes, so a window interoperates and fills the circuit), and written to the
`FileSink` it gives `accept_file` as it arrives; the receiving side hashes what it wrote and
checks the header's SHA3-512 before it reports COMPLETED. Remote errors never raise: a peer
that lies about sizes, acknowledges bytes we did not send, sends chunks unasked (before the user
accepted, for an unknown transfer, after the end) or more than it declared, or stops answering,
ends that transfer (`FileEnded` with the error) or gets a `ProtocolViolation`, and nothing else
changes. Bounded: at most
`MAX_TRANSFERS` each way per connection and `WINDOW` chunks in flight per transfer.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from timb.net.onion import file_messages as fm
from timb.net.onion import messages as m
from timb.net.onion.admission import ChannelAdmission
from timb.net.onion.errors import MessageError, OnionError, OnionUsageError
from timb.net.onion.events import (
    FileAnswered,
    FileEnd,
    FileEnded,
    FileOffered,
    FileProgress,
    ProtocolViolation,
)
from timb.net.onion.state import Channel, Direction, Purpose, State, refuse

MAX_TRANSFERS = 16  # each way, per connection
MAX_FILE_SIZE = 1 << 40  # an offer above this is refused outright; the user's cap is the service's
WINDOW = 8  # chunks in flight per outgoing transfer (~500 KiB: two tor stream windows)
STALL_TIMEOUT = 120.0  # seconds without a chunk or an acknowledgement in a running transfer
_FAILURE = fm.FileTransferResult.Failure
_ENDED_KEPT = 64  # transfers we ended ourselves: their late packets are not the peer's fault


class FileSource(Protocol):
    """Where an outgoing file's bytes come from. ``read`` returns at most ``size`` bytes, fewer
    only at the end; it raises OSError when the file cannot be read."""

    def read(self, size: int, /) -> bytes: ...


class FileSink(Protocol):
    """Where an accepted incoming file's bytes go. ``write`` raises OSError when it fails."""

    def write(self, data: bytes, /) -> None: ...


@dataclass(slots=True)
class _Outgoing:
    file_id: int
    size: int
    source: FileSource
    header: fm.FileHeader
    active_at: float
    running: bool = False
    sent: int = 0
    acked: int = 0
    in_flight: deque[int] = field(default_factory=deque)  # where each unacknowledged chunk ends


@dataclass(slots=True)
class _Incoming:
    file_id: int
    size: int
    digest: bytes = field(repr=False)
    active_at: float
    sink: FileSink | None = None  # None until the user accepts
    received: int = 0
    hasher: Any = field(default_factory=hashlib.sha3_512, repr=False)


class FileTransfers(ChannelAdmission):
    """The file-transfer half of a connection (`OnionConnection` inherits it)."""

    def __init__(
        self, *args: Any, max_file_size: int = MAX_FILE_SIZE, file_window: int = WINDOW, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_file_size = max_file_size
        self.file_window = file_window
        self._outgoing: dict[int, _Outgoing] = {}
        self._incoming: dict[int, _Incoming] = {}
        self._ended: deque[tuple[bool, int]] = deque(maxlen=_ENDED_KEPT)  # (outgoing, file_id)

    # ---- commands ----

    def send_file(
        self, file_id: int, size: int, name: str, digest: bytes, *, source: FileSource, now: float
    ) -> None:
        """Offer a file; chunks go once the receiver accepts (`FileAnswered`).

        Raises:
            OnionUsageError: not an open contact connection, an id in use, too many transfers,
                an empty file (a Ricochet receiver never completes one), or a hash that is not
                SHA3-512.
        """
        if self.purpose is not Purpose.KNOWN_CONTACT or self.state is not State.OPEN:
            raise OnionUsageError("files go only on an open contact connection")
        in_use = file_id in self._outgoing or len(self._outgoing) >= MAX_TRANSFERS
        if in_use or not 0 <= file_id <= 0xFFFFFFFF:
            raise OnionUsageError("that file id is in use, or too many files are on the way")
        if not 0 < size <= self.max_file_size or len(digest) != fm.HASH_LEN:
            raise OnionUsageError("a file must be 1 byte to the size limit, with its SHA3-512")
        header = fm.FileHeader(file_id, size, name, digest)
        self._outgoing[file_id] = _Outgoing(file_id, size, source, header, now)
        ch = self._file_channel(Direction.OUTBOUND)
        if ch is None:
            ch = self._open_outbound(m.CHANNEL_FILE_TRANSFER)
            self._control(m.OpenChannel(ch.ident, ch.kind))
        elif ch.opened:
            self._send(ch.ident, fm.encode_file(header))

    def has_outgoing_file(self, file_id: int) -> bool:
        return file_id in self._outgoing

    def accept_file(self, file_id: int, sink: FileSink, now: float) -> None:
        """Accept an offered file: its bytes go to ``sink``.

        Raises:
            OnionUsageError: no such offer waiting for the user.
        """
        t = self._incoming.get(file_id)
        if t is None or t.sink is not None:
            raise OnionUsageError("no such file offer waiting")
        t.sink, t.active_at = sink, now
        self._send_inbound(fm.FileHeaderResponse(file_id, fm.FileResponse.Accept))

    def reject_file(self, file_id: int) -> None:
        """Refuse an offered file. Raises: OnionUsageError: no such offer waiting."""
        t = self._incoming.get(file_id)
        if t is None or t.sink is not None:
            raise OnionUsageError("no such file offer waiting")
        self._forget(False, file_id, remember=True)
        self._send_inbound(fm.FileHeaderResponse(file_id, fm.FileResponse.Reject))

    def cancel_file(self, file_id: int, *, outgoing: bool) -> None:
        """End a transfer of ours (``outgoing``) or the peer's; the peer is told.

        Raises:
            OnionUsageError: no such transfer.
        """
        table: dict[int, Any] = self._outgoing if outgoing else self._incoming
        if file_id not in table:
            raise OnionUsageError("no such file transfer")
        self._forget(outgoing, file_id, remember=True)
        self._cancel_on_wire(outgoing, file_id, fm.FileTransferResult.Cancelled)

    def _tick_files(self, now: float) -> None:
        """End running transfers that saw nothing for `STALL_TIMEOUT` (offers wait for a user)."""
        stalled = [(True, t.file_id) for t in self._outgoing.values() if t.running]
        stalled += [(False, t.file_id) for t in self._incoming.values() if t.sink is not None]
        for outgoing, file_id in stalled:
            t = self._outgoing[file_id] if outgoing else self._incoming[file_id]
            if now - t.active_at >= STALL_TIMEOUT:
                self._end(outgoing, file_id, FileEnd.STALLED, tell=fm.FileTransferResult.Cancelled)

    # ---- channel life ----

    def _on_open_channel(self, req: m.OpenChannel, now: float) -> m.ChannelResult:
        if req.channel_type != m.CHANNEL_FILE_TRANSFER or not self.authenticated or self._open_problem(req):
            return super()._on_open_channel(req, now)
        if self.purpose is not Purpose.KNOWN_CONTACT:
            return refuse(req, m.CommonError.UnauthorizedError)
        if self._file_channel(Direction.INBOUND) is not None:
            return refuse(req, m.CommonError.BadUsageError)
        ident = req.channel_identifier
        self._channels[ident] = Channel(ident, req.channel_type, Direction.INBOUND, opened=True)
        return m.ChannelResult(ident, True)

    def _file_channel_opened(self, ch: Channel) -> None:
        for t in self._outgoing.values():
            self._send(ch.ident, fm.encode_file(t.header))

    def _file_channel_gone(self, ch: Channel) -> None:
        """Our outbound file channel was refused or closed, or the peer's inbound one closed."""
        outgoing = ch.direction is Direction.OUTBOUND
        for file_id in list(self._outgoing if outgoing else self._incoming):
            self._end(outgoing, file_id, FileEnd.NETWORK_ERROR)

    def _close(self, error: OnionError | None) -> None:
        if self.state is not State.CLOSED:
            for file_id in list(self._outgoing):
                self._end(True, file_id, FileEnd.NETWORK_ERROR, quiet=True)
            for file_id in list(self._incoming):
                self._end(False, file_id, FileEnd.NETWORK_ERROR, quiet=True)
        super()._close(error)

    def _file_channel(self, direction: Direction) -> Channel | None:
        for ch in self._channels.values():
            if ch.kind == m.CHANNEL_FILE_TRANSFER and ch.direction is direction:
                return ch
        return None

    # ---- the peer's packets ----

    def _on_file_data(self, ch: Channel, data: bytes, now: float) -> None:
        """Raises: MessageError (malformed, or a member that does not belong on this side of the
        channel): the connection closes the channel, and its transfers end."""
        msg = fm.decode_file(data)
        if ch.direction is Direction.INBOUND:
            match msg:
                case fm.FileHeader():
                    self._on_header(msg, now)
                case fm.FileChunk():
                    self._on_chunk(msg, now)
                case fm.FileTransferCompleteNotification():
                    self._on_complete(False, msg)
                case _:
                    raise MessageError("the sender's side of a file channel sent a receiver's message")
            return
        match msg:
            case fm.FileHeaderAck():
                if not msg.accepted and self._offered_out(msg.file_id):
                    self._end(True, msg.file_id, FileEnd.REJECTED, by_peer=True)
            case fm.FileHeaderResponse():
                self._on_response(msg, now)
            case fm.FileChunkAck():
                self._on_chunk_ack(msg, now)
            case fm.FileTransferCompleteNotification():
                self._on_complete(True, msg)
            case _:
                raise MessageError("the receiver's side of a file channel sent a sender's message")

    def _on_header(self, h: fm.FileHeader, now: float) -> None:
        ok = (
            h.file_id not in self._incoming
            and len(self._incoming) < MAX_TRANSFERS
            and 0 < h.file_size <= self.max_file_size
        )
        self._send_inbound(fm.FileHeaderAck(h.file_id, ok))
        if ok:
            self._incoming[h.file_id] = _Incoming(h.file_id, h.file_size, h.file_hash, now)
            self._emit(FileOffered(h.file_id, h.file_size, h.name, h.file_hash))

    def _on_chunk(self, c: fm.FileChunk, now: float) -> None:
        t = self._incoming.get(c.file_id)
        if t is None or t.sink is None:
            self._unasked(False, c.file_id, t is not None, "a file chunk nobody asked for")
            return
        if t.received + len(c.chunk_data) > t.size:
            error = MessageError("more bytes than the file header declared")
            self._end(False, t.file_id, FileEnd.FAILED, by_peer=True, error=error, tell=_FAILURE)
            return
        try:
            t.sink.write(c.chunk_data)
        except OSError:
            self._end(False, t.file_id, FileEnd.FILESYSTEM_ERROR, tell=fm.FileTransferResult.Cancelled)
            return
        t.hasher.update(c.chunk_data)
        t.received += len(c.chunk_data)
        t.active_at = now
        self._send_inbound(fm.FileChunkAck(t.file_id, t.received))
        self._emit(FileProgress(t.file_id, False, t.received, t.size))
        if t.received == t.size:
            good = t.hasher.digest() == t.digest
            result = fm.FileTransferResult.Success if good else fm.FileTransferResult.Failure
            self._end(False, t.file_id, FileEnd.COMPLETED if good else FileEnd.BAD_HASH, tell=result)

    def _on_response(self, r: fm.FileHeaderResponse, now: float) -> None:
        if not self._offered_out(r.file_id):
            return  # we cancelled it, or a repeat: libtego ignores these too
        if r.response is fm.FileResponse.Reject:
            self._end(True, r.file_id, FileEnd.REJECTED, by_peer=True)
            return
        t = self._outgoing[r.file_id]
        t.running, t.active_at = True, now
        self._emit(FileAnswered(r.file_id, True))
        self._fill_window(t)

    def _on_chunk_ack(self, a: fm.FileChunkAck, now: float) -> None:
        t = self._outgoing.get(a.file_id)
        if t is None or not t.running:
            self._unasked(True, a.file_id, t is not None, "an acknowledgement for no chunk we sent")
            return
        if not t.in_flight or a.bytes_received != t.in_flight[0]:
            # each FileChunkAck counts the bytes up to the end of the oldest chunk in flight
            error = MessageError("the receiver acknowledged bytes we did not send")
            self._end(True, t.file_id, FileEnd.FAILED, by_peer=True, error=error, tell=_FAILURE)
            return
        t.acked, t.active_at = t.in_flight.popleft(), now
        self._emit(FileProgress(t.file_id, True, t.acked, t.size))
        self._fill_window(t)

    def _on_complete(self, outgoing: bool, n: fm.FileTransferCompleteNotification) -> None:
        table: dict[int, Any] = self._outgoing if outgoing else self._incoming
        t = table.get(n.file_id)
        if t is None:
            self._unasked(outgoing, n.file_id, False, "the end of no running file transfer")
            return
        if n.result is fm.FileTransferResult.Cancelled:
            self._end(outgoing, n.file_id, FileEnd.CANCELLED, by_peer=True)
        elif n.result is fm.FileTransferResult.Success and outgoing and t.running and t.acked == t.size:
            self._end(True, n.file_id, FileEnd.COMPLETED)
        elif n.result is fm.FileTransferResult.Success:
            error = MessageError("success claimed before the whole file was acknowledged")
            self._end(outgoing, n.file_id, FileEnd.FAILED, by_peer=True, error=error)
        else:
            self._end(outgoing, n.file_id, FileEnd.FAILED, by_peer=True)

    # ---- internals ----

    def _fill_window(self, t: _Outgoing) -> None:
        """Keep up to `WINDOW` chunks unacknowledged. libtego's receiver takes chunks as they
        come and acknowledges each, so this is interoperable; its own sender waits for each."""
        ch = self._file_channel(Direction.OUTBOUND)
        assert ch is not None  # a running transfer ends when its channel goes
        while len(t.in_flight) < self.file_window and t.sent < t.size:
            want = min(fm.MAX_CHUNK, t.size - t.sent)
            try:
                data = t.source.read(want)
            except OSError:
                data = b""
            if len(data) != want:  # unreadable, or shorter than it was when it was hashed
                self._end(True, t.file_id, FileEnd.FILESYSTEM_ERROR, tell=fm.FileTransferResult.Cancelled)
                return
            t.sent += len(data)
            t.in_flight.append(t.sent)
            self._send(ch.ident, fm.encode_file(fm.FileChunk(t.file_id, data)))

    def _offered_out(self, file_id: int) -> bool:
        """Whether our offer ``file_id`` waits for the receiver's answer."""
        t = self._outgoing.get(file_id)
        return t is not None and not t.running

    def _unasked(self, outgoing: bool, file_id: int, known: bool, what: str) -> None:
        """A packet for a transfer that cannot take it. Quiet for one we ended ourselves (its
        packets were on the way); otherwise a typed error, and an offer it came for ends."""
        if (outgoing, file_id) in self._ended:
            return
        if known:
            tell = fm.FileTransferResult.Failure
            self._end(outgoing, file_id, FileEnd.FAILED, by_peer=True, error=MessageError(what), tell=tell)
        else:
            self._emit(ProtocolViolation(MessageError(what)))

    def _end(
        self,
        outgoing: bool,
        file_id: int,
        end: FileEnd,
        *,
        by_peer: bool = False,
        error: OnionError | None = None,
        tell: fm.FileTransferResult | None = None,
        quiet: bool = False,
    ) -> None:
        """The transfer is over, once: forget it, tell the peer if ``tell``, emit `FileEnded`."""
        self._forget(outgoing, file_id, remember=end in (FileEnd.STALLED, FileEnd.FILESYSTEM_ERROR))
        if tell is not None:
            self._cancel_on_wire(outgoing, file_id, tell)
        event = FileEnded(file_id, outgoing, end, by_peer, error)
        if quiet:  # the connection is closing: the queue must take these whatever its size
            self._events.append(event)
        else:
            self._emit(event)

    def _forget(self, outgoing: bool, file_id: int, *, remember: bool) -> None:
        if outgoing:
            self._outgoing.pop(file_id, None)
        else:
            self._incoming.pop(file_id, None)
        if remember:  # ended by us: its packets still on the way are not the peer's fault
            self._ended.append((outgoing, file_id))

    def _cancel_on_wire(self, outgoing: bool, file_id: int, result: fm.FileTransferResult) -> None:
        ch = self._file_channel(Direction.OUTBOUND if outgoing else Direction.INBOUND)
        if ch is not None and ch.opened and self.state is State.OPEN:
            self._send(ch.ident, fm.encode_file(fm.FileTransferCompleteNotification(file_id, result)))

    def _send_inbound(self, msg: fm.FileMessage) -> None:
        ch = self._file_channel(Direction.INBOUND)
        if ch is not None:
            self._send(ch.ident, fm.encode_file(msg))
