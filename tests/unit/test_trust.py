"""The trust store: observations, verification states, JSON round trip, libotr import/export."""

from __future__ import annotations

import json
from typing import Any

import pytest

from timb.common import Fingerprint
from timb.core.trust import (
    KeyTrust,
    ObservationKind,
    TrustLevel,
    TrustStore,
    TrustStoreError,
    VerificationMethod,
)
from timb.otr.keyfiles import FingerprintEntry, parse_fingerprints, serialize_fingerprints

FP1 = Fingerprint(bytes(range(20)))
FP2 = Fingerprint(bytes(range(1, 21)))
FP3 = Fingerprint(bytes(range(2, 22)))
ACC = "alice"
BOB = "bob@example.org"
T0 = 1_700_000_000.0


def test_first_key_is_new_then_known() -> None:
    store = TrustStore()
    first = store.observe(ACC, BOB, FP1, at=T0)
    assert first.kind is ObservationKind.NEW_CONTACT_KEY
    assert not first.is_loud
    assert first.trust == KeyTrust(FP1, TrustLevel.UNVERIFIED, first_seen=T0)
    again = store.observe(ACC, BOB, FP1, at=T0 + 5)
    assert again.kind is ObservationKind.KNOWN_KEY
    assert again.trust.first_seen == T0
    assert store.fingerprints_for(ACC, BOB) == (first.trust,)


def test_a_new_key_for_a_known_contact_is_loud() -> None:
    store = TrustStore()
    store.observe(ACC, BOB, FP1)
    store.verify(ACC, BOB, FP1, VerificationMethod.SMP, at=T0)
    changed = store.observe(ACC, BOB, FP2)
    assert changed.kind is ObservationKind.KEY_CHANGED
    assert changed.is_loud
    assert changed.previously_verified
    assert [k.fingerprint for k in changed.others] == [FP1]
    assert not store.is_verified(ACC, BOB, FP2)
    # Both keys are now known: switching between two devices is not a change.
    assert store.observe(ACC, BOB, FP1).kind is ObservationKind.KNOWN_KEY
    assert store.observe(ACC, BOB, FP2).kind is ObservationKind.KNOWN_KEY
    assert store.observe(ACC, BOB, FP3).kind is ObservationKind.KEY_CHANGED


def test_keys_are_per_account_and_contact() -> None:
    store = TrustStore()
    store.observe(ACC, BOB, FP1)
    assert store.observe("work", BOB, FP2).kind is ObservationKind.NEW_CONTACT_KEY
    assert store.observe(ACC, "carol@x", FP2).kind is ObservationKind.NEW_CONTACT_KEY
    assert sorted(store.contacts()) == [(ACC, BOB), (ACC, "carol@x"), ("work", BOB)]


def test_verify_distrust_unverify() -> None:
    store = TrustStore()
    store.observe(ACC, BOB, FP1, at=T0)
    verified = store.verify(ACC, BOB, FP1, VerificationMethod.MANUAL, at=T0 + 60)
    assert verified == KeyTrust(FP1, TrustLevel.VERIFIED, VerificationMethod.MANUAL, T0 + 60, T0)
    assert store.is_verified(ACC, BOB, FP1)
    distrusted = store.distrust(ACC, BOB, FP1)
    assert distrusted.level is TrustLevel.DISTRUSTED and distrusted.method is None
    assert not store.is_verified(ACC, BOB, FP1)
    # A distrusted key stays known: seeing it again is not "new".
    observation = store.observe(ACC, BOB, FP1)
    assert observation.kind is ObservationKind.KNOWN_KEY
    assert observation.trust.level is TrustLevel.DISTRUSTED
    assert store.unverify(ACC, BOB, FP1).level is TrustLevel.UNVERIFIED


def test_verify_an_unseen_key_records_it() -> None:
    store = TrustStore()
    store.verify(ACC, BOB, FP1, VerificationMethod.MANUAL, at=T0)
    assert store.is_verified(ACC, BOB, FP1)
    assert store.observe(ACC, BOB, FP1).kind is ObservationKind.KNOWN_KEY


def test_forget() -> None:
    store = TrustStore()
    store.observe(ACC, BOB, FP1)
    store.observe(ACC, BOB, FP2)
    store.forget(ACC, BOB, FP1)
    assert [k.fingerprint for k in store.fingerprints_for(ACC, BOB)] == [FP2]
    store.forget(ACC, BOB)
    assert store.fingerprints_for(ACC, BOB) == ()
    assert list(store.contacts()) == []
    store.forget(ACC, "nobody")
    assert store.observe(ACC, BOB, FP1).kind is ObservationKind.NEW_CONTACT_KEY


def test_unknown_queries_are_empty() -> None:
    store = TrustStore()
    assert store.get(ACC, BOB, FP1) is None
    assert not store.is_verified(ACC, BOB, FP1)
    assert store.fingerprints_for(ACC, BOB) == ()


@pytest.mark.parametrize(("account", "contact"), [("", BOB), (ACC, "")])
def test_empty_names_are_refused(account: str, contact: str) -> None:
    with pytest.raises(TrustStoreError):
        TrustStore().observe(account, contact, FP1)


def test_key_trust_is_consistent() -> None:
    with pytest.raises(TrustStoreError):
        KeyTrust(FP1, TrustLevel.VERIFIED)
    with pytest.raises(TrustStoreError):
        KeyTrust(FP1, TrustLevel.UNVERIFIED, VerificationMethod.SMP, T0)


def _populated() -> TrustStore:
    store = TrustStore()
    store.observe(ACC, BOB, FP1, at=T0)
    store.verify(ACC, BOB, FP1, VerificationMethod.SMP, at=T0 + 1)
    store.observe(ACC, BOB, FP2, at=T0 + 2)
    store.verify(ACC, "carol@x", FP3, VerificationMethod.MANUAL, at=T0 + 3)
    store.observe("work", "dave@y", FP2)
    store.distrust("work", "dave@y", FP2)
    return store


def _snapshot(store: TrustStore) -> dict[tuple[str, str], tuple[KeyTrust, ...]]:
    return {key: store.fingerprints_for(*key) for key in store.contacts()}


def test_json_round_trip() -> None:
    store = _populated()
    data = json.loads(json.dumps(store.to_dict()))
    again = TrustStore.from_dict(data)
    assert _snapshot(again) == _snapshot(store)
    assert again.to_dict() == store.to_dict()


def _with(change: dict[str, Any]) -> dict[str, Any]:
    data = _populated().to_dict()
    data["fingerprints"][1] |= change
    return data


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"version": 2, "fingerprints": []},
        {"version": 1, "fingerprints": {}},
        {"version": 1, "fingerprints": ["x"]},
        _with({"fingerprint": "00" * 19}),
        _with({"fingerprint": 5}),
        _with({"level": "trusted"}),
        _with({"level": "verified"}),  # VERIFIED without method and time
        _with({"method": "telepathy"}),
        _with({"first_seen": "yesterday"}),
        _with({"first_seen": float("nan")}),
        _with({"first_seen": True}),
        _with({"account": ""}),
        _with({"contact": None}),
    ],
)
def test_malformed_dicts_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(TrustStoreError):
        TrustStore.from_dict(data)


def test_malformed_entry_is_named() -> None:
    data = _with({"level": "trusted"})
    with pytest.raises(TrustStoreError, match="entry 1"):
        TrustStore.from_dict(data)


# ---- libotr's otr.fingerprints ----------------------------------------------------------------

PIDGIN_FILE = (
    f"bob@example.org\talice@timb.test/Home\tprpl-jabber\t{FP1.hex}\tverified\n"
    f"bob@example.org\talice@timb.test/Home\tprpl-jabber\t{FP2.hex}\t\n"
    f"carol@x\talice@timb.test/Home\tprpl-jabber\t{FP3.hex}\tsmp\n"
    f"someone\talice@icq\tprpl-icq\t{FP3.hex}\n"
)


def test_import_from_pidgin() -> None:
    store = TrustStore()
    added = store.import_libotr(parse_fingerprints(PIDGIN_FILE), at=T0)
    assert added == 4
    account = "alice@timb.test"
    assert store.get(account, BOB, FP1) == KeyTrust(
        FP1, TrustLevel.VERIFIED, VerificationMethod.MANUAL, T0, T0
    )
    assert store.get(account, BOB, FP2) == KeyTrust(FP2, first_seen=T0)
    assert store.get(account, "carol@x", FP3) == KeyTrust(
        FP3, TrustLevel.VERIFIED, VerificationMethod.SMP, T0, T0
    )
    assert store.get("alice@icq", "someone", FP3) is not None
    # Importing again changes nothing.
    assert store.import_libotr(parse_fingerprints(PIDGIN_FILE), at=T0 + 9) == 0


def test_import_with_an_account_map_and_local_decisions_winning() -> None:
    store = TrustStore()
    store.distrust("me", BOB, FP1)
    store.observe("me", BOB, FP2)

    def only_xmpp(account: str, protocol: str) -> str | None:
        return "me" if protocol == "prpl-jabber" else None

    entries = parse_fingerprints(PIDGIN_FILE.replace(f"{FP2.hex}\t\n", f"{FP2.hex}\tsmp\n"))
    assert store.import_libotr(entries, at=T0, account_map=only_xmpp) == 2  # FP2 upgraded, carol added
    assert store.get("me", BOB, FP1).level is TrustLevel.DISTRUSTED  # type: ignore[union-attr]
    assert store.is_verified("me", BOB, FP2)
    assert store.is_verified("me", "carol@x", FP3)
    assert ("alice@icq", "someone") not in set(store.contacts())


def test_export_to_libotr_format() -> None:
    store = _populated()
    entries = store.export_libotr()
    by_fp = {(e.username, e.fingerprint): e for e in entries}
    assert by_fp[(BOB, FP1)] == FingerprintEntry(BOB, ACC, "prpl-jabber", FP1, "smp")
    assert by_fp[(BOB, FP2)].trust == ""
    assert by_fp[("carol@x", FP3)].trust == "verified"
    assert by_fp[("dave@y", FP2)].trust == ""  # libotr has no "distrusted"
    # Through the file format and back into a fresh store: verifications survive.
    text = serialize_fingerprints(store.export_libotr(protocol_for=lambda account: "xmpp"))
    fresh = TrustStore()
    fresh.import_libotr(parse_fingerprints(text), at=T0)
    assert fresh.get(ACC, BOB, FP1).method is VerificationMethod.SMP  # type: ignore[union-attr]
    assert fresh.get(ACC, "carol@x", FP3).method is VerificationMethod.MANUAL  # type: ignore[union-attr]
    assert not fresh.is_verified("work", "dave@y", FP2)


def test_only_the_first_key_is_accepted_until_the_user_verifies_or_accepts_another() -> None:
    store = TrustStore()
    first, second, third = (Fingerprint.from_hex(c * 40) for c in "abc")
    assert store.observe("main", "bob@x", first, 1.0).trust.accepted  # trust on first use
    assert not store.observe("main", "bob@x", second, 2.0).trust.accepted  # under KEY_CHANGED
    assert not store.observe("main", "bob@x", third, 3.0).trust.accepted
    assert store.accept("main", "bob@x", second).accepted
    assert store.verify("main", "bob@x", third, VerificationMethod.SMP, 4.0).accepted
    again = TrustStore.from_dict(store.to_dict())
    assert [k.accepted for k in again.fingerprints_for("main", "bob@x")] == [True, True, True]
    legacy = store.to_dict()
    for entry in legacy["fingerprints"]:
        del entry["accepted"]  # written before the field existed: every key stays usable
    assert all(k.accepted for k in TrustStore.from_dict(legacy).fingerprints_for("main", "bob@x"))
