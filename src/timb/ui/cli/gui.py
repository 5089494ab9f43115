"""``timb gui``: the Qt desktop app (the optional ``timb[gui]`` extra), same options as ``timb ui``."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from timb.core.service import TimbService, TorSettings
from timb.ui.cli.tui import crash_log_for, held_until_asked, tor_description, tor_settings
from timb.ui.cli.tui import register as register_tui
from timb.ui.crash import redacted_report, write_report


async def run_gui(profile: Path, tor: TorSettings) -> int:
    """Run the GUI on a service until the user quits; returns the exit status."""
    from timb.ui.gui.app import GuiApp  # noqa: PLC0415 - Qt is loaded only for `timb gui`

    async with TimbService(profile, tor=tor) as service:
        app = GuiApp(service, tor_description=tor_description(tor), crash_log=crash_log_for(profile))
        app.install_crash_handlers()
        status = await app.run()
    return status


def gui_tor_settings(args: argparse.Namespace) -> TorSettings:
    """As `timb ui`: TIMB's own tor contacts nothing until the connection choice is known (the
    stored one at unlock, or the answer to the GUI's first-run question)."""
    return held_until_asked(tor_settings(args))


def _run(args: argparse.Namespace) -> int:
    try:
        import qasync  # noqa: PLC0415 - the optional gui extra

        from timb.ui.gui.app import qt_application  # noqa: PLC0415
    except ImportError:
        sys.stderr.write("timb gui needs the gui extra: pip install 'timb[gui]'\n")
        return 2
    app = qt_application(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return int(loop.run_until_complete(run_gui(args.profile, gui_tor_settings(args))))
    except Exception as error:  # noqa: BLE001 - the last line of defence: report without secrets
        report = redacted_report(error)
        log = crash_log_for(args.profile)
        if log is None or not write_report(report, log):
            sys.stderr.write(report + "\n")
        return 1


async def _demo_gui(directory: Path) -> int:
    """`timb demo --gui`: the demo stack (timb.devnet.demo), the GUI on its unlocked service with
    the bot's conversation open; everything the demo started is stopped at the end."""
    from timb.devnet.demo.stack import ACCOUNT, DemoStack  # noqa: PLC0415 - only for the demo
    from timb.ui.gui.app import GuiApp  # noqa: PLC0415

    stack = DemoStack(directory, say=print)
    task, loop = asyncio.current_task(), asyncio.get_running_loop()
    app: GuiApp | None = None
    signalled: list[int] = []

    def stop(signum: int, _: object) -> None:
        # SIGTERM or SIGHUP: quit the GUI (or stop starting) so the orderly teardown runs.
        signalled.append(signum)
        if app is not None:
            loop.call_soon_threadsafe(app.quit, 128 + signum)
        elif task is not None:
            loop.call_soon_threadsafe(task.cancel)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    try:
        facts = await stack.start()
        print(f"  your profile passphrase: {facts.passphrase!r}")
        print(f"  SMP secret to verify the bot: {facts.secret!r}")
        print("Opening the GUI (quit with Ctrl+Q) ...", flush=True)
        app = GuiApp(stack.service, tor_description=f"private network, control port {facts.control_port}")
        app.install_crash_handlers()
        app.start()
        app.window.open(ACCOUNT, facts.bot_jid)
        return await app.run()
    except asyncio.CancelledError:
        return 128 + (signalled[0] if signalled else signal.SIGINT)
    finally:
        print("Stopping everything the demo started ...", flush=True)
        await stack.stop()


def run_demo(args: argparse.Namespace) -> int:
    """The handler of ``timb demo --gui`` (see `_demo_gui`)."""
    from timb.devnet.demo.stack import stop_leftovers  # noqa: PLC0415

    os.environ["TIMB_OFFLINE"] = "1"  # the demo only ever uses its own private network
    try:
        import qasync  # noqa: PLC0415

        from timb.ui.gui.app import qt_application  # noqa: PLC0415
    except ImportError:
        sys.stderr.write("timb demo --gui needs the gui extra: pip install 'timb[gui]'\n")
        return 2
    made_dir = args.dir is None
    directory = Path(tempfile.mkdtemp(prefix="timb-demo-")) if made_dir else args.dir.resolve()
    loop = qasync.QEventLoop(qt_application(sys.argv[:1]))
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return int(loop.run_until_complete(_demo_gui(directory)))
    except KeyboardInterrupt:
        return 130
    finally:
        stop_leftovers(directory)  # the last resort when the orderly stop could not run
        if made_dir:
            shutil.rmtree(directory, ignore_errors=True)


def register(subparsers: Any) -> None:
    """The same profile and tor options as ``timb ui`` (borrowed from its parser)."""
    scratch = argparse.ArgumentParser(add_help=False).add_subparsers()
    register_tui(scratch)
    template = scratch.choices["ui"]
    parser = subparsers.add_parser(
        "gui",
        help="the desktop GUI (needs the gui extra)",
        parents=[template],
        add_help=False,
        conflict_handler="resolve",
    )
    parser.set_defaults(handler=_run)
