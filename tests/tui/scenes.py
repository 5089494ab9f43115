"""Deterministic scenes for the snapshot tests and the README screenshot (no clocks, no random,
no notifications, cursors not blinking). ``python -m tests.tui.scenes docs/screenshot.svg``
writes the main chat screen."""

from __future__ import annotations

import sys
from typing import Any

from textual.widgets import Input

from tests.tui.fake_service import THEIRS, FakeService
from timb.common.ids import Fingerprint
from timb.core.events import (
    ConnectionState,
    ConnectionStateChanged,
    KeyChanged,
    MessageReceived,
    MessageState,
    MessageStateChanged,
    OtrState,
    OtrStateChanged,
    PresenceChanged,
    SmpRequested,
)
from timb.ui.tui.app import TimbApp

PASS = "correct horse battery staple"
BOB, CAROL = "bob@timb.test", "carol@timb.test"
NEW_KEY = Fingerprint(bytes(range(200, 220)))


def chat_app() -> tuple[TimbApp, FakeService]:
    service = FakeService(profile=PASS)
    service.with_account("alice", "alice@timb.test", BOB, CAROL)
    return TimbApp(service=service, tor_description="control port 9051"), service


async def still(pilot: Any) -> None:
    await pilot.pause(0.1)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


async def unlock(pilot: Any) -> None:
    field = pilot.app.screen.query_one("#passphrase", Input)
    field.value = PASS
    await pilot.press("enter")
    for _ in range(50):
        await pilot.pause(0.02)
        if not pilot.app.screen.id and type(pilot.app.screen).__name__ == "MainScreen":
            break


async def chatting(pilot: Any) -> None:
    """A private, unverified conversation with bob: answered, sent, and one pending message."""
    app: TimbApp = pilot.app
    service = app.service
    assert isinstance(service, FakeService)
    await unlock(pilot)
    from timb.core.events import TorBootstrap  # noqa: PLC0415

    service.emit(TorBootstrap(100, "done", "Done"))
    service.emit(ConnectionStateChanged("alice", ConnectionState.CONNECTED))
    service.emit(PresenceChanged("alice", BOB, "available"))
    view = await app.main.open("alice", BOB)
    service.emit(OtrStateChanged("alice", BOB, OtrState.PRIVATE_UNVERIFIED, THEIRS))
    await pilot.pause(0.1)
    view.add_outgoing("m1", "Did you get the documents?", MessageState.PENDING)
    service.emit(MessageStateChanged("m1", MessageState.DELIVERED, "alice", BOB))
    service.emit(MessageReceived("alice", BOB, "Yes. Let's verify each other first: F6.", True, False))
    await pilot.pause(0.1)
    view.add_outgoing("m2", "Sure, asking you a question now.", MessageState.SENT)
    view.add_outgoing("m3", "(typed before the session was private)", MessageState.PENDING)
    app.main.contact_item("alice", BOB).set_unread(0)  # type: ignore[union-attr]
    await still(pilot)


async def key_changed(pilot: Any) -> None:
    await chatting(pilot)
    pilot.app.service.emit(KeyChanged("alice", BOB, (THEIRS,), NEW_KEY))
    await still(pilot)


async def held_for_key_change(pilot: Any) -> None:
    """The pending message m3 was written for bob's key; his session now has another one."""
    await chatting(pilot)
    service = pilot.app.service
    assert isinstance(service, FakeService)
    service.hold_for_key_change("alice", BOB, ["m3"], THEIRS, NEW_KEY)
    await still(pilot)


async def smp_question(pilot: Any) -> None:
    await chatting(pilot)
    pilot.app.service.emit(SmpRequested("alice", BOB, "Where did we first meet?"))
    await still(pilot)


async def create_profile(pilot: Any) -> None:
    await pilot.press(*"correct horse")
    await still(pilot)


def onion_app() -> tuple[TimbApp, FakeService]:
    service = FakeService(profile=PASS)
    service.with_account("alice", "alice@timb.test")
    service.onion.make("work")
    return TimbApp(service=service, tor_description="control port 9051"), service


async def onion_identity(pilot: Any) -> None:
    """The onion screen: an identity online with its address, a contact, a stranger's request."""
    from tests.tui.fake_onion import address  # noqa: PLC0415
    from timb.ui.tui.screens.onion import OnionScreen  # noqa: PLC0415

    app: TimbApp = pilot.app
    service = app.service
    assert isinstance(service, FakeService)
    await unlock(pilot)
    service.onion.set_online("work", True)
    service.onion.befriend("work", address(50))
    await pilot.press("f9")
    await pilot.pause(0.1)
    screen = app.screen
    assert isinstance(screen, OnionScreen)
    screen.show_identity("work")
    service.onion.request("work", address(51), "carol", "hi")
    await pilot.pause(0.1)
    await pilot.press("escape")  # the request: later
    await still(pilot)


async def onion_chat(pilot: Any) -> None:
    """An onion chat: the privacy in words, delivered / sent / waiting messages, a file offered."""
    from tests.tui.fake_onion import address  # noqa: PLC0415
    from timb.core.onion_events import OnionMessageState  # noqa: PLC0415
    from timb.ui.tui.screens.onion import OnionScreen  # noqa: PLC0415

    app: TimbApp = pilot.app
    service = app.service
    assert isinstance(service, FakeService)
    await unlock(pilot)
    bob = address(50)
    service.onion.befriend("work", bob, verified=False)
    await pilot.press("f9")
    await pilot.pause(0.1)
    screen = app.screen
    assert isinstance(screen, OnionScreen)
    chat = app.onion.chat("work", bob)
    screen.show_chat(chat)
    for text in ("The files are ready.", "Sending the first one now.", "And the second later."):
        app.onion.send(chat, text)
    first, second, _ = list(service.onion.waiting)
    service.onion.moves(first, OnionMessageState.DELIVERED)
    service.onion.moves(second, OnionMessageState.SENT)
    service.onion.says("work", bob, "Thanks, got it.")
    await pilot.pause(0.1)
    await still(pilot)


def main(path: str) -> None:
    app, _ = chat_app()

    async def shoot(pilot: Any) -> None:
        await chatting(pilot)
        app.save_screenshot(path)
        app.exit(0)

    app.run(headless=True, size=(80, 24), auto_pilot=shoot)


if __name__ == "__main__":
    main(sys.argv[1])
