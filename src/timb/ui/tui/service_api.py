"""What the TUI needs from the core: the commands of `timb.core.service.TimbService` it calls.

The UI holds a service, not a network. Writing the interface down as a `Protocol` lets the TUI be
tested on its own with a fake service that emits core events, and lets mypy check that the real
`TimbService` still fits (timb.ui.cli.tui passes one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from timb.common.secret import Secret
from timb.core.events import CoreEvent, MessageState
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
from timb.ui.tui.onion_api import OnionApi


class ServiceApi(Protocol):
    """The commands the TUI calls. Errors are `timb.core.service.ServiceError` subclasses."""

    @property
    def onion(self) -> OnionApi:
        """The serverless onion chat (`timb.core.service.onion_part.OnionPart`)."""
        ...

    def profile_exists(self) -> bool: ...

    async def create_profile(self, passphrase: Secret[str]) -> None: ...

    async def unlock_profile(self, passphrase: Secret[str]) -> None: ...

    def events(self) -> AsyncIterator[CoreEvent]: ...

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
    ) -> AccountInfo: ...

    async def register_account(
        self,
        account_id: str,
        server: str,
        *,
        host: str | None = None,
        port: int = 5222,
        tls_pin_sha256: str | None = None,
    ) -> AccountInfo: ...

    def list_accounts(self) -> list[AccountInfo]: ...

    async def remove_account(self, account_id: str) -> None: ...

    async def connect(self, account_id: str) -> None: ...

    async def disconnect(self, account_id: str) -> None: ...

    async def add_contact(self, account_id: str, jid: str, *, policy: str = "always") -> None: ...

    def list_contacts(self, account_id: str) -> list[ContactInfo]: ...

    async def remove_contact(self, account_id: str, jid: str) -> None: ...

    def send_message(self, account_id: str, contact: str, text: str) -> SendResult: ...

    def message_state(self, account_id: str, msg_id: str) -> MessageState: ...

    def start_otr(self, account_id: str, contact: str) -> None: ...

    def end_otr(self, account_id: str, contact: str) -> None: ...

    def fingerprints(self, account_id: str, contact: str | None = None) -> Fingerprints: ...

    async def set_trust(
        self, account_id: str, contact: str, fingerprint: str, trust: str = "verified"
    ) -> KnownKey: ...

    def smp_start(
        self, account_id: str, contact: str, secret: Secret[str], question: str | None = None
    ) -> None: ...

    def smp_respond(self, account_id: str, contact: str, secret: Secret[str]) -> None: ...

    def smp_abort(self, account_id: str, contact: str) -> None: ...

    async def set_history(self, account_id: str, contact: str, enabled: bool | None) -> None: ...

    async def read_history(self, account_id: str, contact: str) -> list[HistoryItem]: ...

    async def set_contact_policy(self, account_id: str, jid: str, policy: str | None) -> None: ...

    async def approve_subscription(self, account_id: str, jid: str) -> None: ...

    async def deny_subscription(self, account_id: str, jid: str) -> None: ...

    async def block_contact(self, account_id: str, jid: str) -> None: ...

    def held_messages(self, account_id: str, contact: str) -> list[str]: ...

    def held_notice(self, account_id: str, contact: str) -> HeldNotice: ...

    def release_held(self, account_id: str, contact: str, fingerprint: str) -> None: ...

    def discard_held(self, account_id: str, contact: str) -> None: ...

    async def tor_connection(self) -> TorConnectionInfo: ...

    async def set_tor_connection(
        self, mode: str, *, transport: str | None = None, lines: str | None = None
    ) -> None: ...

    async def import_bridge_list(self, path: Path | str) -> TorConnectionInfo: ...
