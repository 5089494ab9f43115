"""What the GUI needs from the core: the commands of `timb.core.service.TimbService` it calls.

The one place the GUI meets the service's API: when the service's results or commands change
(typed results, held messages), this Protocol and its callers change, nothing else. The GUI is
tested on its own with a fake service (tests/gui/fake_service.py); mypy checks that the real
`TimbService` still fits (timb.ui.cli.gui passes one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from timb.common.secret import Secret
from timb.core.events import CoreEvent, MessageState
from timb.core.service.channels import ChannelInfo
from timb.core.service.irc_sasl import IrcSaslKey
from timb.core.service.onion_part import OnionContactInfo, OnionIdentityInfo
from timb.core.service.results import (
    AccountInfo,
    ContactInfo,
    Fingerprints,
    HeldNotice,
    HistoryItem,
    KnownKey,
    SendResult,
    SettingsInfo,
)
from timb.core.service.tor_connection import TorConnectionInfo


class OnionApi(Protocol):
    """``service.onion`` (`timb.core.service.onion_part.OnionPart`): serverless onion chat."""

    async def create_identity(
        self, identity_id: str, *, nickname: str = "", burner_seconds: int | float | None = None
    ) -> OnionIdentityInfo: ...

    def list_identities(self) -> list[OnionIdentityInfo]: ...

    async def delete_identity(self, identity_id: str) -> None: ...

    async def go_online(self, identity_id: str) -> None: ...

    async def go_offline(self, identity_id: str) -> None: ...

    async def add_contact(self, identity_id: str, contact: str, *, message: str = "") -> OnionContactInfo: ...

    async def accept(self, identity_id: str, contact: str) -> None: ...

    async def reject(self, identity_id: str, contact: str) -> None: ...

    async def block(self, identity_id: str, contact: str) -> None: ...

    async def verify_contact(self, identity_id: str, contact: str, verified: bool = True) -> None: ...

    def list_contacts(self, identity_id: str) -> list[OnionContactInfo]: ...

    def send_message(self, identity_id: str, contact: str, text: str) -> str: ...


class IrcSaslApi(Protocol):
    """``service.irc_sasl`` (`timb.core.service.irc_sasl.IrcSasl`): SASL keys of IRC accounts."""

    async def make_irc_sasl_key(self, account_id: str) -> IrcSaslKey: ...

    def irc_sasl_key(self, account_id: str) -> IrcSaslKey: ...


class ChannelsApi(Protocol):
    """``service.channels`` (`timb.core.service.channels.Channels`): IRC channels, plaintext by
    nature. The first message in a channel leaves only with ``confirmed=True`` (else
    `ConfirmationRequired`, nothing sent); the core forgets the confirmation when we leave."""

    def join_channel(self, account_id: str, channel: str) -> None: ...

    def part_channel(self, account_id: str, channel: str) -> None: ...

    def list_channels(self, account_id: str) -> list[ChannelInfo]: ...

    async def send_channel_message(
        self, account_id: str, channel: str, text: str, *, confirmed: bool = False
    ) -> str: ...


class ServiceApi(Protocol):
    """The commands the GUI calls. Errors are `timb.core.service.ServiceError` subclasses."""

    @property
    def onion(self) -> OnionApi: ...

    @property
    def irc_sasl(self) -> IrcSaslApi: ...

    @property
    def channels(self) -> ChannelsApi: ...

    def profile_exists(self) -> bool: ...

    async def create_profile(self, passphrase: Secret[str]) -> None: ...

    async def unlock_profile(self, passphrase: Secret[str]) -> None: ...

    def events(self) -> AsyncIterator[CoreEvent]: ...

    async def close(self) -> None: ...

    def settings(self) -> SettingsInfo: ...

    async def set_settings(
        self, *, history: bool | None = None, otr_policy: str | None = None, auto_connect: bool | None = None
    ) -> None: ...

    async def tor_connection(self) -> TorConnectionInfo: ...

    async def set_tor_connection(
        self, mode: str, *, transport: str | None = None, lines: str | None = None
    ) -> None: ...

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

    def held_notice(self, account_id: str, contact: str) -> HeldNotice: ...

    def release_held(self, account_id: str, contact: str, fingerprint: str) -> None: ...

    def discard_held(self, account_id: str, contact: str) -> None: ...

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

    async def unblock_contact(self, account_id: str, jid: str) -> None: ...

    def list_blocked(self, account_id: str) -> list[str]: ...

    def subscription_requests(self, account_id: str) -> list[str]: ...
