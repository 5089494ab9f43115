"""Bounded state for strangers (issue 9, item 7): any address can send us OTR messages, but the
per-account state for addresses that are not contacts stays bounded."""

from __future__ import annotations

from tests.unit.otr_link import ALICE_KEY
from timb.common.clock import FakeClock
from timb.common.random import DeterministicRandom
from timb.core.conversations import AKE_TIMEOUT, MAX_STRANGERS, Conversations
from timb.otr import PrivateKey


def _core(contacts: set[str]) -> Conversations:
    return Conversations(
        "me",
        ALICE_KEY,
        instance_tag=0x1111,
        clock=FakeClock(),
        rng=DeterministicRandom(b"strangers"),
        is_contact=lambda name: name in contacts,
    )


def test_strangers_are_bounded_oldest_first_and_counted() -> None:
    core = _core({"friend@timb.test"})
    core.receive("friend@timb.test", "?OTRv3?")
    for n in range(MAX_STRANGERS + 50):
        core.receive(f"stranger{n}@evil.test", "?OTRv3?")
    assert core.strangers_evicted == 50
    assert len(core._contacts) == MAX_STRANGERS + 1
    assert "friend@timb.test" in core._contacts  # a contact is never evicted
    assert "stranger0@evil.test" not in core._contacts
    assert f"stranger{MAX_STRANGERS + 49}@evil.test" in core._contacts


def test_a_stranger_we_wrote_to_is_not_evicted_before_idle_ones() -> None:
    core = _core(set())
    core.send("someone@timb.test", "a message to someone")
    for n in range(MAX_STRANGERS + 5):
        core.receive(f"stranger{n}@evil.test", "?OTRv3?")
    assert "someone@timb.test" in core._contacts
    assert core.pending("someone@timb.test")
    assert isinstance(PrivateKey, type)


def test_routes_by_sender_tag_expire_once_no_ake_is_under_way() -> None:
    core = _core({"flooder@evil.test"})
    for tag in range(0x100, 0x110):
        core.receive("flooder@evil.test", f"?OTR|{tag:08x}|00001111,00001,00003,?OTR:AAMD,")
    instances = core._contacts["flooder@evil.test"].instances
    assert instances._fragments
    core._clock.advance(AKE_TIMEOUT + 1)  # type: ignore[attr-defined]
    core.poll()
    assert not instances._fragments and not instances._ake_route
