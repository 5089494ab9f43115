"""TIMB's OTR against python-potr 1.0.2, which speaks OTR v2 only: the libotr script, in v2."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.otr_peers import Link
from tests.interop import libotr
from tests.interop.potr_peer import PotrPeer
from tests.interop.test_libotr_interop import (
    T,
    scenario_ake,
    scenario_both_start_at_once,
    scenario_disconnect_and_new_ake,
    scenario_error_restarts_ake,
    scenario_fragmentation,
    scenario_held_first_message,
    scenario_many_messages,
)

pytestmark = pytest.mark.interop

P = "ref@potr.test"


@pytest.fixture
def make_potr(potr_peer_factory: Any) -> Any:
    def make(**kw: Any) -> PotrPeer:
        peer: PotrPeer = potr_peer_factory(P, **kw)
        return peer

    return make


@pytest.mark.parametrize("starter", ["timb", "ref"])
def test_ake_v2(make_potr: Any, timb_peer_factory: Any, starter: str) -> None:
    ref, timb = make_potr(), timb_peer_factory(T)
    scenario_ake(ref, timb, starter, 2)
    assert ref.events_of(libotr.NewFingerprint) == [libotr.NewFingerprint(T, timb.fingerprint())]
    assert timb.their_instance_tag(P) == 0  # v2 has no instance tags
    assert not ref.msg_kinds()


def test_both_start_at_once(make_potr: Any, timb_peer_factory: Any) -> None:
    scenario_both_start_at_once(make_potr(), timb_peer_factory(T), 2)


@pytest.mark.parametrize("first", ["timb", "ref"])
def test_first_message_is_held_until_encrypted(make_potr: Any, timb_peer_factory: Any, first: str) -> None:
    scenario_held_first_message(make_potr(), timb_peer_factory(T), first, 2)


@pytest.mark.parametrize("pattern", ["alternating", "bursts", "crossing"])
def test_200_messages_with_key_rotation(make_potr: Any, timb_peer_factory: Any, pattern: str) -> None:
    scenario_many_messages(make_potr(), timb_peer_factory(T), pattern, 2)


def test_both_sides_fragment(make_potr: Any, timb_peer_factory: Any) -> None:
    scenario_fragmentation(None, timb_peer_factory, make_potr, 2)


@pytest.mark.parametrize("who_ends", ["timb", "ref"])
def test_disconnect_then_new_ake(make_potr: Any, timb_peer_factory: Any, who_ends: str) -> None:
    scenario_disconnect_and_new_ake(make_potr(), timb_peer_factory(T), who_ends, 2)


def test_potr_error_message_restarts_the_ake(make_potr: Any, timb_peer_factory: Any) -> None:
    ref, timb = make_potr(), timb_peer_factory(T)
    scenario_error_restarts_ake(ref, timb, 2, "forgotten")
    assert "rcvdmsg_not_in_private" in ref.msg_kinds()


def test_fingerprints_agree(make_potr: Any, timb_peer_factory: Any) -> None:
    ref, timb = make_potr(), timb_peer_factory(T)
    Link(ref, timb).start(P, T)
    assert timb.their_fingerprint(P) == libotr.human_fingerprint(ref.key.fingerprint())
    assert ref.their_fingerprint(T) == timb.fingerprint()


@pytest.mark.parametrize("pattern", ["alternating", "crossing"])
def test_timb_records_are_neither_shown_nor_refused(
    make_potr: Any, timb_peer_factory: Any, pattern: str
) -> None:
    # python-potr raises UnknownTLV on an unassigned TLV type and drops the message: TIMB's
    # records ride in Padding, which it parses and ignores.
    scenario_many_messages(make_potr(), timb_peer_factory(T, timb_records=True), pattern, 2)
