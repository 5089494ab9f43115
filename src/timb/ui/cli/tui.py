"""``timb ui``: the terminal UI (also what ``timb`` with no subcommand starts on a terminal)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from timb.core.profile import Profile
from timb.core.service import TimbService, TorSettings, default_profile_dir
from timb.ui.crash import redacted_report, write_report
from timb.ui.tui.app import TimbApp

CRASH_LOG = "crash.log"


def tor_description(settings: TorSettings) -> str:
    if settings.managed:
        return "managed (TIMB runs its own tor)"
    if settings.control_port is None:
        return "not configured"
    return f"control port {settings.control_port}"


def tor_settings(args: argparse.Namespace) -> TorSettings:
    """Attach to ``--tor-control`` (and ``--tor-cookie``), or run our own tor with ``--tor-data``
    (on the private network of ``--tor-devnet``, if given)."""
    if args.tor_data is not None:
        return TorSettings(managed=True, data_dir=args.tor_data, devnet_dir=args.tor_devnet)
    return TorSettings(control_port=args.tor_control, cookie_path=args.tor_cookie)


def crash_log_for(profile: Path) -> Path | None:
    """The crash log lives in an existing profile (0700); before one exists the report goes to
    the terminal instead (a foreign file would stop the profile from being created there)."""
    return profile / CRASH_LOG if Profile.exists(profile) else None


def held_until_asked(settings: TorSettings) -> TorSettings:
    """The TUI's own tor contacts nothing until the connection assistant's choice is known (the
    stored one at unlock, or the first-run answer): where Tor is blocked or dangerous, even one
    direct attempt before the user answered would show a censor that Tor is used. An attached
    tor is configured where it runs and is left as it is."""
    return replace(settings, hold_network=True) if settings.managed else settings


async def run_ui(profile: Path, tor: TorSettings) -> int:
    """Run the UI on a service until the user quits; returns the exit status."""
    async with TimbService(profile, tor=tor) as service:
        app = TimbApp(service=service, tor_description=tor_description(tor), crash_log=crash_log_for(profile))
        await app.run_async()
        await service.close()
    return app.return_code or 0


def _run(args: argparse.Namespace) -> int:
    tor = held_until_asked(tor_settings(args))
    try:
        return asyncio.run(run_ui(args.profile, tor))
    except Exception as error:  # noqa: BLE001 - the last line of defence: report without secrets
        # Outside the app (the service starting or stopping): Python's traceback would print the
        # exception's message, which may quote a message or a key. Report it redacted instead.
        report = redacted_report(error)
        log = crash_log_for(args.profile)
        if log is None or not write_report(report, log):
            sys.stderr.write(report + "\n")
        else:
            sys.stderr.write(f"TIMB stopped after an internal error; see {log}\n")
        return 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("ui", help="the terminal UI (default when run on a terminal)")
    parser.add_argument("--profile", type=Path, default=default_profile_dir(), help="profile directory")
    parser.add_argument("--tor-control", type=int, default=None, metavar="PORT", help="tor control port")
    parser.add_argument("--tor-cookie", type=Path, default=None, metavar="PATH", help="tor auth cookie")
    parser.add_argument(
        "--tor-data",
        type=Path,
        default=None,
        metavar="DIR",
        help="run TIMB's own tor with this data directory",
    )
    parser.add_argument(
        "--tor-devnet", type=Path, default=None, metavar="DIR", help="with --tor-data: a private Tor network"
    )
    parser.set_defaults(handler=_run)
