"""The bridges choice: asked after unlock only when nothing is stored and TIMB runs its own tor;
direct, built-in (only what can run) or pasted lines (the error's line selected); the same
dialog from the menu; the TorStalled notice offers it."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import Gui
from tests.gui.fake_service import GuiFakeService
from timb.common.secret import Secret
from timb.core.events import TorBootstrap, TorStalled
from timb.core.service import TimbService
from timb.core.service.tor_settings import BridgeChoice
from timb.ui.gui.bridges import BridgesDialog
from timb.ui.gui.dialogs import ButtonsDialog
from timb.ui.gui.events import handle_event
from timb.ui.gui.profile import ProfileDialog
from timb.ui.gui.tasks import Tasks

MakeGui = Callable[[GuiFakeService], Gui]
FP = "CDF2E852BF539B82BD10E27E9115A31734E378C2"
CERT = "qUVQ0srL1JI/vO6V6m/24anYXiJD3QP2HgzUKQtQ7GRqqUvs7P+tG43RtAqdhLOALP7DJQ"
GOOD = f"obfs4 192.0.2.1:443 {FP} cert={CERT} iat-mode=0"


def gui_with(
    make_gui: MakeGui, *, managed: bool, choice: BridgeChoice | None = None, transports: tuple[str, ...] = ()
) -> Gui:
    service = GuiFakeService(profile="x" * 12)
    service.unlocked = True
    service.transports = transports or service.transports
    service.managed_tor = managed
    service.tor_choice = choice
    service.with_account("alice", "alice@timb.test")
    gui = make_gui(service)
    gui.start()
    return gui


def bridges(gui: Gui) -> BridgesDialog:
    found = gui.window.commands.dialogs(BridgesDialog)
    assert len(found) == 1
    assert isinstance(found[0], BridgesDialog)
    return found[0]


@pytest.mark.parametrize("name", ["tor_connection", "set_tor_connection"])
def test_the_fake_has_the_real_signatures(name: str) -> None:
    assert inspect.signature(getattr(GuiFakeService, name), eval_str=True) == inspect.signature(
        getattr(TimbService, name), eval_str=True
    )


def test_a_new_profile_on_our_own_tor_is_asked_then_connects_directly(make_gui: MakeGui) -> None:
    service = GuiFakeService()
    service.managed_tor = True
    gui = make_gui(service)
    gui.start()
    dialog = gui.app.profile_dialog
    assert isinstance(dialog, ProfileDialog)
    dialog.passphrase.setText("correct horse battery staple")
    dialog.again.setText("correct horse battery staple")
    dialog.submit()
    gui.settle()
    question = bridges(gui)
    assert question.direct.isChecked()
    question.ok.click()
    gui.settle()
    assert service.calls[-1] == ("set_tor_connection", "direct", None, None)
    assert gui.window.commands.dialogs(BridgesDialog) == []
    assert "stored" in gui.window.statusBar().currentMessage()


@pytest.mark.parametrize(("managed", "choice"), [(True, BridgeChoice()), (False, None)])
def test_not_asked_when_chosen_or_attached(
    make_gui: MakeGui, managed: bool, choice: BridgeChoice | None
) -> None:
    gui = gui_with(make_gui, managed=managed, choice=choice)
    gui.settle()
    assert gui.window.commands.dialogs(BridgesDialog) == []


def test_only_transports_that_can_run_are_offered(make_gui: MakeGui) -> None:
    gui = gui_with(make_gui, managed=True, transports=("obfs4",))
    bridges(gui).reject()
    gui.window.menu_actions["tor"].trigger()
    gui.settle()
    question = bridges(gui)
    assert [question.transport.itemData(i) for i in range(question.transport.count())] == ["obfs4"]
    question.builtin.setChecked(True)
    question.ok.click()
    gui.settle()
    assert gui.service.calls[-1] == ("set_tor_connection", "builtin", "obfs4", None)


def test_nothing_can_run_disables_the_built_in_choice(make_gui: MakeGui) -> None:
    service = GuiFakeService(profile="x" * 12)
    service.unlocked, service.managed_tor, service.transports = True, True, ()
    gui = make_gui(service)
    gui.start()
    question = bridges(gui)
    assert not question.builtin.isEnabled() and not question.transport.isEnabled()
    assert "install obfs4proxy" in question.builtin_note.text()
    assert question.direct.isChecked()


def test_pasted_lines_show_the_line_and_field_of_the_error(make_gui: MakeGui) -> None:
    gui = gui_with(make_gui, managed=True)
    gui.settle()
    question = bridges(gui)
    question.lines.setPlainText(f"{GOOD}\nobfs4 192.0.2.2:99999 {FP} cert={CERT} iat-mode=0")
    assert question.custom.isChecked()
    question.ok.click()
    gui.settle()
    assert question.isVisible()
    assert question.error.text().startswith("bridge line 2: port")
    assert question.lines.textCursor().selectedText().startswith("obfs4 192.0.2.2:99999")
    assert gui.service.tor_choice is None  # all or nothing
    question.lines.setPlainText(GOOD)
    question.ok.click()
    gui.settle()
    assert gui.service.tor_choice is not None and gui.service.tor_choice.mode == "custom"
    assert question.lines.toPlainText() == ""  # not kept in the widget


def test_an_attached_tor_is_shown_not_changed(make_gui: MakeGui) -> None:
    gui = gui_with(make_gui, managed=False)
    gui.window.menu_actions["tor"].trigger()
    gui.settle()
    question = bridges(gui)
    assert not question.ok.isEnabled() and not question.lines.isEnabled()
    assert "does not run" in question.current.text()


def test_a_stall_offers_the_bridges_once(make_gui: MakeGui) -> None:
    gui = gui_with(make_gui, managed=True, choice=BridgeChoice())
    stall = TorStalled(10, "conn", "NO_PROGRESS", "no relay answered", "Tor may be blocked: try bridges.")
    handle_event(gui.window, stall)
    handle_event(gui.window, stall)
    notices = gui.window.commands.dialogs(ButtonsDialog)
    assert len(notices) == 1
    assert isinstance(notices[0], ButtonsDialog)
    assert "no relay answered" in gui.window.tor.stage.text()
    assert "try bridges" in notices[0].label.text()
    assert gui.service.calls == []  # nothing reconfigured by itself
    notices[0].buttons["bridges"].click()
    gui.settle()
    assert bridges(gui).current.text().endswith("directly")


def test_the_stall_notice_closes_once_tor_gets_through(make_gui: MakeGui) -> None:
    gui = gui_with(make_gui, managed=True, choice=BridgeChoice())
    handle_event(gui.window, TorStalled(10, "conn", "NO_PROGRESS", "no relay answered", "try bridges"))
    assert len(gui.window.commands.dialogs(ButtonsDialog)) == 1
    handle_event(gui.window, TorBootstrap(50, "loading", "Loading"))
    assert len(gui.window.commands.dialogs(ButtonsDialog)) == 1
    handle_event(gui.window, TorBootstrap(100, "done", "Done"))
    assert gui.window.commands.dialogs(ButtonsDialog) == []
    assert gui.service.calls == []


def test_the_real_services_line_errors_select_the_line(
    tmp_path: Path, loop: asyncio.AbstractEventLoop, qtbot: QtBot
) -> None:
    """The dialog reads the real service's refusal (its wording is the contract)."""

    async def scenario() -> None:
        async with TimbService(tmp_path / "p") as service:
            await service.create_profile(Secret("correct horse battery staple"))
            info = replace(await service.tor_connection(), managed=True)  # as if TIMB ran its tor
            crashes: list[BaseException] = []
            tasks = Tasks(lambda _: None, crashes.append)
            dialog = BridgesDialog(service, tasks, info)
            qtbot.addWidget(dialog)  # deleted at the end of the test, while Qt still runs
            dialog.custom.setChecked(True)
            dialog.lines.setPlainText(f"{GOOD}\n\n{GOOD.replace('cert=', 'cret=')}")
            dialog.submit()
            await tasks.settle()
            assert dialog.error.text().startswith("bridge line 3: ")
            assert dialog.lines.textCursor().selectedText() == GOOD.replace("cert=", "cret=")
            assert (await service.tor_connection()).mode is None
            dialog.lines.setPlainText(GOOD.replace("192.0.2.1", "127.0.0.1"))  # TIMB_OFFLINE: loopback only
            dialog.submit()
            await tasks.settle()
            assert dialog.result() == dialog.DialogCode.Accepted, dialog.error.text()
            stored = await service.tor_connection()
            assert (stored.mode, stored.bridge_count) == ("custom", 1)
            assert crashes == []

    loop.run_until_complete(scenario())
