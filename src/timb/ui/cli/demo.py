"""``timb demo``: TIMB running for real on this machine, with nothing leaving loopback.

It brings up the private Tor network, Prosody as an onion service with two accounts, and a
headless demo contact (a TIMB bot that answers over OTR); see `timb.devnet.demo.stack`. Then:

- on a terminal, the TUI opens already logged in to your demo account, the bot in your
  contacts; chat privately, verify the bot with SMP (its greeting shows the secret), quit with
  ctrl+q;
- otherwise (``make demo`` in a script or CI), a short scripted conversation runs and is printed
  as it happens (`timb.devnet.demo.script`).

With ``--bridge obfs4`` the private network also runs an obfs4 bridge relay, and your tor
reaches the network only through it (``UseBridges 1``, its loopback line, obfs4proxy); once
logged in, the demo asks your tor over its control port and prints how it knows (its only guard,
its connections and the first hop of its circuits are the bridge). Without it nothing changes.

Either way everything the demo started is stopped at the end, also on Ctrl-C, SIGTERM or an
error; the exit status is 0 only when the whole demo worked.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from textual import on

from timb.core.errors import ServiceError, Unavailable
from timb.devnet import network as devnet
from timb.devnet.demo.script import run_script
from timb.devnet.demo.stack import ACCOUNT, DemoFacts, DemoStack, stop_leftovers
from timb.ui.cli.tui import crash_log_for
from timb.ui.tui.app import TimbApp
from timb.ui.tui.screens.main import MainScreen

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _say(text: str) -> None:
    # A closed terminal or pipe (SIGHUP, `| head`) must not stop the teardown that follows.
    with contextlib.suppress(OSError):
        print(text, flush=True)


def _complain(text: str) -> None:
    with contextlib.suppress(OSError):
        print(text, file=sys.stderr, flush=True)


def _progress(p: devnet.Progress) -> None:
    _say(f"  tor bootstrap {p.percent:3d}%  {p.summary}")


class DemoApp(TimbApp):
    """The TUI with the bot's conversation open from the start."""

    # Textual finds CSS_PATH next to the module defining the class: point it at TimbApp's own.
    CSS_PATH = str(Path(inspect.getfile(TimbApp)).with_name(str(TimbApp.CSS_PATH)))

    def __init__(self, stack: DemoStack, facts: DemoFacts) -> None:
        super().__init__(
            stack.service,
            tor_description=f"private network{_over(facts)}, control port {facts.control_port}",
            crash_log=crash_log_for(stack.service.profile_dir),
        )
        self._bot = facts.bot_jid

    # Textual runs this handler and TimbApp's own on_main_screen_ready (which lists the
    # contacts); call_later opens the conversation once both have run.
    @on(MainScreen.Ready)
    def _open_bot(self) -> None:
        self.call_later(self.main.open, ACCOUNT, self._bot)


def _over(facts: DemoFacts) -> str:
    return "" if facts.bridge is None else f" over its {facts.bridge} bridge"


def _tell(facts: DemoFacts) -> None:
    _say("The demo is running:")
    _say(f"  XMPP server (Prosody) as onion service: {facts.onion}")
    _say(f"  your account {facts.user_jid}, the bot {facts.bot_jid}")
    _say(f"  your profile passphrase: {facts.passphrase!r}")
    _say(f"  SMP secret to verify the bot: {facts.secret!r}")
    _say(f"  processes: prosody pid {facts.prosody_pid}; tor pids {' '.join(map(str, facts.tor_pids))}")


async def _demo(directory: Path, interactive: bool, bridge: str | None) -> int:
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    # SIGTERM, SIGHUP (the terminal closed) and Ctrl-C (asyncio.run's own handler) cancel the
    # demo, so the stack's orderly teardown below runs.
    signalled: list[int] = []

    def stop(signum: int) -> None:
        signalled.append(signum)
        task.cancel()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop, signum)
    started = time.monotonic()
    stack = DemoStack(directory, say=_say, on_progress=_progress, bridge=bridge)
    status = 1
    try:
        facts = await stack.start()
        _tell(facts)
        if interactive:
            _say("Opening the TUI (quit with ctrl+q) ...")
            app = DemoApp(stack, facts)
            await app.run_async()
            status = app.return_code or 0
            if signalled:  # Textual ends its app on cancellation instead of raising
                _complain("timb demo interrupted")
                status = 128 + signalled[0]
        else:
            await run_script(stack.service, stack.bot, facts, _say)
            _say(f"The whole demo worked in {time.monotonic() - started:.1f} s.")
            status = 0
    except (Unavailable, ServiceError) as exc:
        _complain(f"timb demo failed: {exc}")
    except asyncio.CancelledError:
        _complain("timb demo interrupted")
        status = 128 + signalled[0] if signalled else 130
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
        _say("Stopping everything the demo started ...")
        stopped = await stack.stop()
        _say("  stopped: " + ", ".join(stopped) if stopped else "  nothing was running")
    return status


def _run(args: argparse.Namespace) -> int:
    if args.gui and args.bridge:
        _complain("timb demo: --bridge is not available with --gui yet (the TUI and the script have it)")
        return 2
    if args.gui:
        from timb.ui.cli.gui import run_demo  # noqa: PLC0415 - Qt only for `timb demo --gui`

        return run_demo(args)
    # The demo only ever uses its own private network; the guard makes sure of it.
    os.environ["TIMB_OFFLINE"] = "1"
    interactive = sys.stdin.isatty() and sys.stdout.isatty() and not args.script
    made_dir = args.dir is None
    directory = Path(tempfile.mkdtemp(prefix="timb-demo-")) if made_dir else args.dir.resolve()
    _say(f"TIMB demo in {directory} (everything runs on this machine, on 127.0.0.1 only)")
    status = 1
    try:
        status = asyncio.run(_demo(directory, interactive, args.bridge))
    except KeyboardInterrupt:
        _complain("timb demo interrupted")
        status = 130
    finally:
        # The last resort when the orderly stop could not run (a second Ctrl-C, a crash).
        left = stop_leftovers(directory)
        if left:
            _say(f"  stopped leftover processes: {' '.join(map(str, left))}")
        if made_dir:
            shutil.rmtree(directory, ignore_errors=True)
    return status


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="run TIMB for real on a private Tor network with a demo contact (a bot)"
    )
    parser.add_argument("--dir", type=Path, default=None, help="demo directory (default: a temporary one)")
    parser.add_argument(
        "--script", action="store_true", help="run the scripted conversation even on a terminal"
    )
    parser.add_argument(
        "--bridge",
        choices=["obfs4"],
        default=None,
        help="your tor reaches the private network only through its loopback obfs4 bridge",
    )
    parser.add_argument("--gui", action="store_true", help="open the desktop GUI (the gui extra)")
    parser.set_defaults(handler=_run)
