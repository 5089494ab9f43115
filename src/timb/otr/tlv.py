"""Type/Length/Value records carried in data messages (Protocol-v3, "Type/Length/Value")."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from timb.otr.encoding import Reader, encode_short
from timb.otr.errors import MalformedMessage


class TlvType(enum.IntEnum):
    PADDING = 0
    DISCONNECTED = 1
    SMP1 = 2
    SMP2 = 3
    SMP3 = 4
    SMP4 = 5
    SMP_ABORT = 6
    SMP1Q = 7
    EXTRA_SYMMETRIC_KEY = 8


@dataclass(frozen=True, slots=True)
class Tlv:
    type: int
    value: bytes = b""

    def encode(self) -> bytes:
        if len(self.value) > 0xFFFF:
            raise ValueError("a TLV value is at most 65535 bytes")
        return encode_short(self.type) + encode_short(len(self.value)) + self.value


def encode_tlvs(tlvs: list[Tlv]) -> bytes:
    return b"".join(t.encode() for t in tlvs)


def decode_tlvs(data: bytes) -> list[Tlv]:
    """Parse the TLVs that follow the NUL after a data message's human-readable part.

    Raises:
        MalformedMessage: a TLV's length runs past the end.
    """
    reader = Reader(data)
    tlvs = []
    while reader.remaining:
        if reader.remaining < 4:
            raise MalformedMessage("truncated TLV header")
        tlv_type = reader.uint16()
        length = reader.uint16()
        tlvs.append(Tlv(tlv_type, reader.take(length)))
    return tlvs
