"""Messages held for a key change: the blocking dialog names the contact, both keys and the
count; only the user's choice releases (to the key offered) or discards them; "Decide later"
changes nothing and the choice is reached again from the menu and the conversation."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable

import pytest

from tests.gui.conftest import Gui
from tests.gui.fake_service import THEIRS, GuiFakeService
from timb.common.ids import Fingerprint
from timb.core.events import HeldForKeyChange, MessageState
from timb.core.service import TimbService
from timb.ui.gui.events import handle_event
from timb.ui.gui.held import HeldDialog

MakeGui = Callable[[GuiFakeService], Gui]
BOB = "bob@timb.test"
NEW = Fingerprint(bytes(range(200, 220)))


def held_conversation(make_gui: MakeGui) -> Gui:
    service = GuiFakeService(profile="x" * 12)
    service.unlocked = True
    service.with_account("alice", "alice@timb.test", BOB)
    gui = make_gui(service)
    gui.start()
    gui.window.open("alice", BOB)
    view = gui.window.views[("alice", BOB)]
    for text in ("first", "second"):
        view.composer.setPlainText(text)
        view.send_button.click()
    service.hold("alice", BOB, ("m1", "m2"), (THEIRS,), NEW)
    handle_event(gui.window, HeldForKeyChange("alice", BOB, ("m1", "m2"), (THEIRS,), NEW))
    return gui


def the_dialog(gui: Gui) -> HeldDialog:
    dialogs = gui.window.commands.dialogs(HeldDialog)
    assert len(dialogs) == 1
    assert isinstance(dialogs[0], HeldDialog)
    return dialogs[0]


def drain(gui: Gui) -> None:
    """Let the app's event task show what the fake emitted (no timing: until the queue is empty)."""

    async def empty() -> None:
        while not gui.service.queue.empty():  # noqa: ASYNC110 - yield until the app took them
            await asyncio.sleep(0)
        await asyncio.sleep(0)

    gui.run(empty())


@pytest.mark.parametrize("name", ["held_notice", "release_held", "discard_held"])
def test_the_fake_has_the_real_signatures(name: str) -> None:
    assert inspect.signature(getattr(GuiFakeService, name), eval_str=True) == inspect.signature(
        getattr(TimbService, name), eval_str=True
    )


def test_held_dialog_is_loud_blocking_and_names_both_keys(make_gui: MakeGui) -> None:
    gui = held_conversation(make_gui)
    dialog = the_dialog(gui)
    assert dialog.isModal() and dialog.isVisible()
    texts = " ".join(label.text() for label in dialog.findChildren(type(dialog.offered)))
    assert BOB in texts and "2 message(s)" in texts
    assert THEIRS.human() in texts and NEW.human() in texts
    dialog.reject()  # Escape
    assert dialog.isVisible()
    assert not any(b.isDefault() or b.autoDefault() for b in dialog.buttons.values())
    view = gui.window.views[("alice", BOB)]
    assert view.is_held("m1") and view.message_state("m1") is MessageState.PENDING
    assert "HELD" in view.rows()[0] and "sent" not in view.rows()[0].replace("not sent", "")
    assert view.held_button.isVisibleTo(view)
    assert gui.service.calls[-1][0] == "send_message"  # nothing released by itself


def test_send_them_releases_to_the_offered_key_only(make_gui: MakeGui) -> None:
    gui = held_conversation(make_gui)
    the_dialog(gui).buttons["release"].click()
    assert gui.service.calls[-1] == ("release_held", "alice", BOB, NEW.hex)
    drain(gui)
    view = gui.window.views[("alice", BOB)]
    assert view.message_state("m1") is MessageState.SENT and not view.is_held("m1")
    assert not view.held_button.isVisibleTo(view)
    assert gui.window.commands.dialogs(HeldDialog) == []


def test_a_key_that_changed_again_is_refused_and_stays_held(make_gui: MakeGui) -> None:
    gui = held_conversation(make_gui)
    gui.service.hold("alice", BOB, ("m1", "m2"), (THEIRS,), THEIRS)  # the key moved on meanwhile
    the_dialog(gui).buttons["release"].click()
    assert "does not have this key" in gui.window.statusBar().currentMessage()
    assert gui.window.views[("alice", BOB)].is_held("m1")


def test_discard_them_fails_the_messages(make_gui: MakeGui) -> None:
    gui = held_conversation(make_gui)
    the_dialog(gui).buttons["discard"].click()
    assert gui.service.calls[-1] == ("discard_held", "alice", BOB)
    drain(gui)
    view = gui.window.views[("alice", BOB)]
    assert view.message_state("m2") is MessageState.FAILED
    assert "not sent" in view.rows()[1]


def test_decide_later_then_reach_the_choice_again(make_gui: MakeGui) -> None:
    gui = held_conversation(make_gui)
    the_dialog(gui).buttons["later"].click()
    assert gui.window.commands.dialogs(HeldDialog) == []
    assert gui.service.calls[-1][0] == "send_message"
    view = gui.window.views[("alice", BOB)]
    assert "Held messages" in view.rows()[-1]
    view.held_button.click()
    again = the_dialog(gui)
    assert again.held.offered == NEW and again.held.ids == ("m1", "m2")
    again.buttons["later"].click()
    gui.window.menu_actions["held"].trigger()
    the_dialog(gui).buttons["discard"].click()
    drain(gui)
    gui.window.menu_actions["held"].trigger()  # nothing held any more
    assert gui.window.commands.dialogs(HeldDialog) == []
    assert "No messages are held" in gui.window.statusBar().currentMessage()


def test_asked_again_from_what_the_service_holds_now(make_gui: MakeGui) -> None:
    gui = held_conversation(make_gui)
    the_dialog(gui).buttons["later"].click()
    newer = Fingerprint(bytes(range(50, 70)))
    gui.service.hold("alice", BOB, ("m2",), (THEIRS,), newer)  # the session's key changed again
    gui.window.menu_actions["held"].trigger()
    again = the_dialog(gui)
    assert again.held.ids == ("m2",) and again.held.offered == newer
    assert again.held.written_for == (THEIRS,)
    again.buttons["release"].click()
    assert gui.service.calls[-1] == ("release_held", "alice", BOB, newer.hex)


def test_held_without_a_session_now_waits(make_gui: MakeGui) -> None:
    gui = held_conversation(make_gui)
    the_dialog(gui).buttons["later"].click()
    gui.service.hold("alice", BOB, ("m1", "m2"), (THEIRS,), None)
    gui.window.menu_actions["held"].trigger()
    assert gui.window.commands.dialogs(HeldDialog) == []
    assert "no private session now" in gui.window.statusBar().currentMessage()
