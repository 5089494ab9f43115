"""The data phase on its own: key ids, rotation, counters, revealed MAC keys (Protocol-v3,
"Key Management")."""

from __future__ import annotations

import pytest

from timb.common.random import DeterministicRandom
from timb.otr.ake import AkeResult, DHKeyPair
from timb.otr.data import DataSession
from timb.otr.errors import DecryptionFailed
from timb.otr.wire import dearmor, parse_data_message

from .otr_link import ALICE_KEY, BOB_KEY


def sessions(alice_keyid: int = 1, bob_keyid: int = 1) -> tuple[DataSession, DataSession]:
    rng = DeterministicRandom(b"data")
    dh_a, dh_b = DHKeyPair.generate(rng), DHKeyPair.generate(rng)
    ssid = b"12345678"
    a = AkeResult(3, 0x200, BOB_KEY.public_key(), bob_keyid, dh_b.public, dh_a, alice_keyid, ssid, True)
    b = AkeResult(3, 0x100, ALICE_KEY.public_key(), alice_keyid, dh_a.public, dh_b, bob_keyid, ssid, False)
    return DataSession(a, DeterministicRandom(b"a"), 0x100), DataSession(b, DeterministicRandom(b"b"), 0x200)


def carry(src: DataSession, dst: DataSession, text: bytes) -> bytes:
    wire, _ = src.seal(text)
    plaintext, _ = dst.open(parse_data_message(dearmor(wire)))
    return plaintext


def test_key_ids_follow_the_spec() -> None:
    a, b = sessions()
    assert (a.our_keyid, a.their_keyid) == (2, 1)
    wire, _ = a.seal(b"x")
    message = parse_data_message(dearmor(wire))
    # "Set the sender keyid to (our_keyid-1), and the recipient keyid to (their_keyid)."
    assert (message.sender_keyid, message.recipient_keyid) == (1, 1)
    assert message.ctr == bytes(7) + b"\x01"
    b.open(message)
    # The sender keyid was their_keyid: b learnt a's next key.
    assert b.their_keyid == 2 and b.our_keyid == 2
    # b answers with a's newest key: a rotates its own keys.
    carry(b, a, b"y")
    assert a.our_keyid == 3 and a.their_keyid == 2


def test_one_way_traffic_needs_no_rotation_and_counters_increase() -> None:
    a, b = sessions()
    wires = [a.seal(b"m%d" % i)[0] for i in range(5)]
    counters = [parse_data_message(dearmor(w)).ctr for w in wires]
    assert counters == sorted(counters) and len(set(counters)) == 5
    for w in wires:
        b.open(parse_data_message(dearmor(w)))
    with pytest.raises(DecryptionFailed):
        b.open(parse_data_message(dearmor(wires[2])))  # replay: the counter did not increase


def test_used_receiving_mac_keys_are_revealed_once_forgotten() -> None:
    a, b = sessions()
    for i in range(3):
        carry(a, b, b"ping %d" % i)
        carry(b, a, b"pong %d" % i)
    wire, _ = a.seal(b"reveal")
    revealed = parse_data_message(dearmor(wire)).old_mac_keys
    assert revealed and len(revealed) % 20 == 0
    # Revealed keys go out once.
    wire, _ = a.seal(b"again")
    assert parse_data_message(dearmor(wire)).old_mac_keys == b""


def test_unknown_key_ids_are_rejected() -> None:
    a, b = sessions()
    wire, _ = a.seal(b"x")
    message = parse_data_message(dearmor(wire))
    for sender, recipient in [(0, 1), (1, 0), (3, 1), (1, 3)]:
        with pytest.raises(DecryptionFailed):
            b.open(message._replace(sender_keyid=sender, recipient_keyid=recipient))


def test_key_ids_never_overflow_32_bits() -> None:
    """A hostile AKE can announce keyid 0xFFFFFFFF; rotating past it is refused, not crashed."""
    a, b = sessions(alice_keyid=0xFFFFFFFF)
    wire, _ = a.seal(b"its next key would be number 2**32")
    with pytest.raises(DecryptionFailed):
        b.open(parse_data_message(dearmor(wire)))
    assert b.their_keyid == 0xFFFFFFFF
    a, b = sessions(alice_keyid=0xFFFFFFFE)
    carry(a, b, b"first")  # b now knows a's key 0xFFFFFFFF and will use it
    wire, _ = b.seal(b"a would have to rotate to 2**32")
    with pytest.raises(DecryptionFailed):
        a.open(parse_data_message(dearmor(wire)))
    assert a.our_keyid == 0xFFFFFFFF
