"""The file messages TIMB peers exchange inside the OTR session, as the data of TLV 8.

Issue 15: "keys come from the OTR session: libotr's extra symmetric key (TLV 8, with its 4-byte
use field and use-specific data), so a transfer is tied to the verified session and has no key
of its own on the wire". The offer itself is that use-specific data: the key of the Data
Message that carries the offer is the file's key, and nothing about the file (name, size,
hash) ever travels outside OTR. The answers travel the same way (their keys are unused).

The data is a small JSON object (at most `MAX_DATA` bytes): ``op`` is one of

* ``offer``: ``sid``, ``name``, ``size``, ``sha3_512`` (hex of the plaintext's hash);
* ``accept``: ``sid``, ``jid`` (the receiver's full address: where the sender's in-band
  bytestream goes; its bare part must be the contact's);
* ``reject``, ``cancel``, ``failed``: ``sid``;
* ``done``: ``sid``, ``mac_key`` (hex): the receiver checked the file and reveals the MAC key
  (CoyIM's deniability: anyone could then have forged the tag).

Pure. A malformed message raises `BadFileMessage`; the caller ignores it (nothing changes).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from timb.core.files.errors import BadFileMessage

USE_TIMB_FILE = 0x54494D46  # "TIMF": the TLV 8 use of TIMB's file messages
MAX_DATA = 4096
MAX_SIZE = 1 << 50
_SID = re.compile(r"[0-9a-f]{32}")
_HEX_DIGEST = re.compile(r"[0-9a-f]{128}")
_HEX_KEY = re.compile(r"[0-9a-f]{64}")
_ANSWERS = frozenset({"reject", "cancel", "failed"})


@dataclass(frozen=True, slots=True)
class Offer:
    sid: str
    name: str
    size: int
    digest: bytes


@dataclass(frozen=True, slots=True)
class Accept:
    sid: str
    jid: str


@dataclass(frozen=True, slots=True)
class Answer:
    """``reject``, ``cancel`` or ``failed``."""

    sid: str
    op: str


@dataclass(frozen=True, slots=True)
class Done:
    sid: str
    mac_key: bytes


FileMessage = Offer | Accept | Answer | Done


def encode(message: FileMessage) -> bytes:
    match message:
        case Offer(sid=sid, name=name, size=size, digest=digest):
            body: dict[str, object] = {"op": "offer", "sid": sid, "name": name, "size": size}
            body["sha3_512"] = digest.hex()
        case Accept(sid=sid, jid=jid):
            body = {"op": "accept", "sid": sid, "jid": jid}
        case Answer(sid=sid, op=op):
            body = {"op": op, "sid": sid}
        case Done(sid=sid, mac_key=mac_key):
            body = {"op": "done", "sid": sid, "mac_key": mac_key.hex()}
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    if len(data) > MAX_DATA:
        raise ValueError("the file message is too long")  # a name over the limit: sanitised first
    return data


def decode(data: bytes) -> FileMessage:
    """Raises: BadFileMessage (anything but exactly one well-formed message)."""
    if len(data) > MAX_DATA:
        raise BadFileMessage("a file message over the size limit")
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadFileMessage("a file message that is not JSON") from None
    if not isinstance(body, dict):
        raise BadFileMessage("a file message that is not an object")
    op, sid = body.get("op"), _text(body, "sid")
    if not _SID.fullmatch(sid):
        raise BadFileMessage("a file message with an invalid sid")
    if op == "offer":
        size, digest = body.get("size"), _text(body, "sha3_512")
        if type(size) is not int or not 0 <= size <= MAX_SIZE or not _HEX_DIGEST.fullmatch(digest):
            raise BadFileMessage("an offer with an invalid size or hash")
        return Offer(sid, _text(body, "name"), size, bytes.fromhex(digest))
    if op == "accept":
        return Accept(sid, _text(body, "jid"))
    if op == "done":
        key = _text(body, "mac_key")
        if not _HEX_KEY.fullmatch(key):
            raise BadFileMessage("a done message with an invalid MAC key")
        return Done(sid, bytes.fromhex(key))
    if op in _ANSWERS:
        return Answer(sid, str(op))
    raise BadFileMessage("an unknown file message")


def _text(body: dict[str, object], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise BadFileMessage(f"a file message without {name}")
    return value
