"""`GuiApp`: the window, the profile dialog and the service's events on one asyncio loop.

Qt and asyncio share one loop through qasync (docs/gui.md says why): service commands are
asyncio tasks owned by `Tasks`, core events are read by one task and shown in order. Crashes
never print Python's traceback (which quotes exception messages and whose frames hold message
text): the report is `timb.ui.crash.redacted_report`, types and frames only.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtWidgets import QApplication

from timb.core.errors import ProfileError
from timb.ui.crash import redacted_report, write_report
from timb.ui.gui.events import handle_event
from timb.ui.gui.i18n import install
from timb.ui.gui.profile import ProfileDialog
from timb.ui.gui.service_api import ServiceApi
from timb.ui.gui.tasks import Tasks
from timb.ui.gui.window import MainWindow


class GuiApp:
    """TIMB's desktop app on ``service``. `run` returns the exit status once the user quits.

    Args:
        service: a running `TimbService` (or anything with the same commands).
        tor_description: how Tor is reached, shown in the window.
        crash_log: where a redacted crash report goes (None: standard error).
    """

    def __init__(self, service: ServiceApi, *, tor_description: str, crash_log: Path | None = None) -> None:
        self.service = service
        self.crash_log = crash_log
        self.crash_report: str | None = None
        self.tasks = Tasks(self._show_error, self.crash)
        self.window = MainWindow(service, self.tasks, tor_description=tor_description)
        self.window.quit_requested.connect(self.quit)
        self.profile_dialog: ProfileDialog | None = None
        self.exit_status: int | None = None
        self._quit = asyncio.Event()
        self._events: asyncio.Task[None] | None = None
        self._started = False
        self._restore: Callable[[], None] = lambda: None  # undoes install_crash_handlers

    def _show_error(self, message: str) -> None:
        self.window.show_status(message, error=True)

    def start(self) -> None:
        """Show the window; ask for the passphrase unless the profile is unlocked already."""
        if self._started:
            return
        self._started = True
        self.window.show()
        self._events = asyncio.ensure_future(self._consume_events())
        self._events.add_done_callback(self._events_ended)
        try:
            self.service.list_accounts()  # works only once a profile is unlocked (`timb demo`)
        except ProfileError:
            dialog = ProfileDialog(self.service, self.tasks, self.window)
            dialog.accepted.connect(self.unlocked)
            dialog.rejected.connect(lambda: self.quit(0))
            self.profile_dialog = dialog
            dialog.open()
        else:
            self.unlocked()

    def unlocked(self) -> None:
        self.profile_dialog = None
        self.window.set_unlocked(True)
        self.window.load_contacts()
        self.window.contact_list.setFocus()
        self.window.tor_flow.ask_if_unchosen()

    async def _consume_events(self) -> None:
        async for event in self.service.events():
            handle_event(self.window, event)

    def _events_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            self.crash(error)

    def quit(self, status: int = 0) -> None:
        if self.exit_status is None:
            self.exit_status = status
        self._quit.set()

    async def run(self) -> int:
        """Until the user quits (or panics, or TIMB crashes); then close the service, which locks
        the profile, and the window."""
        self.start()
        await self._quit.wait()
        status = self.exit_status or 0
        self.tasks.cancel()
        await self.service.close()
        if self._events is not None:  # the service's events end when it closes
            await asyncio.wait({self._events}, timeout=5)
            self._events.cancel()
        self._restore()
        self.window.hide()
        self.window.deleteLater()
        return status

    # -- crashes --------------------------------------------------------------------------------

    def crash(self, error: BaseException) -> None:
        """Report ``error`` redacted and end with status 1."""
        report = redacted_report(error)
        self.crash_report = report
        error.__traceback__ = None
        if self.crash_log is None or not write_report(report, self.crash_log):
            sys.stderr.write(report + "\n")
        else:
            sys.stderr.write(f"TIMB stopped after an internal error; see {self.crash_log}\n")
        self.quit(1)

    def install_crash_handlers(self) -> None:
        """Errors in Qt slots reach `sys.excepthook`; errors in loop callbacks the loop's handler."""

        def hook(_: type[BaseException], error: BaseException, __: TracebackType | None) -> None:
            self.crash(error)

        def loop_handler(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            error = context.get("exception")
            self.crash(error if isinstance(error, BaseException) else RuntimeError("asyncio error"))

        loop = asyncio.get_running_loop()
        previous_hook, previous_handler = sys.excepthook, loop.get_exception_handler()

        def restore() -> None:
            sys.excepthook = previous_hook
            loop.set_exception_handler(previous_handler)

        self._restore = restore
        sys.excepthook = hook
        loop.set_exception_handler(loop_handler)


def qt_application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, with TIMB's translation installed; the system's style, palette
    (dark, light, high contrast) and font size are kept as they are."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or ["timb"])
    app.setApplicationName("TIMB")
    app.setApplicationDisplayName("TIMB")
    app.setQuitOnLastWindowClosed(False)  # GuiApp decides when to stop (it closes the service first)
    translator = install(app)
    if translator is not None:
        app.setProperty("timb_translator", translator)  # kept alive with the app
    return app
