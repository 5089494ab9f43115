"""The trust keeper: which key each contact uses, and what the user decided about it.

It owns the profile's `TrustStore` and is the only part that changes it: a private session
records the contact's key (a new key for a known contact is LOUD, `KeyChanged`), a successful
SMP verifies it, the user sets trust by hand. Every change is announced (`TrustChanged`) and
saved in the background; the runtimes ask it (`is_verified`, `is_distrusted`) and never keep
trust of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from timb.common.clock import Clock
from timb.common.ids import Fingerprint
from timb.core.errors import ProfileError
from timb.core.events import (
    CoreEvent,
    KeyChanged,
    OtrStateChanged,
    SmpFinished,
    SmpOutcome,
    TrustChanged,
    TrustLevel,
)
from timb.core.service.translate import translated
from timb.core.trust import KeyTrust, ObservationKind, TrustStore, VerificationMethod
from timb.otr.keyfiles import FingerprintEntry

TRUST_SECTION = "trust"


class TrustKeeper:
    """Trust in contacts' keys for one profile (empty while none is unlocked)."""

    def __init__(self, clock: Clock, emit: Callable[[CoreEvent], None], changed: Callable[[], None]) -> None:
        """``changed`` is called after every change worth saving (the session's `save_soon`)."""
        self._clock = clock
        self._emit = emit
        self._changed = changed
        self._store = TrustStore()

    def load(self, data: Mapping[str, Any] | None) -> None:
        """Raises: ProfileError (the stored section is malformed: the profile is damaged)."""
        with translated("the profile is damaged: ", kind=ProfileError):
            self._store = TrustStore.from_dict(data) if data else TrustStore()

    def to_dict(self) -> dict[str, Any]:
        return self._store.to_dict()

    # -- what the runtimes ask ----------------------------------------------------------------------

    def is_verified(self, account: str, contact: str, fingerprint: Fingerprint) -> bool:
        return self._store.is_verified(account, contact, fingerprint)

    def is_distrusted(self, account: str, contact: str, fingerprint: Fingerprint) -> bool:
        known = self._store.get(account, contact, fingerprint)
        return known is not None and known.level is TrustLevel.DISTRUSTED

    def known(self, account: str, contact: str) -> tuple[KeyTrust, ...]:
        return self._store.fingerprints_for(account, contact)

    def usable_keys(self, account: str, contact: str) -> list[Fingerprint]:
        """The contact's keys the user accepted (the first one seen, verified ones, ones held
        messages were released to) and did not distrust: what a message typed before any session
        is written for (timb.core.conversations). A key that only appeared under a KEY_CHANGED
        notice is not among them."""
        known = self._store.fingerprints_for(account, contact)
        return [k.fingerprint for k in known if k.accepted and k.level is not TrustLevel.DISTRUSTED]

    # -- what the conversations report ----------------------------------------------------------------

    def observe(self, event: OtrStateChanged) -> None:
        """A private session started: record the key; a new key for a known contact is LOUD."""
        if event.fingerprint is None:
            return
        seen = self._store.observe(event.account, event.contact, event.fingerprint, self._clock.now())
        if seen.kind is ObservationKind.KEY_CHANGED:
            old = tuple(k.fingerprint for k in seen.others)
            self._emit(KeyChanged(event.account, event.contact, old, event.fingerprint))
        version = event.protocol_version
        raised = version is not None and self._store.saw_version(
            event.account, event.contact, event.fingerprint, version
        )
        if seen.kind is not ObservationKind.KNOWN_KEY or raised:
            self._changed()

    def best_version(self, account: str, contact: str, fingerprint: Fingerprint) -> int | None:
        """The newest OTR version a session with this key spoke (kept across restarts)."""
        key = self._store.get(account, contact, fingerprint)
        return key.best_version if key is not None else None

    def smp_finished(self, event: SmpFinished) -> SmpFinished | None:
        """Apply an SMP's result to the key it ran over. A success that proved the contact to us
        verifies the key; a failed or cheated check takes an earlier verification away (libotr's
        set_smp_trust(.., 0): it may be a man in the middle; a distrusted key stays distrusted).
        Returns the event as the UI should see it when the key's trust changed, else None."""
        fp = event.fingerprint
        if fp is None:
            return None
        if event.verified:
            self._store.verify(event.account, event.contact, fp, VerificationMethod.SMP, self._clock.now())
            level = TrustLevel.VERIFIED
        elif event.outcome in (SmpOutcome.FAILED, SmpOutcome.CHEATED) and self.is_verified(
            event.account, event.contact, fp
        ):
            self._store.unverify(event.account, event.contact, fp)
            level = TrustLevel.UNVERIFIED
            event = replace(event, unverified=True)
        else:
            return None
        self._emit(TrustChanged(event.account, event.contact, fp, level))
        self._changed()
        return event

    # -- what the user decides ------------------------------------------------------------------------

    def accept(self, account: str, contact: str, fingerprint: Fingerprint) -> None:
        """The user released held messages to `fingerprint`: later text typed before any session
        may go to it too (the caller saves)."""
        self._store.accept(account, contact, fingerprint)
        self._changed()

    def set_level(self, account: str, contact: str, fingerprint: Fingerprint, level: TrustLevel) -> None:
        """Verified (checked by hand), distrusted or unverified; announced, saved by the caller.

        Raises: TrustStoreError (empty account or contact).
        """
        if level is TrustLevel.VERIFIED:
            self._store.verify(account, contact, fingerprint, VerificationMethod.MANUAL, self._clock.now())
        elif level is TrustLevel.DISTRUSTED:
            self._store.distrust(account, contact, fingerprint)
        else:
            self._store.unverify(account, contact, fingerprint)

    def announce(self, account: str, contact: str, fingerprint: Fingerprint, level: TrustLevel) -> None:
        self._emit(TrustChanged(account, contact, fingerprint, level))

    def import_libotr(
        self, entries: list[FingerprintEntry], account_for: Callable[[str, str], str | None]
    ) -> int:
        """Merge libotr fingerprints (see `TrustStore.import_libotr`); returns how many changed."""
        return self._store.import_libotr(entries, self._clock.now(), account_for)

    def export_libotr(self) -> list[FingerprintEntry]:
        return self._store.export_libotr()
