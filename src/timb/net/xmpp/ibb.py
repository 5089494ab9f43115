"""In-Band Bytestreams (XEP-0047): a file's encrypted bytes as base64 chunks in <iq/> stanzas.

Sans-I/O: elements in, elements out; the adapter sends them and matches the replies. The bytes
carried are already end-to-end encrypted by core (`timb.core.files.encrypted_stream`); IBB
only moves them through the server, never over a direct connection.

XEP-0047 decides: "The 'seq' attribute ... starts at 0 (zero) for each sender and MUST be
incremented for each packet sent by that entity... after value 65535 the sequence MUST start
again at 0"; a used or skipped sequence number is an <unexpected-request/>, an unknown sid
<item-not-found/>, data that is not base64 or is over the block size <bad-request/>; a
block size the recipient will not take, <resource-constraint/>.

A hostile peer's element raises `RemoteError` (with the condition to answer with) and changes
nothing in the receiver.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from timb.net.errors import RemoteError

NS = "http://jabber.org/protocol/ibb"
MAX_BLOCK_SIZE = 65535
DEFAULT_BLOCK_SIZE = 4096  # XEP-0047's recommendation; a server may throttle larger stanzas
_SEQ_MODULUS = 65536
_NMTOKEN = re.compile(r"[\w.:-]{1,128}")


@dataclass(frozen=True, slots=True)
class Open:
    sid: str
    block_size: int
    stanza: str = "iq"

    def to_element(self) -> ET.Element:
        return ET.Element(
            f"{{{NS}}}open",
            {"sid": self.sid, "block-size": str(self.block_size), "stanza": self.stanza},
        )


@dataclass(frozen=True, slots=True)
class Data:
    sid: str
    seq: int
    payload: bytes

    def to_element(self) -> ET.Element:
        element = ET.Element(f"{{{NS}}}data", {"sid": self.sid, "seq": str(self.seq)})
        element.text = base64.b64encode(self.payload).decode("ascii")
        return element

    def __repr__(self) -> str:  # ciphertext, but no need to print it either
        return f"Data(sid={self.sid!r}, seq={self.seq}, bytes={len(self.payload)})"


@dataclass(frozen=True, slots=True)
class Close:
    sid: str

    def to_element(self) -> ET.Element:
        return ET.Element(f"{{{NS}}}close", {"sid": self.sid})


def parse(element: ET.Element, max_block_size: int = MAX_BLOCK_SIZE) -> Open | Data | Close:
    """The IBB payload of an <iq/> or <message/>.

    Raises:
        RemoteError: not IBB ("feature-not-implemented"), or malformed ("bad-request");
            an open over `max_block_size` ("resource-constraint").
    """
    tag = element.tag
    if not tag.startswith(f"{{{NS}}}"):
        raise RemoteError("feature-not-implemented", "not an in-band bytestream element")
    sid = _sid(element)
    name = tag[len(NS) + 2 :]
    if name == "open":
        block_size = _number(element.get("block-size"), 1, MAX_BLOCK_SIZE)
        if block_size > max_block_size:
            raise RemoteError("resource-constraint", "block size too large")
        if element.get("stanza", "iq") not in ("iq", "message"):
            raise RemoteError("bad-request", "unknown stanza kind")
        return Open(sid, block_size, element.get("stanza", "iq"))
    if name == "data":
        seq = _number(element.get("seq"), 0, _SEQ_MODULUS - 1)
        text = "".join((element.text or "").split())
        if len(text) > 4 * ((max_block_size + 2) // 3):
            raise RemoteError("bad-request", "data over the block size")
        try:
            payload = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise RemoteError("bad-request", "data is not base64") from None
        return Data(sid, seq, payload)
    if name == "close":
        return Close(sid)
    raise RemoteError("feature-not-implemented", "unknown in-band bytestream element")


def _sid(element: ET.Element) -> str:
    sid = element.get("sid", "")
    if not _NMTOKEN.fullmatch(sid):
        raise RemoteError("bad-request", "invalid sid")
    return sid


def _number(text: str | None, low: int, high: int) -> int:
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 6:
        raise RemoteError("bad-request", "invalid number")
    value = int(text)
    if not low <= value <= high:
        raise RemoteError("bad-request", "number out of range")
    return value


class IbbSender:
    """Cuts a byte stream into `Data` elements with XEP-0047's wrapping sequence numbers.

    Chunks are at most 3/4 of the block size, so both of the XEP's readings of "block-size"
    (before or after base64) hold for any recipient.
    """

    def __init__(self, sid: str, block_size: int = DEFAULT_BLOCK_SIZE) -> None:
        if not _NMTOKEN.fullmatch(sid) or not 4 <= block_size <= MAX_BLOCK_SIZE:
            raise ValueError("invalid sid or block size")
        self.sid = sid
        self.block_size = block_size
        self.chunk_size = block_size // 4 * 3
        self._seq = 0

    def open(self) -> Open:
        return Open(self.sid, self.block_size)

    def data(self, payload: bytes) -> list[Data]:
        out = []
        for start in range(0, len(payload), self.chunk_size):
            out.append(Data(self.sid, self._seq, payload[start : start + self.chunk_size]))
            self._seq = (self._seq + 1) % _SEQ_MODULUS
        return out

    def close(self) -> Close:
        return Close(self.sid)


class IbbReceiver:
    """Accepts one sender's `Data` in order, up to `max_bytes` in all (the declared size).

    `receive` is atomic: a refused element raises `RemoteError` and changes nothing.
    """

    def __init__(self, opened: Open, max_bytes: int) -> None:
        self.sid = opened.sid
        self.block_size = opened.block_size
        self.max_bytes = max_bytes
        self.received = 0
        self.closed = False
        self._next_seq = 0

    def receive(self, element: Open | Data | Close) -> bytes:
        """The payload of a `Data`; b"" for the `Close` (after which `closed` is true).

        Raises:
            RemoteError: "item-not-found" (another sid), "unexpected-request" (out of order,
                after the close, a second open), "bad-request" (over the block size), or
                "not-acceptable" (more than `max_bytes`).
        """
        if element.sid != self.sid:
            raise RemoteError("item-not-found", "unknown in-band bytestream")
        if self.closed or isinstance(element, Open):
            raise RemoteError("unexpected-request", "the bytestream is not expecting this")
        if isinstance(element, Close):
            self.closed = True
            return b""
        if element.seq != self._next_seq:
            raise RemoteError("unexpected-request", "out-of-order sequence number")
        if len(element.payload) > self.block_size:
            raise RemoteError("bad-request", "data over the block size")
        if self.received + len(element.payload) > self.max_bytes:
            raise RemoteError("not-acceptable", "more data than the file's declared size")
        self._next_seq = (self._next_seq + 1) % _SEQ_MODULUS
        self.received += len(element.payload)
        return element.payload
