"""The account book: the profile's accounts, their OTR keys, and one runtime per account.

Accounts and keys are stored in the vault (sections "accounts" and "otr_keys", written by the
session at every save); runtimes exist while the profile is unlocked. This part also knows how an
account reaches its network (`Networks`): a new kind of network (IRC, onion) adds its adapter
there and, if it needs state of its own, a runtime kind beside `AccountRuntime`.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator
from typing import Any

from timb.common.clock import Clock
from timb.common.random import Random
from timb.common.secret import Secret
from timb.core.accounts import Account, Accounts, normalise_pin
from timb.core.conversations import Conversations
from timb.core.errors import NotFound, ProfileError, Unavailable
from timb.core.extra_keys import FileConversations
from timb.core.service import irc_credentials
from timb.core.service.checks import require_unicode
from timb.core.service.contact_book import ContactBook
from timb.core.service.results import AccountInfo
from timb.core.service.runtime import AccountRuntime, RuntimeHooks
from timb.core.service.session import ProfileSession
from timb.core.service.translate import translated
from timb.core.tor_link import TorLink
from timb.net import base as net
from timb.otr import PrivateKey
from timb.otr.instance_tags import generate_instance_tag
from timb.tor.errors import KnownServersError
from timb.tor.known_servers import known_onion

ACCOUNTS_SECTION = "accounts"
POLL_INTERVAL = 1.0
KEYS_SECTION = "otr_keys"
OUTBOX_SECTION = "outbox"  # {account id: [messages not yet delivered]} (core/outbox.py)
SEEN_SECTION = "seen_ids"  # {account id: {contact: [ids of messages shown]}} (core/seen_ids.py)

AdapterFactory = Callable[[Account, "net.Dialer | None"], net.Adapter]


def default_adapter_factory(account: Account, dialer: net.Dialer | None) -> net.Adapter:
    # Imported here: slixmpp is heavy and only needed once an account connects.
    from timb.net.xmpp.adapter import XmppAccount, XmppAdapter  # noqa: PLC0415
    from timb.net.xmpp.tls import CertificatePin  # noqa: PLC0415

    if dialer is None:
        raise Unavailable("no tor configured: give a tor control port (--tor-control)")
    if account.network == "irc":
        return irc_adapter(account, dialer)
    pin = CertificatePin.from_hex(account.tls_pin_sha256) if account.tls_pin_sha256 else None
    xmpp = XmppAccount(
        jid=account.jid,
        password=account.password,
        host=account.host or _known_onion(account.jid.domain),
        port=account.port,
        pin=pin,
        isolation=account.isolation_key,
    )
    return XmppAdapter(xmpp, dialer)


def _known_onion(domain: str) -> str | None:
    """The server's own onion when it is on the known list (the TLS certificate is still
    checked for ``domain``), so the connection never leaves Tor through an exit relay."""
    try:
        onion = known_onion(domain)
    except (KnownServersError, OSError) as exc:
        raise Unavailable(f"the known servers list cannot be read: {exc}") from None
    return None if onion is None else onion.host


def irc_adapter(account: Account, dialer: net.Dialer) -> net.Adapter:
    """An IRC account (``nick@server``) behind the core's Adapter protocol: private messages
    only for now (channels and their NOT PRIVATE banner are still to come, docs/irc.md)."""
    from timb.net.irc.adapter import IrcAccount, IrcAdapter  # noqa: PLC0415
    from timb.net.irc.chat import IrcChatAdapter  # noqa: PLC0415
    from timb.net.tls import CertificatePin  # noqa: PLC0415

    pin = CertificatePin.from_hex(account.tls_pin_sha256) if account.tls_pin_sha256 else None
    irc = IrcAccount(
        host=account.connect_host,
        nick=account.jid.local,
        port=account.port,
        pin=pin,
        client_cert=irc_credentials.client_certificate_for(account),
        sasl=irc_credentials.sasl_for(account),
        isolation=account.isolation_key,
        answer_ctcp_ping=account.answer_ctcp_ping,
    )
    return IrcChatAdapter(IrcAdapter(irc, dialer), account.jid.domain)


def irc_fragment_size() -> int:
    """OTR fragments for IRC: what fits in one line to a 30-character nick after the longest
    prefix a server with default limits adds (timb.net.irc.limits). A server that claims longer
    limits gets a typed error for a line that does not fit, never a split fragment."""
    from timb.net.irc.limits import DEFAULT_NICKLEN, ServerLimits, max_payload  # noqa: PLC0415

    return max_payload("x" * DEFAULT_NICKLEN, ServerLimits())


class Networks:
    """How an account gets its network adapter: through tor, from the adapter factory."""

    def __init__(self, factory: AdapterFactory, tor: TorLink) -> None:
        self._factory = factory
        self._tor = tor
        # Told of every new adapter (the channel part takes an IRC adapter's channel events).
        self.on_adapter: Callable[[str, net.Adapter], None] | None = None

    async def adapter_for(self, runtime: AccountRuntime) -> net.Adapter:
        """Raises: Unavailable (tor could not be reached; registration asked of an adapter that
        cannot register)."""
        adapter = self._factory(runtime.account, await self._tor.dialer())
        if runtime.register_next:
            register = getattr(adapter, "register_on_connect", None)
            if register is None:
                raise Unavailable("this network cannot create accounts in-band")
            register()
        if self.on_adapter is not None:
            self.on_adapter(runtime.id, adapter)
        return adapter


class AccountBook:
    """Accounts, keys and runtimes of the session's profile, and the account commands."""

    def __init__(
        self,
        session: ProfileSession,
        book: ContactBook,
        *,
        networks: Networks,
        hooks: RuntimeHooks,
        clock: Clock,
        rng: Random,
    ) -> None:
        self._session = session
        self._book = book
        self._networks = networks
        self._hooks = hooks
        self._clock = clock
        self._rng = rng
        self._accounts = Accounts()
        self.runtimes: dict[str, AccountRuntime] = {}
        session.keep(ACCOUNTS_SECTION, self.to_section)
        session.keep(SEEN_SECTION, self._seen_section)
        session.keep(OUTBOX_SECTION, self._outbox_section)

    def __iter__(self) -> Iterator[Account]:
        return iter(self._accounts)

    def to_section(self) -> dict[str, Any]:
        return self._accounts.to_section()

    def _seen_section(self) -> dict[str, Any]:
        return {account_id: r.seen_section() for account_id, r in self.runtimes.items()}

    def _outbox_section(self) -> dict[str, Any]:
        return {account_id: r.outbox_section() for account_id, r in self.runtimes.items()}

    def load(self) -> None:
        """Read the stored accounts and make their runtimes. Raises: ProfileError (damaged)."""
        with translated("the profile is damaged: ", kind=ProfileError):
            self._accounts = Accounts.from_section(self._session.section(ACCOUNTS_SECTION))
        seen = self._session.section(SEEN_SECTION)
        outbox = self._session.section(OUTBOX_SECTION)
        for account in self._accounts:
            key = self._stored_key(account)
            runtime = self._make_runtime(account, key, self._book.names(account.id))
            stored = seen.get(account.id)
            if isinstance(stored, dict):
                runtime.restore_seen(stored)
            runtime.restore_outbox(outbox.get(account.id))
            self.runtimes[account.id] = runtime

    def reset(self) -> None:
        self._accounts = Accounts()
        self.runtimes = {}

    def runtime(self, account_id: str) -> AccountRuntime:
        """Raises: ProfileError (none unlocked), NotFound (no such account)."""
        self._session.require()
        runtime = self.runtimes.get(account_id)
        if runtime is None:
            raise NotFound(f"no account {account_id!r}")
        return runtime

    # -- commands ---------------------------------------------------------------------------------

    async def add(self, account_id: str, jid: str, password: Secret[str], **options: Any) -> AccountInfo:
        self._session.require()
        require_unicode(jid, "the address")
        require_unicode(password.reveal(), "the password")
        # The key first: while it is made (in a thread) the account must not be listed yet, or a
        # concurrent list_accounts finds an account without its runtime.
        key = await asyncio.to_thread(PrivateKey.generate)
        if options.get("network") == "irc":  # the credential a chosen SASL mechanism needs
            options = irc_credentials.complete(None, options)
        with translated():
            account = self._accounts.add(account_id, jid, password, self._rng, **options)
        self._store_key(account.id, key)
        self.runtimes[account.id] = self._make_runtime(account, key, [])
        await self._session.save()
        return self.describe(account)

    async def update(self, account_id: str, **changes: Any) -> AccountInfo:
        runtime = self.runtime(account_id)
        if changes.get("password") is not None:
            require_unicode(changes["password"].reveal(), "the password")
        changes["tls_pin_sha256"] = normalise_pin(changes.get("tls_pin_sha256"))
        if runtime.account.network == "irc":
            changes = irc_credentials.complete(runtime.account, changes)
        with translated():
            runtime.account = self._accounts.update(
                account_id, **{k: v for k, v in changes.items() if v is not None}
            )
        await self._session.save()
        return self.describe(runtime.account)

    async def remove(self, account_id: str) -> None:
        runtime = self.runtime(account_id)
        await runtime.link.stop()
        runtime.fail_pending(self._book.names(account_id))
        self._accounts.remove(account_id)
        self._session.section(KEYS_SECTION).pop(account_id, None)
        self._book.forget_account(account_id)
        del self.runtimes[account_id]
        await self._session.save()

    def connect_at_unlock(self, *, everyone: bool) -> None:
        """Connect the accounts marked auto_connect (every account when ``everyone``)."""
        for account in self._accounts:
            if everyone or account.auto_connect:
                self.connect(account.id)

    async def disconnect(self, account_id: str) -> None:
        await self.runtime(account_id).link.stop()

    def describe_all(self) -> list[AccountInfo]:
        """Raises: ProfileError (none unlocked)."""
        self._session.require()
        return [self.describe(a) for a in self._accounts]

    async def poll_forever(self) -> None:
        """`poll` every POLL_INTERVAL seconds (a background task, cancelled at close)."""
        while True:
            await asyncio.sleep(POLL_INTERVAL)
            self.poll()

    def poll(self) -> None:
        """Let every conversation core act on time passing (AKE timeouts, re-sends); save again
        what a failed background save left in memory only (the ids shown, the outbox)."""
        for runtime in list(self.runtimes.values()):
            runtime.poll()
        self._session.retry_unsaved()

    def connect(self, account_id: str) -> None:
        runtime = self.runtime(account_id)
        runtime.start(
            lambda link: link.run(lambda: self._networks.adapter_for(runtime), runtime.on_net_event)
        )

    async def register(self, account_id: str, server: str, **options: Any) -> AccountInfo:
        username = "timb-" + self._rng.randbytes(6).hex()
        password = Secret(base64.urlsafe_b64encode(self._rng.randbytes(18)).decode())
        await self.add(account_id, f"{username}@{server}", password, **options)
        runtime = self.runtime(account_id)
        runtime.register_next = True
        try:
            self.connect(account_id)
            registered = await runtime.link.settled()
        finally:
            runtime.register_next = False
        if not registered:
            reason = runtime.link.last_error or "no session"
            await self.remove(account_id)
            raise Unavailable(f"could not register an account on {server}: {reason}")
        return self.describe(runtime.account)

    def rekey(self, runtime: AccountRuntime, key: PrivateKey) -> None:
        """A new OTR key for the account (libotr import); the caller saves."""
        self._store_key(runtime.id, key)
        contacts = self._book.names(runtime.id)
        runtime.rekey(key, self._conversations(runtime.account, key, contacts), contacts)

    def describe(self, account: Account) -> AccountInfo:
        runtime = self.runtimes[account.id]
        return AccountInfo(
            account.id,
            account.jid,
            account.host,
            account.port,
            account.tls_pin_sha256,
            account.auto_connect,
            account.network,
            runtime.connected,
            runtime.key.fingerprint(),
            *((account.sasl_mechanism, account.answer_ctcp_ping) if account.network == "irc" else ()),
        )

    # -- keys and runtimes ------------------------------------------------------------------------

    def _store_key(self, account_id: str, key: PrivateKey) -> None:
        self._session.section(KEYS_SECTION)[account_id] = [format(n, "x") for n in key.numbers()]

    def _stored_key(self, account: Account) -> PrivateKey:
        numbers = self._session.section(KEYS_SECTION).get(account.id)
        if not isinstance(numbers, list) or len(numbers) != 5:
            raise ProfileError(f"the OTR key of account {account.id!r} is missing")
        try:
            p, q, g, y, x = (int(str(n), 16) for n in numbers)
            return PrivateKey.from_numbers(p, q, g, y, x)
        except ValueError:
            raise ProfileError(f"the OTR key of account {account.id!r} is damaged") from None

    def _make_runtime(self, account: Account, key: PrivateKey, contacts: list[str]) -> AccountRuntime:
        return AccountRuntime(account, key, self._conversations(account, key, contacts), self._hooks)

    def _conversations(self, account: Account, key: PrivateKey, contacts: list[str]) -> Conversations:
        trust = self._hooks.trust
        conversations = FileConversations(  # Conversations with TLV 8 for file transfer
            account.id,
            key,
            instance_tag=generate_instance_tag(self._rng),
            clock=self._clock,
            rng=self._rng,
            is_verified=lambda contact, fp: trust.is_verified(account.id, contact, fp),
            is_distrusted=lambda contact, fp: trust.is_distrusted(account.id, contact, fp),
            known_keys=lambda contact: trust.usable_keys(account.id, contact),
            best_version=lambda contact, fp: trust.best_version(account.id, contact, fp),
            is_contact=lambda contact: self._hooks.is_contact(account.id, contact),
            our_name=str(account.jid),
            on_file_key=self._hooks.on_file_key,
            max_fragment_size=irc_fragment_size() if account.network == "irc" else None,
        )
        for contact in contacts:
            conversations.set_policy(contact, self._session.policy_for(contact))
        return conversations
