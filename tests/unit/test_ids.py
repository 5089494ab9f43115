import base64
import hashlib

import pytest

from timb.common import Fingerprint, InvalidIdentifier, Jid, OnionAddress, Secret

# A v3 address computed by the spec's formula from a fixed key.
PUBKEY = bytes(range(32))


def _address(pubkey: bytes, version: bytes = b"\x03", checksum: bytes | None = None) -> str:
    if checksum is None:
        checksum = hashlib.sha3_256(b".onion checksum" + pubkey + version).digest()[:2]
    return base64.b32encode(pubkey + checksum + version).decode().lower() + ".onion"


def test_onion_address_round_trip() -> None:
    text = _address(PUBKEY)
    onion = OnionAddress(text)
    assert onion.host == text
    assert onion.public_key == PUBKEY
    assert OnionAddress.from_public_key(PUBKEY) == onion
    assert OnionAddress(text.upper().removesuffix(".ONION")) == onion


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "expyuzz4wqqyqhjn.onion",  # v2
        _address(PUBKEY, version=b"\x02"),
        _address(PUBKEY, checksum=b"\x00\x00"),
        "a" * 56 + ".onion",
        "1" * 56,
        _address(PUBKEY)[:-7] + "x.onion",
    ],
)
def test_onion_address_rejects(bad: str) -> None:
    with pytest.raises(InvalidIdentifier):
        OnionAddress(bad)


def test_jid_parse_and_bare() -> None:
    jid = Jid.parse("Alice@Timb.Test/laptop")
    assert str(jid) == "alice@timb.test/laptop"
    assert str(jid.bare) == "alice@timb.test"
    assert Jid.parse("timb.test").local == ""


@pytest.mark.parametrize(
    "bad",
    ["@timb.test", "a b@timb.test", "alice@", "alice@bad..domain", "alice@timb.test/", "alice@exa mple.org"],
)
def test_jid_rejects(bad: str) -> None:
    with pytest.raises(InvalidIdentifier):
        Jid.parse(bad)


def test_fingerprint_human_format() -> None:
    fp = Fingerprint.from_hex("00112233445566778899aabbccddeeff01234567")
    assert fp.human() == "00112233 44556677 8899AABB CCDDEEFF 01234567"
    assert Fingerprint.from_hex(fp.human()) == fp
    with pytest.raises(InvalidIdentifier):
        Fingerprint.from_hex("xyz")


def test_secret_never_prints() -> None:
    s = Secret("hunter2")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s) and "hunter2" not in f"{s}"
    assert s.reveal() == "hunter2"
    assert s == Secret("hunter2") and s != Secret("other")
