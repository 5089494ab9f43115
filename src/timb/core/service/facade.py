"""`TimbService`: every command delegated to the part that owns what it touches (see the package)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Self

from timb.common.clock import Clock, SystemClock
from timb.common.random import Random, SystemRandom
from timb.common.secret import Secret
from timb.core.events import ConnectionState, ConnectionStateChanged, CoreEvent, MessageState
from timb.core.profile import Profile
from timb.core.service import results
from timb.core.service.account_book import AccountBook, AdapterFactory, Networks, default_adapter_factory
from timb.core.service.channels import Channels
from timb.core.service.contact_book import ContactBook
from timb.core.service.contacts import Contacts
from timb.core.service.history import HistoryPart
from timb.core.service.identity import Identity
from timb.core.service.irc_sasl import IrcSasl
from timb.core.service.messaging import Messaging
from timb.core.service.onion_part import OnionPart, PeerFactory
from timb.core.service.onion_store import ONION_SECTION
from timb.core.service.onions import Onions
from timb.core.service.runtime import RuntimeHooks
from timb.core.service.session import ProfileSession
from timb.core.service.tasks import TaskOwner
from timb.core.service.tor_connection import TorConnection, TorConnectionInfo
from timb.core.service.trust_keeper import TRUST_SECTION, TrustKeeper
from timb.core.service.xmpp_files import XmppFiles
from timb.core.tor_link import TorLink, TorSettings

_OFFLINE = (ConnectionState.DISCONNECTED, ConnectionState.FAILED)


class TimbService:
    """The service. Use ``async with TimbService(profile_dir) as service:``; commands are methods.

    Args:
        profile_dir: the profile directory (created by `create_profile`).
        tor: how to reach tor (attach to a control port, or a managed tor); None runs without
            tor (accounts cannot connect).
        adapter_factory: makes a network adapter for an account (tests pass fakes).
        onion_peer_factory: makes the onion peer of an identity online (tests pass fakes).
        clock, rng: injected for tests.
    """

    def __init__(
        self,
        profile_dir: Path,
        *,
        tor: TorSettings | None = None,
        adapter_factory: AdapterFactory | None = None,
        onion_peer_factory: PeerFactory | None = None,
        clock: Clock | None = None,
        rng: Random | None = None,
    ) -> None:
        self.profile_dir = Path(profile_dir)
        self._clock = clock or SystemClock()
        self._rng = rng or SystemRandom()
        self._events: asyncio.Queue[CoreEvent | None] = asyncio.Queue()
        self._tor_settings = tor or TorSettings()
        self._tor = TorLink(self._tor_settings, self._emit)
        self._session = ProfileSession(self.profile_dir, self._rng, self._emit)
        self._trust = TrustKeeper(self._clock, self._emit, self._session.save_soon)
        self._book = ContactBook(self._session)
        self._history = HistoryPart(self._session, self._clock, self._emit)
        self._tasks = TaskOwner()
        hooks = RuntimeHooks(
            self._emit,
            self._trust,
            self._history.remember,
            self._book.is_blocked,
            self._tasks.spawn,
            is_contact=self._book.is_contact,
            save_soon=self._session.save_soon,
            # TLV 8 of a private session: for the file part (made below), never shown
            on_file_key=lambda event: self.files.on_key(event),  # noqa: PLW0108 - self.files comes later
        )
        networks = Networks(adapter_factory or default_adapter_factory, self._tor)
        self._accounts = AccountBook(
            self._session, self._book, networks=networks, hooks=hooks, clock=self._clock, rng=self._rng
        )
        self._contacts = Contacts(self._session, self._accounts, self._book, self._emit)
        self._messaging = Messaging(self._session, self._accounts, self._book, self._trust, self._history)
        self._onions = Onions(self._tor)
        self._tor_connection = TorConnection(self._session, self._tor, self._emit)
        self._identity = Identity(self._session, self._accounts, self._trust)
        # IRC channels (plaintext, never OTR): commands on `service.channels`, see its module.
        self.channels = Channels(self._session, self._accounts, self._history, self._emit)
        networks.on_adapter = self.channels.attach
        self.irc_sasl = IrcSasl(self._accounts)  # SASL keys of IRC accounts, see its module
        self._session.keep(TRUST_SECTION, self._trust.to_dict)
        # serverless onion chat: identities, contacts, waiting messages (see onion_part)
        self.onion = OnionPart(
            self._session,
            self._emit,
            self._tasks.spawn,
            self._tor,
            clock=self._clock,
            rng=self._rng,
            peer_factory=onion_peer_factory,
        )
        self._session.keep(ONION_SECTION, self.onion.to_section)
        # files with XMPP contacts inside their OTR sessions (see xmpp_files): `service.files`
        self.files = XmppFiles(
            self._accounts,
            self._book,
            self._trust,
            emit=self._emit,
            spawn=self._tasks.spawn,
            clock=self._clock,
        )
        self._closed = False

    # -- lifetime -----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self._tasks.enter()
        self._session.run_in(self._tasks.spawn)
        self._history.run_in(self._tasks.spawn)
        self._tasks.background(self._accounts.poll_forever(), "timb-poll")
        self._tasks.background(self.onion.poll_forever(), "timb-onion-poll")
        if self._tor.wanted:
            self._tasks.background(self._tor.run(), "timb-tor")
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._shutdown()
        await self._tasks.exit(et, exc, tb)

    async def close(self) -> None:
        """Disconnect everything, lock the profile (also done on leaving ``async with``)."""
        await self._shutdown()

    async def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        for runtime in list(self._accounts.runtimes.values()):
            await runtime.link.stop()
        await self.onion.close()
        await self._tor.close()
        await self._session.close()
        self._events.put_nowait(None)
        self._tasks.cancel_background()

    async def events(self) -> AsyncIterator[CoreEvent]:
        """Every event, in order, for one consumer; ends when the service closes."""
        while (event := await self._events.get()) is not None:
            yield event

    def _emit(self, event: CoreEvent) -> None:
        if isinstance(event, ConnectionStateChanged) and event.state in _OFFLINE:
            self.files.account_offline(event.account)  # its file transfers end with the session
        self._events.put_nowait(event)

    # -- profile and settings -----------------------------------------------------------------------

    def profile_exists(self) -> bool:
        return Profile.exists(self.profile_dir)

    async def create_profile(self, passphrase: Secret[str]) -> None:
        """Raises: ProfileError (one is unlocked, exists, unusable directory, empty passphrase)."""
        await self._session.create(passphrase)
        self._accounts.reset()
        self._trust.load(None)
        self.onion.reset()

    async def unlock_profile(self, passphrase: Secret[str]) -> None:
        """Raises: ProfileError (no profile, wrong passphrase, damaged, in use)."""
        profile = await self._session.unlock(passphrase)
        try:
            self._trust.load(self._session.section(TRUST_SECTION))
            self._accounts.load()
            self.onion.load()
        except BaseException:
            self._session.abandon()
            self._accounts.reset()
            self.onion.reset()
            raise
        self._tasks.spawn(self._tor_connection.apply_stored())
        self._accounts.connect_at_unlock(everyone=profile.settings.auto_connect)

    async def change_passphrase(self, old: Secret[str], new: Secret[str]) -> None:
        """Re-encrypt the profile with a new passphrase. Raises: ProfileError (wrong old one)."""
        await self._session.change_passphrase(old, new)

    def settings(self) -> results.SettingsInfo:
        """``{"history": bool, "otr_policy": str, "auto_connect": bool, "tor": {...}}``: the
        defaults for conversations and contacts without their own, whether every account connects
        at unlock, and how this service reaches tor (chosen when it starts).

        Raises: ProfileError (no profile unlocked).
        """
        current = self._session.settings
        return results.SettingsInfo(
            current.history, current.otr_policy, current.auto_connect, self._tor.describe()
        )

    async def set_settings(
        self, *, history: bool | None = None, otr_policy: str | None = None, auto_connect: bool | None = None
    ) -> None:
        """Change the settings given (None: unchanged); a new default OTR policy applies at once to
        every contact without its own. Raises: ProfileError, InvalidRequest (unknown policy)."""
        await self._session.update_settings(history=history, otr_policy=otr_policy, auto_connect=auto_connect)
        for runtime in self._accounts.runtimes.values():
            self._contacts.apply_policies(runtime)

    async def tor_connection(self) -> TorConnectionInfo:
        """The connection assistant's choice (mode None: never asked) and what can be offered.
        Raises: ProfileError."""
        return await self._tor_connection.describe()

    async def set_tor_connection(
        self, mode: str, *, transport: str | None = None, lines: str | None = None
    ) -> None:
        """``mode`` "direct", "builtin" (with ``transport``) or "custom" (pasted ``lines``): stored
        in the profile, applied to our running tor at once (`tor_connection`). Raises:
        ProfileError, InvalidRequest (a bad line, a transport that cannot run, refused offline),
        Unavailable (tor refused)."""
        await self._tor_connection.choose(mode, transport, lines)

    async def import_bridge_list(self, path: Path | str) -> TorConnectionInfo:
        """Replace the built-in bridge list with a newer one from the file at ``path`` (TIMB's
        format or Tor Browser's ``pt_config.json``), kept in the profile; returns the new
        `tor_connection`. Refused whole (nothing kept) when any line is bad. Raises:
        ProfileError, InvalidRequest (the bad line's number in the file and its field, refused
        offline, a stored built-in choice the new list cannot serve), Unavailable (tor refused)."""
        return await self._tor_connection.import_list(Path(path))

    # -- onion services -------------------------------------------------------------------------------

    async def publish_onion(self, local_port: int, *, virtual_port: int | None = None) -> results.OnionInfo:
        """Publish 127.0.0.1:``local_port`` as an onion service on ``virtual_port`` (default: the
        same) with a new key, not kept; returns once tor uploaded its descriptor (`onions`).
        Raises: InvalidRequest (a port outside 1-65535), Unavailable (no tor, tor refused)."""
        return await self._onions.publish(local_port, virtual_port)

    async def unpublish_onion(self, address: str) -> None:
        """Raises: InvalidRequest (not an onion address), Unavailable (tor does not know it)."""
        await self._onions.unpublish(address)

    # -- accounts -------------------------------------------------------------------------------------

    async def add_account(
        self,
        account_id: str,
        jid: str,
        password: Secret[str],
        *,
        host: str | None = None,
        port: int | None = None,
        tls_pin_sha256: str | None = None,
        auto_connect: bool = False,
        network: str = "xmpp",
        sasl_mechanism: str | None = None,
        answer_ctcp_ping: bool = False,
    ) -> results.AccountInfo:
        """Add an account (with a new OTR key); returns its public description. ``network``:
        "xmpp" (``jid`` is user@server, port 5222 by default) or "irc" (``jid`` is
        nick@server, port 6697, TLS; ``sasl_mechanism`` "auto" (default: the SASL key, else
        PLAIN with a non-empty password), "PLAIN", "EXTERNAL" (a client certificate is made:
        `irc_sasl.irc_client_certificate`) or "ECDSA-NIST256P-CHALLENGE" (a key is made);
        ``answer_ctcp_ping``, default off). Raises: ProfileError, InvalidRequest."""
        irc = {"sasl_mechanism": sasl_mechanism, "answer_ctcp_ping": answer_ctcp_ping}
        return await self._accounts.add(
            account_id,
            jid,
            password,
            host=host,
            port=port,
            tls_pin_sha256=tls_pin_sha256,
            auto_connect=auto_connect,
            network=network,
            **{k: v for k, v in irc.items() if v},  # given: checked (IRC only) by the account record
        )

    async def update_account(
        self,
        account_id: str,
        *,
        password: Secret[str] | None = None,
        host: str | None = None,
        port: int | None = None,
        tls_pin_sha256: str | None = None,
        auto_connect: bool | None = None,
        sasl_mechanism: str | None = None,
        answer_ctcp_ping: bool | None = None,
    ) -> results.AccountInfo:
        """Change an account's settings (those given); they apply at the next connection.
        ``sasl_mechanism`` and ``answer_ctcp_ping``: IRC only (see `add_account`).
        Raises: NotFound, InvalidRequest."""
        return await self._accounts.update(
            account_id,
            password=password,
            host=host,
            port=port,
            tls_pin_sha256=tls_pin_sha256,
            auto_connect=auto_connect,
            sasl_mechanism=sasl_mechanism,
            answer_ctcp_ping=answer_ctcp_ping,
        )

    def list_accounts(self) -> list[results.AccountInfo]:
        return self._accounts.describe_all()

    async def remove_account(self, account_id: str) -> None:
        """Disconnect and forget an account, its key and contacts. Raises: NotFound."""
        await self._accounts.remove(account_id)

    async def connect(self, account_id: str) -> None:
        """Start connecting (returns at once; progress comes as ConnectionStateChanged)."""
        self._accounts.connect(account_id)

    async def disconnect(self, account_id: str) -> None:
        await self._accounts.disconnect(account_id)

    async def register_account(
        self,
        account_id: str,
        server: str,
        *,
        host: str | None = None,
        port: int = 5222,
        tls_pin_sha256: str | None = None,
    ) -> results.AccountInfo:
        """Create a throwaway account on ``server`` by in-band registration (XEP-0077) with a
        random name and password, through tor like any connection; returns its description
        (as `add_account`) once the server accepted it and the account is connected. On failure
        nothing is kept (the account is removed again).

        Raises: ProfileError, InvalidRequest (a bad argument), Unavailable (tor or the server
        unreachable, the server refused, or the network adapter cannot register accounts).
        """
        return await self._accounts.register(
            account_id, server, host=host, port=port, tls_pin_sha256=tls_pin_sha256
        )

    # -- contacts ---------------------------------------------------------------------------------------

    async def add_contact(self, account_id: str, jid: str, *, policy: str = "always") -> None:
        """Add a contact (to the roster too when connected) with its OTR policy.
        Raises: NotFound, InvalidRequest."""
        await self._contacts.add(account_id, jid, policy=policy)

    def list_contacts(self, account_id: str) -> list[results.ContactInfo]:
        """Each contact: jid, policy (effective OTR policy), otr (state), presence ("offline",
        "available", away/chat/dnd/xa), subscription (RFC 6121: none/to/from/both, or None when
        the roster has not said), history (effective: recorded or not), blocked.

        Raises: NotFound.
        """
        return self._contacts.describe(account_id)

    async def set_contact_policy(self, account_id: str, jid: str, policy: str | None) -> None:
        """Change one contact's OTR policy (None: back to the profile's default).
        Raises: NotFound (account or contact), InvalidRequest (unknown policy)."""
        await self._contacts.set_policy(account_id, jid, policy)

    async def remove_contact(self, account_id: str, jid: str) -> None:
        """Raises: NotFound (account or contact), InvalidRequest."""
        await self._contacts.remove(account_id, jid)

    def subscription_requests(self, account_id: str) -> list[str]:
        """Addresses waiting for an answer to their subscription request. Raises: NotFound."""
        return self._contacts.requests(account_id)

    async def approve_subscription(self, account_id: str, jid: str) -> None:
        """Let ``jid`` see our presence. Raises: NotFound, InvalidRequest (blocked), Unavailable."""
        await self._contacts.approve(account_id, jid)

    async def deny_subscription(self, account_id: str, jid: str) -> None:
        """Refuse (or revoke) ``jid``'s subscription to our presence. Raises: NotFound, Unavailable."""
        await self._contacts.deny(account_id, jid)

    async def block_contact(self, account_id: str, jid: str) -> None:
        """Block an address (kept in the profile): its subscription is refused, its messages
        and presence are dropped, nothing is sent to it (pending messages fail).

        Raises: NotFound (account), InvalidRequest (bad address).
        """
        await self._contacts.block(account_id, jid)

    async def unblock_contact(self, account_id: str, jid: str) -> None:
        """Raises: NotFound (account, or the address is not blocked), InvalidRequest."""
        await self._contacts.unblock(account_id, jid)

    def list_blocked(self, account_id: str) -> list[str]:
        """Raises: NotFound."""
        return self._contacts.list_blocked(account_id)

    # -- messages and OTR -----------------------------------------------------------------------------

    def send_message(self, account_id: str, contact: str, text: str) -> results.SendResult:
        """Queue a message; returns its id and state. It stays PENDING until a private session exists.

        Raises: NotFound, InvalidRequest (bad address, the address is blocked, or a text OTR
        cannot carry).
        """
        return self._messaging.send(account_id, contact, text)

    def message_state(self, account_id: str, msg_id: str) -> MessageState:
        """Raises: NotFound (account or message)."""
        return self._messaging.message_state(account_id, msg_id)

    def held_messages(self, account_id: str, contact: str) -> list[str]:
        """Ids of the messages held for a key change (`HeldForKeyChange`), oldest first.
        Raises: NotFound, InvalidRequest."""
        return self._messaging.held(account_id, contact)

    def held_notice(self, account_id: str, contact: str) -> results.HeldNotice:
        """The held messages with the keys they were written for and the key offered now, for
        asking the user again after the `HeldForKeyChange` event. Raises: NotFound, InvalidRequest."""
        return self._messaging.held_notice(account_id, contact)

    def release_held(self, account_id: str, contact: str, fingerprint: str) -> None:
        """The user's decision after `HeldForKeyChange`: send the held messages to the key
        ``fingerprint``, which must be the key of the contact's private session now.

        Raises: NotFound, InvalidRequest (not that key, or no private session).
        """
        self._messaging.release_held(account_id, contact, fingerprint)

    def discard_held(self, account_id: str, contact: str) -> None:
        """The user's decision after `HeldForKeyChange`: the held messages are never sent
        (FAILED). Raises: NotFound, InvalidRequest."""
        self._messaging.discard_held(account_id, contact)

    def start_otr(self, account_id: str, contact: str) -> None:
        self._messaging.start(account_id, contact)

    def end_otr(self, account_id: str, contact: str) -> None:
        self._messaging.end(account_id, contact)

    def fingerprints(self, account_id: str, contact: str | None = None) -> results.Fingerprints:
        """Our fingerprint; with a contact, theirs in the current session and every known one."""
        return self._messaging.fingerprints(account_id, contact)

    async def set_trust(
        self, account_id: str, contact: str, fingerprint: str, trust: str = "verified"
    ) -> results.KnownKey:
        """Mark a contact's fingerprint verified (checked by hand), distrusted or unverified.
        Raises: NotFound, InvalidRequest."""
        return await self._messaging.set_trust(account_id, contact, fingerprint, trust)

    def smp_start(
        self, account_id: str, contact: str, secret: Secret[str], question: str | None = None
    ) -> None:
        """Ask the contact to prove they know ``secret`` (the answer to ``question``, if given).
        The result comes as SmpFinished; success marks their key verified.

        Raises: NotFound, InvalidRequest (no private conversation, bad question).
        """
        self._messaging.smp_start(account_id, contact, secret, question)

    def smp_respond(self, account_id: str, contact: str, secret: Secret[str]) -> None:
        """Answer a SmpRequested. Raises: NotFound, InvalidRequest (nothing to answer)."""
        self._messaging.smp_respond(account_id, contact, secret)

    def smp_abort(self, account_id: str, contact: str) -> None:
        self._messaging.smp_abort(account_id, contact)

    # -- history (off unless the user turns it on) --------------------------------------------------------

    async def set_history(self, account_id: str, contact: str, enabled: bool | None) -> None:
        """Turn history on or off for one conversation (None: back to the profile's setting,
        which is off by default). Existing logs are kept; `delete_history` removes them."""
        await self._messaging.set_history(account_id, contact, enabled)

    async def read_history(self, account_id: str, contact: str) -> list[results.HistoryItem]:
        """The recorded messages of one conversation, oldest first. Raises: ProfileError."""
        return await self._messaging.read_history(account_id, contact)

    async def delete_history(self, account_id: str, contact: str) -> None:
        await self._messaging.delete_history(account_id, contact)

    # -- libotr identity ------------------------------------------------------------------------------------

    async def import_libotr(
        self, account_id: str, private_key_path: Path | str, fingerprints_path: Path | str | None = None
    ) -> results.KeyImport:
        """Replace the account's OTR key with its key from a libotr ``otr.private_key`` file and
        merge the contacts' fingerprints (and their trust) from ``otr.fingerprints``. The account
        must be disconnected (pending messages fail). Returns ``{"fingerprint": ours,
        "fingerprints_imported": n}``.

        Raises: NotFound, InvalidRequest (unreadable or malformed file, naming the line; no key
        for this account's address; the account is connected).
        """
        return await self._identity.import_libotr(account_id, private_key_path, fingerprints_path)

    async def export_libotr(
        self, account_id: str, private_key_path: Path | str, fingerprints_path: Path | str | None = None
    ) -> results.KeyExport:
        """Write the account's OTR key as a libotr ``otr.private_key`` file (and the contacts'
        fingerprints as ``otr.fingerprints``; distrusted ones unverified, libotr has no such
        state), new files with mode 0600. Returns ``{"fingerprint": ours, "fingerprints_exported": n}``.

        Raises: NotFound, InvalidRequest (the file exists or cannot be created).
        """
        return await self._identity.export_libotr(account_id, private_key_path, fingerprints_path)
