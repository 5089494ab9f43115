"""The trust store: which OTR fingerprints each contact has used, and which the user verified.

A pure data model (no I/O, no clock: timestamps are passed in). Keyed by (account, contact), where
the account is TIMB's account id and the contact a bare address as text, as in `timb.core.events`.
Each known fingerprint is UNVERIFIED, VERIFIED (by SMP or by hand, and when) or DISTRUSTED.

`observe()` is called whenever a private session starts; its answer tells the UI how loud to be:
NEW_CONTACT_KEY (first key ever seen for this contact), KNOWN_KEY, or KEY_CHANGED (the contact had
other keys, never this one: a new device, or someone in the middle; the UI must make the user look).

The store round-trips through a JSON-able dict (the vault keeps it) and imports/exports libotr's
otr.fingerprints (see `import_libotr` / `export_libotr` for how accounts and protocols map).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from timb.common.errors import InvalidIdentifier
from timb.common.ids import Fingerprint
from timb.core.errors import RecordError
from timb.core.events import TrustLevel
from timb.otr.keyfiles import FingerprintEntry

__all__ = [
    "KeyTrust",
    "ObservationKind",
    "TrustLevel",
    "TrustObservation",
    "TrustStore",
    "TrustStoreError",
    "VerificationMethod",
]

_FORMAT_VERSION = 1
# libotr's trust words: "smp" is what libotr itself writes after SMP; Pidgin writes "verified"
# for a fingerprint checked by hand. Any other non-empty word also means trusted to libotr.
_LIBOTR_SMP = "smp"
_LIBOTR_MANUAL = "verified"
# The protocol libotr applications (Pidgin, Tor Messenger) record for XMPP accounts.
LIBOTR_XMPP_PROTOCOL = "prpl-jabber"


class TrustStoreError(RecordError):
    """A serialised trust store is malformed, or a key is not a valid (account, contact)."""


class VerificationMethod(enum.Enum):
    SMP = "smp"
    MANUAL = "manual"


class ObservationKind(enum.Enum):
    NEW_CONTACT_KEY = "new_contact_key"
    KNOWN_KEY = "known_key"
    KEY_CHANGED = "key_changed"


@dataclass(frozen=True, slots=True)
class KeyTrust:
    """What we know about one fingerprint of one contact."""

    fingerprint: Fingerprint
    level: TrustLevel = TrustLevel.UNVERIFIED
    method: VerificationMethod | None = None  # set when level is VERIFIED
    verified_at: float | None = None  # seconds since the epoch, set when VERIFIED
    first_seen: float | None = None
    # The user took this key for the contact's: the first key ever seen (trust on first use), a
    # key they verified, or one they released held messages to. A key that appeared later, under
    # a KEY_CHANGED notice, is not accepted until then, so text typed before any session never
    # goes to a key the server may have substituted (docs/core.md, "written for a key").
    accepted: bool = True
    # The newest OTR protocol version of a session with this key: version 2 after 3 is a
    # downgrade (no instance tags), and a restart must still see it (ProtocolDowngraded).
    best_version: int | None = None

    def __post_init__(self) -> None:
        verified = self.level is TrustLevel.VERIFIED
        if verified != (self.method is not None) or verified != (self.verified_at is not None):
            raise TrustStoreError("method and verified_at are set exactly when VERIFIED")


@dataclass(frozen=True, slots=True)
class TrustObservation:
    """The answer of `TrustStore.observe`.

    `others` are the contact's other known fingerprints (for KEY_CHANGED: the ones it used
    before); `previously_verified` says one of them was verified, which makes a change louder.
    """

    kind: ObservationKind
    account: str
    contact: str
    trust: KeyTrust
    others: tuple[KeyTrust, ...] = ()

    @property
    def is_loud(self) -> bool:
        return self.kind is ObservationKind.KEY_CHANGED

    @property
    def previously_verified(self) -> bool:
        return any(k.level is TrustLevel.VERIFIED for k in self.others)


def _default_account_map(account: str, protocol: str) -> str | None:
    # Pidgin names XMPP accounts "user@server/Resource"; TIMB's account is the bare address.
    del protocol
    return account.split("/", 1)[0] or None


class TrustStore:
    """Fingerprints per (account, contact), in the order they were first recorded."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], dict[Fingerprint, KeyTrust]] = {}

    # ---- queries ---------------------------------------------------------------------------

    def fingerprints_for(self, account: str, contact: str) -> tuple[KeyTrust, ...]:
        return tuple(self._keys.get((account, contact), {}).values())

    def get(self, account: str, contact: str, fingerprint: Fingerprint) -> KeyTrust | None:
        return self._keys.get((account, contact), {}).get(fingerprint)

    def is_verified(self, account: str, contact: str, fingerprint: Fingerprint) -> bool:
        known = self.get(account, contact, fingerprint)
        return known is not None and known.level is TrustLevel.VERIFIED

    def contacts(self) -> Iterator[tuple[str, str]]:
        """Every (account, contact) with at least one fingerprint."""
        return iter(list(self._keys))

    # ---- changes ---------------------------------------------------------------------------

    def observe(
        self, account: str, contact: str, fingerprint: Fingerprint, at: float | None = None
    ) -> TrustObservation:
        """Record that `contact` uses `fingerprint` (e.g. a private session started).

        Raises:
            TrustStoreError: account or contact is empty.
        """
        known = self._slot(account, contact)
        others = tuple(k for fp, k in known.items() if fp != fingerprint)
        if fingerprint in known:
            kind = ObservationKind.KNOWN_KEY
        else:
            kind = ObservationKind.KEY_CHANGED if known else ObservationKind.NEW_CONTACT_KEY
            known[fingerprint] = KeyTrust(fingerprint, first_seen=at, accepted=not known)
        return TrustObservation(kind, account, contact, known[fingerprint], others)

    def verify(
        self, account: str, contact: str, fingerprint: Fingerprint, how: VerificationMethod, at: float
    ) -> KeyTrust:
        """Mark `fingerprint` verified (recording it if new, e.g. compared over the phone first).

        Raises:
            TrustStoreError: account or contact is empty.
        """
        return self._set(account, contact, fingerprint, TrustLevel.VERIFIED, how=how, at=at)

    def accept(self, account: str, contact: str, fingerprint: Fingerprint) -> KeyTrust:
        """The user took `fingerprint` for the contact's key (released held messages to it).

        Raises:
            TrustStoreError: account or contact is empty.
        """
        known = self._slot(account, contact)
        current = known.get(fingerprint) or KeyTrust(fingerprint)
        known[fingerprint] = replace(current, accepted=True)
        return known[fingerprint]

    def saw_version(self, account: str, contact: str, fingerprint: Fingerprint, version: int) -> bool:
        """A session with `fingerprint` spoke OTR `version`; True if that raised its best
        version (only known keys: a key is recorded by `observe` first).

        Raises:
            TrustStoreError: account or contact is empty.
        """
        known = self._slot(account, contact)
        current = known.get(fingerprint)
        if current is None or (current.best_version or 0) >= version:
            return False
        known[fingerprint] = replace(current, best_version=version)
        return True

    def distrust(self, account: str, contact: str, fingerprint: Fingerprint) -> KeyTrust:
        """Mark `fingerprint` as not to be trusted (it stays known, so it never looks new again).

        Raises:
            TrustStoreError: account or contact is empty.
        """
        return self._set(account, contact, fingerprint, TrustLevel.DISTRUSTED)

    def unverify(self, account: str, contact: str, fingerprint: Fingerprint) -> KeyTrust:
        """Back to UNVERIFIED.

        Raises:
            TrustStoreError: account or contact is empty.
        """
        return self._set(account, contact, fingerprint, TrustLevel.UNVERIFIED)

    def forget(self, account: str, contact: str, fingerprint: Fingerprint | None = None) -> None:
        """Drop one fingerprint, or every fingerprint of the contact when `fingerprint` is None."""
        known = self._keys.get((account, contact))
        if known is None:
            return
        if fingerprint is None:
            known.clear()
        else:
            known.pop(fingerprint, None)
        if not known:
            del self._keys[(account, contact)]

    def _slot(self, account: str, contact: str) -> dict[Fingerprint, KeyTrust]:
        if not account or not contact:
            raise TrustStoreError("account and contact must not be empty")
        return self._keys.setdefault((account, contact), {})

    def _set(
        self,
        account: str,
        contact: str,
        fingerprint: Fingerprint,
        level: TrustLevel,
        *,
        how: VerificationMethod | None = None,
        at: float | None = None,
    ) -> KeyTrust:
        known = self._slot(account, contact)
        current = known.get(fingerprint) or KeyTrust(fingerprint, first_seen=at)
        accepted = current.accepted or level is TrustLevel.VERIFIED
        known[fingerprint] = replace(
            current, level=level, method=how, verified_at=at if how else None, accepted=accepted
        )
        return known[fingerprint]

    # ---- the vault's JSON ------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; `from_dict` reads it back."""
        entries = [
            {
                "account": account,
                "contact": contact,
                "fingerprint": key.fingerprint.hex,
                "level": key.level.value,
                "method": key.method.value if key.method else None,
                "verified_at": key.verified_at,
                "first_seen": key.first_seen,
                "accepted": key.accepted,
                "best_version": key.best_version,
            }
            for (account, contact), keys in self._keys.items()
            for key in keys.values()
        ]
        return {"version": _FORMAT_VERSION, "fingerprints": entries}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrustStore:
        """Raises: TrustStoreError naming the entry that is malformed."""
        if not isinstance(data, Mapping) or data.get("version") != _FORMAT_VERSION:
            raise TrustStoreError(f"not a version {_FORMAT_VERSION} trust store")
        entries = data.get("fingerprints")
        if not isinstance(entries, list):
            raise TrustStoreError("'fingerprints' must be a list")
        store = cls()
        for index, entry in enumerate(entries):
            try:
                account, contact, key = _entry_from_dict(entry)
            except (TrustStoreError, InvalidIdentifier, ValueError, TypeError, KeyError) as exc:
                raise TrustStoreError(f"fingerprint entry {index}: {exc}") from exc
            store._slot(account, contact)[key.fingerprint] = key
        return store

    # ---- libotr's otr.fingerprints ---------------------------------------------------------

    def import_libotr(
        self,
        entries: list[FingerprintEntry],
        at: float,
        account_map: Callable[[str, str], str | None] = _default_account_map,
    ) -> int:
        """Merge libotr fingerprint entries; returns how many fingerprints were added or upgraded.

        `account_map(libotr_account, protocol)` gives the TIMB account id, or None to skip the
        entry; by default the resource is cut from Pidgin's "user@server/Resource" and every
        protocol is taken. libotr's "smp" becomes VERIFIED by SMP, any other non-empty trust word
        VERIFIED by hand (at `at`, as libotr keeps no date). Local decisions win: a fingerprint
        already VERIFIED or DISTRUSTED here is left as it is.
        """
        changed = 0
        for entry in entries:
            account = account_map(entry.account, entry.protocol)
            if account is None:
                continue
            current = self.get(account, entry.username, entry.fingerprint)
            if entry.is_trusted and (current is None or current.level is TrustLevel.UNVERIFIED):
                how = VerificationMethod.SMP if entry.trust == _LIBOTR_SMP else VerificationMethod.MANUAL
                self.verify(account, entry.username, entry.fingerprint, how, at)
                changed += 1
            elif current is None:
                # The user's earlier client knew this key for the contact: bring it as accepted.
                self.observe(account, entry.username, entry.fingerprint, at)
                self.accept(account, entry.username, entry.fingerprint)
                changed += 1
        return changed

    def export_libotr(
        self, protocol_for: Callable[[str], str] = lambda _account: LIBOTR_XMPP_PROTOCOL
    ) -> list[FingerprintEntry]:
        """Entries for an otr.fingerprints file. `protocol_for(account)` names the libotr
        protocol (default "prpl-jabber", as Pidgin and Tor Messenger write for XMPP). libotr has
        no "distrusted": such fingerprints are written unverified (empty trust)."""
        out = []
        for (account, contact), keys in self._keys.items():
            for key in keys.values():
                trust = ""
                if key.method is VerificationMethod.SMP:
                    trust = _LIBOTR_SMP
                elif key.method is VerificationMethod.MANUAL:
                    trust = _LIBOTR_MANUAL
                out.append(FingerprintEntry(contact, account, protocol_for(account), key.fingerprint, trust))
        return out


def _entry_from_dict(entry: Any) -> tuple[str, str, KeyTrust]:
    if not isinstance(entry, Mapping):
        raise TrustStoreError("not an object")
    account, contact = entry["account"], entry["contact"]
    if not (isinstance(account, str) and isinstance(contact, str) and account and contact):
        raise TrustStoreError("account and contact must be non-empty strings")
    method = entry.get("method")
    key = KeyTrust(
        fingerprint=Fingerprint.from_hex(entry["fingerprint"]),
        level=TrustLevel(entry["level"]),
        method=VerificationMethod(method) if method is not None else None,
        verified_at=_timestamp(entry.get("verified_at")),
        first_seen=_timestamp(entry.get("first_seen")),
        # Entries written before the field existed were all usable: keep them so.
        accepted=entry.get("accepted", True) is True,
        best_version=_version(entry.get("best_version")),
    )
    return account, contact, key


def _version(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
        raise TrustStoreError("best_version is an OTR protocol version")
    return value


def _timestamp(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TrustStoreError("timestamps are finite numbers")
    return float(value)
