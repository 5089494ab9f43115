"""``timb demo``: a message crosses an onion service on a private Tor network on this machine.

Until the chat UI is the demo, this shows the ground TIMB stands on: it starts 3 directory
authorities, 2 relays and 2 client tors on 127.0.0.1 (nothing leaves loopback), publishes an
ephemeral onion service on one client, connects to it from the other through the SOCKS door and
sends a message across; the message comes back from the service. Every tor it started is stopped
at the end, also on Ctrl-C or failure (and each tor also exits by itself if this process dies).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

from timb.core import devnet
from timb.core.errors import Unavailable

MESSAGE = "Hello from TIMB: this message crossed a Tor onion service, end to end on loopback."


def _say(text: str) -> None:
    print(text, flush=True)


def _progress(prefix: str) -> devnet.ProgressCallback:
    return lambda p: _say(f"  {prefix} bootstrap {p.percent:3d}%  {p.summary}")


async def run_demo(directory: Path) -> int:
    started = time.monotonic()
    _say(f"1. Starting a private Tor network in {directory} (loopback only) ...")
    _say("   3 directory authorities and 2 relays vote a first consensus (about 5-10 s); then client0 joins:")
    host = await devnet.up(
        directory,
        owner_pid=os.getpid(),
        key_cache=devnet.default_key_cache(),
        on_progress=_progress("client0"),
    )
    _say(f"   network up in {time.monotonic() - started:.1f} s; client0 SOCKS 127.0.0.1:{host.socks_port}")
    _say("2. Starting a second client tor (the visitor) ...")
    visitor = await devnet.add_client(
        directory, "visitor", owner_pid=os.getpid(), on_progress=_progress("visitor")
    )
    _say("3. Publishing an onion service on client0 and connecting to it from the visitor ...")
    result = await devnet.onion_echo(host, visitor, MESSAGE.encode(), on_step=lambda s: _say(f"   {s}"))
    _say(f"   sent     -> {result.sent.decode()}")
    _say(f"   received <- {result.received.decode()}")
    _say(f"   connect + round trip through the onion service: {result.round_trip_s * 1000:.0f} ms")
    _say(f"Done in {time.monotonic() - started:.1f} s: the message crossed the onion service and came back.")
    return 0


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwind through the same clean-up as Ctrl-C


def _run(args: argparse.Namespace) -> int:
    # The demo only ever uses its own private network; the guard makes sure of it.
    os.environ["TIMB_OFFLINE"] = "1"
    signal.signal(signal.SIGTERM, _on_sigterm)
    made_dir = args.dir is None
    directory = Path(tempfile.mkdtemp(prefix="timb-demo-")) if made_dir else args.dir
    status = 1
    try:
        status = asyncio.run(run_demo(directory))
    except Unavailable as e:
        print(f"timb demo failed: {e}", file=sys.stderr)
    except KeyboardInterrupt:
        print("timb demo interrupted", file=sys.stderr)
        status = 130
    finally:
        stopped = devnet.down(directory)
        _say(f"4. Stopped {len(stopped)} tor processes.")
        if made_dir:
            shutil.rmtree(directory, ignore_errors=True)
    return status


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="show a message crossing an onion service on a private Tor network"
    )
    parser.add_argument("--dir", type=Path, default=None, help="network directory (default: a temporary one)")
    parser.set_defaults(handler=_run)
