"""The TUI on the real TimbService (real profile vault, OTR, SMP, trust store) chatting with a
headless TIMB bot over an in-memory chat server (tests/unit/fake_network.py: no tor, no sockets).

Driven only through the UI: create the profile, add and connect the account, add the contact,
type a message (pending until private), see it go private, get the bot's answer, verify the bot
(fingerprints, SMP as initiator and as responder). The server must never carry plaintext."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from tests.tui.test_app import settle, text_of, type_into
from tests.unit.fake_network import FakeServer
from timb.common.secret import Secret
from timb.core.events import CoreEvent, MessageReceived, MessageState, SmpFinished, SmpOutcome, SmpRequested
from timb.core.service import TimbService
from timb.ui.tui.app import TimbApp
from timb.ui.tui.screens.main import MainScreen
from timb.ui.tui.screens.verify import SmpAnswerDialog
from timb.ui.tui.widgets.badge import OtrBadge
from timb.ui.tui.widgets.conversation import ConversationView
from timb.ui.tui.widgets.messages import MessageRow

pytestmark = pytest.mark.timeout(120)

ALICE, BOT = "alice@timb.test", "bot@timb.test"
PASS = "correct horse battery staple"
SECRET = "the lighthouse"


@dataclass
class Bot:
    service: TimbService
    events: list[CoreEvent] = field(default_factory=list)


@contextlib.asynccontextmanager
async def echo_bot(directory: Path, server: FakeServer) -> AsyncIterator[Bot]:
    """A TIMB service that answers every message with "echo: <text>" (over OTR) and answers SMP
    with SECRET. Offline until the test connects it."""
    async with TimbService(directory, adapter_factory=server.factory) as service:
        bot = Bot(service)
        await service.create_profile(Secret("bot passphrase, long enough"))
        await service.add_account("main", BOT, Secret("pw"))
        await service.add_contact("main", ALICE)

        async def answer() -> None:
            async for event in service.events():
                bot.events.append(event)
                if isinstance(event, MessageReceived):
                    service.send_message("main", event.contact, f"echo: {event.text}")
                elif isinstance(event, SmpRequested):
                    service.smp_respond("main", event.contact, Secret(SECRET))

        task = asyncio.create_task(answer())
        try:
            yield bot
        finally:
            await service.close()
            await task


async def until(pilot: Any, predicate: Callable[[], bool], limit: float = 30.0) -> None:
    async with asyncio.timeout(limit):
        while not predicate():
            await pilot.pause(0.05)


def rows(view: ConversationView) -> list[str]:
    return [text_of(r) for r in view.query(MessageRow)]


async def private_chat(pilot: Any, service: TimbService, bot: Bot) -> ConversationView:
    """Through the UI: profile, account, contact, first message (pending, then private)."""
    app = pilot.app
    await type_into(pilot, "#passphrase", PASS)
    await type_into(pilot, "#repeat", PASS)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, MainScreen))
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
    await pilot.press("f3")
    await pilot.pause()
    await type_into(pilot, "#jid", BOT)
    await pilot.press("enter")
    await until(pilot, lambda: app.main.current is not None)
    view = app.main.current
    assert view is not None and view.contact == BOT
    badge = view.query_one(OtrBadge)
    assert text_of(badge) == "NOT PRIVATE"
    # Typed while the bot is offline: held as pending (policy "always") until private.
    view.query_one("#composer", Input).focus()
    await pilot.press(*"hello bot", "enter")
    await pilot.pause()
    mine = view.query(MessageRow).first()
    assert mine.msg_id is not None
    assert mine.state is MessageState.PENDING and "[pending]" in text_of(mine)
    await pilot.pause(0.5)
    assert mine.state is MessageState.PENDING and "sent" not in text_of(mine)
    await bot.service.connect("main")
    # The AKE runs; the badge turns private; the message goes out; the bot answers.
    await until(pilot, lambda: any("echo: hello bot" in r for r in rows(view)))
    assert text_of(badge) == "PRIVATE, UNVERIFIED"
    assert mine.state in (MessageState.SENT, MessageState.DELIVERED)
    assert "[pending]" not in text_of(mine)
    return view


@contextlib.asynccontextmanager
async def stack(tmp_path: Path) -> AsyncIterator[tuple[FakeServer, Bot, TimbService]]:
    server = FakeServer()
    async with (
        echo_bot(tmp_path / "bot", server) as bot,
        TimbService(tmp_path / "alice", adapter_factory=server.factory) as service,
    ):
        yield server, bot, service
    assert server.log
    for body in server.log:
        assert body.startswith("?OTR") and "hello bot" not in body and SECRET not in body


async def test_private_chat_and_fingerprint_verification(tmp_path: Path) -> None:
    async with stack(tmp_path) as (_, bot, service):
        app = TimbApp(service=service)
        async with app.run_test() as pilot:
            view = await private_chat(pilot, service, bot)
            await pilot.press("f5")
            await pilot.pause()
            theirs = text_of(app.screen.query_one("#fp-theirs"))
            assert theirs == bot.service.fingerprints("main")["ours"]
            await pilot.click("#match")
            await until(pilot, lambda: text_of(view.query_one(OtrBadge)) == "PRIVATE, VERIFIED")
            await pilot.press("ctrl+q")


async def test_smp_initiator_verifies_the_bot(tmp_path: Path) -> None:
    async with stack(tmp_path) as (_, bot, service):
        app = TimbApp(service=service)
        async with app.run_test() as pilot:
            view = await private_chat(pilot, service, bot)
            await pilot.press("f6")
            await pilot.pause()
            await type_into(pilot, "#question", "Where did we meet?")
            await type_into(pilot, "#secret", SECRET)
            await pilot.press("enter")
            await until(pilot, lambda: any("knew the secret" in r for r in rows(view)))
            await until(pilot, lambda: text_of(view.query_one(OtrBadge)) == "PRIVATE, VERIFIED")
            await pilot.press("ctrl+q")


async def test_smp_responder_answers_the_bots_question(tmp_path: Path) -> None:
    async with stack(tmp_path) as (_, bot, service):
        app = TimbApp(service=service)
        async with app.run_test() as pilot:
            view = await private_chat(pilot, service, bot)
            bot.service.smp_start("main", ALICE, Secret(SECRET), "Where did we meet?")
            await until(pilot, lambda: isinstance(app.screen, SmpAnswerDialog))
            assert text_of(app.screen.query_one("#smp-question")) == "Where did we meet?"
            await pilot.press(*SECRET, "enter")
            await until(
                pilot,
                lambda: any(
                    isinstance(e, SmpFinished) and e.outcome is SmpOutcome.SUCCEEDED and e.verified
                    for e in bot.events
                ),
            )
            # Answering their question proves us to them, not them to us.
            await until(pilot, lambda: any("does not verify them" in r for r in rows(view)))
            assert text_of(view.query_one(OtrBadge)) == "PRIVATE, UNVERIFIED"
            await pilot.press("ctrl+q")
