"""Account records: validation, the vault section round trip, secrets never shown."""

import pytest

from timb.common import InvalidIdentifier, Secret
from timb.common.random import DeterministicRandom
from timb.core.accounts import Account, AccountError, Accounts

PIN = "AB:" * 31 + "AB"


def _accounts() -> Accounts:
    accounts = Accounts()
    accounts.add(
        "alice",
        "Alice@Timb.Test",
        Secret("pw-alice"),
        DeterministicRandom(b"a"),
        host="127.0.0.1",
        port=25222,
        tls_pin_sha256=PIN,
    )
    accounts.add("bob", "bob@timb.test", Secret("pw-bob"), DeterministicRandom(b"b"))
    return accounts


def test_round_trip_through_the_vault_section() -> None:
    accounts = _accounts()
    again = Accounts.from_section(accounts.to_section())
    assert [a.id for a in again] == ["alice", "bob"]
    alice = again.get("alice")
    assert str(alice.jid) == "alice@timb.test"
    assert alice.password == Secret("pw-alice")
    assert alice.tls_pin_sha256 == "ab" * 32
    assert alice.auto_connect is False
    assert alice.connect_host == "127.0.0.1"
    assert again.get("bob").connect_host == "timb.test"


def test_each_account_has_its_own_random_isolation_key() -> None:
    accounts = _accounts()
    keys = {a.isolation_key for a in accounts}
    assert len(keys) == 2
    assert all(len(k) == 32 for k in keys)


def test_public_view_and_repr_hide_the_password() -> None:
    alice = _accounts().get("alice")
    assert "pw-alice" not in repr(alice)
    assert "password" not in alice.public()
    assert "isolation_key" not in alice.public()


@pytest.mark.parametrize(
    ("field", "value"),
    [("port", 0), ("port", 70000), ("host", "bad host"), ("tls_pin_sha256", "abc"), ("id", "")],
)
def test_invalid_fields_raise(field: str, value: object) -> None:
    record = _accounts().get("alice").to_record()
    record[field] = value
    with pytest.raises(AccountError):
        Account.from_record(record)


def test_duplicates_unknown_ids_and_bad_jids() -> None:
    accounts = _accounts()
    with pytest.raises(AccountError):
        accounts.add("alice", "carol@timb.test", Secret("x"), DeterministicRandom(b"c"))
    with pytest.raises(AccountError):
        accounts.add("carol", "bob@timb.test", Secret("x"), DeterministicRandom(b"c"))
    with pytest.raises(AccountError):
        accounts.get("nobody")
    with pytest.raises(InvalidIdentifier):
        accounts.add("carol", "carol@bad host", Secret("x"), DeterministicRandom(b"c"))
    with pytest.raises(AccountError):
        accounts.add("carol", "carol@timb.test/res", Secret("x"), DeterministicRandom(b"c"))


def test_a_damaged_section_is_a_clear_error() -> None:
    with pytest.raises(AccountError):
        Accounts.from_section({"accounts": [{"id": "x"}]})
    with pytest.raises(AccountError):
        Accounts.from_section({"accounts": "nope"})
