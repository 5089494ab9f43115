"""The demo contact: a headless TIMB service that answers over OTR.

It logs in to its own account through its own tor, greets the user (the greeting states the SMP
secret, so the user can verify it), answers every private message with ``echo: <text>`` and
answers every SMP request with the demo secret. It never answers in plaintext: its policy is
"always", so a reply waits until the conversation is private.

Raises (`DemoBot.start`): Unavailable, ServiceError from the service.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from pathlib import Path

from timb.common.secret import Secret
from timb.core.accounts import Account
from timb.core.errors import ServiceError
from timb.core.events import CoreEvent, ErrorEvent, MessageReceived, SmpRequested
from timb.core.service import TimbService, TorSettings
from timb.net import base as net

ACCOUNT = "bot"
# As TimbService takes it (tests pass an in-memory server's factory).
AdapterFactory = Callable[[Account, "net.Dialer | None"], net.Adapter]


def greeting(secret: str) -> str:
    return (
        "Hello! I am the TIMB demo bot. I answer every private message. "
        f"To verify me, start SMP (F6) with the shared secret: {secret}"
    )


class DemoBot:
    """The bot's service and its answering task; `close` stops both.

    Args:
        directory: where the bot's profile lives (its passphrase is random and never shown).
        tor: the bot's own client tor.
        secret: the SMP secret it answers with.
        on_event: sees every event of the bot's service.
        adapter_factory: passed to its `TimbService` (tests chat over an in-memory server).
    """

    def __init__(
        self,
        directory: Path,
        tor: TorSettings,
        secret: str,
        on_event: Callable[[CoreEvent], None] | None = None,
        *,
        adapter_factory: AdapterFactory | None = None,
    ) -> None:
        self.service = TimbService(directory, tor=tor, adapter_factory=adapter_factory)
        self.secret = secret
        self.errors: list[str] = []
        self._on_event = on_event
        self._task: asyncio.Task[None] | None = None
        self._entered = False

    async def start(
        self,
        jid: str,
        password: Secret[str],
        *,
        contact: str,
        host: str | None = None,
        pin: str | None = None,
    ) -> None:
        """Create the bot's profile and account, add ``contact``, start answering, connect."""
        await self.service.__aenter__()
        self._entered = True
        await self.service.create_profile(Secret(secrets.token_urlsafe(24)))
        await self.service.add_account(ACCOUNT, jid, password, host=host, tls_pin_sha256=pin)
        await self.service.add_contact(ACCOUNT, contact)
        self._task = asyncio.create_task(self._answer(), name="timb-demo-bot")
        await self.service.connect(ACCOUNT)

    def connected(self) -> bool:
        return self.service.list_accounts()[0].connected

    def fingerprint(self) -> str:
        """The bot's own OTR fingerprint (libotr's format)."""
        return self.service.fingerprints(ACCOUNT).ours.human()

    def greet(self, contact: str) -> None:
        """Send the greeting; it waits (pending) until the conversation is private."""
        self.service.send_message(ACCOUNT, contact, greeting(self.secret))

    async def _answer(self) -> None:
        async for event in self.service.events():
            if self._on_event is not None:
                self._on_event(event)
            try:
                self._handle(event)
            except ServiceError as exc:  # e.g. the user aborted SMP meanwhile: keep answering
                self.errors.append(str(exc))

    def _handle(self, event: CoreEvent) -> None:
        match event:
            case MessageReceived(contact=contact, text=text, encrypted=True):
                self.service.send_message(ACCOUNT, contact, f"echo: {text}")
            case MessageReceived(contact=contact, encrypted=False):
                # Policy "always" would hold a plaintext reply anyway; say why there is none.
                self.errors.append(f"{contact} sent a message in plaintext; not answered")
            case SmpRequested(contact=contact):
                self.service.smp_respond(ACCOUNT, contact, Secret(self.secret))
            case ErrorEvent(message=message):
                self.errors.append(message)
            case _:
                pass

    async def close(self) -> None:
        """Disconnect and stop answering. Idempotent."""
        if not self._entered:
            return
        self._entered = False
        try:
            await self.service.__aexit__(None, None, None)
        finally:
            if self._task is not None:
                await self._task
