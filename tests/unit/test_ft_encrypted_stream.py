"""The CoyIM framing of an encrypted file: IV || AES-128-CTR || HMAC-SHA-256(ciphertext)."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from timb.common.secret import Secret
from timb.core.files import FileIntegrityError, IncomingFile
from timb.core.files.encrypted_stream import (
    StreamKeys,
    StreamOpener,
    StreamSealer,
    encrypted_size,
)
from timb.otr.events import ExtraSymmetricKeyReceived

from .otr_link import drain
from .test_otr_conversation import secure_pair

EXTRA_KEY = Secret(bytes(range(32)))
IV = bytes(range(100, 116))


def _seal(data: bytes, chunk: int = 1000) -> bytes:
    sealer = StreamSealer(StreamKeys(EXTRA_KEY), IV)
    parts = [sealer.header()]
    parts += [sealer.seal(data[i : i + chunk]) for i in range(0, len(data), chunk)]
    return b"".join([*parts, sealer.finish()])


def _open(wire: bytes, piece: int) -> bytes:
    opener = StreamOpener(StreamKeys(EXTRA_KEY))
    out = b"".join(opener.feed(wire[i : i + piece]) for i in range(0, len(wire), piece))
    opener.finish()
    return out


def test_the_wire_format_is_coyims() -> None:
    """Derived independently here from CoyIM's definition, so a change of framing fails."""
    data = b"a document worth protecting" * 50
    key = EXTRA_KEY.reveal()
    aes = hashlib.sha256(b"xmpp-encryption-key" + key).digest()[:16]
    mac = hashlib.sha256(b"xmpp-mac-key" + key).digest()
    encryptor = Cipher(algorithms.AES(aes), modes.CTR(IV)).encryptor()
    ciphertext = encryptor.update(data) + encryptor.finalize()
    tag = hmac.new(mac, ciphertext, hashlib.sha256).digest()
    wire = _seal(data)
    assert wire == IV + ciphertext + tag
    assert len(wire) == encrypted_size(len(data))
    assert StreamKeys(EXTRA_KEY).mac_key.reveal() == mac


@settings(max_examples=40)
@given(st.binary(max_size=3000), st.integers(min_value=1, max_value=200))
def test_any_file_round_trips_in_any_pieces(data: bytes, piece: int) -> None:
    assert _open(_seal(data), piece) == data


@settings(max_examples=40)
@given(st.data())
def test_any_flipped_bit_after_the_iv_is_detected(draw: st.DataObject) -> None:
    wire = bytearray(_seal(b"x" * 300))
    where = draw.draw(st.integers(min_value=16, max_value=len(wire) - 1))
    wire[where] ^= 1 << draw.draw(st.integers(min_value=0, max_value=7))
    with pytest.raises(FileIntegrityError):
        _open(bytes(wire), 64)


def test_a_flipped_iv_bit_is_caught_by_the_file_hash(tmp_path: Path) -> None:
    """CoyIM's tag does not cover the IV: the saver's hash check is what catches it."""
    data = b"x" * 300
    wire = bytearray(_seal(data))
    wire[3] ^= 0x04
    opened = _open(bytes(wire), 64)  # the tag still verifies ...
    assert opened != data  # ... but the plaintext is wrong
    incoming = IncomingFile(tmp_path, "a.txt", len(data), hashlib.sha3_512(data).digest(), cap=1000)
    incoming.write(opened)
    with pytest.raises(FileIntegrityError):
        incoming.finish()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("cut", [0, 10, 16, 40, 47, 347])
def test_a_truncated_stream_is_detected(cut: int) -> None:
    wire = _seal(b"y" * 300)
    with pytest.raises(FileIntegrityError):
        _open(wire[:cut], 7)


def test_another_key_does_not_open_it() -> None:
    opener = StreamOpener(StreamKeys(Secret(bytes(32))))
    opener.feed(_seal(b"z" * 100))
    with pytest.raises(FileIntegrityError):
        opener.finish()


def test_keys_never_print() -> None:
    keys = StreamKeys(EXTRA_KEY)
    assert EXTRA_KEY.reveal().hex() not in repr(keys) and "redacted" in repr(keys)


def test_a_corrupted_chunk_saves_nothing(tmp_path: Path) -> None:
    """The opener feeds the saver; a bad tag means the partial file goes, no final name."""
    data = os.urandom(20_000)
    wire = bytearray(_seal(data))
    wire[5000] ^= 0x80
    opener = StreamOpener(StreamKeys(EXTRA_KEY))
    digest = hashlib.sha3_512(data).digest()
    incoming = IncomingFile(tmp_path, "scan.pdf", len(data), digest, cap=1 << 20)
    for i in range(0, len(wire), 4096):
        incoming.write(opener.feed(bytes(wire[i : i + 4096])))
    with pytest.raises(FileIntegrityError):
        opener.finish()
    incoming.abort()
    assert os.listdir(tmp_path) == []


def test_the_otr_extra_key_of_one_side_opens_what_the_other_sealed() -> None:
    """Sender asks for the key (TLV 8); the receiver's event carries the same key."""
    alice, bob, link = secure_pair()
    key = alice.extra_symmetric_key(1, b"transfer-1")
    link.pump()
    (event,) = [e for e in drain(bob) if isinstance(e, ExtraSymmetricKeyReceived)]
    sealer = StreamSealer(StreamKeys(key), IV)
    wire = sealer.header() + sealer.seal(b"memo") + sealer.finish()
    opener = StreamOpener(StreamKeys(event.key))
    assert opener.feed(wire) == b"memo"
    assert opener.finish() == StreamKeys(key).mac_key
