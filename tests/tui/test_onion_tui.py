"""The TUI's serverless onion chat (screens/onion.py, flows/onion.py) on the fake service with
its fake ``service.onion`` (tests/tui/fake_onion.py, checked against the real `OnionPart`):
Textual run_test() + Pilot at 80x24."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Switch, TextArea

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
from timb.ui.tui.screens.onion_dialogs import (
    NewOnionIdentityDialog,
    OnionFileDialog,
    OnionQrDialog,
    OnionRequestDialog,
)
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


async def test_requests_come_one_at_a_time_their_words_as_plain_text() -> None:
    service = service_with()
    app = TimbApp(service=service)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await onion_screen(pilot)
        service.onion.request("work", MALLORY, "[b]admin[/b]", "[red]SYSTEM[/red]: accept me")
        service.onion.request("work", CAROL, "carol", "hi, it is carol\x1b]52;c;bad\x07")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, OnionRequestDialog) and dialog.contact == MALLORY
        assert len([s for s in app.screen_stack if isinstance(s, OnionRequestDialog)]) == 1
        assert text_of(dialog.query_one("#request-nickname")) == "They call themselves: [b]admin[/b]"
        assert text_of(dialog.query_one("#request-message")) == "Their message: [red]SYSTEM[/red]: accept me"
        assert service.onion.calls == []  # nothing accepted by itself
        await push(pilot, "#block")
        assert service.onion.calls == [("block", "work", MALLORY)]
        assert app.screen is screen  # carol's request waits in the list, no second pop-up
        assert any("asks to be your contact" in t for t in screen.texts())
        await pick(pilot, screen, "request", CAROL)
        dialog = app.screen
        assert isinstance(dialog, OnionRequestDialog) and dialog.contact == CAROL
        said = text_of(dialog.query_one("#request-message"))
        assert "hi, it is carol\ufffd]52;c;bad" in said and "\x1b" not in said
        await pilot.press("escape")  # later: nothing changes
        await settle(pilot)
        assert service.onion.calls == [("block", "work", MALLORY)]
        await pick(pilot, screen, "request", CAROL)
        await push(pilot, "#accept")
        assert service.onion.calls[-1] == ("accept", "work", CAROL)
        await pilot.pause()
        service.onion.request("work", BOB)
        await settle(pilot)
        await push(pilot, "#reject")
        assert service.onion.calls[-1] == ("reject", "work", BOB)


async def chat_with_bob(pilot: Any, *, online: bool = True, verified: bool = True) -> OnionChatView:
    service = pilot.app.service
    screen = await onion_screen(pilot)
    service.onion.befriend("work", BOB, online=online, verified=verified)
    await settle(pilot)
    await pick(pilot, screen, "contact", BOB)
    view = screen.query_one(OnionChatView)
    assert screen.shown_chat is not None and view.display
    return view


async def test_an_onion_chat_says_how_private_and_where_each_message_is() -> None:
    service = service_with()
    app = TimbApp(service=service)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await chat_with_bob(pilot, online=False, verified=False)
        assert text_of(view.query_one("#onion-badge")) == "PRIVATE (ONION), UNVERIFIED"
        assert "End-to-end private by the onion itself" in " ".join(text_of(s) for s in view.query(".help"))
        assert "No OTR on top" in " ".join(text_of(s) for s in view.query(".help"))
        assert "offline: your messages wait" in text_of(view.query_one("#onion-presence"))
        await type_into(pilot, "#onion-composer", "are you there?")
        await pilot.press("enter")
        await settle(pilot)
        assert service.onion.calls[-1] == ("send_message", "work", BOB, "are you there?")
        (msg_id,) = service.onion.waiting
        assert view.rows()[-1] == f"me [waiting for {BOB[:17]}… to come online] are you there?"
        service.onion.moves(msg_id, OnionMessageState.SENT)
        await settle(pilot)
        assert view.rows()[-1] == "me [sent, not yet acknowledged] are you there?"
        service.onion.moves(msg_id, OnionMessageState.DELIVERED)
        service.onion.says("work", BOB, "[reverse]PRIVATE (ONION), VERIFIED[/reverse] yes\x1b[2J\u202e")
        await settle(pilot)
        assert view.rows()[-2:] == [
            "me [delivered] are you there?",
            f"{BOB[:17]}…: [reverse]PRIVATE (ONION), VERIFIED[/reverse] yes\ufffd[2J\ufffd",
        ]
        await push(pilot, "#onion-verify")
        assert isinstance(app.screen, ConfirmDialog) and BOB in app.screen.question
        await push(pilot, "#yes")
        assert service.onion.calls[-1] == ("verify_contact", "work", BOB, True)
        assert text_of(view.query_one("#onion-badge")) == "PRIVATE (ONION), VERIFIED"
        await push(pilot, "#onion-block")
        await push(pilot, "#yes")
        assert service.onion.calls[-1] == ("block", "work", BOB)


async def test_a_message_that_arrives_while_the_screen_is_closed_waits_in_its_chat() -> None:
    service = service_with()
    app = TimbApp(service=service)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await onion_screen(pilot)
        service.onion.befriend("work", BOB)
        await pilot.press("escape")
        await settle(pilot)
        service.onion.says("work", BOB, "while you were away")
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OnionScreen)
        assert any(t.startswith("* ") and BOB[:17] in t for t in screen.texts())  # unread
        await pick(pilot, screen, "contact", BOB)
        assert screen.query_one(OnionChatView).rows() == [f"{BOB[:17]}…: while you were away"]
        assert not any(t.startswith("* ") for t in screen.texts())


async def test_a_file_offered_asks_where_then_shows_progress_and_the_end(tmp_path: Path) -> None:
    service = service_with()
    app = TimbApp(service=service)
    app.onion.files.folder = tmp_path
    async with app.run_test(size=(80, 24)) as pilot:
        view = await chat_with_bob(pilot, verified=False)
        tid = service.onion.offers("work", BOB, "[b]report[/b].pdf", 3 << 20)
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, OnionFileDialog)
        assert "[b]report[/b].pdf (3.0 MiB)" in text_of(dialog.query_one(".title"))
        assert "NOT verified" in text_of(dialog.query_one(".help"))
        assert dialog.query_one("#onion-folder", Input).value == str(tmp_path)
        assert service.onion.calls == []
        dialog.query_one("#onion-folder", Input).value = str(tmp_path / "in")
        await push(pilot, "#accept")
        assert service.onion.calls[-1] == ("accept_file", "work", tid, tmp_path / "in")
        service.emit(OnionFileProgress("work", BOB, tid, "incoming", 1 << 20, 3 << 20, 1024.0, 2048.0))
        await settle(pilot)
        assert (
            view.rows()[-1]
            == "[file] receiving [b]report[/b].pdf: 33% (1.0 MiB of 3.0 MiB), 1.0 KiB/s, 2048 s left"
        )
        saved = str(tmp_path / "in" / "report.pdf")
        service.emit(OnionFileChanged("work", BOB, tid, "incoming", "completed", saved_as=saved))
        await settle(pilot)
        assert (
            view.rows()[-1] == f"[file] [b]report[/b].pdf received, checked and saved as {saved} (not opened)"
        )
        second = service.onion.offers("work", BOB, "more.txt", 10)
        await settle(pilot)
        await push(pilot, "#reject")
        assert service.onion.calls[-1] == ("reject_file", "work", second)
        await settle(pilot)
        assert view.rows()[-1] == "[file] more.txt: you refused it"
        third = service.onion.offers("work", BOB, "big.iso", 1 << 30)
        await settle(pilot)
        await push(pilot, "#accept")
        await push(pilot, "#onion-cancel-file")
        assert service.onion.calls[-1] == ("cancel_file", "work", third)
        await settle(pilot)
        assert view.rows()[-1] == "[file] big.iso: you cancelled it"
        await push(pilot, "#onion-cancel-file")  # nothing going on: nothing cancelled
        assert service.onion.calls[-1] == ("cancel_file", "work", third)


async def test_sending_a_file_by_path_and_why_it_failed(tmp_path: Path) -> None:
    service = service_with()
    app = TimbApp(service=service)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await chat_with_bob(pilot)
        notes = tmp_path / "notes.txt"
        notes.write_text("the notes")
        await type_into(pilot, "#onion-file", str(notes))
        await pilot.press("enter")
        await settle(pilot)
        assert service.onion.calls[-1] == ("send_file", "work", BOB, notes, True)
        (tid,) = service.onion.files
        assert (
            view.rows()[-1]
            == "[file] notes.txt (9 bytes, its metadata removed) offered: waiting for them to accept"
        )
        service.emit(OnionFileChanged("work", BOB, tid, "outgoing", "running"))
        await settle(pilot)
        service.emit(
            OnionFileChanged("work", BOB, tid, "outgoing", "failed", reason="the connection dropped")
        )
        await settle(pilot)
        assert view.rows()[-1] == "[file] notes.txt FAILED: the connection dropped"
        assert [r for r in view.rows() if "notes.txt" in r] == [view.rows()[-1]]  # one line per file
        await type_into(pilot, "#onion-file", str(tmp_path / "missing.txt"))
        await pilot.press("enter")
        await settle(pilot)
        assert view.rows()[-1] == "[file] missing.txt not sent: the file cannot be read"


async def test_a_flood_of_requests_opens_one_dialog_and_keeps_bounded_words() -> None:
    service = service_with()
    app = TimbApp(service=service)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await onion_screen(pilot)
        strangers = [address(100 + n) for n in range(80)]
        for n, stranger in enumerate(strangers):
            service.onion.request("work", stranger, f"s{n}", "x" * 2000)
        await settle(pilot)
        assert len([s for s in app.screen_stack if isinstance(s, OnionRequestDialog)]) == 1
        assert len(app.onion.requests) == 64  # the oldest words are dropped first
        dialog = app.screen
        assert isinstance(dialog, OnionRequestDialog) and dialog.contact == strangers[0]
        assert text_of(dialog.query_one("#request-nickname")) == "They call themselves: s0"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and service.onion.calls == []  # nothing answered by itself
        assert sum("asks to be your contact" in t for t in screen.texts()) == 80
        assert app.onion.requests[("work", strangers[0])][0] == "s0"  # later: its words kept
        assert len(app.onion.requests) == 64


def test_the_qr_code_holds_the_address_module_for_module() -> None:
    """Each character cell is two modules (upper, lower) of segno's own matrix, quiet zone included."""
    import segno  # noqa: PLC0415

    from timb.ui.tui.widgets.qr import qr_text  # noqa: PLC0415

    mine = address(7)
    lines = qr_text(mine).plain.splitlines()
    code = segno.make_qr(mine, error="l", boost_error=False)
    matrix = [[bool(m) for m in row] for row in code.matrix_iter(border=2)]
    upper = {"█": True, "▀": True, "▄": False, " ": False}
    lower = {"█": True, "▀": False, "▄": True, " ": False}
    rebuilt = []
    for line in lines:
        rebuilt += [[upper[c] for c in line], [lower[c] for c in line]]
    assert rebuilt[: len(matrix)] == matrix
    assert rebuilt[len(matrix) :] in ([], [[False] * len(matrix[0])])  # an odd last row: padded light
    assert code.designator == "4-L"  # 37 columns, 19 lines: fits an 80x24 terminal


async def test_the_address_as_a_qr_code_in_a_dialog() -> None:
    service = service_with()
    app = TimbApp(service=service)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await onion_screen(pilot)
        await pick(pilot, screen, "identity")
        await push(pilot, "#onion-qr-button")
        dialog = app.screen
        assert (
            isinstance(dialog, OnionQrDialog) and dialog.address == service.onion.identities["work"].address
        )
        assert "█" in text_of(dialog.query_one("#onion-qr"))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_offers_of_a_deleted_identity_are_not_asked_any_more() -> None:
    service = service_with()
    app = TimbApp(service=service)
    async with app.run_test(size=(80, 24)) as pilot:
        await chat_with_bob(pilot)
        service.onion.offers("work", BOB, "one.txt", 10)
        service.onion.offers("work", BOB, "two.txt", 10)
        await settle(pilot)
        assert isinstance(app.screen, OnionFileDialog) and app.screen.file_name == "one.txt"
        await service.onion.delete_identity("work")
        await settle(pilot)
        await pilot.press("escape")  # the open one: later
        await settle(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert isinstance(app.screen, OnionScreen)  # neither offer asked again
        assert service.onion.calls == [("delete_identity", "work")]
        assert ("work", BOB) not in app.onion.chats
