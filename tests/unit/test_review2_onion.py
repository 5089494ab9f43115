"""review2: hostile-peer checks of the onion runtime (timb.core.service.onion_runtime)."""

from __future__ import annotations

from typing import Any

from timb.common.random import SystemRandom
from timb.core.service.onion_runtime import IdentityRuntime, OnionHooks
from timb.core.service.onion_store import ContactStatus, OnionContact, StoredIdentity
from timb.net.onion import peer_events as pe
from timb.net.onion.identity import OnionIdentity
from timb.net.onion.messages import Status


class _Peer:
    """Records what the runtime tells the peer (the calls that matter here)."""

    def __init__(self) -> None:
        self.added: list[Any] = []

    def add_contact(self, peer: Any) -> None:
        self.added.append(peer)

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None


def test_blocked_peer_not_revived_by_a_late_accept() -> None:
    me = OnionIdentity.generate(SystemRandom())
    them = OnionIdentity.generate(SystemRandom()).address
    ident = StoredIdentity("me", me.seed, "", None)
    # the user asked them, then blocked them while their Accepted answer was still queued
    ident.contacts[them] = OnionContact(them, ContactStatus.BLOCKED, True)
    runtime = IdentityRuntime(ident, _Peer(), OnionHooks(lambda e: None, lambda: None, lambda: False))  # type: ignore[arg-type]
    runtime.handle(pe.RequestAnswered(them, Status.Accepted))
    assert ident.contacts[them].status is ContactStatus.BLOCKED
    fresh = _Peer()
    IdentityRuntime(ident, fresh, runtime._hooks).give_contacts()  # type: ignore[arg-type]
    assert them not in fresh.added  # the next go_online must not dial a blocked peer
