"""TIMB without a mouse: every menu command has its own shortcut; Tab, pressed for real, reaches
every control of every screen once, in reading order (top to bottom, left to right in a row);
Enter sends from a composer and Shift+Enter starts a new line."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QKeySequence, QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from tests.gui.conftest import Gui
from tests.gui.fake_service import GuiFakeService
from tests.gui.test_a11y import INTERACTIVE, every_screen, qt_internal
from tests.gui.test_held import drain

MakeGui = Callable[[GuiFakeService], Gui]


def unlocked(make_gui: MakeGui) -> Gui:
    service = GuiFakeService(profile="x" * 12)
    service.unlocked = True
    service.with_account("alice", "alice@timb.test", "bob@timb.test")
    service.with_irc_account("irc", "alice@irc.test")
    gui = make_gui(service)
    gui.start()
    return gui


def test_every_menu_command_has_a_shortcut_of_its_own(make_gui: MakeGui) -> None:
    w = unlocked(make_gui).window
    seen: dict[str, str] = {}
    for menu_action in w.menuBar().actions():
        assert "&" in menu_action.text(), menu_action.text()  # Alt+letter opens the menu
        menu = menu_action.menu()
        assert menu is not None
        for action in menu.actions():
            if action.isSeparator():
                continue
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.PortableText)
            assert keys, f"{action.text()!r} has no shortcut"
            assert keys not in seen, f"{keys} is both {seen[keys]!r} and {action.text()!r}"
            seen[keys] = action.text()
    assert set(seen.values()) == {a.text() for a in w.menu_actions.values()}  # every command is in a menu
    assert len(seen) == len(w.menu_actions)


def tab_stops(top: QWidget) -> list[QWidget]:
    """The controls Tab should reach: interactive, shown, enabled, taking focus by Tab."""
    return [
        widget
        for widget in top.findChildren(QWidget)
        if isinstance(widget, INTERACTIVE)
        and widget.isVisibleTo(top)
        and widget.isEnabled()
        and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        and not qt_internal(widget)
        and widget.window() is top
    ]


def press_tab_around(top: QWidget) -> list[QWidget]:
    """Press Tab until the focus comes back where it started; the widgets it visited."""
    top.show()
    top.raise_()
    top.activateWindow()
    first = tab_stops(top)[0]
    first.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    visited = [first]
    for _ in range(100):
        current = QApplication.focusWidget()
        assert current is not None
        QTest.keyClick(current, Qt.Key.Key_Tab)
        QApplication.processEvents()
        reached = QApplication.focusWidget()
        if reached is first:  # around (or the one control there is)
            return visited
        assert reached is not None and reached is not current, (
            f"Tab is stuck on {current.accessibleName()!r} in {top.windowTitle()!r}"
        )
        visited.append(reached)
    raise AssertionError("Tab never came back to the first control")


def box(widget: QWidget, top: QWidget) -> QRect:
    return QRect(widget.mapTo(top, widget.rect().topLeft()), widget.size())


def out_of_order(order: list[QWidget], top: QWidget) -> list[str]:
    """Pairs where Tab goes up, or left within a row (a row: boxes that overlap vertically)."""
    problems = []
    for before, after in itertools.pairwise(order):
        a, b = box(before, top), box(after, top)
        above = b.bottom() < a.top()
        same_row = not (b.top() > a.bottom() or b.bottom() < a.top())
        if above or (same_row and b.left() < a.left() and not a.contains(b.topLeft())):
            problems.append(f"{before.accessibleName()!r} -> {after.accessibleName()!r}")
    return problems


def test_tab_reaches_every_control_of_every_screen_in_reading_order(make_gui: MakeGui) -> None:
    problems: list[str] = []
    for screen in every_screen(make_gui):
        if not isinstance(screen, QDialog):
            continue  # the window's own order is the next test
        expected = tab_stops(screen)
        if not expected:
            continue
        order = press_tab_around(screen)
        name = type(screen).__name__ + " " + screen.windowTitle()
        missed = [w.accessibleName() or type(w).__name__ for w in expected if w not in order]
        strays = [w for w in order if w not in expected]
        if missed:
            problems.append(f"{name}: Tab never reaches {missed}")
        if strays or len(set(order)) != len(order):
            problems.append(f"{name}: Tab stops outside the controls: {strays}")
        problems += [f"{name}: {p}" for p in out_of_order(order, screen)]
    assert problems == []


def test_tab_goes_around_the_window_with_a_conversation_open(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui)
    w = gui.window
    w.open("alice", "bob@timb.test")
    order = press_tab_around(w)
    view = w.views[("alice", "bob@timb.test")]
    for control in (w.contact_list, view.messages, view.composer, view.send_button):
        assert control in order, control.accessibleName()
    assert order.index(view.composer) < order.index(view.send_button)


def test_enter_sends_and_shift_enter_starts_a_new_line_in_every_composer(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui)
    w, service = gui.window, gui.service
    w.open("alice", "bob@timb.test")
    view = w.views[("alice", "bob@timb.test")]
    view.composer.setPlainText("hello")
    view.composer.moveCursor(QTextCursor.MoveOperation.End)
    QTest.keyClick(view.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(view.composer, "bob")
    assert view.composer.toPlainText() == "hello\nbob"
    assert not any(c[0] == "send_message" for c in service.calls)
    QTest.keyClick(view.composer, Qt.Key.Key_Enter)  # the keypad's Enter too
    gui.settle()
    assert ("send_message", "alice", "bob@timb.test", "hello\nbob") in service.calls
    assert view.composer.toPlainText() == ""

    service.channels.join_channel("irc", "#timb")
    drain(gui)
    channel = w.channels.views[("irc", "#timb")]
    channel.composer.setPlainText("to all")
    QTest.keyClick(channel.composer, Qt.Key.Key_Return)
    gui.settle()
    assert service.channels.calls[-1] == ("send_channel_message", "irc", "#timb", "to all", False)
