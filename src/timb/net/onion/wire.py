"""A minimal protocol-buffers (proto2) wire codec for Ricochet's few small messages.

Only what Ricochet v3 uses: varints (int32, uint32, int64, bool, enum) and length-delimited
fields (string, bytes, sub-messages). Decoding is strict and bounded: a truncated varint, a
varint over 10 bytes, a length past the end, an unsupported wire type (groups, fixed32/64 are
never used by Ricochet) or invalid UTF-8 in a string raise `MessageError`. Unknown fields are
skipped, as protobuf does, so newer peers' extensions do not break us.

Why not generated ``*_pb2`` code: see docs/onion.md ("Why a hand-written codec").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from timb.net.onion.errors import MessageError

VARINT = 0
LENGTH = 2
_MAX_VARINT_BYTES = 10
_U64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class Field:
    number: int
    wire_type: int
    value: int | bytes


def encode_varint(value: int) -> bytes:
    """Unsigned LEB128; negative values are encoded as 64-bit two's complement (protobuf int32/64)."""
    value &= _U64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire_type: int) -> bytes:
    return encode_varint(number << 3 | wire_type)


def varint_field(number: int, value: int) -> bytes:
    return _key(number, VARINT) + encode_varint(value)


def bytes_field(number: int, value: bytes) -> bytes:
    return _key(number, LENGTH) + encode_varint(len(value)) + value


def string_field(number: int, value: str) -> bytes:
    return bytes_field(number, value.encode("utf-8"))


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = 0
    for i in range(_MAX_VARINT_BYTES):
        if pos >= len(data):
            raise MessageError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return result & _U64, pos
    raise MessageError("varint longer than 10 bytes")


def iter_fields(data: bytes) -> Iterator[Field]:
    """The fields of one message, in wire order.

    Raises:
        MessageError: the bytes are not a well-formed message.
    """
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0 or number > 0x1FFFFFFF:
            raise MessageError("invalid field number")
        if wire_type == VARINT:
            value, pos = _read_varint(data, pos)
            yield Field(number, wire_type, value)
        elif wire_type == LENGTH:
            length, pos = _read_varint(data, pos)
            if length > len(data) - pos:
                raise MessageError("length-delimited field runs past the end")
            yield Field(number, wire_type, data[pos : pos + length])
            pos += length
        else:
            raise MessageError(f"unsupported wire type {wire_type}")


class Message:
    """The decoded fields of one message, looked up by number (the last occurrence wins, as in
    protobuf; a field seen with the wrong wire type is an error)."""

    __slots__ = ("_fields",)

    def __init__(self, data: bytes) -> None:
        self._fields: dict[int, list[Field]] = {}
        for f in iter_fields(data):
            self._fields.setdefault(f.number, []).append(f)

    def has(self, number: int) -> bool:
        return number in self._fields

    def _last(self, number: int, wire_type: int) -> int | bytes | None:
        found = self._fields.get(number)
        if not found:
            return None
        if any(f.wire_type != wire_type for f in found):
            raise MessageError(f"field {number} has the wrong wire type")
        return found[-1].value

    def uint(self, number: int, bits: int = 64) -> int | None:
        value = self._last(number, VARINT)
        assert value is None or isinstance(value, int)
        return None if value is None else value & ((1 << bits) - 1)

    def sint(self, number: int, bits: int) -> int | None:
        """A signed int32/int64 (two's complement in the low ``bits`` bits)."""
        value = self.uint(number, bits)
        if value is None:
            return None
        return value - (1 << bits) if value >> (bits - 1) else value

    def boolean(self, number: int) -> bool | None:
        value = self.uint(number)
        return None if value is None else value != 0

    def raw(self, number: int) -> bytes | None:
        value = self._last(number, LENGTH)
        assert value is None or isinstance(value, bytes)
        return value

    def text(self, number: int) -> str | None:
        value = self.raw(number)
        if value is None:
            return None
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise MessageError(f"field {number} is not UTF-8") from None

    def texts(self, number: int) -> list[str]:
        out = []
        for f in self._fields.get(number, []):
            if not isinstance(f.value, bytes):
                raise MessageError(f"field {number} has the wrong wire type")
            try:
                out.append(f.value.decode("utf-8"))
            except UnicodeDecodeError:
                raise MessageError(f"field {number} is not UTF-8") from None
        return out
