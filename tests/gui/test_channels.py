"""IRC channels in the GUI: an account's channels listed, joined and left from the dialog; each
channel's tab with its permanent NOT PRIVATE banner (words, colour, icon, never hidden); the
first message held until the user confirms it, asked again after a part; what others say, the
topic and the people shown as plain text. Fake service first, then the real `TimbService` over
the in-memory IRC-like server of tests/unit/test_irc_channels.py."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from tests.gui.conftest import Gui
from tests.gui.fake_channels import FakeChannels
from tests.gui.fake_service import GuiFakeService
from tests.gui.test_held import drain
from tests.unit.test_core_service import PASS
from tests.unit.test_irc_channels import SERVER, FakeIrcServer
from timb.common.secret import Secret
from timb.core.events import ChannelMessageReceived, ConnectionState, OtrState
from timb.core.service import TimbService
from timb.core.service.channels import Channels, banner
from timb.ui.gui.app import GuiApp
from timb.ui.gui.badge import _LOOK
from timb.ui.gui.channels import ChannelsDialog, ChannelView
from timb.ui.gui.commands import Commands
from timb.ui.gui.dialogs import ButtonsDialog
from timb.ui.gui.events import handle_event
from timb.ui.gui.service_api import ChannelsApi
from timb.ui.gui.window import MainWindow

MakeGui = Callable[[GuiFakeService], Gui]


@pytest.mark.parametrize("name", [n for n in dir(ChannelsApi) if not n.startswith("_")])
def test_the_fake_has_the_real_signatures(name: str) -> None:
    assert inspect.signature(getattr(FakeChannels, name), eval_str=True) == inspect.signature(
        getattr(Channels, name), eval_str=True
    )


def with_irc(make_gui: MakeGui) -> Gui:
    service = GuiFakeService(profile="x" * 12)
    service.unlocked = True
    service.with_account("chat", "me@timb.test")
    service.with_irc_account("irc", "alice@irc.test")
    gui = make_gui(service)
    gui.start()
    return gui


def channels_dialog(commands: Commands) -> ChannelsDialog:
    found = commands.dialogs(ChannelsDialog)
    assert len(found) == 1 and isinstance(found[0], ChannelsDialog)
    return found[0]


def first_message_question(commands: Commands) -> ButtonsDialog | None:
    found = [
        d for d in commands.dialogs(ButtonsDialog) if isinstance(d, ButtonsDialog) and "send" in d.buttons
    ]
    assert len(found) <= 1
    return found[0] if found else None


def join(gui: Gui, channel: str) -> ChannelView:
    gui.window.menu_actions["channels"].trigger()
    dialog = channels_dialog(gui.window.commands)
    dialog.name.setText(channel)
    before = len(gui.service.channels.calls)
    QTest.keyClick(dialog.name, Qt.Key.Key_Return)  # Enter in the name joins
    drain(gui)
    assert gui.service.channels.calls[before:] == [("join_channel", "irc", channel)]  # once
    view = gui.window.channels.views[("irc", channel.lower())]
    assert not dialog.isVisible() and gui.window.commands.dialogs(ChannelsDialog) == []
    return view


def type_and_enter(view: ChannelView, text: str) -> None:
    view.composer.setFocus()
    view.composer.setPlainText(text)
    QTest.keyClick(view.composer, Qt.Key.Key_Return)


def test_the_dialog_lists_irc_accounts_and_joining_opens_a_not_private_tab(make_gui: MakeGui) -> None:
    gui = with_irc(make_gui)
    w = gui.window
    w.menu_actions["channels"].trigger()
    dialog = channels_dialog(w.commands)
    assert [dialog.account.itemText(i) for i in range(dialog.account.count())] == ["irc"]  # no XMPP
    assert dialog.list.count() == 0 and not dialog.open_button.isEnabled()
    dialog.name.setText("timb")
    dialog.join_button.click()
    assert "not a channel name" in dialog.error.text() and dialog.isVisible()

    gui.service.channels.answer_joins = False  # the server takes its time
    dialog.name.setText("#TIMB")
    dialog.join_button.click()
    assert gui.service.channels.calls[-1] == ("join_channel", "irc", "#TIMB")
    assert dialog.list.item(0).text() == "#TIMB: joining…" and dialog.isVisible()
    dialog.open_selected()
    assert "has not answered" in dialog.error.text() and ("irc", "#timb") not in w.channels.views

    gui.service.channels.server_joins("irc", "#TIMB", people=("alice", "bob", "carol"))
    drain(gui)
    view = w.channels.views[("irc", "#timb")]
    assert not dialog.isVisible()  # the join it asked for happened: the tab took over
    assert w.tabs.currentWidget() is view and w.focusWidget() is view.composer
    assert view.banner.words.text() == banner("#TIMB")  # the core's words
    fill, text, _ = _LOOK[OtrState.NOT_PRIVATE]
    assert fill in view.banner.styleSheet() and text in view.banner.styleSheet()
    assert view.banner.icon.pixmap() is not None and not view.banner.icon.pixmap().isNull()
    assert view.banner.accessibleName() == f"Privacy: {banner('#TIMB')}"
    assert view.member_names() == ["alice", "bob", "carol"]
    assert "3 people" in view.members.accessibleDescription()
    assert view.rows() == ["— you are in #TIMB: NOT PRIVATE"]
    assert w.windowTitle() == "TIMB"

    w.menu_actions["channels"].trigger()  # listed as joined; Open brings the tab back
    again = channels_dialog(w.commands)
    assert again.list.item(0).text() == "#TIMB: joined, 3 there, NOT PRIVATE"
    again.accept()


def test_the_banner_cannot_be_hidden(make_gui: MakeGui) -> None:
    gui = with_irc(make_gui)
    view = join(gui, "#timb")
    view.banner.hide()
    view.banner.setVisible(False)
    assert view.banner.isVisible()
    assert view.layout().indexOf(view.banner) == 0  # first in the tab, outside the splitter


def test_the_first_message_waits_for_the_answer_and_is_asked_again_after_a_part(make_gui: MakeGui) -> None:
    gui = with_irc(make_gui)
    w, fake = gui.window, gui.service.channels
    view = join(gui, "#timb")

    type_and_enter(view, "first words")
    gui.settle()
    question = first_message_question(w.commands)
    assert question is not None and question.isVisible() and question.isModal()
    assert "#timb" in question.label.text() and "unencrypted" in question.label.text()
    assert "1 there now" in question.label.text()
    assert not any(b.isDefault() or b.autoDefault() for b in question.buttons.values())  # Enter cannot answer
    assert fake.said == [] and view.composer.toPlainText() == ""  # asked, nothing left

    question.buttons["no"].click()
    gui.settle()
    assert fake.said == [] and view.composer.toPlainText() == "first words"  # given back
    assert view.rows()[-1] == "— not sent: you kept it"

    QTest.keyClick(view.composer, Qt.Key.Key_Return)
    gui.settle()
    question = first_message_question(w.commands)
    assert question is not None
    question.buttons["send"].click()
    gui.settle()
    assert fake.said == [("irc", "#timb", "first words")]
    assert fake.calls[-1] == ("send_channel_message", "irc", "#timb", "first words", True)
    assert view.rows()[-1] == "me (sent, NOT PRIVATE): first words"

    type_and_enter(view, "second")
    gui.settle()
    assert first_message_question(w.commands) is None  # confirmed while we are in
    assert fake.said[-1] == ("irc", "#timb", "second")
    assert fake.calls[-1] == ("send_channel_message", "irc", "#timb", "second", False)

    w.menu_actions["leave_channel"].trigger()
    drain(gui)
    assert fake.calls[-1] == ("part_channel", "irc", "#timb")
    assert view.rows()[-1] == "— you left #timb" and not view.leave_button.isEnabled()
    type_and_enter(view, "still there?")
    gui.settle()
    assert view.rows()[-1] == "— not sent: not in #timb: join it first"
    assert view.composer.toPlainText() == "still there?"

    view = join(gui, "#timb")  # back in: the core asks again
    view.composer.clear()
    type_and_enter(view, "after the part")
    gui.settle()
    assert first_message_question(w.commands) is not None
    assert fake.said[-1] == ("irc", "#timb", "second")


def test_others_the_topic_and_failures_are_shown_as_plain_text(make_gui: MakeGui) -> None:
    gui = with_irc(make_gui)
    w, fake = gui.window, gui.service.channels
    view = join(gui, "#timb")
    assert view.topic.text() == "No topic is set."
    assert view.topic.textFormat() == Qt.TextFormat.PlainText
    fake.someone_says("irc", "#timb", "bob", "<b>hi</b>")
    fake.someone_says("irc", "#TIMB", "bob", "waves", action=True)
    fake.topic("irc", "#timb", "<i>plans</i>", "carol")
    handle_event(w, ChannelMessageReceived("irc", "#timb", "alice", "echo of mine", own=True))
    drain(gui)
    assert view.rows()[1:] == ["bob: <b>hi</b>", "* bob waves", "— carol set the topic"]
    assert view.topic.text() == "Topic: <i>plans</i>"

    w.menu_actions["channels"].trigger()
    dialog = channels_dialog(w.commands)
    dialog.name.setText("#banned")
    dialog.join()
    drain(gui)
    assert dialog.isVisible() and dialog.error.text() == "#banned: Cannot join channel (+b)"
    assert "Cannot join channel" in w.statusBar().currentMessage()
    assert dialog.error.textFormat() == Qt.TextFormat.PlainText
    assert [dialog.list.item(i).text() for i in range(dialog.list.count())] == [
        "#timb: joined, 1 there, NOT PRIVATE"
    ]
    dialog.accept()


def test_closing_the_tab_stays_in_the_channel_and_open_shows_it_again(make_gui: MakeGui) -> None:
    gui = with_irc(make_gui)
    w, fake = gui.window, gui.service.channels
    view = join(gui, "#timb")
    w.tabs.tabCloseRequested.emit(w.tabs.indexOf(view))
    assert w.tabs.indexOf(view) < 0 and fake.calls[-1] == ("join_channel", "irc", "#timb")  # no part
    fake.someone_says("irc", "#timb", "bob", "while you looked away")
    drain(gui)
    w.menu_actions["channels"].trigger()
    dialog = channels_dialog(w.commands)
    dialog.list.setCurrentRow(0)
    dialog.open_button.click()
    assert w.tabs.currentWidget() is view and view.rows()[-1] == "bob: while you looked away"
    assert not dialog.isVisible()

    dialog = channels_dialog_after(w)
    dialog.leave_button.click()
    drain(gui)
    assert fake.calls[-1] == ("part_channel", "irc", "#timb")
    assert dialog.list.count() == 0
    dialog.accept()
    w.tabs.tabCloseRequested.emit(w.tabs.indexOf(view))  # left and closed: forgotten
    assert ("irc", "#timb") not in w.channels.views


def channels_dialog_after(w: MainWindow) -> ChannelsDialog:
    w.menu_actions["channels"].trigger()
    return channels_dialog(w.commands)


def test_without_an_irc_account_and_outside_a_channel_the_commands_say_so(make_gui: MakeGui) -> None:
    service = GuiFakeService(profile="x" * 12)
    service.unlocked = True
    service.with_account("chat", "me@timb.test", "bob@timb.test")
    gui = make_gui(service)
    gui.start()
    gui.window.menu_actions["channels"].trigger()
    assert gui.window.commands.dialogs(ChannelsDialog) == []
    assert "Add an IRC account first" in gui.window.statusBar().currentMessage()
    gui.window.open("chat", "bob@timb.test")
    gui.window.menu_actions["leave_channel"].trigger()
    assert "Open a channel first" in gui.window.statusBar().currentMessage()


def test_go_private_in_a_channel_explains_and_panic_drops_the_channels(make_gui: MakeGui) -> None:
    gui = with_irc(make_gui)
    w = gui.window
    view = join(gui, "#timb")
    gui.service.channels.someone_says("irc", "#timb", "bob", "secret plans")
    drain(gui)
    w.menu_actions["go_private"].trigger()
    assert "never private" in w.statusBar().currentMessage()
    w.menu_actions["panic"].trigger()
    assert w.channels.views == {} and w.tabs.indexOf(view) < 0
    assert not any("secret plans" in label.text() for label in w.findChildren(QLabel))


# -- the real service ----------------------------------------------------------------------------


def test_on_the_real_service_the_first_message_leaves_only_when_confirmed_and_again_after_a_part(
    tmp_path: Path, loop: asyncio.AbstractEventLoop
) -> None:
    server = FakeIrcServer()

    async def until(predicate: Callable[[], bool]) -> None:
        async with asyncio.timeout(20):  # a bound on a hang, not a measurement
            while not predicate():  # noqa: ASYNC110 - the GUI state has no Event to wait on
                await asyncio.sleep(0.01)

    async def scenario() -> None:
        async with TimbService(tmp_path / "a", adapter_factory=server.factory) as service:
            await service.create_profile(PASS)
            await service.add_account("irc", f"alice@{SERVER}", Secret(""), network="irc")
            app = GuiApp(service, tor_description="none (test)")
            app.start()
            w = app.window
            await service.connect("irc")
            await until(lambda: w.connections.get("irc") is ConnectionState.CONNECTED)

            async def join() -> ChannelView:
                w.menu_actions["channels"].trigger()
                dialog = channels_dialog(w.commands)
                dialog.name.setText("#timb")
                dialog.join_button.click()
                await until(lambda: not dialog.isVisible())
                return w.channels.views[("irc", "#timb")]

            view = await join()
            assert view.banner.words.text() == banner("#timb") and view.member_names() == ["alice"]

            async def ask(text: str) -> ButtonsDialog:
                view.composer.setPlainText(text)
                QTest.keyClick(view.composer, Qt.Key.Key_Return)
                await app.tasks.settle()
                question = first_message_question(w.commands)
                assert question is not None
                return question

            (await ask("first words")).buttons["no"].click()
            await app.tasks.settle()
            assert server.said == []  # the core sent nothing unconfirmed
            view.composer.clear()
            (await ask("first words")).buttons["send"].click()
            await app.tasks.settle()
            assert server.said == ["first words"]
            view.composer.setPlainText("second")
            QTest.keyClick(view.composer, Qt.Key.Key_Return)
            await app.tasks.settle()
            assert server.said == ["first words", "second"] and first_message_question(w.commands) is None

            w.menu_actions["leave_channel"].trigger()
            await until(lambda: not view.joined)
            view = await join()
            (await ask("after the part")).buttons["no"].click()
            await app.tasks.settle()
            assert server.said == ["first words", "second"]
            app.quit()
            assert await app.run() == 0

    loop.run_until_complete(scenario())
