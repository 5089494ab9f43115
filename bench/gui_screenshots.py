"""Screenshots of the GUI's main screens from real windows under Xvfb (a doc artefact, not a test).

    python bench/gui_screenshots.py            # writes docs/gui-*.png

It starts its own Xvfb (stopped by pid at the end), the GUI on Qt's xcb platform, and for the
conversation screens the demo stack (private Tor network, Prosody as an onion service, the OTR
bot; `timb.core.demo.stack`): every state shown is one the real core reached. Needs Debian's
xvfb. Nothing leaves loopback.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import qasync
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from timb.core.events import OtrState
from timb.core.service import TimbService
from timb.devnet.demo.stack import ACCOUNT, DemoStack
from timb.ui.gui.app import GuiApp, qt_application
from timb.ui.gui.verify import FingerprintDialog, SmpStartDialog

DOCS = Path(__file__).resolve().parent.parent / "docs"


def start_xvfb() -> subprocess.Popen[bytes]:
    """Our own Xvfb on a free display; returns once it accepts clients (-displayfd tells us)."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        sys.exit("needs Xvfb (Debian package xvfb)")
    read, write = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"], pass_fds=(write,)
    )
    os.close(write)
    with os.fdopen(read) as ready:
        display = ready.readline().strip()  # written when the server is ready
    if not display:
        proc.kill()
        sys.exit("Xvfb did not start")
    os.environ["DISPLAY"] = f":{display}"
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ.setdefault("TIMB_LANG", "en")
    os.environ["TIMB_OFFLINE"] = "1"
    return proc


async def until(predicate: Callable[[], bool], limit: float = 180.0) -> None:
    async with asyncio.timeout(limit):
        while not predicate():  # noqa: ASYNC110 - the widgets are what a user sees
            await asyncio.sleep(0.1)


async def shoot(widget: QWidget, name: str) -> None:
    widget.raise_()
    # Let the shared loop paint (never processEvents() inside a task: it would re-enter asyncio).
    await asyncio.sleep(0.5)
    screen = QGuiApplication.primaryScreen()
    pixmap = screen.grabWindow(widget.winId())  # the window as the X server has it
    path = DOCS / f"gui-{name}.png"
    pixmap.save(str(path))
    print("wrote", path)


async def profile_screen(tmp: Path) -> None:

    async with TimbService(tmp / "fresh") as service:
        app = GuiApp(service, tor_description="not configured")
        app.start()
        dialog = app.profile_dialog
        assert dialog is not None
        dialog.passphrase.setText("orchid lantern harbour meadow")
        dialog.again.setText("orchid lantern harbour meadow")
        await asyncio.sleep(0.3)
        await shoot(dialog, "unlock")
        app.quit(0)
        await app.run()


async def conversation_screens(tmp: Path) -> None:

    stack = DemoStack(tmp / "demo", say=print)
    try:
        facts = await stack.start()
        app = GuiApp(stack.service, tor_description=f"private network, control port {facts.control_port}")
        app.start()
        w = app.window
        w.resize(1100, 700)
        w.open(ACCOUNT, facts.bot_jid)
        view = w.views[(ACCOUNT, facts.bot_jid)]
        view.composer.setPlainText("Hello! Is this conversation private?")
        view.send_button.click()
        await until(lambda: view.otr_state is OtrState.PRIVATE_UNVERIFIED and len(view.rows()) >= 4)
        await asyncio.sleep(1.0)
        await shoot(w, "conversation")
        w.commands.verify()
        fingerprints = w.commands.dialogs(FingerprintDialog)[0]
        await shoot(fingerprints, "fingerprints")
        fingerprints.reject()
        w.commands.smp()
        smp = w.commands.dialogs(SmpStartDialog)[0]
        assert isinstance(smp, SmpStartDialog)
        smp.question.setText("The secret from the demo's greeting?")
        smp.secret.setText(facts.secret)
        await shoot(smp, "smp")
        smp.submit()
        await until(lambda: view.otr_state is OtrState.PRIVATE_VERIFIED)
        await asyncio.sleep(0.5)
        await shoot(w, "verified")
        w.commands.accounts()
        await shoot(w.commands.open_dialogs[-1], "accounts")
        w.commands.open_dialogs[-1].reject()
        w.commands.settings()
        await shoot(w.commands.open_dialogs[-1], "settings")
        app.quit(0)
        await app.run()
    finally:
        await stack.stop()


def main() -> int:
    xvfb = start_xvfb()
    try:
        app = qt_application(["timb"])
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with tempfile.TemporaryDirectory(prefix="timb-shots-") as tmp, loop:
            loop.run_until_complete(profile_screen(Path(tmp)))
            loop.run_until_complete(conversation_screens(Path(tmp)))
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
