"""Ricochet v3 version negotiation and packet framing (doc/protocol.md, "Introduction" and
"Packet"), pure and bounded.

The dialling side opens with ``49 4D nVersions version...`` (libtego sends exactly
``49 4D 01 03``); the listening side answers one byte, the chosen version or ``FF``. Then both
sides exchange packets ``uint16 size | uint16 channel | data``, big-endian, ``size`` counting
the 4-byte header, so ``data`` is at most 65531 bytes. Empty ``data`` closes ``channel``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from timb.net.onion.errors import FrameError

MAGIC = b"IM"
PROTOCOL_VERSION = 3
NO_VERSION = 0xFF
HEADER_LEN = 4
MAX_PACKET_LEN = 0xFFFF
MAX_DATA_LEN = MAX_PACKET_LEN - HEADER_LEN


def client_hello() -> bytes:
    """What the dialling side sends first: version 3 only, as libtego does."""
    return MAGIC + bytes([1, PROTOCOL_VERSION])


def parse_hello(buffer: bytes) -> tuple[tuple[int, ...], int] | None:
    """The versions a dialling peer offers and how many bytes that took; None if incomplete.

    Raises:
        FrameError: not ``49 4D``, or an offer of no versions.
    """
    if len(buffer) < 3:
        if not MAGIC.startswith(buffer[:2]):
            raise FrameError("not a Ricochet introduction")
        return None
    if buffer[:2] != MAGIC:
        raise FrameError("not a Ricochet introduction")
    count = buffer[2]
    if count == 0:
        raise FrameError("the introduction offers no version")
    if len(buffer) < 3 + count:
        return None
    return tuple(buffer[3 : 3 + count]), 3 + count


def encode_packet(channel: int, data: bytes) -> bytes:
    """One packet. Raises: ValueError for a channel id or payload out of range (a local bug)."""
    if not 0 <= channel <= 0xFFFF:
        raise ValueError("channel id out of range")
    if len(data) > MAX_DATA_LEN:
        raise ValueError("packet data longer than 65531 bytes")
    return (HEADER_LEN + len(data)).to_bytes(2, "big") + channel.to_bytes(2, "big") + data


@dataclass(frozen=True, slots=True)
class Packet:
    channel: int
    data: bytes = field(repr=False)


class PacketReader:
    """Splits a byte stream into packets. Holds at most one incomplete packet (< 64 KiB).

    A size below the 4-byte header cannot be resynchronised: the packets before it are still
    returned (the peer sent them), `error` is set, and every later `feed` raises it.
    """

    __slots__ = ("_buffer", "error")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.error: FrameError | None = None

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Packet]:
        """Every packet completed by ``data``, in order.

        Raises:
            FrameError: the stream broke in an earlier call.
        """
        if self.error is not None:
            raise self.error
        self._buffer += data
        packets: list[Packet] = []
        pos = 0
        buf = self._buffer
        while len(buf) - pos >= HEADER_LEN:
            size = int.from_bytes(buf[pos : pos + 2], "big")
            if size < HEADER_LEN:
                self.error = FrameError("packet size below the header length")
                buf.clear()
                return packets
            if len(buf) - pos < size:
                break
            channel = int.from_bytes(buf[pos + 2 : pos + 4], "big")
            packets.append(Packet(channel, bytes(buf[pos + HEADER_LEN : pos + size])))
            pos += size
        del buf[:pos]
        return packets
