"""Every interactive control a screen reader can reach has an accessible name and description.

The test opens the window (unlocked, a conversation open) and every dialog, then walks all their
widgets. Parts Qt builds inside a control (a spin box's line edit, a tab bar's close buttons,
scroll bars) are announced through their owner and are left out by name below.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QWidget,
)

from tests.gui.conftest import Gui
from tests.gui.fake_onion import address
from tests.gui.fake_service import THEIRS, GuiFakeService
from tests.gui.test_held import drain
from timb.common.ids import Fingerprint
from timb.core.events import HeldForKeyChange, KeyChanged, SmpRequested, SubscriptionRequested, TorStalled
from timb.core.onion_events import OnionContactRequested
from timb.ui.gui.accounts import AddAccountDialog
from timb.ui.gui.channels import ChannelView
from timb.ui.gui.dialogs import AddContactDialog
from timb.ui.gui.events import handle_event
from timb.ui.gui.profile import ProfileDialog

BOB, EVE = address(50), address(66)
INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QComboBox,
    QAbstractSpinBox,
    QAbstractItemView,
)


def qt_internal(widget: QWidget) -> bool:
    """Built by Qt inside another control, which speaks for it."""
    name = widget.objectName()
    parent = widget.parentWidget()
    return (
        name.startswith("qt_")
        or isinstance(parent, QAbstractSpinBox | QComboBox)
        or (parent is not None and parent.metaObject().className() == "QTabBar")
    )


def unnamed(top: QWidget) -> list[str]:
    missing = []
    for widget in [top, *top.findChildren(QWidget)]:
        if not isinstance(widget, INTERACTIVE) or not widget.isVisibleTo(top) or qt_internal(widget):
            continue
        if not widget.accessibleName().strip() or not widget.accessibleDescription().strip():
            missing.append(f"{type(widget).__name__} {widget.objectName()!r} in {type(top).__name__}")
    return missing


def every_screen(make_gui: Callable[[GuiFakeService], Gui]) -> list[QWidget]:
    creating = make_gui(GuiFakeService())
    creating.start()
    assert creating.app.profile_dialog is not None
    service = GuiFakeService(profile="x" * 12)
    service.unlocked = True
    service.with_account("alice", "alice@timb.test", "bob@timb.test")
    service.with_irc_account("irc", "alice@irc.test")
    gui = make_gui(service)
    gui.start()
    w, c = gui.window, gui.window.commands
    service.channels.join_channel("irc", "#timb")  # its tab, with the banner
    drain(gui)
    channel = w.channels.views[("irc", "#timb")]
    channel.send_requested.emit("first")  # the first message's question
    gui.settle()
    w.channels.open_dialog()
    w.open("alice", "bob@timb.test")
    c.accounts()
    c.settings()
    c.verify()
    c.smp()
    c.remove_contact()
    handle_event(w, SmpRequested("alice", "bob@timb.test", "who?"))
    handle_event(w, SubscriptionRequested("alice", "eve@evil.test"))
    handle_event(w, KeyChanged("alice", "bob@timb.test", (THEIRS,), Fingerprint(bytes(20))))
    handle_event(w, TorStalled(10, "conn", "NO_PROGRESS", "stuck", "try bridges"))
    w.tor_flow.settings()
    gui.settle()
    w.onion.new_identity()
    gui.run(service.onion.create_identity("work"))
    gui.run(service.onion.add_contact("work", BOB))
    w.onion.refresh()
    w.onion.open_identity("work")
    w.onion.open_chat("work", BOB)
    service.onion.stranger_asks("work", EVE)
    handle_event(w, OnionContactRequested("work", EVE, "", ""))
    handle_event(w, HeldForKeyChange("alice", "bob@timb.test", ("m1",), (THEIRS,), Fingerprint(bytes(20))))
    extra: list[QDialog] = [
        AddAccountDialog(service, gui.app.tasks, w),
        AddContactDialog(service, gui.app.tasks, ["alice"], w),
    ]
    for dialog in extra:
        dialog.show()
    # the channel's tab is not the current one (bob's is): walked on its own
    screens: list[QWidget] = [creating.app.profile_dialog, w, *c.open_dialogs, *extra, channel]
    assert len({type(s) for s in screens}) >= 12, screens
    assert {"ChannelsDialog", "ButtonsDialog"} <= {type(s).__name__ for s in screens}
    assert w.findChildren(ChannelView) == [channel]
    assert isinstance(screens[0], ProfileDialog)
    return screens


def test_every_interactive_control_has_an_accessible_name(make_gui: Callable[[GuiFakeService], Gui]) -> None:
    missing = [problem for screen in every_screen(make_gui) for problem in unnamed(screen)]
    assert missing == []


def test_the_walk_catches_an_unnamed_control(make_gui: Callable[[GuiFakeService], Gui]) -> None:
    screen = every_screen(make_gui)[1]
    QPushButton("nameless", screen).show()
    assert any("QPushButton" in problem for problem in unnamed(screen))
