"""Messages held for a key change (issue 9) in the TUI, on the fake service: the rows say held,
the loud prompt shows both keys, and only the user's choice releases or discards them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from tests.tui.fake_service import THEIRS, FakeService
from tests.tui.test_app import BOB, open_chat, ready_service, settle, text_of, unlocked
from tests.tui.test_tui_integration import until
from tests.unit.fake_network import FakeServer, Impostor
from tests.unit.otr_link import CAROL_KEY
from tests.unit.test_core_service import ALICE, running, setup
from tests.unit.test_core_service import BOB as UNIT_BOB
from tests.unit.test_core_service import PASS as UNIT_PASS
from timb.common.ids import Fingerprint, Jid
from timb.common.secret import Secret
from timb.core.errors import InvalidRequest, NotFound
from timb.core.events import MessageState
from timb.core.service import TimbService
from timb.ui.tui.app import TimbApp
from timb.ui.tui.screens.held import HeldMessagesScreen
from timb.ui.tui.screens.main import MainScreen
from timb.ui.tui.screens.verify import KeyChangedScreen
from timb.ui.tui.widgets.messages import MessageRow

pytestmark = pytest.mark.timeout(60)

NEW = Fingerprint(bytes(range(200, 220)))
OLD = Fingerprint(bytes(range(100, 120)))  # the key they were written for
SECRET_TEXT = "the launch code is 0000"


async def held_chat(pilot: Any, service: FakeService) -> tuple[Any, list[MessageRow]]:
    """Two messages typed in the conversation (pending), then held: the session came up with
    another key than the one they were written for."""
    await unlocked(pilot)
    view = await open_chat(pilot)
    view.query_one("#composer", Input).focus()
    await pilot.press(*"the launch code", "enter", *"is 0000", "enter")
    await pilot.pause()
    rows = [r for r in view.query(MessageRow) if r.msg_id is not None]
    assert [r.state for r in rows] == [MessageState.PENDING, MessageState.PENDING]
    service.hold_for_key_change("alice", BOB, [r.msg_id for r in rows], THEIRS, NEW)
    await pilot.pause(0.1)
    return view, rows


def shown(view: Any) -> list[str]:
    return [text_of(r) for r in view.query(MessageRow)]


async def test_held_rows_and_the_loud_prompt_with_both_keys_then_send_to_the_new_key() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test(size=(100, 40)) as pilot:
        view, rows = await held_chat(pilot, service)
        for row in rows:
            assert "[held: not sent, the key changed]" in text_of(row)
            assert row.has_class("-held")
        prompt = app.screen
        assert isinstance(prompt, HeldMessagesScreen)
        assert "2 MESSAGES TO bob@timb.test NOT SENT" in text_of(prompt.query_one("#held-title"))
        assert text_of(prompt.query_one("#fp-written-for")) == THEIRS.human()  # libotr's format
        assert text_of(prompt.query_one("#fp-offered")) == NEW.human()
        assert any("HELD: 2 messages" in line and NEW.human() in line for line in shown(view))
        # Typing on, Enter and the app's keys do not choose for the user.
        await pilot.press("enter", "f5")
        assert app.screen is prompt
        assert not [c for c in service.calls if c[0] in ("release_held", "discard_held")]
        prompt.query_one("#release").press()
        await settle(pilot)
        await pilot.pause(0.1)
        assert isinstance(app.screen, MainScreen)
        assert [r.state for r in rows] == [MessageState.SENT, MessageState.SENT]
        assert all("[sent]" in text_of(r) and not r.has_class("-held") for r in rows)
        assert any(f"sent to the key {NEW.human()}" in line for line in shown(view))
    assert ("release_held", "alice", BOB, NEW.hex) in service.calls


async def test_discard_them_means_never_sent() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test(size=(100, 40)) as pilot:
        view, rows = await held_chat(pilot, service)
        app.screen.query_one("#discard").press()
        await settle(pilot)
        await pilot.pause(0.1)
        assert isinstance(app.screen, MainScreen)
        assert all("[NOT SENT]" in text_of(r) for r in rows)
        assert any("discarded" in line for line in shown(view))
    assert ("discard_held", "alice", BOB) in service.calls
    assert not [c for c in service.calls if c[0] == "release_held"]


async def test_decide_later_then_the_palette_entry_asks_again() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test(size=(100, 40)) as pilot:
        view, rows = await held_chat(pilot, service)
        await pilot.press("escape")  # "decide later": nothing is sent, nothing is dropped
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert service.held_messages("alice", BOB) == [r.msg_id for r in rows]
        assert any("ctrl+p 'Held messages'" in line for line in shown(view)[-1:])
        assert "Held messages" in [c.title for c in app.get_system_commands(app.screen)]
        app.held.open()
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, HeldMessagesScreen)
        assert text_of(prompt.query_one("#fp-offered")) == NEW.human()
        prompt.query_one("#release").press()
        await settle(pilot)
        await pilot.pause(0.1)
        assert service.held_messages("alice", BOB) == []
        app.held.open()  # nothing held any more: it says so
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
    assert [c[0] for c in service.calls].count("release_held") == 1


async def test_held_before_the_window_saw_the_notice_the_palette_still_asks() -> None:
    """A service handed over running (as `timb demo` does) may hold messages already: the
    palette entry asks with the keys the service still knows (`held_notice`)."""
    service = ready_service()
    service.held[("alice", BOB)] = ["m7"]
    service.session_key[("alice", BOB)] = NEW
    service.held_for[("alice", BOB)] = (OLD,)
    app = TimbApp(service=service)
    async with app.run_test(size=(100, 40)) as pilot:
        await unlocked(pilot)
        await open_chat(pilot)
        app.held.open()
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, HeldMessagesScreen)
        assert text_of(prompt.query_one("#fp-offered")) == NEW.human()
        assert text_of(prompt.query_one("#fp-written-for")) == OLD.human()
        prompt.query_one("#release").press()
        await settle(pilot)
    assert ("release_held", "alice", BOB, NEW.hex) in service.calls


async def test_a_key_that_changed_again_since_the_prompt_gets_nothing() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test(size=(100, 40)) as pilot:
        view, rows = await held_chat(pilot, service)
        service.session_key[("alice", BOB)] = Fingerprint(bytes(range(50, 70)))  # another AKE
        app.screen.query_one("#release").press()
        await settle(pilot)
        await pilot.pause(0.1)
        assert service.held_messages("alice", BOB) == [r.msg_id for r in rows]
        assert all(r.state is MessageState.PENDING and r.has_class("-held") for r in rows)
        assert any("NOT sent: they still wait" in line for line in shown(view))


async def test_the_fake_refuses_like_the_service() -> None:
    """The fake's held commands raise what `TimbService` raises (tests/unit covers the real one)."""
    service = ready_service()
    service.unlocked = True
    with pytest.raises(NotFound):
        service.held_messages("nobody", BOB)
    with pytest.raises(InvalidRequest):
        service.discard_held("alice", "not-an-address")
    with pytest.raises(InvalidRequest):
        service.release_held("alice", BOB, "00" * 20)  # not the session's key
    with pytest.raises(InvalidRequest):
        service.release_held("alice", BOB, "zz")


async def test_on_the_real_service_a_server_with_its_own_key_gets_only_what_the_user_releases(
    tmp_path: Path,
) -> None:
    """The real `TimbService` with the hostile in-memory server of tests/unit: the server runs
    its own AKE as bob with its own key. The TUI shows the held message and both keys; the
    server reads nothing until the user presses "Send them to the new key"."""
    server = FakeServer()
    async with (
        running(tmp_path / "bob", server) as bob,
        TimbService(tmp_path / "alice", adapter_factory=server.factory) as alice,
    ):
        await setup(bob, UNIT_BOB, ALICE)
        await alice.create_profile(UNIT_PASS)
        await alice.add_account("main", ALICE, Secret("pw"))
        await alice.add_contact("main", UNIT_BOB)
        app = TimbApp(service=alice)
        async with app.run_test(size=(100, 40)) as pilot:
            await alice.connect("main")
            await until(pilot, lambda: alice.list_accounts()[0].connected)
            view = await app.main.open("main", UNIT_BOB)
            view.query_one("#composer", Input).focus()
            await pilot.press(*"hello bob, all is fine", "enter")
            await until(pilot, lambda: bob.received() == ["hello bob, all is fine"])
            impostor = Impostor(server, Jid.parse(UNIT_BOB), Jid.parse(ALICE), CAROL_KEY)
            impostor.active = True  # from now on the server keeps alice's messages from bob
            await pilot.press(*SECRET_TEXT, "enter")
            row = [r for r in view.query(MessageRow) if r.msg_id is not None][-1]
            # Its own AKE, as bob, from a new instance tag (its answer to the intercepted message
            # may have started one already).
            impostor.start()
            await until(pilot, lambda: any(isinstance(s, HeldMessagesScreen) for s in app.screen_stack))
            (prompt,) = [s for s in app.screen_stack if isinstance(s, HeldMessagesScreen)]
            assert text_of(prompt.query_one("#fp-offered")) == CAROL_KEY.fingerprint().human()
            bobs_key = bob.service.fingerprints("main").ours.human()
            assert text_of(prompt.query_one("#fp-written-for")) == bobs_key
            assert "[held: not sent, the key changed]" in text_of(row)
            assert impostor.read == []
            while app.screen is not prompt:  # the key-change alarm may be on top: acknowledge it
                assert isinstance(app.screen, KeyChangedScreen)
                app.screen.query_one("#ack").press()
                await pilot.pause()
            assert impostor.read == [] and alice.held_messages("main", UNIT_BOB) == [row.msg_id]
            prompt.query_one("#release").press()
            await until(pilot, lambda: impostor.read == [SECRET_TEXT])  # the user's choice, only then
            assert alice.held_messages("main", UNIT_BOB) == []
            await pilot.press("ctrl+q")
    assert SECRET_TEXT not in bob.received()
    assert all(SECRET_TEXT not in body for body in server.log)
