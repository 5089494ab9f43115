"""Shared state and helpers of `timb.core.service.TimbService` (see that module)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timb.common.clock import Clock, SystemClock
from timb.common.errors import InvalidIdentifier
from timb.common.ids import Fingerprint, Jid
from timb.common.random import Random, SystemRandom
from timb.core import roster
from timb.core.accounts import Account, Accounts
from timb.core.connection import AccountLink
from timb.core.conversations import Conversations
from timb.core.errors import InvalidRequest, NotFound, ProfileError, Unavailable
from timb.core.events import (
    CoreEvent,
    ErrorEvent,
    KeyChanged,
    MessageReceived,
    OtrStateChanged,
    SmpFinished,
    TrustChanged,
    TrustLevel,
)
from timb.core.profile import Profile
from timb.core.recorder import HistoryRecorder
from timb.core.roster import ContactStatus
from timb.core.storage.history import Direction
from timb.core.storage.vault import StorageError
from timb.core.tor_link import TorLink, TorSettings
from timb.core.trust import ObservationKind, TrustStore, VerificationMethod
from timb.net import base as net
from timb.otr import Policy, PrivateKey
from timb.otr.instance_tags import generate_instance_tag

POLICIES: dict[str, Policy] = {
    "always": Policy.ALWAYS,
    "opportunistic": Policy.OPPORTUNISTIC,
    "manual": Policy.MANUAL,
    "never": Policy.NEVER,
}
TRUST_SECTION = "trust"

AdapterFactory = Callable[[Account, "net.Dialer | None"], net.Adapter]


@dataclass(eq=False, slots=True)
class Runtime:
    """One account while the profile is unlocked."""

    account: Account
    key: PrivateKey
    conversations: Conversations
    link: AccountLink


def default_adapter_factory(account: Account, dialer: net.Dialer | None) -> net.Adapter:
    # Imported here: slixmpp is heavy and only needed once an account connects.
    from timb.net.xmpp.adapter import XmppAccount, XmppAdapter  # noqa: PLC0415
    from timb.net.xmpp.tls import CertificatePin  # noqa: PLC0415

    if dialer is None:
        raise Unavailable("no tor configured: give a tor control port (--tor-control)")
    pin = CertificatePin.from_hex(account.tls_pin_sha256) if account.tls_pin_sha256 else None
    xmpp = XmppAccount(
        jid=account.jid,
        password=account.password,
        host=account.host,
        port=account.port,
        pin=pin,
        isolation=account.isolation_key,
    )
    return XmppAdapter(xmpp, dialer)


class ServiceBase:
    """The state every group of commands shares, and the helpers they use (no public commands).

    `TimbService` is made of `ProfileCommands`, `AccountCommands`, `ContactCommands` and
    `MessageCommands` over this base; see `timb.core.service`.
    """

    def __init__(
        self,
        profile_dir: Path,
        *,
        tor: TorSettings | None = None,
        adapter_factory: AdapterFactory | None = None,
        clock: Clock | None = None,
        rng: Random | None = None,
    ) -> None:
        self.profile_dir = Path(profile_dir)
        self._tor_settings = tor or TorSettings()
        self._adapter_factory = adapter_factory or default_adapter_factory
        self._clock = clock or SystemClock()
        self._rng = rng or SystemRandom()
        self._events: asyncio.Queue[CoreEvent | None] = asyncio.Queue()
        self._profile: Profile | None = None
        self._trust = TrustStore()
        self._save_lock = asyncio.Lock()
        self._accounts = Accounts()
        self._runtimes: dict[str, Runtime] = {}
        self._tor = TorLink(self._tor_settings, self._emit)
        self._status: dict[str, ContactStatus] = {}
        self._registering: set[str] = set()  # account ids to create on the server at connect
        self._group: asyncio.TaskGroup | None = None
        self._background: list[asyncio.Task[None]] = []
        self._closed = False

    def _emit(self, event: CoreEvent) -> None:
        self._events.put_nowait(event)

    def _require_profile(self) -> Profile:
        if self._profile is None:
            raise ProfileError("no profile is unlocked: unlock or create one first")
        return self._profile

    async def _save(self) -> None:
        profile = self._require_profile()
        async with self._save_lock:
            profile.vault.set_section("accounts", self._accounts.to_section())
            profile.vault.set_section(TRUST_SECTION, self._trust.to_dict())
            try:
                await asyncio.to_thread(profile.vault.save)
            except StorageError as exc:
                raise ProfileError(f"could not save the profile: {exc}") from None

    def _save_soon(self) -> None:
        """Save in the background. A failure is an ErrorEvent: an exception in a task of the
        service's group would cancel every connection with it."""
        if self._group is not None:
            self._group.create_task(self._save_reporting())

    async def _save_reporting(self) -> None:
        try:
            await self._save()
        except ProfileError as exc:  # the disk refused, or the profile was locked meanwhile
            self._emit(ErrorEvent(str(exc)))

    def _smp_verified(self, runtime: Runtime, event: SmpFinished) -> None:
        assert event.fingerprint is not None
        self._trust.verify(
            event.account, event.contact, event.fingerprint, VerificationMethod.SMP, self._clock.now()
        )
        self._emit(TrustChanged(event.account, event.contact, event.fingerprint, TrustLevel.VERIFIED))
        runtime.conversations.refresh_trust(event.contact)
        self._save_soon()

    def _recorder(self) -> HistoryRecorder:
        profile = self._require_profile()
        if self._group is None:
            raise Unavailable("the service is not running (use it with 'async with')")
        return HistoryRecorder(profile, self._save_lock, self._clock, self._group.create_task, self._emit)

    def _remember(
        self, account_id: str, contact: str, direction: Direction, event: MessageReceived | str
    ) -> None:
        if self._profile is not None and self._group is not None:
            self._recorder().remember(account_id, contact, direction, event)

    def _parse_fingerprint(self, text: str) -> Fingerprint:
        try:
            return Fingerprint.from_hex(text)
        except InvalidIdentifier as exc:
            raise InvalidRequest(str(exc)) from None

    # -- internals ----------------------------------------------------------------------------

    def _runtime(self, account_id: str) -> Runtime:
        self._require_profile()
        runtime = self._runtimes.get(account_id)
        if runtime is None:
            raise NotFound(f"no account {account_id!r}")
        return runtime

    def _runtime_for(self, account: Account, key: PrivateKey | None = None) -> Runtime:
        if key is None:
            numbers = self._otr_keys().get(account.id)
            if not isinstance(numbers, list) or len(numbers) != 5:
                raise ProfileError(f"the OTR key of account {account.id!r} is missing")
            p, q, g, y, x = (int(str(n), 16) for n in numbers)
            key = PrivateKey.from_numbers(p, q, g, y, x)
        conversations = Conversations(
            account.id,
            key,
            instance_tag=generate_instance_tag(self._rng),
            clock=self._clock,
            rng=self._rng,
            is_verified=lambda contact, fp: self._is_verified(account.id, contact, fp),
            is_distrusted=lambda contact, fp: self._is_distrusted(account.id, contact, fp),
        )
        profile = self._require_profile()
        for contact in self._contacts(account.id):
            conversations.set_policy(contact, POLICIES[profile.otr_policy_for(contact)])
        runtime = Runtime(
            account,
            key,
            conversations,
            AccountLink(account.id, self._emit, lambda: self._on_link_down(account.id)),
        )
        self._runtimes[account.id] = runtime
        return runtime

    def _is_verified(self, account_id: str, contact: str, fingerprint: Fingerprint) -> bool:
        return self._trust.is_verified(account_id, contact, fingerprint)

    def _is_distrusted(self, account_id: str, contact: str, fingerprint: Fingerprint) -> bool:
        known = self._trust.get(account_id, contact, fingerprint)
        return known is not None and known.level is TrustLevel.DISTRUSTED

    def _observe(self, event: OtrStateChanged) -> None:
        """A private session started: record the key; a new key for a known contact is LOUD."""
        if event.fingerprint is None:
            return
        seen = self._trust.observe(event.account, event.contact, event.fingerprint, self._clock.now())
        if seen.kind is ObservationKind.KEY_CHANGED:
            old = tuple(k.fingerprint for k in seen.others)
            self._emit(KeyChanged(event.account, event.contact, old, event.fingerprint))
        if seen.kind is not ObservationKind.KNOWN_KEY:
            self._save_soon()

    def _is_blocked(self, account_id: str, contact: str) -> bool:
        return contact in roster.blocked(self._blocked_section(), account_id)

    def _blocked_section(self) -> dict[str, Any]:
        return self._require_profile().vault.section(roster.BLOCKED_SECTION)

    def _otr_keys(self) -> dict[str, Any]:
        return self._require_profile().vault.section("otr_keys")

    def _contacts(self, account_id: str) -> dict[str, Any]:
        section = self._require_profile().vault.section("contacts")
        contacts = section.setdefault(account_id, {})
        assert isinstance(contacts, dict)
        return contacts

    @staticmethod
    def _parse_contact(jid: str) -> str:
        try:
            parsed = Jid.parse(jid)
        except InvalidIdentifier as exc:
            raise InvalidRequest(f"not a valid address: {exc}") from None
        if not parsed.local:
            raise InvalidRequest("a contact address is user@server")
        return str(parsed.bare)

    def _pump(self, runtime: Runtime) -> None:
        """Move what the conversations core produced to the network queue and the UI."""
        conversations = runtime.conversations
        for contact, wire in conversations.data_to_send():
            runtime.link.enqueue(contact, wire)
        while (event := conversations.next_event()) is not None:
            if isinstance(event, OtrStateChanged):
                self._observe(event)
            elif isinstance(event, SmpFinished) and event.verified and event.fingerprint is not None:
                self._smp_verified(runtime, event)
            elif isinstance(event, MessageReceived):
                self._remember(event.account, event.contact, Direction.INCOMING, event)
            self._emit(event)

    if TYPE_CHECKING:  # provided by AccountCommands, ContactCommands and TimbService

        async def connect(self, account_id: str) -> None: ...

        def _on_net_event(self, runtime: Runtime, event: net.NetEvent) -> None: ...

        def _on_link_down(self, account_id: str) -> None: ...
