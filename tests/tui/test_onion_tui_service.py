"""The TUI's onion screen on a real TimbService (its real `OnionPart`), with real services as the
contacts, linked by the in-process onion network of the unit tests (tests/unit/onion_fakes.py,
no tor): create an identity, go online, add a contact by address, chat both ways with the
message states the core reports, and a stranger's request answered in the dialog."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from tests.tui.test_app import settle, type_into
from tests.tui.test_onion_tui import pick, push
from tests.unit.onion_fakes import FakeNet
from tests.unit.test_onion_service import PASS, Side
from timb.core.onion_events import OnionContactRequested
from timb.core.service import TimbService
from timb.ui.tui.app import TimbApp
from timb.ui.tui.screens.onion import OnionScreen
from timb.ui.tui.screens.onion_dialogs import OnionRequestDialog
from timb.ui.tui.widgets.onion_chat import OnionChatView

pytestmark = pytest.mark.timeout(60)


async def until(pilot: Any, predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(20):
        while not predicate():
            await pilot.pause(0.02)


async def peer(service: TimbService) -> Side:
    await service.create_profile(PASS)
    await service.onion.create_identity("me")
    await service.onion.go_online("me")
    return Side(service)


async def test_tui_onion_chat_on_the_real_service(tmp_path: Path) -> None:
    net = FakeNet()
    async with (
        TimbService(tmp_path / "ui", onion_peer_factory=net.factory) as service,
        TimbService(tmp_path / "bob", onion_peer_factory=net.factory) as bob_service,
        TimbService(tmp_path / "eve", onion_peer_factory=net.factory) as eve_service,
    ):
        bob, eve = await peer(bob_service), await peer(eve_service)
        tasks = [asyncio.create_task(s.collect()) for s in (bob, eve)]
        await service.create_profile(PASS)
        app = TimbApp(service=service, tor_description="none (test)")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("f9")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, OnionScreen)
            await pilot.press("ctrl+n")
            await pilot.pause()
            await type_into(pilot, "#onion-name", "work")
            await pilot.press("enter")
            await settle(pilot)
            mine = service.onion.list_identities()[0].address
            assert not service.onion.list_identities()[0].online  # only when asked
            await push(pilot, "#onion-online")
            await until(pilot, lambda: service.onion.list_identities()[0].online)
            await type_into(pilot, "#onion-contact", bob.address)
            await pilot.press("enter")
            await bob.wait(lambda events: any(isinstance(e, OnionContactRequested) for e in events))
            await bob_service.onion.accept("me", mine)
            await until(pilot, lambda: service.onion.list_contacts("work")[0].status == "contact")
            await settle(pilot)

            await pick(pilot, screen, "contact", bob.address)
            view = screen.query_one(OnionChatView)
            assert "PRIVATE (ONION), VERIFIED" in str(view.query_one("#onion-badge").render())
            await until(pilot, lambda: "is online" in str(view.query_one("#onion-presence").render()))
            composer = view.query_one("#onion-composer", Input)
            composer.focus()
            composer.value = "hello bob, serverless"
            await pilot.press("enter")
            await until(pilot, lambda: "[delivered] hello bob, serverless" in view.rows()[-1])
            assert "hello bob, serverless" in bob.received()
            bob_service.onion.send_message("me", mine, "hello back")
            await until(pilot, lambda: any("hello back" in row for row in view.rows()))

            await eve_service.onion.add_contact("me", mine, message="[b]let me in[/b]")
            await until(pilot, lambda: isinstance(app.screen, OnionRequestDialog))
            request = app.screen
            assert isinstance(request, OnionRequestDialog) and request.contact == eve.address
            assert "[b]let me in[/b]" in str(request.query_one("#request-message").render())
            await push(pilot, "#accept")
            await until(
                pilot,
                lambda: any(
                    c.contact == eve.address and c.status == "contact"
                    for c in service.onion.list_contacts("work")
                ),
            )
            await settle(pilot)
            await pick(pilot, screen, "contact", eve.address)
            assert "PRIVATE (ONION), UNVERIFIED" in str(view.query_one("#onion-badge").render())
            eve_service.onion.send_message("me", mine, "from a stranger")
            await until(pilot, lambda: any("from a stranger" in row for row in view.rows()))
        for task in tasks:
            task.cancel()
