"""The TUI's serverless onion chat (screens/onion.py, flows/onion.py) on the fake service with
its fake ``service.onion`` (tests/tui/fake_onion.py, checked against the real `OnionPart`):
Textual run_test() + Pilot at 80x24."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Static, Switch, TextArea

from tests.tui.fake_onion import FakeOnion, address
from tests.tui.fake_service import FakeService
from tests.tui.test_app import PASS, settle, text_of, type_into, unlocked
from timb.core.onion_events import (
    OnionFileChanged,
    OnionFileProgress,
    OnionIdentityChanged,
    OnionMessageState,
)
from timb.core.service.onion_part import OnionPart
from timb.ui.tui.app import TimbApp
from timb.ui.tui.onion_api import OnionApi
from timb.ui.tui.screens.dialogs import ConfirmDialog
from timb.ui.tui.screens.onion import OnionScreen
from timb.ui.tui.screens.onion_dialogs import NewOnionIdentityDialog, OnionFileDialog, OnionRequestDialog
from timb.ui.tui.widgets.onion_chat import OnionChatView

pytestmark = pytest.mark.timeout(60)

BOB, CAROL, MALLORY = address(50), address(51), address(52)


@pytest.mark.parametrize("name", [n for n in dir(OnionApi) if not n.startswith("_")])
def test_the_fake_has_the_real_signatures(name: str) -> None:
    assert inspect.signature(getattr(FakeOnion, name), eval_str=True) == inspect.signature(
        getattr(OnionPart, name), eval_str=True
    )


def service_with(identity: str | None = "work") -> FakeService:
    service = FakeService(profile=PASS)
    service.with_account("alice", "alice@timb.test")
    if identity is not None:
        service.onion.make(identity)
    return service


async def onion_screen(pilot: Any) -> OnionScreen:
    await unlocked(pilot)
    await pilot.press("f9")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, OnionScreen)
    return screen


async def push(pilot: Any, selector: str) -> None:
    """Press a button (``Button.press``: a second click within its 0.2 s effect is ignored)."""
    pilot.app.screen.query_one(selector, Button).press()
    await settle(pilot)


async def pick(pilot: Any, screen: OnionScreen, kind: str, contact: str = "") -> None:
    """Choose the first row of ``kind`` (and ``contact``) in the list, as Enter would."""
    rows = [r for r in screen.query("OnionRow") if r.kind == kind and (not contact or r.contact == contact)]
    view = screen.query_one("#onion-list")
    view.focus()
    view.index = list(view.children).index(rows[0])
    await pilot.press("enter")
    await settle(pilot)


async def test_a_new_identity_its_address_to_copy_and_online_only_when_asked() -> None:
    service = service_with(None)
    app = TimbApp(service=service)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await onion_screen(pilot)
        assert "No onion identity yet" in " ".join(screen.texts())
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, NewOnionIdentityDialog)
        await type_into(pilot, "#onion-name", "Bad Name")
        await pilot.press("enter")
        await settle(pilot)
        assert "1-32" in text_of(app.screen.query_one(".error")) and isinstance(
            app.screen, NewOnionIdentityDialog
        )
        await type_into(pilot, "#onion-name", "work")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        mine = service.onion.identities["work"].address
        shown = screen.query_one("#onion-address", TextArea)
        assert shown.text == mine and shown.read_only
        assert service.onion.calls[-1] == ("create_identity", "work", "", None)
        assert [c[0] for c in service.onion.calls] == ["create_identity"] * 2  # not online by itself
        assert "work (offline)" in screen.texts()
        await push(pilot, "#onion-copy")
        assert "Address copied." in text_of(screen.query_one("#onion-error"))
        assert app.clipboard == mine
        await push(pilot, "#onion-online")
        assert service.onion.calls[-1] == ("go_online", "work") and service.onion.online("work")
        assert str(screen.query_one("#onion-online", Button).label) == "Go offline"
        assert "anyone who knows the address" in text_of(screen.query_one("#onion-identity-state"))
        await push(pilot, "#onion-online")
        assert service.onion.calls[-1] == ("go_offline", "work") and not service.onion.online("work")


async def test_a_burner_identity_lives_the_hours_asked() -> None:
    service = service_with(None)
    app = TimbApp(service=service)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await onion_screen(pilot)
        await push(pilot, "#onion-new")
        app.screen.query_one("#onion-burner", Switch).value = True
        app.screen.query_one("#onion-hours", Input).value = "2"
        await type_into(pilot, "#onion-name", "trip")
        await pilot.press("enter")
        await settle(pilot)
        assert service.onion.calls == [("create_identity", "trip", "", 7200)]
        assert "trip (offline, burner)" in screen.texts()
        assert "A burner" in text_of(screen.query_one("#onion-identity-state"))
        service.emit(OnionIdentityChanged("trip", online=False, deleted=True, expired=True))
        del service.onion.identities["trip"]
        await settle(pilot)
        assert "No onion identity yet" in " ".join(screen.texts())


async def test_adding_a_contact_by_address() -> None:
    service = service_with()
    app = TimbApp(service=service)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await onion_screen(pilot)
        await pick(pilot, screen, "identity")
        await type_into(pilot, "#onion-contact", "ricochet:not-an-address")
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(screen.query_one("#onion-error")) != ""
        assert "work" not in service.onion.contacts or not service.onion.contacts["work"]
        await type_into(pilot, "#onion-message", "it is me, from the café")
        await type_into(pilot, "#onion-contact", BOB)
        await pilot.press("enter")
        await settle(pilot)
        assert service.onion.calls[-1] == ("add_contact", "work", BOB, "it is me, from the café")
        assert any("asked: waiting for their answer" in t for t in screen.texts())


async def test_deleting_an_identity_asks_first() -> None:
    service = service_with()
    app = TimbApp(service=service)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await onion_screen(pilot)
        await pick(pilot, screen, "identity")
        await push(pilot, "#onion-delete")
        assert isinstance(app.screen, ConfirmDialog) and "cannot be undone" in app.screen.question
        await push(pilot, "#cancel")
        assert "work" in service.onion.identities
        await push(pilot, "#onion-delete")
        await push(pilot, "#yes")
        assert service.onion.calls[-1] == ("delete_identity", "work")
        assert "No onion identity yet" in " ".join(screen.texts())
