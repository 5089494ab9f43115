"""Bringing an identity from a libotr client: a key file written by otrl_privkey_generate.

The imported key must have the fingerprint libotr reports for it, and must work: another libotr
client that talks to TIMB using that key sees exactly the fingerprint the original client had.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.otr_peers import Link
from tests.interop import libotr
from timb.otr.keyfiles import parse_private_keys, serialize_private_keys

pytestmark = pytest.mark.interop

ACCOUNT = "alice@pidgin.test"


def test_libotr_key_file_imports_with_libotrs_fingerprint(
    libotr_peer_factory: Any, timb_peer_factory: Any
) -> None:
    pidgin = libotr_peer_factory(ACCOUNT)  # otrl_privkey_generate writes pidgin.keyfile
    entries = parse_private_keys(pidgin.keyfile.read_bytes())
    [entry] = [e for e in entries if e.account == ACCOUNT]
    assert entry.protocol == libotr.PROTOCOL
    assert str(entry.fingerprint()) == pidgin.fingerprint()
    key = entry.to_private_key()
    assert str(key.fingerprint()) == pidgin.fingerprint()

    # The imported key signs the AKE: a libotr contact sees the fingerprint the old client had.
    timb = timb_peer_factory(ACCOUNT, key=key)
    bob = libotr_peer_factory("bob@pidgin.test")
    link = Link(timb, bob)
    link.send(bob.name, ACCOUNT, "hello, is that still you?")
    assert link.inbox[ACCOUNT] == ["hello, is that still you?"]
    assert bob.their_fingerprint(ACCOUNT) == pidgin.fingerprint()
    assert timb.their_fingerprint(bob.name) == bob.fingerprint()


def test_libotr_reads_the_key_file_timb_writes_back(libotr_peer_factory: Any, otr_workdir: Any) -> None:
    pidgin = libotr_peer_factory(ACCOUNT)
    entries = parse_private_keys(pidgin.keyfile.read_bytes())
    exported = otr_workdir / "exported.private_key"
    exported.write_text(serialize_private_keys(entries))
    again = libotr_peer_factory(ACCOUNT, keyfile=exported)  # otrl_privkey_read
    assert again.fingerprint() == pidgin.fingerprint()
    # ... and that key still talks to another libotr client.
    bob = libotr_peer_factory("bob@pidgin.test")
    link = Link(again, bob)
    link.start(bob.name, ACCOUNT)
    assert bob.their_fingerprint(ACCOUNT) == pidgin.fingerprint()
