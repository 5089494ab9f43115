"""OnionKey and onion-service targets: validation and redaction (no tor needed)."""

from __future__ import annotations

import base64

import pytest

from timb.common.secret import Secret
from timb.tor.onion import OnionKey, loopback_target

BLOB = base64.b64encode(bytes(range(64))).decode()


def test_key_round_trips_and_never_prints_itself() -> None:
    key = OnionKey.parse(f"ED25519-V3:{BLOB}")
    assert key.serialise().reveal() == f"ED25519-V3:{BLOB}"
    assert OnionKey.parse(key.serialise()).serialise() == key.serialise()
    for text in (repr(key), str(key), f"{key}", repr(key.serialise())):
        assert BLOB not in text


@pytest.mark.parametrize(
    "text",
    [
        "RSA1024:" + BLOB,
        BLOB,
        "ED25519-V3:not base64!",
        "ED25519-V3:" + base64.b64encode(bytes(32)).decode(),
        "NEW:ED25519-V3",
    ],
)
def test_bad_keys_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        OnionKey.parse(Secret(text))


def test_targets_must_be_loopback() -> None:
    assert loopback_target(8080) == "127.0.0.1:8080"
    assert loopback_target("127.0.0.1:1") == "127.0.0.1:1"
    assert loopback_target("[::1]:5222") == "[::1]:5222"
    for bad in ["10.0.0.1:80", "localhost:80", "example.org:80", "127.0.0.1:0", "127.0.0.1", 70000]:
        with pytest.raises(ValueError):
            loopback_target(bad)
