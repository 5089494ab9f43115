"""How TIMB reaches the Tor network: the question of a censored first start, asked in plain
words, and the same dialog later (TIMB > Tor connection…), and the notice when Tor stalls.

Connect directly; Tor is blocked here, so use a built-in bridge (only the transports an installed
program can run are offered); or bridges the user was given, pasted (an error names its line and
field, and that line is selected; the lines are never shown back once stored). The question is
asked only when no choice is stored and TIMB runs its own tor: an attached tor is configured
where it runs, and nothing in TIMB changes it.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from timb.core.events import TorStalled
from timb.core.service.tor_connection import TorConnectionInfo
from timb.ui.gui.a11y import named
from timb.ui.gui.dialogs import ButtonsDialog
from timb.ui.gui.host import WindowHost
from timb.ui.gui.i18n import tr
from timb.ui.gui.service_api import ServiceApi
from timb.ui.gui.tasks import Tasks

MODES = ("direct", "builtin", "custom")
LINE_ERROR = re.compile(r"bridge line (\d+):")


def transport_words(transport: str) -> str:
    return {
        "obfs4": tr("obfs4: looks like random noise (try this first)"),
        "snowflake": tr("snowflake: goes through volunteers' browsers"),
        "meek_lite": tr("meek: looks like a visit to a big cloud service (slow)"),
    }.get(transport, transport)


def choice_words(info: TorConnectionInfo) -> str:
    if not info.managed:
        uses = {True: tr("it uses bridges"), False: tr("it connects directly"), None: tr("unknown")}
        return tr("attached to a tor TIMB does not run ({uses})").format(
            uses=uses[info.attached_uses_bridges]
        )
    match info.mode:
        case "direct":
            return tr("directly")
        case "builtin":
            return tr("built-in bridges: {transport}").format(transport=info.transport)
        case "custom":
            return tr("{count} bridge(s) you were given").format(count=info.bridge_count)
    return tr("not chosen yet: Tor waits for your answer")


class BridgesDialog(QDialog):
    """The Tor connection question. ``chosen(mode)`` once the service stored the answer."""

    chosen = Signal(str)

    def __init__(
        self,
        service: ServiceApi,
        tasks: Tasks,
        info: TorConnectionInfo,
        *,
        first_run: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service, self.tasks, self.info = service, tasks, info
        self.setWindowTitle(tr("How to reach Tor"))
        layout = QVBoxLayout(self)
        intro = tr(
            "TIMB sends everything through Tor. Where Tor is blocked, bridges hide that you use it. "
            "If you do not know, connect directly: if that stalls, TIMB offers bridges."
        )
        if first_run:
            intro = tr("Before TIMB connects anywhere: is Tor blocked where you are?") + " " + intro
        self._label(intro, layout)
        self.current = self._label(tr("Now: {words}").format(words=choice_words(info)), layout)
        self.group = QButtonGroup(self)
        self.direct = self._radio(
            tr("Connect to Tor &directly"), tr("Tor is not blocked where I am"), "direct", layout
        )
        self.builtin = self._radio(
            tr("Tor is &blocked where I am: use a built-in bridge"),
            tr("Bridges that come with TIMB; choose the kind below"),
            "builtin",
            layout,
        )
        self.transport = named(
            QComboBox(self), tr("Kind of bridge"), tr("Only the kinds an installed program can run")
        )
        for transport in info.transports:
            self.transport.addItem(transport_words(transport), transport)
        self.transport.setCurrentIndex(max(0, self.transport.findData(info.transport or "obfs4")))
        layout.addWidget(self.transport)
        self.builtin_note = self._label(self._builtin_note(), layout)
        self.custom = self._radio(
            tr("I was &given bridges"), tr("Paste the bridge lines you were given"), "custom", layout
        )
        self.lines = named(
            QPlainTextEdit(self),
            tr("Bridge lines"),
            tr("One bridge per line, as you were given them (for example: obfs4 192.0.2.1:443 … cert=…)"),
        )
        self.lines.setTabChangesFocus(True)
        if info.bridge_count:
            self.lines.setPlaceholderText(
                tr("{count} bridge(s) stored (not shown): paste new lines to replace them").format(
                    count=info.bridge_count
                )
            )
        self.lines.textChanged.connect(
            lambda: self.custom.setChecked(True) if self.lines.toPlainText() else None
        )
        layout.addWidget(self.lines)
        self.error = self._label("", layout)
        self.error.setObjectName("error")
        layout.addLayout(self._buttons(first_run, layout))
        self._preselect()

    def _label(self, text: str, layout: QVBoxLayout) -> QLabel:
        label = QLabel(text, self)
        label.setWordWrap(True)
        layout.addWidget(label)
        return label

    def _radio(self, text: str, description: str, mode: str, layout: QVBoxLayout) -> QRadioButton:
        radio = named(QRadioButton(text, self), text.replace("&", ""), description)
        self.group.addButton(radio, MODES.index(mode))
        layout.addWidget(radio)
        return radio

    def _builtin_note(self) -> str:
        if not self.info.transports:
            self.builtin.setEnabled(False)
            self.transport.setEnabled(False)
            return tr("No built-in bridge can run here: install obfs4proxy or snowflake-client.")
        return tr("The built-in list is from {date}; bridges you were given are harder to block.").format(
            date=self.info.builtin_date
        )

    def _buttons(self, first_run: bool, layout: QVBoxLayout) -> QHBoxLayout:
        self.ok = named(
            QPushButton(tr("&Use this"), self), tr("Use this"), tr("Store the choice and connect")
        )
        self.ok.setDefault(True)
        self.ok.clicked.connect(self.submit)
        later = tr("Not &now: Tor waits") if first_run else tr("Cancel")
        cancel = named(QPushButton(later, self), later.replace("&", ""), tr("Change nothing"))
        cancel.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.ok)
        row.addWidget(cancel)
        if not self.info.managed:
            self._label(
                tr("TIMB uses a tor it does not run: set bridges where that tor is configured."), layout
            )
            for button in self.group.buttons():
                button.setEnabled(False)
            self.transport.setEnabled(False)
            self.lines.setEnabled(False)
            self.ok.setEnabled(False)
        return row

    def _preselect(self) -> None:
        mode = self.info.mode or "direct"
        button = self.group.button(MODES.index(mode))
        if button.isEnabled():
            button.setChecked(True)
        else:
            self.direct.setChecked(True)

    def mode(self) -> str:
        return MODES[max(0, self.group.checkedId())]

    def submit(self) -> None:
        mode = self.mode()
        transport = str(self.transport.currentData()) if mode == "builtin" else None
        lines = self.lines.toPlainText() if mode == "custom" else None
        if mode == "custom" and not (lines or "").strip():
            self.error.setText(tr("Paste the bridge lines you were given."))
            return
        self.error.setText(tr("Applying…"))
        self.ok.setEnabled(False)
        command = self.service.set_tor_connection(mode, transport=transport, lines=lines)
        self.tasks.spawn(command, lambda _: self._stored(mode), on_error=self._refused)

    def _stored(self, mode: str) -> None:
        self.lines.clear()  # given bridges are the user's secret: not kept in the widget
        self.chosen.emit(mode)
        self.accept()

    def _refused(self, message: str) -> None:
        self.ok.setEnabled(True)
        self.error.setText(message)
        found = LINE_ERROR.match(message)
        if found is not None and int(found.group(1)) > 0:
            self.select_line(int(found.group(1)))

    def select_line(self, number: int) -> None:
        """Select line ``number`` (1-based) of the paste box, where the error is."""
        block = self.lines.document().findBlockByNumber(number - 1)
        if not block.isValid():
            return
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        self.lines.setTextCursor(cursor)
        self.lines.setFocus()


class TorFlow:
    """The window's side: ask when nothing is chosen, the settings entry, the stall notice."""

    def __init__(self, window: WindowHost) -> None:
        self.w = window
        self.stall_notice: ButtonsDialog | None = None

    def ask_if_unchosen(self) -> None:
        """After unlock (a new profile included): the question, only when no choice is stored
        and TIMB runs its own tor (which then waits, connecting nowhere, until the answer)."""

        def maybe(info: TorConnectionInfo) -> None:
            if info.mode is None and info.managed:
                self.open(info, first_run=True)

        self.w.tasks.spawn(self.w.service.tor_connection(), maybe)

    def settings(self) -> None:
        self.w.tasks.spawn(self.w.service.tor_connection(), self.open)

    def open(self, info: TorConnectionInfo, *, first_run: bool = False) -> None:
        for dialog in self.w.commands.dialogs(BridgesDialog):
            dialog.raise_()  # one question at a time
            return
        dialog = BridgesDialog(self.w.service, self.w.tasks, info, first_run=first_run, parent=self.w.widget)
        dialog.chosen.connect(self._chosen)
        self.w.commands.open_dialog(dialog)

    def _chosen(self, mode: str) -> None:
        words = {"direct": tr("directly"), "builtin": tr("built-in bridges"), "custom": tr("your bridges")}
        self.w.show_status(tr("Tor connection stored: {how}").format(how=words.get(mode, mode)))
        if self.stall_notice is not None:
            self.stall_notice.done(QDialog.DialogCode.Rejected)

    def progressed(self, progress: int) -> None:
        """Tor got through after all: the stall notice is moot."""
        if progress >= 100 and self.stall_notice is not None:
            self.stall_notice.done(QDialog.DialogCode.Rejected)

    def stalled(self, event: TorStalled) -> None:
        """Tor made no progress: say where and why, and offer the bridges choice (nothing was
        reconfigured by itself). One notice at a time: a later stall updates it."""
        text = tr("Tor is not getting through ({progress}%): {message}").format(
            progress=event.progress, message=event.message
        )
        self.w.tor.set_stalled(text)
        if self.stall_notice is not None:
            self.stall_notice.label.setText(f"{text}\n{event.advice}")
            return
        notice = ButtonsDialog(
            tr("Tor is stuck"),
            f"{text}\n{event.advice}",
            [
                ("bridges", tr("Choose &bridges…"), tr("Tor may be blocked here: use bridges")),
                ("wait", tr("Keep &waiting"), tr("Change nothing; Tor keeps trying")),
            ],
            self.w.widget,
        )
        notice.chosen.connect(lambda key: self.settings() if key == "bridges" else None)
        notice.finished.connect(lambda _: setattr(self, "stall_notice", None))
        self.stall_notice = notice
        self.w.commands.open_dialog(notice)
