"""`TimbService`: commands in, typed events out. What every UI holds instead of a network.

The service owns the profile (the vault), the accounts, one `Conversations` core per account
(the only place where the network meets OTR), the Tor client and the network adapters. Every
task it starts belongs to its `TaskGroup` (``async with TimbService(...) as service``): exceptions
are never swallowed. Expected trouble on the network (tor not ready, server unreachable, wrong
password) becomes `ConnectionStateChanged` and `ErrorEvent`; a bug ends the service loudly.

Commands raise one tree of errors (defined in `timb.core.errors`), so a UI needs nothing else::

    ServiceError
     ├── ProfileError        no profile unlocked, profile exists/missing, wrong passphrase, storage
     ├── NotFound            unknown account or contact
     ├── InvalidRequest      a bad argument (address, port, pin, policy, fingerprint, state)
     └── Unavailable         tor or the network cannot do it now

Nothing about a message is written unless history is turned on for it (docs/core.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from timb.common.clock import Clock, SystemClock
from timb.common.errors import InvalidIdentifier
from timb.common.ids import Fingerprint, Jid
from timb.common.random import Random, SystemRandom
from timb.common.secret import Secret
from timb.core.accounts import Account, AccountError, Accounts, normalise_pin
from timb.core.connection import AccountLink
from timb.core.conversations import Conversations
from timb.core.errors import InvalidRequest, NotFound, ProfileError, ServiceError, Unavailable
from timb.core.events import (
    CoreEvent,
    ErrorEvent,
    KeyChanged,
    MessageReceived,
    MessageState,
    OtrStateChanged,
    SmpFinished,
    TorBootstrap,
    TrustChanged,
    TrustLevel,
)
from timb.core.profile import Profile
from timb.core.recorder import HistoryRecorder
from timb.core.storage.history import Direction
from timb.core.storage.vault import StorageError, VaultExists, VaultNotFound, WrongPassphrase
from timb.core.trust import ObservationKind, TrustStore, TrustStoreError, VerificationMethod
from timb.net import base as net
from timb.otr import LocalError, Policy, PrivateKey
from timb.otr.instance_tags import generate_instance_tag
from timb.tor.client import TorClient
from timb.tor.errors import TorError

__all__ = [
    "POLICIES",
    "InvalidRequest",
    "NotFound",
    "ProfileError",
    "ServiceError",
    "TimbService",
    "TorSettings",
    "Unavailable",
    "default_profile_dir",
]

POLICIES: dict[str, Policy] = {
    "always": Policy.ALWAYS,
    "opportunistic": Policy.OPPORTUNISTIC,
    "manual": Policy.MANUAL,
    "never": Policy.NEVER,
}
POLL_INTERVAL = 1.0
TRUST_SECTION = "trust"


def default_profile_dir() -> Path:
    """The per-user profile directory (platformdirs)."""
    return Profile.default_directory()


AdapterFactory = Callable[[Account, "net.Dialer | None"], net.Adapter]


@dataclass(slots=True)
class TorSettings:
    """How to reach tor: a control port on loopback and its auth cookie (None: no tor)."""

    control_port: int | None = None
    control_host: str = "127.0.0.1"
    cookie_path: Path | None = None


@dataclass(eq=False, slots=True)
class _Runtime:
    """One account while the profile is unlocked."""

    account: Account
    key: PrivateKey
    conversations: Conversations
    link: AccountLink


def _default_adapter_factory(account: Account, dialer: net.Dialer | None) -> net.Adapter:
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


class TimbService:
    """The service. Use ``async with TimbService(profile_dir) as service:``; commands are methods.

    Args:
        profile_dir: the profile directory (created by `create_profile`).
        tor: where tor's control port is; None runs without tor (accounts cannot connect).
        adapter_factory: makes a network adapter for an account (tests pass fakes).
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
        self._adapter_factory = adapter_factory or _default_adapter_factory
        self._clock = clock or SystemClock()
        self._rng = rng or SystemRandom()
        self._events: asyncio.Queue[CoreEvent | None] = asyncio.Queue()
        self._profile: Profile | None = None
        self._trust = TrustStore()
        self._save_lock = asyncio.Lock()
        self._accounts = Accounts()
        self._runtimes: dict[str, _Runtime] = {}
        self._tor: TorClient | None = None
        self._group: asyncio.TaskGroup | None = None
        self._background: list[asyncio.Task[None]] = []
        self._tor_attached = asyncio.Event()
        self._tor_error: str | None = None
        self._closed = False

    # -- lifetime -----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        self._background.append(self._group.create_task(self._poll_loop(), name="timb-poll"))
        if self._tor_settings.control_port is not None:
            self._background.append(self._group.create_task(self._tor_task(), name="timb-tor"))
        else:
            self._tor_attached.set()  # no tor: adapters get no dialer
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._shutdown()
        assert self._group is not None
        await self._group.__aexit__(et, exc, tb)

    async def close(self) -> None:
        """Disconnect everything and lock the profile (also done on leaving ``async with``)."""
        await self._shutdown()

    async def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        for runtime in list(self._runtimes.values()):
            await runtime.link.stop()
        if self._tor is not None:
            await self._tor.close()
        if self._profile is not None:
            async with self._save_lock:
                self._profile.close()
            self._profile = None
        self._events.put_nowait(None)
        for task in self._background:
            task.cancel()

    async def events(self) -> AsyncIterator[CoreEvent]:
        """Every event, in order, for one consumer; ends when the service closes."""
        while (event := await self._events.get()) is not None:
            yield event

    def _emit(self, event: CoreEvent) -> None:
        self._events.put_nowait(event)

    # -- profile ------------------------------------------------------------------------------

    def profile_exists(self) -> bool:
        return Profile.exists(self.profile_dir)

    async def create_profile(self, passphrase: Secret[str]) -> None:
        """Raises: ProfileError (one is unlocked, exists, unusable directory, empty passphrase)."""
        if self._profile is not None:
            raise ProfileError("a profile is already unlocked")
        try:
            profile = await asyncio.to_thread(Profile.create, passphrase, self.profile_dir, random=self._rng)
        except VaultExists:
            raise ProfileError(f"a profile exists already in {self.profile_dir}") from None
        except (StorageError, ValueError) as exc:
            raise ProfileError(str(exc)) from None
        self._profile = profile
        self._accounts = Accounts()
        self._trust = TrustStore()

    async def unlock_profile(self, passphrase: Secret[str]) -> None:
        """Raises: ProfileError (no profile, wrong passphrase, damaged, in use)."""
        if self._profile is not None:
            raise ProfileError("a profile is already unlocked")
        try:
            profile = await asyncio.to_thread(Profile.unlock, passphrase, self.profile_dir, random=self._rng)
        except WrongPassphrase:
            raise ProfileError("wrong passphrase") from None
        except VaultNotFound:
            raise ProfileError(f"no profile in {self.profile_dir}: create one first") from None
        except StorageError as exc:
            raise ProfileError(str(exc)) from None
        try:
            self._accounts = Accounts.from_section(profile.vault.section("accounts"))
            trust = profile.vault.section(TRUST_SECTION)
            self._trust = TrustStore.from_dict(trust) if trust else TrustStore()
        except (AccountError, TrustStoreError) as exc:
            profile.close()
            raise ProfileError(f"the profile is damaged: {exc}") from None
        self._profile = profile
        for account in self._accounts:
            self._runtime_for(account)
        for account in self._accounts:
            if account.auto_connect:
                await self.connect(account.id)

    async def change_passphrase(self, old: Secret[str], new: Secret[str]) -> None:
        """Re-encrypt the profile with a new passphrase. Raises: ProfileError (wrong old one)."""
        profile = self._require_profile()
        try:
            async with self._save_lock:
                await asyncio.to_thread(profile.change_passphrase, old, new)
        except WrongPassphrase:
            raise ProfileError("wrong passphrase") from None
        except (StorageError, ValueError) as exc:
            raise ProfileError(str(exc)) from None

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

    # -- accounts -----------------------------------------------------------------------------

    async def add_account(
        self,
        account_id: str,
        jid: str,
        password: Secret[str],
        *,
        host: str | None = None,
        port: int = 5222,
        tls_pin_sha256: str | None = None,
        auto_connect: bool = False,
    ) -> dict[str, Any]:
        """Add an account (with a new OTR key); returns its public description.

        Raises: ProfileError, InvalidRequest.
        """
        self._require_profile()
        try:
            account = self._accounts.add(
                account_id,
                jid,
                password,
                self._rng,
                host=host,
                port=port,
                tls_pin_sha256=tls_pin_sha256,
                auto_connect=auto_connect,
            )
        except (AccountError, InvalidIdentifier) as exc:
            raise InvalidRequest(str(exc)) from None
        key = await asyncio.to_thread(PrivateKey.generate)
        self._otr_keys()[account.id] = [format(n, "x") for n in key.numbers()]
        self._runtime_for(account, key)
        await self._save()
        return self._describe(account)

    async def update_account(
        self,
        account_id: str,
        *,
        password: Secret[str] | None = None,
        host: str | None = None,
        port: int | None = None,
        tls_pin_sha256: str | None = None,
        auto_connect: bool | None = None,
    ) -> dict[str, Any]:
        """Change an account's settings (those given); they apply at the next connection.

        Raises: NotFound, InvalidRequest.
        """
        runtime = self._runtime(account_id)
        changes: dict[str, Any] = {
            "password": password,
            "host": host,
            "port": port,
            "tls_pin_sha256": normalise_pin(tls_pin_sha256),
            "auto_connect": auto_connect,
        }
        try:
            account = self._accounts.update(account_id, **{k: v for k, v in changes.items() if v is not None})
        except (AccountError, InvalidIdentifier) as exc:
            raise InvalidRequest(str(exc)) from None
        runtime.account = account
        await self._save()
        return self._describe(account)

    def list_accounts(self) -> list[dict[str, Any]]:
        self._require_profile()
        return [self._describe(a) for a in self._accounts]

    async def remove_account(self, account_id: str) -> None:
        """Disconnect and forget an account, its key and contacts. Raises: NotFound."""
        runtime = self._runtime(account_id)
        await runtime.link.stop()
        for contact in self._contacts(account_id):
            runtime.conversations.fail_pending(contact)
        self._pump(runtime)
        self._accounts.remove(account_id)
        self._otr_keys().pop(account_id, None)
        self._require_profile().vault.section("contacts").pop(account_id, None)
        del self._runtimes[account_id]
        await self._save()

    async def connect(self, account_id: str) -> None:
        """Start connecting (returns at once; progress comes as ConnectionStateChanged)."""
        runtime = self._runtime(account_id)
        if runtime.link.running:
            return
        if self._group is None:
            raise Unavailable("the service is not running (use it with 'async with')")
        runtime.link.task = self._group.create_task(
            runtime.link.run(
                lambda: self._make_adapter(runtime.account), lambda e: self._on_net_event(runtime, e)
            ),
            name=f"timb-account-{account_id}",
        )

    async def disconnect(self, account_id: str) -> None:
        await self._runtime(account_id).link.stop()

    def _describe(self, account: Account) -> dict[str, Any]:
        runtime = self._runtimes.get(account.id)
        info = account.public()
        info["connected"] = bool(runtime and runtime.link.connected.is_set())
        if runtime is not None:
            info["fingerprint"] = runtime.key.fingerprint().human()
        return info

    # -- contacts -----------------------------------------------------------------------------

    async def add_contact(self, account_id: str, jid: str, *, policy: str = "always") -> None:
        """Add a contact (to the roster too when connected) with its OTR policy.

        Raises: NotFound, InvalidRequest.
        """
        runtime = self._runtime(account_id)
        contact = self._parse_contact(jid)
        if policy not in POLICIES:
            raise InvalidRequest(f"policy must be one of {', '.join(POLICIES)}")
        self._contacts(account_id)[contact] = {}
        profile = self._require_profile()
        if policy != profile.settings.otr_policy or profile.otr_policy_for(contact) != policy:
            await asyncio.to_thread(profile.set_otr_policy_override, contact, policy)
        runtime.conversations.set_policy(contact, POLICIES[policy])
        await self._save()
        adapter = runtime.link.adapter
        if adapter is not None and runtime.link.connected.is_set():
            with contextlib.suppress(net.NotConnectedError):
                await adapter.add_contact(Jid.parse(contact))

    def list_contacts(self, account_id: str) -> list[dict[str, Any]]:
        runtime = self._runtime(account_id)
        return [
            {
                "jid": contact,
                "policy": self._require_profile().otr_policy_for(contact),
                "otr": runtime.conversations.otr_state(contact).value,
            }
            for contact in self._contacts(account_id)
        ]

    async def remove_contact(self, account_id: str, jid: str) -> None:
        runtime = self._runtime(account_id)
        contact = self._parse_contact(jid)
        if self._contacts(account_id).pop(contact, None) is None:
            raise NotFound(f"{contact} is not a contact of {account_id}")
        runtime.conversations.fail_pending(contact)
        self._pump(runtime)
        await self._save()

    # -- messages and OTR ---------------------------------------------------------------------

    def send_message(self, account_id: str, contact: str, text: str) -> str:
        """Queue a message; returns its id. It stays PENDING until a private session exists."""
        runtime = self._runtime(account_id)
        name = self._parse_contact(contact)
        msg_id = runtime.conversations.send(name, text)
        self._pump(runtime)
        self._remember(account_id, name, Direction.OUTGOING, text)
        return msg_id

    def message_state(self, account_id: str, msg_id: str) -> MessageState:
        try:
            return self._runtime(account_id).conversations.message_state(msg_id)
        except KeyError:
            raise NotFound(f"no message {msg_id!r}") from None

    def start_otr(self, account_id: str, contact: str) -> None:
        runtime = self._runtime(account_id)
        runtime.conversations.start(self._parse_contact(contact))
        self._pump(runtime)

    def end_otr(self, account_id: str, contact: str) -> None:
        runtime = self._runtime(account_id)
        runtime.conversations.end(self._parse_contact(contact))
        self._pump(runtime)

    def fingerprints(self, account_id: str, contact: str | None = None) -> dict[str, Any]:
        """Our fingerprint; with a contact, theirs in the current session and every known one."""
        runtime = self._runtime(account_id)
        out: dict[str, Any] = {"ours": runtime.key.fingerprint().human()}
        if contact is not None:
            name = self._parse_contact(contact)
            theirs = runtime.conversations.their_fingerprint(name)
            out["theirs"] = theirs.human() if theirs else None
            out["known"] = [
                {"fingerprint": k.fingerprint.human(), "trust": k.level.value}
                for k in self._trust.fingerprints_for(account_id, name)
            ]
        return out

    async def set_trust(
        self, account_id: str, contact: str, fingerprint: str, trust: str = "verified"
    ) -> dict[str, Any]:
        """Mark a contact's fingerprint verified (checked by hand), distrusted or unverified.

        Raises: NotFound, InvalidRequest.
        """
        runtime = self._runtime(account_id)
        name = self._parse_contact(contact)
        fp = self._parse_fingerprint(fingerprint)
        try:
            level = TrustLevel(trust)
        except ValueError:
            raise InvalidRequest("trust must be verified, unverified or distrusted") from None
        if level is TrustLevel.VERIFIED:
            self._trust.verify(account_id, name, fp, VerificationMethod.MANUAL, self._clock.now())
        elif level is TrustLevel.DISTRUSTED:
            self._trust.distrust(account_id, name, fp)
        else:
            self._trust.unverify(account_id, name, fp)
        await self._save()
        self._emit(TrustChanged(account_id, name, fp, level))
        runtime.conversations.refresh_trust_and_flush(name)
        self._pump(runtime)
        return {"fingerprint": fp.human(), "trust": level.value}

    # -- identity verification (SMP) ---------------------------------------------------------

    def smp_start(
        self, account_id: str, contact: str, secret: Secret[str], question: str | None = None
    ) -> None:
        """Ask the contact to prove they know ``secret`` (the answer to ``question``, if given).
        The result comes as SmpFinished; success marks their key verified.

        Raises: NotFound, InvalidRequest (no private conversation, bad question).
        """
        runtime = self._runtime(account_id)
        try:
            runtime.conversations.smp_start(self._parse_contact(contact), secret, question)
        except LocalError as exc:
            raise InvalidRequest(str(exc)) from None
        self._pump(runtime)

    def smp_respond(self, account_id: str, contact: str, secret: Secret[str]) -> None:
        """Answer a SmpRequested. Raises: NotFound, InvalidRequest (nothing to answer)."""
        runtime = self._runtime(account_id)
        try:
            runtime.conversations.smp_respond(self._parse_contact(contact), secret)
        except LocalError as exc:
            raise InvalidRequest(str(exc)) from None
        self._pump(runtime)

    def smp_abort(self, account_id: str, contact: str) -> None:
        runtime = self._runtime(account_id)
        try:
            runtime.conversations.smp_abort(self._parse_contact(contact))
        except LocalError as exc:
            raise InvalidRequest(str(exc)) from None
        self._pump(runtime)

    def _smp_verified(self, runtime: _Runtime, event: SmpFinished) -> None:
        assert event.fingerprint is not None
        self._trust.verify(
            event.account, event.contact, event.fingerprint, VerificationMethod.SMP, self._clock.now()
        )
        self._emit(TrustChanged(event.account, event.contact, event.fingerprint, TrustLevel.VERIFIED))
        runtime.conversations.refresh_trust(event.contact)
        if self._group is not None:
            self._group.create_task(self._save())

    # -- history (off unless the user turns it on) -----------------------------------------------

    async def set_history(self, account_id: str, contact: str, enabled: bool | None) -> None:
        """Turn history on or off for one conversation (None: back to the profile's setting,
        which is off by default). Existing logs are kept; `delete_history` removes them."""
        self._runtime(account_id)
        await self._recorder().set(account_id, self._parse_contact(contact), enabled)

    async def read_history(self, account_id: str, contact: str) -> list[dict[str, Any]]:
        """The recorded messages of one conversation, oldest first. Raises: ProfileError."""
        self._runtime(account_id)
        return await self._recorder().read(account_id, self._parse_contact(contact))

    async def delete_history(self, account_id: str, contact: str) -> None:
        self._runtime(account_id)
        await self._recorder().delete(account_id, self._parse_contact(contact))

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

    def _runtime(self, account_id: str) -> _Runtime:
        self._require_profile()
        runtime = self._runtimes.get(account_id)
        if runtime is None:
            raise NotFound(f"no account {account_id!r}")
        return runtime

    def _runtime_for(self, account: Account, key: PrivateKey | None = None) -> _Runtime:
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
        runtime = _Runtime(account, key, conversations, AccountLink(account.id, self._emit))
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
        if seen.kind is not ObservationKind.KNOWN_KEY and self._group is not None:
            self._group.create_task(self._save())

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

    def _pump(self, runtime: _Runtime) -> None:
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

    async def _make_adapter(self, account: Account) -> net.Adapter:
        """Raises: Unavailable when tor could not be reached."""
        await self._tor_attached.wait()
        if self._tor is None and self._tor_error is not None:
            raise Unavailable(f"tor is not available: {self._tor_error}")
        return self._adapter_factory(account, self._tor)

    def _on_net_event(self, runtime: _Runtime, event: net.NetEvent) -> None:
        account_id = runtime.account.id
        match event:
            case net.MessageIn(sender=sender, body=body):
                if sender.local:
                    runtime.conversations.receive(str(sender.bare), body)
                    self._pump(runtime)
            case net.MessageFailed(peer=peer, condition=condition):
                self._emit(ErrorEvent(f"account {account_id}: message to {peer} failed: {condition}"))
                if peer.local:
                    runtime.conversations.delivery_failed(str(peer.bare))
                    self._pump(runtime)
            case net.ErrorEvent(error=error):
                self._emit(ErrorEvent(f"account {account_id}: {error}"))
            case net.PresenceChanged(jid=jid, available=True) if jid.local:
                runtime.conversations.peer_online(str(jid.bare))
                self._pump(runtime)
            case _:
                pass  # roster and presence are not shown by this service yet

    async def _poll_loop(self) -> None:
        while not self._closed:
            await asyncio.sleep(POLL_INTERVAL)
            for runtime in list(self._runtimes.values()):
                runtime.conversations.poll()
                self._pump(runtime)

    async def _tor_task(self) -> None:
        settings = self._tor_settings
        assert settings.control_port is not None
        try:
            self._tor = await TorClient.attach(
                settings.control_host, settings.control_port, cookie_path=settings.cookie_path
            )
            self._tor_attached.set()
            async for status in self._tor.bootstrap_events():
                self._emit(TorBootstrap(status.progress, status.tag, status.summary))
        except (TorError, ValueError) as exc:
            self._tor_error = str(exc) or type(exc).__name__
            self._emit(ErrorEvent(f"tor: {self._tor_error}"))
            self._tor_attached.set()  # accounts now fail with "no tor" instead of waiting forever
