"""Onion (serverless): identities with their address to share, online only on purpose; a
contact added by address; a stranger's request answered by the user only; chats that say in
words that the onion makes them private, and messages that wait, never shown sent early."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton

from tests.gui.conftest import Gui
from tests.gui.fake_onion import FakeOnion, address
from tests.gui.fake_service import GuiFakeService
from tests.gui.test_held import drain
from timb.core.onion_events import (
    OnionContactChanged,
    OnionContactRequested,
    OnionMessageReceived,
    OnionMessageState,
    OnionMessageStateChanged,
    OnionPresenceChanged,
)
from timb.core.service.onion_part import OnionContactInfo, OnionPart
from timb.ui.gui.dialogs import ButtonsDialog
from timb.ui.gui.events import handle_event
from timb.ui.gui.onion import IdentityDialog, NewIdentityDialog
from timb.ui.gui.onion_chat import OnionChatView
from timb.ui.gui.service_api import OnionApi

MakeGui = Callable[[GuiFakeService], Gui]
BOB = address(50)
EVE = address(66)


def with_identity(make_gui: MakeGui) -> Gui:
    service = GuiFakeService(profile="x" * 12)
    service.unlocked = True
    gui = make_gui(service)
    gui.start()
    gui.window.menu_actions["onion_identity"].trigger()
    dialog = gui.window.commands.dialogs(NewIdentityDialog)[0]
    assert isinstance(dialog, NewIdentityDialog)
    dialog.name.setText("Bad Name")
    dialog.submit()
    gui.settle()
    assert "1-32" in dialog.error.text() and dialog.isVisible()
    dialog.name.setText("work")
    dialog.submit()
    gui.settle()
    return gui


def identity_dialog(gui: Gui) -> IdentityDialog:
    found = gui.window.commands.dialogs(IdentityDialog)
    assert len(found) == 1
    assert isinstance(found[0], IdentityDialog)
    return found[0]


@pytest.mark.parametrize("name", [n for n in dir(OnionApi) if not n.startswith("_")])
def test_the_fake_has_the_real_signatures(name: str) -> None:
    assert inspect.signature(getattr(FakeOnion, name), eval_str=True) == inspect.signature(
        getattr(OnionPart, name), eval_str=True
    )


def test_identity_address_copyable_and_online_only_on_purpose(make_gui: MakeGui) -> None:
    gui = with_identity(make_gui)
    dialog = identity_dialog(gui)
    mine = gui.service.onion.identities["work"].address
    assert dialog.address.text() == mine and dialog.address.isReadOnly()
    assert ("go_online", "work") not in gui.service.onion.calls
    dialog.copy()
    assert QGuiApplication.clipboard().text() == mine
    dialog.online_button.click()
    gui.settle()
    assert gui.service.onion.calls[-1] == ("go_online", "work")
    assert "offline" in dialog.online_button.text().lower()
    row = gui.window.onion_section.list.item(0)
    assert row.toolTip() == mine and mine[:17] in row.text() and "online" in row.text()


def test_add_a_contact_by_address_and_chat_waits_until_online(make_gui: MakeGui) -> None:
    gui = with_identity(make_gui)
    dialog = identity_dialog(gui)
    dialog.contact.setText("ricochet:not-an-address")
    dialog.add_contact()
    gui.settle()
    assert dialog.error.text() != "" and BOB not in gui.service.onion.contacts["work"]
    dialog.contact.setText(BOB)
    dialog.add_contact()
    gui.settle()
    assert gui.service.onion.contacts["work"][BOB].verified  # they gave it: verified by that fact
    section = gui.window.onion_section
    assert ("contact", "work", BOB) in section.rows()
    section.activated.emit("contact", "work", BOB)
    view = gui.window.onion.views[("work", BOB)]
    assert gui.window.tabs.currentWidget() is view
    assert view.badge.words.text() == "PRIVATE (ONION) VERIFIED"
    assert "No OTR" in view.badge.accessibleDescription()
    view.composer.setPlainText("hello over the onion")
    view.send_button.click()
    assert view.message_state("o1") is OnionMessageState.WAITING
    assert "waiting for" in view.rows()[-1] and "sent" not in view.rows()[-1]
    handle_event(gui.window, OnionPresenceChanged("work", BOB, True))
    assert "is online" in view.presence.text()
    handle_event(gui.window, OnionMessageStateChanged("o1", OnionMessageState.SENT, "work", BOB))
    assert "not yet acknowledged" in view.rows()[-1]
    handle_event(gui.window, OnionMessageStateChanged("o1", OnionMessageState.DELIVERED, "work", BOB))
    assert "delivered" in view.rows()[-1]
    assert "ricochet" not in gui.window.windowTitle()


def test_a_strangers_request_is_answered_by_the_user_and_stays_unverified(make_gui: MakeGui) -> None:
    gui = with_identity(make_gui)
    identity_dialog(gui).accept()
    gui.service.onion.stranger_asks("work", EVE)
    handle_event(gui.window, OnionContactRequested("work", EVE, "eve", "<b>hi</b> it's me"))
    handle_event(gui.window, OnionContactRequested("work", address(67), "", "flood"))
    requests = gui.window.commands.dialogs(ButtonsDialog)
    assert len(requests) == 1  # one at a time; the rest wait in the list
    request = requests[0]
    assert isinstance(request, ButtonsDialog)
    assert "<b>hi</b>" in request.label.text() and "unverified" in request.label.text()
    assert gui.service.onion.calls[-1][0] == "create_identity"  # nothing accepted by itself
    request.reject()  # closed unanswered: the list still has it, with what they wrote
    gui.window.onion_section.activated.emit("request", "work", EVE)
    request = gui.window.commands.dialogs(ButtonsDialog)[0]
    assert isinstance(request, ButtonsDialog) and "it's me" in request.label.text()
    request.buttons["accept"].click()
    gui.settle()
    assert gui.service.onion.calls[-1] == ("accept", "work", EVE)
    gui.service.onion.contacts["work"][EVE] = OnionContactInfo(EVE, "contact", False, "eve", True)
    handle_event(gui.window, OnionMessageReceived("work", EVE, "first words", False))
    view = gui.window.onion.views[("work", EVE)]
    assert isinstance(view, OnionChatView)
    assert view.badge.words.text() == "PRIVATE (ONION) UNVERIFIED"
    assert "first words" in view.rows()[-1]
    view.verify_button.click()
    confirm = [d for d in gui.window.commands.dialogs(ButtonsDialog) if isinstance(d, ButtonsDialog)]
    confirm[-1].buttons["yes"].click()
    gui.settle()
    assert gui.service.onion.calls[-1] == ("verify_contact", "work", EVE, True)
    handle_event(gui.window, OnionContactChanged("work", EVE, "contact", True))
    assert view.badge.words.text() == "PRIVATE (ONION) VERIFIED"


def test_reject_and_block_a_request(make_gui: MakeGui) -> None:
    gui = with_identity(make_gui)
    identity_dialog(gui).accept()
    for answer, other in (("reject", address(70)), ("block", address(71))):
        gui.service.onion.stranger_asks("work", other)
        handle_event(gui.window, OnionContactRequested("work", other, "", ""))
        request = gui.window.commands.dialogs(ButtonsDialog)[0]
        assert isinstance(request, ButtonsDialog)
        request.buttons[answer].click()
        gui.settle()
        assert gui.service.onion.calls[-1] == (answer, "work", other)


def test_panic_drops_the_onion_chats_and_the_copied_address(make_gui: MakeGui) -> None:
    gui = with_identity(make_gui)
    dialog = identity_dialog(gui)
    dialog.copy()
    assert QGuiApplication.clipboard().text() == dialog.address.text() != ""
    dialog.accept()
    gui.service.onion.contacts["work"][BOB] = OnionContactInfo(BOB, "contact", True, "")
    gui.window.onion.open_chat("work", BOB, focus=True)
    gui.window.menu_actions["go_private"].trigger()
    assert "needs no OTR" in gui.window.statusBar().currentMessage()
    assert gui.service.calls == []
    gui.window.menu_actions["panic"].trigger()
    assert gui.window.onion.views == {} and gui.window.onion_section.list.count() == 0
    assert QGuiApplication.clipboard().text() == ""  # the address no longer links us to TIMB


@pytest.mark.parametrize(("verified", "colour"), [(True, "#1b7f3b"), (False, "#f0c000")])
def test_the_onion_badge_paints_its_colour_from_the_start(
    make_gui: MakeGui, verified: bool, colour: str
) -> None:
    gui = with_identity(make_gui)
    identity_dialog(gui).accept()
    gui.service.onion.contacts["work"][BOB] = OnionContactInfo(BOB, "contact", verified, "")
    view = gui.window.onion.open_chat("work", BOB, focus=True)  # painted before it was ever shown
    image = gui.window.grab().toImage()
    spot = view.badge.mapTo(gui.window, QPoint(2, view.badge.height() // 2))
    assert image.pixelColor(spot).name() == colour


def test_a_burner_and_deleting_an_identity(make_gui: MakeGui) -> None:
    gui = with_identity(make_gui)
    identity_dialog(gui).accept()
    gui.window.menu_actions["onion_identity"].trigger()
    new = gui.window.commands.dialogs(NewIdentityDialog)[0]
    assert isinstance(new, NewIdentityDialog)
    new.name.setText("trip")
    new.burner.setChecked(True)
    new.hours.setValue(3)
    new.submit()
    gui.settle()
    assert gui.service.onion.calls[-1] == ("create_identity", "trip", "", 3 * 3600)
    dialog = identity_dialog(gui)
    assert any("burner" in label.text() for label in dialog.findChildren(QLabel))
    gui.service.onion.contacts["trip"][BOB] = OnionContactInfo(BOB, "contact", True, "")
    view = gui.window.onion.open_chat("trip", BOB)
    view.composer.setPlainText("bye")
    view.send_button.click()
    delete = [b for b in dialog.findChildren(QPushButton) if b.accessibleName() == "Delete this identity"]
    delete[0].click()
    confirm = [d for d in gui.window.commands.dialogs(ButtonsDialog) if isinstance(d, ButtonsDialog)]
    assert "cannot be undone" in confirm[-1].label.text()
    assert gui.service.onion.calls[-1][0] == "send_message"  # nothing deleted before the user said so
    confirm[-1].buttons["delete"].click()
    gui.settle()
    assert gui.service.onion.calls[-1] == ("delete_identity", "trip")
    assert not dialog.isVisible()
    drain(gui)
    assert ("trip", BOB) not in gui.window.onion.views
    assert all(row[1] != "trip" for row in gui.window.onion_section.rows())


def test_block_a_contact_from_the_chat(make_gui: MakeGui) -> None:
    gui = with_identity(make_gui)
    identity_dialog(gui).accept()
    gui.service.onion.contacts["work"][EVE] = OnionContactInfo(EVE, "contact", False, "", True)
    view = gui.window.onion.open_chat("work", EVE, focus=True)
    view.block_button.click()
    confirm = [d for d in gui.window.commands.dialogs(ButtonsDialog) if isinstance(d, ButtonsDialog)]
    assert gui.service.onion.calls[-1][0] == "create_identity"  # asked first
    confirm[-1].buttons["block"].click()
    gui.settle()
    assert gui.service.onion.calls[-1] == ("block", "work", EVE)
    assert ("work", EVE) not in gui.window.onion.views
    assert any("blocked" in text for text in gui.window.onion_section.texts())
