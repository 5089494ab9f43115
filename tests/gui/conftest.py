"""GUI tests: pytest-qt on Qt's offscreen platform, one qasync loop per test (the app's loop)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt starts: no display needed
os.environ.setdefault("TIMB_LANG", "en")

import pytest
import qasync
import shiboken6
from PySide6.QtWidgets import QApplication

from tests.gui.fake_service import GuiFakeService
from timb.ui.gui.app import GuiApp


class Gui:
    """A `GuiApp` on a fake service, on a qasync loop the test drives."""

    def __init__(self, loop: asyncio.AbstractEventLoop, service: GuiFakeService) -> None:
        self.loop, self.service = loop, service
        self.app: GuiApp = self.run(self._make())
        self.window = self.app.window

    async def _make(self) -> GuiApp:
        return GuiApp(self.service, tor_description="attached (test)")

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coro)

    def settle(self) -> None:
        """Let every command in flight finish (no sleeping: we wait on the tasks themselves)."""
        self.run(self.app.tasks.settle())

    def start(self) -> None:
        async def start() -> None:
            self.app.start()

        self.run(start())
        self.settle()


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    event_loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def make_gui(loop: asyncio.AbstractEventLoop) -> Iterator[Callable[[GuiFakeService], Gui]]:
    made: list[Gui] = []

    def make(service: GuiFakeService) -> Gui:
        gui = Gui(loop, service)
        made.append(gui)
        return gui

    yield make
    for gui in made:
        gui.app.tasks.cancel()
        if shiboken6.isValid(gui.window):
            gui.window.close()
            gui.window.deleteLater()
