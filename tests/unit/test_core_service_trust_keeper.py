"""The trust keeper's answer to an SMP's outcome (libotr's set_smp_trust)."""

from __future__ import annotations

import pytest

from timb.common.clock import FakeClock
from timb.common.ids import Fingerprint
from timb.core.events import CoreEvent, SmpFinished, SmpOutcome, TrustChanged, TrustLevel
from timb.core.service.trust_keeper import TrustKeeper

FP = Fingerprint.from_hex("12345678" * 5)


def keeper() -> tuple[TrustKeeper, list[CoreEvent]]:
    events: list[CoreEvent] = []
    return TrustKeeper(FakeClock(), events.append, lambda: None), events


@pytest.mark.parametrize("outcome", [SmpOutcome.FAILED, SmpOutcome.CHEATED])
def test_a_failed_or_cheated_smp_unverifies_a_verified_key(outcome: SmpOutcome) -> None:
    trust, events = keeper()
    trust.set_level("main", "bob@timb.test", FP, TrustLevel.VERIFIED)
    changed = trust.smp_finished(SmpFinished("main", "bob@timb.test", outcome, False, FP))
    assert changed is not None and changed.unverified
    assert not trust.is_verified("main", "bob@timb.test", FP)
    assert events == [TrustChanged("main", "bob@timb.test", FP, TrustLevel.UNVERIFIED)]


@pytest.mark.parametrize("level", [TrustLevel.UNVERIFIED, TrustLevel.DISTRUSTED])
def test_a_failed_smp_leaves_an_unverified_or_distrusted_key_as_it_is(level: TrustLevel) -> None:
    trust, events = keeper()
    trust.set_level("main", "bob@timb.test", FP, level)
    assert trust.smp_finished(SmpFinished("main", "bob@timb.test", SmpOutcome.FAILED, False, FP)) is None
    assert trust.is_distrusted("main", "bob@timb.test", FP) is (level is TrustLevel.DISTRUSTED)
    assert events == []


def test_an_aborted_smp_changes_nothing() -> None:
    trust, events = keeper()
    trust.set_level("main", "bob@timb.test", FP, TrustLevel.VERIFIED)
    assert trust.smp_finished(SmpFinished("main", "bob@timb.test", SmpOutcome.ABORTED, False, FP)) is None
    assert trust.is_verified("main", "bob@timb.test", FP)
    assert events == []
