"""GUI benchmark: cold start of `timb gui` next to the terminal UI, and memory with 1,000 contacts.

Each figure comes from a fresh Python process (a cold start, as a user sees it; tor excluded:
the service runs without tor), measured by this parent from spawn to the child's "ready" line:

1. unlock: to the interactive unlock window (the GUI's dialog shown and the loop idle; the TUI's
   profile screen mounted and refreshed) on an existing, locked profile;
2. chat: to the main window with all 1,000 contacts listed, the profile unlocked by the child
   (the same key derivation for both UIs, included);
3. resident memory (VmRSS) of the child at 2.

Usage: ``.venv/bin/python bench/gui_bench.py [--runs N] [--contacts N]``; medians of N runs, GUI
and TUI alternately, and the ratios GUI / TUI. Goal: under 1 s to the GUI's unlock window. The
GUI runs on Qt's offscreen platform (no display needed; xcb adds the X connection).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timb.common.secret import Secret
from timb.core.service import TimbService

PASS = "benchmark passphrase, long enough"


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def ready(contacts: int | None = None) -> None:
    print(f"ready {rss_kib()} {contacts or 0}", flush=True)


# -- children ---------------------------------------------------------------------------------


def child_gui(profile: Path, mode: str, contacts: int) -> None:
    import qasync  # noqa: PLC0415 - the child pays for its own imports: that is what is measured
    from PySide6.QtCore import QTimer  # noqa: PLC0415

    from timb.ui.gui.app import GuiApp, qt_application  # noqa: PLC0415

    app = qt_application(["timb"])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def run() -> None:
        async with TimbService(profile) as service:
            if mode == "chat":
                await service.unlock_profile(Secret(PASS))
            gui = GuiApp(service, tor_description="none")
            gui.start()
            if mode == "unlock":
                QTimer.singleShot(0, lambda: (ready(), gui.quit(0)))
            else:
                assert gui.window.contact_list.count() == contacts
                QTimer.singleShot(0, lambda: (ready(gui.window.contact_list.count()), gui.quit(0)))
            await gui.run()

    with loop:
        loop.run_until_complete(run())


def child_tui(profile: Path, mode: str, contacts: int) -> None:
    from timb.ui.tui.app import TimbApp  # noqa: PLC0415
    from timb.ui.tui.widgets.sidebar import ContactItem  # noqa: PLC0415

    class Measured(TimbApp):
        CSS_PATH = Path(sys.modules[TimbApp.__module__].__file__ or "").with_name("timb.tcss")

        def on_mount(self) -> None:
            super().on_mount()
            self.set_interval(0.01, self._check)

        def _check(self) -> None:
            listed = len(self.main.query(ContactItem)) if self.unlocked else 0
            if (mode == "unlock" and self.screen is not self.main) or (mode == "chat" and listed >= contacts):
                ready(listed)
                self.exit(0)

    async def run() -> None:
        async with TimbService(profile) as service:
            if mode == "chat":
                await service.unlock_profile(Secret(PASS))
            await Measured(service).run_async(headless=True)

    asyncio.run(run())


# -- the parent ------------------------------------------------------------------------------------


async def make_profile(profile: Path, contacts: int) -> None:
    async with TimbService(profile) as service:
        await service.create_profile(Secret(PASS))
        await service.add_account("bench", "bench@timb.test", Secret("pw"))
        for n in range(contacts):
            await service.add_contact("bench", f"contact{n:04d}@timb.test")


def measure(ui: str, profile: Path, mode: str, contacts: int) -> tuple[float, int]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TIMB_OFFLINE": "1", "TIMB_LANG": "en"}
    argv = [sys.executable, __file__, "--child", ui, mode, str(profile), str(contacts)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("ready"):
            elapsed = time.perf_counter() - t0
            break
    else:
        raise SystemExit(f"{ui} {mode}: the child ended without being ready ({proc.wait()})")
    proc.wait(60)
    return elapsed, int(line.split()[1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--child", nargs=4, metavar=("UI", "MODE", "PROFILE", "CONTACTS"))
    args = parser.parse_args()
    if args.child:
        ui, mode, profile, contacts = args.child
        (child_gui if ui == "gui" else child_tui)(Path(profile), mode, int(contacts))
        return 0
    with tempfile.TemporaryDirectory(prefix="timb-gui-bench-") as tmp:
        profile = Path(tmp) / "profile"
        t0 = time.perf_counter()
        asyncio.run(make_profile(profile, args.contacts))
        print(f"profile with {args.contacts} contacts made in {time.perf_counter() - t0:.1f} s")
        figures: dict[tuple[str, str], list[tuple[float, int]]] = {}
        for _ in range(args.runs):
            for mode in ("unlock", "chat"):
                for ui in ("gui", "tui"):
                    figures.setdefault((ui, mode), []).append(measure(ui, profile, mode, args.contacts))
    med = {
        k: (statistics.median(t for t, _ in v), statistics.median(r for _, r in v))
        for k, v in figures.items()
    }
    print(f"medians of {args.runs} cold starts each (tor excluded)")
    print(f"{'':28}{'GUI':>10}{'TUI':>10}{'GUI/TUI':>10}")
    for mode, label in (
        ("unlock", "to the unlock window (s)"),
        ("chat", f"to chat, {args.contacts} contacts (s)"),
    ):
        g, t = med[("gui", mode)][0], med[("tui", mode)][0]
        print(f"{label:28}{g:10.3f}{t:10.3f}{g / t:10.2f}")
    g, t = med[("gui", "chat")][1] / 1024, med[("tui", "chat")][1] / 1024
    print(f"{'RSS at chat (MiB)':28}{g:10.1f}{t:10.1f}{g / t:10.2f}")
    unlock = med[("gui", "unlock")][0]
    print(
        f"goal: under 1 s to the GUI's unlock window: {'met' if unlock < 1 else 'NOT met'} ({unlock:.3f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
