"""The XMPP path end to end without sockets: seal -> IBB stanzas -> open -> save.

What the server relays is the serialised stanzas; they must hold none of the file's bytes.
The real-network test (tor + Prosody) is still to come (docs/files.md).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from timb.common.secret import Secret
from timb.core.files import FileIntegrityError, IncomingFile
from timb.core.files.encrypted_stream import StreamKeys, StreamOpener, StreamSealer, encrypted_size
from timb.net.xmpp.ibb import Data, IbbReceiver, IbbSender, parse

KEY = Secret(os.urandom(32))


def _send(data: bytes, block_size: int = 4096) -> tuple[IbbSender, list[bytes]]:
    sealer = StreamSealer(StreamKeys(KEY), os.urandom(16))
    sender = IbbSender("ft-1", block_size)
    parts = [sealer.header()]
    parts += [sealer.seal(data[i : i + 65536]) for i in range(0, len(data), 65536)]
    parts.append(sealer.finish())
    wire = [ET.tostring(d.to_element()) for d in sender.data(b"".join(parts))]
    return sender, wire


def _receive(folder: Path, data: bytes, sender: IbbSender, wire: list[bytes]) -> Path:
    receiver = IbbReceiver(sender.open(), max_bytes=encrypted_size(len(data)))
    opener = StreamOpener(StreamKeys(KEY))
    digest = hashlib.sha3_512(data).digest()
    with IncomingFile(folder, "report.pdf", len(data), digest, cap=8 << 20) as incoming:
        for stanza in wire:
            incoming.write(opener.feed(receiver.receive(parse(ET.fromstring(stanza)))))
        opener.finish()
        return incoming.finish()


@pytest.mark.parametrize("size", [0, 5 * 1024 * 1024])
def test_a_file_arrives_whole_and_the_relay_never_sees_it(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    sender, wire = _send(data)
    saved = _receive(tmp_path, data, sender, wire)
    assert saved.read_bytes() == data and os.listdir(tmp_path) == ["report.pdf"]
    relayed = b"".join(wire)
    for start in range(0, size, 1 << 20):  # no 64-byte window of the file in what the server saw
        assert data[start : start + 64] not in relayed
        assert data[start : start + 64].hex().encode() not in relayed


def test_a_corrupted_chunk_on_the_relay_saves_nothing(tmp_path: Path) -> None:
    data = os.urandom(100_000)
    sender, wire = _send(data)
    element = parse(ET.fromstring(wire[3]))
    assert isinstance(element, Data)
    tampered = bytearray(element.payload)
    tampered[10] ^= 0xFF
    wire[3] = ET.tostring(Data(element.sid, element.seq, bytes(tampered)).to_element())
    with pytest.raises(FileIntegrityError):
        _receive(tmp_path, data, sender, wire)
    assert os.listdir(tmp_path) == []
