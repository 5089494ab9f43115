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


# TIMB's acknowledgements (docs/otr.md, "TIMB records"). They ride in a Padding TLV (type 0),
# whose value every OTR implementation must ignore ("an arbitrary amount of data, which should
# be ignored"): an unassigned type would be ignored by libotr too, but python-potr raises
# UnknownTLV on one and drops the whole message. The value starts with this magic.
TIMB_RECORD_MAGIC = b"TIMB\x01"
MESSAGE_ID_LENGTH = 8
MAX_ACKS = 64  # ids acknowledged by one Data Message


@dataclass(frozen=True, slots=True)
class TimbRecord:
    """The TIMB part of a Data Message: the sender's id of the message it carries, and the ids of
    messages the sender has decrypted since its last record (in order)."""

    message_id: bytes | None = None
    acks: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        ids = [*self.acks, *([self.message_id] if self.message_id is not None else [])]
        if len(self.acks) > MAX_ACKS or any(len(i) != MESSAGE_ID_LENGTH for i in ids):
            raise ValueError("a TIMB record holds at most 64 acknowledgements of 8-byte ids")

    def tlv(self) -> Tlv:
        has_id = self.message_id is not None
        head = TIMB_RECORD_MAGIC + bytes((int(has_id), len(self.acks)))
        return Tlv(TlvType.PADDING, head + (self.message_id or b"") + b"".join(self.acks))


def read_timb_record(tlvs: list[Tlv]) -> TimbRecord | None:
    """The first well-formed TIMB record among ``tlvs`` (None: none, e.g. a libotr peer). A
    malformed one is ignored, as any padding would be."""
    for tlv in tlvs:
        value = tlv.value
        if tlv.type != TlvType.PADDING or not value.startswith(TIMB_RECORD_MAGIC):
            continue
        head = len(TIMB_RECORD_MAGIC)
        if len(value) < head + 2 or value[head] > 1 or value[head + 1] > MAX_ACKS:
            continue
        has_id, count = value[head], value[head + 1]
        body = value[head + 2 :]
        if len(body) != (has_id + count) * MESSAGE_ID_LENGTH:
            continue
        ids = [body[i : i + MESSAGE_ID_LENGTH] for i in range(0, len(body), MESSAGE_ID_LENGTH)]
        return TimbRecord(ids[0] if has_id else None, tuple(ids[has_id:]))
    return None
