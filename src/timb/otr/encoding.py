"""OTR's data types (Protocol-v3, "Data types"): BYTE, SHORT, INT, MPI, DATA, CTR, MAC.

Bytes (BYTE): 1 byte unsigned value
Shorts (SHORT): 2 byte unsigned value, big-endian
Ints (INT): 4 byte unsigned value, big-endian
Multi-precision integers (MPI): 4 byte unsigned len, big-endian; len byte unsigned value,
    big-endian (MPIs must use the minimum-length encoding; i.e. no leading 0x00 bytes)
Opaque variable-length data (DATA): 4 byte unsigned len, big-endian; len byte data
"""

from __future__ import annotations

from timb.otr.errors import MalformedMessage

# A hostile length field must not make us allocate or slice gigabytes: nothing in OTR is bigger.
MAX_FIELD_LENGTH = 1 << 20


def encode_byte(value: int) -> bytes:
    return value.to_bytes(1, "big")


def encode_short(value: int) -> bytes:
    return value.to_bytes(2, "big")


def encode_int(value: int) -> bytes:
    return value.to_bytes(4, "big")


def encode_data(value: bytes) -> bytes:
    return encode_int(len(value)) + value


def encode_mpi(value: int) -> bytes:
    if value < 0:
        raise ValueError("MPIs are unsigned")
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return encode_data(raw)


class Reader:
    """Reads OTR fields from a byte string; every shortfall raises `MalformedMessage`."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def take(self, n: int) -> bytes:
        if n < 0 or n > self.remaining:
            raise MalformedMessage("message is truncated")
        out = self._data[self._pos : self._pos + n]
        self._pos += n
        return out

    def uint8(self) -> int:
        return self.take(1)[0]

    def uint16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def uint32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def data(self) -> bytes:
        length = self.uint32()
        if length > MAX_FIELD_LENGTH:
            raise MalformedMessage("field length is out of bounds")
        return self.take(length)

    def mpi(self) -> int:
        return int.from_bytes(self.data(), "big")

    def rest(self) -> bytes:
        return self.take(self.remaining)

    def expect_end(self) -> None:
        if self.remaining:
            raise MalformedMessage("trailing bytes after the message")
