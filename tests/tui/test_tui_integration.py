"""The TUI on the real TimbService (real profile vault, OTR, trust store) chatting with a headless
TIMB bot over an in-memory chat server (tests/unit/fake_network.py: no tor, no sockets).

Driven only through the UI: create the profile, add and connect the account, add the contact,
type a message (pending until private), see it go private, get the bot's answer, verify the
bot's fingerprint. The server must never carry plaintext."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from tests.tui.test_app import settle, text_of, type_into
from tests.unit.fake_network import FakeServer
from timb.common.secret import Secret
from timb.core.events import MessageReceived, MessageState
from timb.core.service import TimbService
from timb.ui.tui.app import TimbApp
from timb.ui.tui.screens.main import MainScreen
from timb.ui.tui.widgets.badge import OtrBadge
from timb.ui.tui.widgets.messages import MessageRow

pytestmark = pytest.mark.timeout(120)

ALICE, BOT = "alice@timb.test", "bot@timb.test"
PASS = "correct horse battery staple"


@contextlib.asynccontextmanager
async def echo_bot(directory: Path, server: FakeServer) -> AsyncIterator[TimbService]:
    """A TIMB service that answers every message with "echo: <text>" (over OTR). Offline until
    the test connects it."""
    async with TimbService(directory, adapter_factory=server.factory) as bot:
        await bot.create_profile(Secret("bot passphrase, long enough"))
        await bot.add_account("main", BOT, Secret("pw"))
        await bot.add_contact("main", ALICE)

        async def answer() -> None:
            async for event in bot.events():
                if isinstance(event, MessageReceived):
                    bot.send_message("main", event.contact, f"echo: {event.text}")

        task = asyncio.create_task(answer())
        try:
            yield bot
        finally:
            await bot.close()
            await task


async def until(pilot: Any, predicate: Callable[[], bool], limit: float = 30.0) -> None:
    async with asyncio.timeout(limit):
        while not predicate():
            await pilot.pause(0.05)


async def test_ui_on_the_real_service_chats_privately_with_a_bot(tmp_path: Path) -> None:
    server = FakeServer()
    async with (
        echo_bot(tmp_path / "bot", server) as bot,
        TimbService(tmp_path / "alice", adapter_factory=server.factory) as service,
    ):
        app = TimbApp(service=service)
        async with app.run_test() as pilot:
            # Create the profile.
            await type_into(pilot, "#passphrase", PASS)
            await type_into(pilot, "#repeat", PASS)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
            # Add the account and connect it.
            await pilot.press("f2")
            await pilot.press("a")
            await pilot.pause()
            await type_into(pilot, "#jid", ALICE)
            await type_into(pilot, "#password", "pw")
            await pilot.press("enter")
            await until(pilot, lambda: bool(service.list_accounts()) and not app.screen.is_modal)
            await settle(pilot)
            await pilot.press("c")
            await until(pilot, lambda: service.list_accounts()[0]["connected"])
            await pilot.press("escape")
            await pilot.pause()
            # Add the bot as a contact: its conversation opens.
            await pilot.press("f3")
            await pilot.pause()
            await type_into(pilot, "#jid", BOT)
            await pilot.press("enter")
            await until(pilot, lambda: app.main.current is not None)
            view = app.main.current
            assert view is not None and view.contact == BOT
            badge = view.query_one(OtrBadge)
            assert text_of(badge) == "NOT PRIVATE"
            # Type a message while the bot is offline: held as pending (policy "always") until
            # the session is private.
            view.query_one("#composer", Input).focus()
            await pilot.press(*"hello bot", "enter")
            await pilot.pause()
            rows = list(view.query(MessageRow))
            mine = rows[0]
            assert mine.msg_id is not None
            assert mine.state is MessageState.PENDING and "[pending]" in text_of(mine)
            await pilot.pause(0.5)
            assert mine.state is MessageState.PENDING and "sent" not in text_of(mine)
            await bot.connect("main")
            # The AKE runs; the badge turns private; the message goes out; the bot answers.
            await until(pilot, lambda: any("echo: hello bot" in text_of(r) for r in view.query(MessageRow)))
            assert text_of(badge) == "PRIVATE, UNVERIFIED"
            assert mine.state in (MessageState.SENT, MessageState.DELIVERED)
            assert "[pending]" not in text_of(mine)
            # Verify the bot by its fingerprint, which the dialog shows as the bot reports it.
            await pilot.press("f5")
            await pilot.pause()
            theirs = text_of(app.screen.query_one("#fp-theirs"))
            assert theirs == bot.fingerprints("main")["ours"]
            await pilot.click("#match")
            await until(pilot, lambda: text_of(badge) == "PRIVATE, VERIFIED")
            # The server saw only OTR.
            assert server.log
            for body in server.log:
                assert body.startswith("?OTR") and "hello bot" not in body
            await pilot.press("ctrl+q")
