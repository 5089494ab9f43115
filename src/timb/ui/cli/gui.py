"""``timb gui``: the Qt desktop app (the optional ``timb[gui]`` extra), same options as ``timb ui``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from timb.core.service import TimbService, TorSettings
from timb.ui.cli.tui import crash_log_for, tor_description, tor_settings
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
            return int(loop.run_until_complete(run_gui(args.profile, tor_settings(args))))
    except Exception as error:  # noqa: BLE001 - the last line of defence: report without secrets
        report = redacted_report(error)
        log = crash_log_for(args.profile)
        if log is None or not write_report(report, log):
            sys.stderr.write(report + "\n")
        return 1


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
