"""A fake TimbService for UI-layer tests: same commands (timb.ui.tui.service_api), events emitted by
the test. It records every call so tests can assert what the UI asked the core to do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.tui.fake_onion import FakeOnion
from timb.common.ids import Fingerprint, Jid
from timb.common.secret import Secret
from timb.core.errors import InvalidRequest, NotFound, ProfileError, Unavailable
from timb.core.events import (
    CoreEvent,
    HeldForKeyChange,
    MessageState,
    MessageStateChanged,
    OtrState,
    TrustLevel,
)
from timb.core.service.results import (
    AccountInfo,
    ContactInfo,
    Fingerprints,
    HeldNotice,
    HistoryItem,
    KnownKey,
    SendResult,
)
from timb.core.service.tor_connection import TorConnectionInfo
from timb.tor.builtin import BuiltinBridges, load_bridge_file
from timb.tor.errors import BridgeLineError

OURS = Fingerprint(bytes(range(20)))
THEIRS = Fingerprint(bytes(range(100, 120)))


class FakeService:
    def __init__(self, *, profile: str | None = None) -> None:
        self.passphrase = profile  # None: no profile yet
        self.unlocked = False
        self.accounts: dict[str, dict[str, Any]] = {}
        self.contacts: dict[str, dict[str, dict[str, Any]]] = {}
        self.calls: list[tuple[Any, ...]] = []
        self.sent: dict[str, MessageState] = {}
        self.otr: dict[tuple[str, str], OtrState] = {}
        self.history: dict[tuple[str, str], list[HistoryItem]] = {}
        self.tor_mode: str | None = "direct"  # None: the first-run question is asked
        self.tor_transport: str | None = None
        self.tor_managed = True  # False: an attached tor, configured where it runs
        self.tor_list: BuiltinBridges | None = None  # an imported bridge list (the real parser's)
        self.held: dict[tuple[str, str], list[str]] = {}
        self.session_key: dict[tuple[str, str], Fingerprint] = {}  # the private session's key
        self.held_for: dict[tuple[str, str], tuple[Fingerprint, ...]] = {}  # keys they were written for
        self.queue: asyncio.Queue[CoreEvent | BaseException | None] = asyncio.Queue()
        self.onion = FakeOnion(self.emit, lambda: self.unlocked)

    # -- test helpers ---------------------------------------------------------------------------

    def emit(self, event: CoreEvent | BaseException) -> None:
        self.queue.put_nowait(event)

    def hold_for_key_change(
        self, account: str, contact: str, ids: list[str], written_for: Fingerprint, offered: Fingerprint
    ) -> HeldForKeyChange:
        """What the core does when the contact's session comes up with another key: the messages
        stay PENDING, held, and the notice is emitted."""
        self.held.setdefault((account, contact), []).extend(ids)
        self.session_key[(account, contact)] = offered
        self.held_for[(account, contact)] = (written_for,)
        self.otr[(account, contact)] = OtrState.PRIVATE_UNVERIFIED
        event = HeldForKeyChange(account, contact, tuple(ids), (written_for,), offered)
        self.emit(event)
        return event

    def with_account(self, account: str = "alice", jid: str = "alice@timb.test", *contacts: str) -> None:
        self.accounts[account] = {"id": account, "jid": jid, "connected": False}
        self.contacts[account] = {
            c: {"jid": c, "policy": "always", "presence": "offline", "blocked": False} for c in contacts
        }

    # -- the ServiceApi -------------------------------------------------------------------------

    def profile_exists(self) -> bool:
        return self.passphrase is not None

    async def create_profile(self, passphrase: Secret[str]) -> None:
        self.calls.append(("create_profile", passphrase.reveal()))
        if self.passphrase is not None:
            raise ProfileError("a profile exists already")
        self.passphrase = passphrase.reveal()
        self.unlocked = True

    async def unlock_profile(self, passphrase: Secret[str]) -> None:
        self.calls.append(("unlock_profile", passphrase.reveal()))
        if passphrase.reveal() != self.passphrase:
            raise ProfileError("wrong passphrase")
        self.unlocked = True

    async def events(self) -> AsyncIterator[CoreEvent]:
        while (item := await self.queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

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
    ) -> AccountInfo:
        self.calls.append(("add_account", account_id, jid, password, host, port, tls_pin_sha256))
        if "@" not in jid:
            raise InvalidRequest("an account address is a bare JID: user@server")
        self.with_account(account_id, jid)
        return self._account(account_id)

    def _account(self, account_id: str) -> AccountInfo:
        a = self.accounts[account_id]
        return AccountInfo(
            a["id"], Jid.parse(a["jid"]), None, 5222, None, False, "xmpp", a["connected"], OURS
        )

    def list_accounts(self) -> list[AccountInfo]:
        if not self.unlocked:
            raise ProfileError("no profile is unlocked: unlock or create one first")
        return [self._account(a) for a in self.accounts]

    async def remove_account(self, account_id: str) -> None:
        self.calls.append(("remove_account", account_id))
        self.accounts.pop(account_id)

    async def connect(self, account_id: str) -> None:
        self.calls.append(("connect", account_id))

    async def disconnect(self, account_id: str) -> None:
        self.calls.append(("disconnect", account_id))

    async def add_contact(self, account_id: str, jid: str, *, policy: str = "always") -> None:
        self.calls.append(("add_contact", account_id, jid, policy))
        if "@" not in jid:
            raise InvalidRequest("a contact address is user@server")
        self.contacts[account_id][jid.lower()] = {
            "jid": jid.lower(),
            "policy": policy,
            "presence": "offline",
            "blocked": False,
        }

    def list_contacts(self, account_id: str) -> list[ContactInfo]:
        if account_id not in self.contacts:
            raise NotFound(account_id)
        return [
            ContactInfo(
                c["jid"],
                c["policy"],
                self.otr.get((account_id, c["jid"]), OtrState.NOT_PRIVATE),
                c["presence"],
                None,
                c.get("history") is True,
                c["blocked"],
            )
            for c in self.contacts[account_id].values()
        ]

    async def remove_contact(self, account_id: str, jid: str) -> None:
        self.calls.append(("remove_contact", account_id, jid))
        del self.contacts[account_id][jid]

    def send_message(self, account_id: str, contact: str, text: str) -> SendResult:
        msg_id = f"m{len(self.sent) + 1}"
        self.calls.append(("send_message", account_id, contact, text))
        private = self.otr.get((account_id, contact)) in (
            OtrState.PRIVATE_UNVERIFIED,
            OtrState.PRIVATE_VERIFIED,
        )
        self.sent[msg_id] = MessageState.SENT if private else MessageState.PENDING
        return SendResult(msg_id, self.sent[msg_id])

    def message_state(self, account_id: str, msg_id: str) -> MessageState:
        return self.sent[msg_id]

    def _held_key(self, account_id: str, contact: str) -> tuple[str, str]:
        # The real service's checks, in its order: a profile, the account, a contact address.
        if not self.unlocked:
            raise ProfileError("no profile is unlocked")
        if account_id not in self.accounts:
            raise NotFound(f"no account {account_id!r}")
        if "@" not in contact:
            raise InvalidRequest("a contact address is user@server")
        return account_id, contact.lower()

    def held_messages(self, account_id: str, contact: str) -> list[str]:
        return list(self.held.get(self._held_key(account_id, contact), []))

    def held_notice(self, account_id: str, contact: str) -> HeldNotice:
        key = self._held_key(account_id, contact)
        ids = tuple(self.held.get(key, []))
        return HeldNotice(ids, self.held_for.get(key, ()) if ids else (), self.session_key.get(key))

    def release_held(self, account_id: str, contact: str, fingerprint: str) -> None:
        key = self._held_key(account_id, contact)
        self.calls.append(("release_held", account_id, contact, fingerprint))
        try:
            fp = Fingerprint.from_hex(fingerprint)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        if self.session_key.get(key) != fp:
            raise InvalidRequest("the contact's private session does not have this key")
        for msg_id in self.held.pop(key, []):
            self.sent[msg_id] = MessageState.SENT
            self.emit(MessageStateChanged(msg_id, MessageState.SENT, account_id, key[1]))

    def discard_held(self, account_id: str, contact: str) -> None:
        key = self._held_key(account_id, contact)
        self.calls.append(("discard_held", account_id, contact))
        for msg_id in self.held.pop(key, []):
            self.sent[msg_id] = MessageState.FAILED
            self.emit(MessageStateChanged(msg_id, MessageState.FAILED, account_id, key[1]))

    def start_otr(self, account_id: str, contact: str) -> None:
        self.calls.append(("start_otr", account_id, contact))

    def end_otr(self, account_id: str, contact: str) -> None:
        self.calls.append(("end_otr", account_id, contact))

    def fingerprints(self, account_id: str, contact: str | None = None) -> Fingerprints:
        theirs = THEIRS if contact is None else self.session_key.get((account_id, contact), THEIRS)
        return Fingerprints(OURS, theirs, ())

    async def set_trust(
        self, account_id: str, contact: str, fingerprint: str, trust: str = "verified"
    ) -> KnownKey:
        self.calls.append(("set_trust", account_id, contact, fingerprint, trust))
        return KnownKey(Fingerprint.from_hex(fingerprint), TrustLevel(trust))

    def smp_start(
        self, account_id: str, contact: str, secret: Secret[str], question: str | None = None
    ) -> None:
        self.calls.append(("smp_start", account_id, contact, secret.reveal(), question))

    def smp_respond(self, account_id: str, contact: str, secret: Secret[str]) -> None:
        self.calls.append(("smp_respond", account_id, contact, secret.reveal()))

    def smp_abort(self, account_id: str, contact: str) -> None:
        self.calls.append(("smp_abort", account_id, contact))

    async def set_history(self, account_id: str, contact: str, enabled: bool | None) -> None:
        self.calls.append(("set_history", account_id, contact, enabled))
        self.contacts[account_id][contact]["history"] = bool(enabled)

    async def read_history(self, account_id: str, contact: str) -> list[HistoryItem]:
        return list(self.history.get((account_id, contact), []))

    async def set_contact_policy(self, account_id: str, jid: str, policy: str | None) -> None:
        self.calls.append(("set_contact_policy", account_id, jid, policy))
        self.contacts[account_id][jid]["policy"] = policy or "always"

    async def approve_subscription(self, account_id: str, jid: str) -> None:
        self.calls.append(("approve_subscription", account_id, jid))

    async def deny_subscription(self, account_id: str, jid: str) -> None:
        self.calls.append(("deny_subscription", account_id, jid))

    async def block_contact(self, account_id: str, jid: str) -> None:
        self.calls.append(("block_contact", account_id, jid))
        if jid in self.contacts[account_id]:
            self.contacts[account_id][jid]["blocked"] = True

    async def register_account(
        self,
        account_id: str,
        server: str,
        *,
        host: str | None = None,
        port: int = 5222,
        tls_pin_sha256: str | None = None,
    ) -> AccountInfo:
        self.calls.append(("register_account", account_id, server, host, port, tls_pin_sha256))
        if server == "closed.example":
            raise Unavailable(f"could not register an account on {server}: not-allowed")
        self.with_account(account_id, f"timb-0123456789ab@{server}")
        return self._account(account_id)

    async def tor_connection(self) -> TorConnectionInfo:
        if not self.unlocked:
            raise ProfileError("no profile is unlocked")
        listed = self.tor_list
        return TorConnectionInfo(
            self.tor_mode,
            self.tor_transport,
            0,
            ("obfs4", "snowflake") if listed is None else listed.transports(),
            "2026-11-01" if listed is None else listed.date.isoformat(),
            self.tor_managed,
            None if self.tor_managed else False,
            "builtin" if listed is None else listed.source,
        )

    async def import_bridge_list(self, path: Path | str) -> TorConnectionInfo:
        self.calls.append(("import_bridge_list", str(path)))
        try:
            self.tor_list = load_bridge_file(Path(path))
        except BridgeLineError as exc:
            raise InvalidRequest(f"bridge list refused: {exc}") from None
        return await self.tor_connection()

    async def set_tor_connection(
        self, mode: str, *, transport: str | None = None, lines: str | None = None
    ) -> None:
        self.calls.append(("set_tor_connection", mode, transport, lines))
        if not self.unlocked:
            raise ProfileError("no profile is unlocked")
        if mode == "custom" and (lines or "").strip().startswith("obfs4 bad"):
            raise InvalidRequest("bridge line 1: address: not IP:PORT")
        if mode not in ("direct", "builtin", "custom"):
            raise InvalidRequest(f"unknown mode {mode!r}")
        self.tor_mode, self.tor_transport = mode, transport
