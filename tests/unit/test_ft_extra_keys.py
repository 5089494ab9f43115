"""`FileConversations`: TLV 8 (the extra symmetric key) through the conversations core, two
cores paired through a fake link (no sockets)."""

from __future__ import annotations

import pytest

from timb.common.clock import FakeClock
from timb.common.random import DeterministicRandom
from timb.core.events import OtrState
from timb.core.extra_keys import FileConversations
from timb.core.file_events import FileKeyReceived
from timb.otr import PolicyViolation, PrivateKey

ALICE, BOB = "alice@timb.test", "bob@timb.test"


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {ALICE: PrivateKey.generate(), BOB: PrivateKey.generate()}


KEYS: dict[str, list[FileKeyReceived]] = {}


def make(name: str, key: PrivateKey, seed: int) -> FileConversations:
    got: list[FileKeyReceived] = []
    KEYS[name] = got
    return FileConversations(
        name,
        key,
        instance_tag=0x100 + seed,
        clock=FakeClock(),
        rng=DeterministicRandom(bytes([seed])),
        our_name=name,
        on_file_key=got.append,
    )


def pump(cores: dict[str, FileConversations], seen: dict[str, list[object]]) -> list[str]:
    wires = []
    for _ in range(50):
        moved = False
        for name, core in cores.items():
            other = BOB if name == ALICE else ALICE
            for _to, wire in core.data_to_send():
                wires.append(wire)
                cores[other].receive(name, wire)
                moved = True
            while (event := core.next_event()) is not None:
                seen[name].append(event)
        if not moved:
            return wires
    raise AssertionError("the link never went quiet")


def test_tlv8_gives_both_sides_the_same_key_inside_the_private_session(keys: dict[str, PrivateKey]) -> None:
    cores = {ALICE: make(ALICE, keys[ALICE], 1), BOB: make(BOB, keys[BOB], 2)}
    seen: dict[str, list[object]] = {ALICE: [], BOB: []}
    with pytest.raises(PolicyViolation):  # no private session: nothing is sent
        cores[ALICE].send_extra_key(BOB, 7, b"offer")
    assert cores[ALICE].data_to_send() == []
    cores[ALICE].start(BOB)
    pump(cores, seen)
    assert cores[ALICE].otr_state(BOB) is OtrState.PRIVATE_UNVERIFIED
    key = cores[ALICE].send_extra_key(BOB, 0x54494D46, b"the offer")
    wires = pump(cores, seen)
    assert wires and all(w.startswith("?OTR:") and b"the offer" not in w.encode() for w in wires)
    assert not any(isinstance(e, FileKeyReceived) for e in seen[BOB])  # not a core event
    got = KEYS[BOB]
    assert len(got) == 1
    assert (got[0].account, got[0].contact, got[0].use, got[0].data) == (BOB, ALICE, 0x54494D46, b"the offer")
    assert got[0].key.reveal() == key.reveal() and len(key.reveal()) == 32
    assert got[0].fingerprint == keys[ALICE].fingerprint()
    assert "offer" not in repr(got[0]) and key.reveal().hex() not in repr(got[0])
    # Each TLV 8 rides its own Data Message: a new key each time.
    second = cores[BOB].send_extra_key(ALICE, 1, b"")
    pump(cores, seen)
    back = KEYS[ALICE]
    assert back[0].key.reveal() == second.reveal() != key.reveal()


def test_a_finished_session_sends_no_tlv8(keys: dict[str, PrivateKey]) -> None:
    cores = {ALICE: make(ALICE, keys[ALICE], 3), BOB: make(BOB, keys[BOB], 4)}
    seen: dict[str, list[object]] = {ALICE: [], BOB: []}
    cores[ALICE].start(BOB)
    pump(cores, seen)
    cores[BOB].end(ALICE)
    pump(cores, seen)
    with pytest.raises(PolicyViolation):
        cores[ALICE].send_extra_key(BOB, 7, b"offer")
    assert cores[ALICE].data_to_send() == []
