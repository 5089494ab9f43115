"""The system's theme and font size reach TIMB: with a dark palette and a larger application font
set (as a desktop's dark or high-contrast theme and its text scaling do), every widget of every
screen shows that palette and that size. The privacy badge and the channel banner are the one
exception: their fixed colours carry the state (each with a text colour that keeps its contrast).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from tests.gui.conftest import Gui
from tests.gui.fake_service import GuiFakeService
from tests.gui.test_a11y import every_screen
from timb.ui.gui.badge import PrivacyBadge

MakeGui = Callable[[GuiFakeService], Gui]
ROLES = (
    QPalette.ColorRole.Window,
    QPalette.ColorRole.WindowText,
    QPalette.ColorRole.Base,
    QPalette.ColorRole.Text,
)


def dark() -> QPalette:
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#202124"),
        (QPalette.ColorRole.WindowText, "#e8eaed"),
        (QPalette.ColorRole.Base, "#121212"),
        (QPalette.ColorRole.Text, "#f1f3f4"),
        (QPalette.ColorRole.Button, "#303134"),
        (QPalette.ColorRole.ButtonText, "#e8eaed"),
    ):
        palette.setColor(role, QColor(colour))
    return palette


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[tuple[QPalette, QFont]]:
    """A dark palette and a font 1.6 times the size, put back afterwards."""
    palette, font = qapp.palette(), qapp.font()
    bigger = QFont(font)
    bigger.setPointSizeF(font.pointSizeF() * 1.6)
    QApplication.setPalette(dark())
    QApplication.setFont(bigger)
    try:
        yield dark(), bigger
    finally:
        QApplication.setPalette(palette)
        QApplication.setFont(font)


def in_a_badge(widget: QWidget) -> bool:
    while widget is not None:
        if isinstance(widget, PrivacyBadge):
            return True
        widget = widget.parentWidget()
    return False


def mismatches(top: QWidget, palette: QPalette, font: QFont) -> list[str]:
    found = []
    for widget in [top, *top.findChildren(QWidget)]:
        if in_a_badge(widget):
            continue
        label = widget.accessibleName() or widget.objectName()
        where = f"{type(widget).__name__} {label!r} in {type(top).__name__}"
        for role in ROLES:
            if widget.palette().color(role) != palette.color(role):
                found.append(f"{where}: {role.name} is {widget.palette().color(role).name()}")
        if abs(widget.font().pointSizeF() - font.pointSizeF()) > 0.01:
            found.append(f"{where}: {widget.font().pointSizeF()} pt")
    return found


def test_a_dark_palette_and_a_larger_font_reach_every_screen(
    make_gui: MakeGui, themed: tuple[QPalette, QFont]
) -> None:
    palette, font = themed
    screens = every_screen(make_gui)
    problems = [problem for screen in screens for problem in mismatches(screen, palette, font)]
    assert problems == []
    badges = [b for s in screens for b in s.findChildren(PrivacyBadge)]
    assert len(badges) >= 2  # the exception exists and was skipped, not missed
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).families()
    prints = [w for s in screens for w in s.findChildren(QLabel) if w.accessibleName() == "Your fingerprint"]
    assert prints and all(w.font().families() == fixed for w in prints)  # still monospace, at the size


def test_a_theme_changed_while_running_reaches_the_open_window(make_gui: MakeGui, qapp: QApplication) -> None:
    screens = every_screen(make_gui)  # made under the default theme
    palette, font = qapp.palette(), qapp.font()
    bigger = QFont(font)
    bigger.setPointSizeF(font.pointSizeF() * 1.6)
    try:
        QApplication.setPalette(dark())
        QApplication.setFont(bigger)
        QApplication.processEvents()  # the change reaches the widgets as events
        problems = [problem for screen in screens for problem in mismatches(screen, dark(), bigger)]
    finally:
        QApplication.setPalette(palette)
        QApplication.setFont(font)
    assert problems == []
