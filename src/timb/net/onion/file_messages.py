"""``im.ricochet.file-transfer`` messages (FileChannel.proto of libtego 3.0.41) as frozen
dataclasses, with their encoder and a strict decoder.

``Packet{file_header=1, file_header_ack=2, file_header_response=3, file_chunk=4,
file_chunk_ack=5, file_transfer_complete_notification=6}``; every member's fields are
``optional`` in the ``.proto`` but libtego's ``verifyPacket`` requires them all (and exactly
one member per packet), and so does `decode_file`. A FileHeader's hash is SHA3-512 (64 bytes),
and a chunk is at most ``63 * 1024`` bytes (FileChannel.h ``FileMaxChunkSize``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TypeVar

from timb.net.onion import wire
from timb.net.onion.errors import MessageError

MAX_CHUNK = 63 * 1024
HASH_LEN = 64  # SHA3-512, tego_file_hash::DIGEST_SIZE
MAX_NAME_BYTES = 4096  # far above any file system's name; the saver shortens it further
_E = TypeVar("_E", bound=enum.IntEnum)


class FileResponse(enum.IntEnum):
    """FileHeaderResponse.response (tego_file_transfer_response_t)."""

    Accept = 0
    Reject = 1


class FileTransferResult(enum.IntEnum):
    """FileTransferCompleteNotification.result (the .proto's enum)."""

    Success = 0
    Failure = 1
    Cancelled = 2


@dataclass(frozen=True, slots=True)
class FileHeader:
    file_id: int
    file_size: int
    name: str = field(repr=False)
    file_hash: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class FileHeaderAck:
    file_id: int
    accepted: bool


@dataclass(frozen=True, slots=True)
class FileHeaderResponse:
    file_id: int
    response: FileResponse


@dataclass(frozen=True, slots=True)
class FileChunk:
    file_id: int
    chunk_data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class FileChunkAck:
    file_id: int
    bytes_received: int


@dataclass(frozen=True, slots=True)
class FileTransferCompleteNotification:
    file_id: int
    result: FileTransferResult


FileMessage = (
    FileHeader
    | FileHeaderAck
    | FileHeaderResponse
    | FileChunk
    | FileChunkAck
    | FileTransferCompleteNotification
)


def encode_file(msg: FileMessage) -> bytes:
    """The ``Packet`` carrying ``msg``."""
    ident = wire.varint_field(1, msg.file_id)
    match msg:
        case FileHeader():
            body = (
                ident
                + wire.varint_field(2, msg.file_size)
                + wire.string_field(3, msg.name)
                + wire.bytes_field(4, msg.file_hash)
            )
            return wire.bytes_field(1, body)
        case FileHeaderAck():
            return wire.bytes_field(2, ident + wire.varint_field(2, int(msg.accepted)))
        case FileHeaderResponse():
            return wire.bytes_field(3, ident + wire.varint_field(2, msg.response))
        case FileChunk():
            return wire.bytes_field(4, ident + wire.bytes_field(2, msg.chunk_data))
        case FileChunkAck():
            return wire.bytes_field(5, ident + wire.varint_field(2, msg.bytes_received))
        case FileTransferCompleteNotification():
            return wire.bytes_field(6, ident + wire.varint_field(2, msg.result))


def _need(value: int | bytes | str | bool | None, what: str) -> None:
    if value is None:
        raise MessageError(f"missing required field {what}")


def decode_file(data: bytes) -> FileMessage:
    """Raises: MessageError (malformed, a missing field, a chunk over 63 KiB, a hash that is
    not 64 bytes, an unknown response or result)."""
    packet = wire.Message(data)
    present = [n for n in range(1, 7) if packet.has(n)]
    if len(present) != 1:
        raise MessageError("a file packet must set exactly one member")
    member = present[0]
    raw = packet.raw(member)
    assert raw is not None
    m = wire.Message(raw)
    file_id = m.uint(1, 32)
    _need(file_id, "file_id")
    assert file_id is not None
    if member == 1:
        return _header(file_id, m)
    if member == 2:
        accepted = m.boolean(2)
        _need(accepted, "accepted")
        return FileHeaderAck(file_id, bool(accepted))
    if member == 3:
        return FileHeaderResponse(file_id, _enum(FileResponse, m.sint(2, 32), "response"))
    if member == 4:
        chunk = m.raw(2)
        _need(chunk, "chunk_data")
        assert chunk is not None
        if len(chunk) > MAX_CHUNK:
            raise MessageError("a file chunk is at most 63 KiB")
        return FileChunk(file_id, chunk)
    if member == 5:
        received = m.uint(2)
        _need(received, "bytes_received")
        assert received is not None
        return FileChunkAck(file_id, received)
    return FileTransferCompleteNotification(file_id, _enum(FileTransferResult, m.sint(2, 32), "result"))


def _header(file_id: int, m: wire.Message) -> FileHeader:
    size, name, digest = m.uint(2), m.text(3), m.raw(4)
    _need(size, "file_size")
    _need(name, "name")
    _need(digest, "file_hash")
    assert size is not None and name is not None and digest is not None
    if len(digest) != HASH_LEN:
        raise MessageError("a file hash is 64 bytes (SHA3-512)")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise MessageError("a file name is too long")
    return FileHeader(file_id, size, name, digest)


def _enum(kind: type[_E], value: int | None, what: str) -> _E:
    if value is None:
        raise MessageError(f"missing required field {what}")
    try:
        return kind(value)
    except ValueError:
        raise MessageError(f"unknown {what}") from None
