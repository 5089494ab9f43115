"""``timb testnet up|status|down [--dir DIR]``: the private Tor network on loopback.

``up`` brings up 3 authorities, 2 relays and a client in DIR (default ``./.testnet``), or reuses
the network already running there, waits until the client has bootstrapped to 100 % (progress on
stderr) and prints one JSON object on stdout::

    {"socks_port": ..., "control_port": ..., "control_cookie": "...", "data_dir": "...", ...}

The network keeps running after ``up`` returns; ``down`` stops every tor it started. ``status``
prints a JSON object describing what runs there (exit status 1 if the network is not running).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from timb.core.errors import Unavailable
from timb.devnet import network as devnet

DEFAULT_DIR = Path(".testnet")


def _print_progress(step: devnet.Progress) -> None:
    print(f"bootstrap {step.percent:3d}% {step.summary}", file=sys.stderr, flush=True)


def _up(args: argparse.Namespace) -> int:
    print(
        f"private Tor network in {args.dir.resolve()}: reusing it if it runs, else starting "
        "3 authorities + 2 relays, then the client once the consensus lists them",
        file=sys.stderr,
        flush=True,
    )
    try:
        client = asyncio.run(
            devnet.up(
                args.dir,
                exit_relay=args.exit,
                on_progress=_print_progress,
                timeout_s=args.timeout,
                bridge=args.bridge,
            )
        )
        line = devnet.bridge_line(args.dir) if args.bridge else None
    except Unavailable as e:
        print(f"timb testnet up: {e}", file=sys.stderr)
        return 1
    extra: dict[str, object] = {"network_dir": str(args.dir.resolve()), "exit_relay": args.exit}
    if line is not None:
        print(f"bridge line: {line}", file=sys.stderr, flush=True)
        extra["bridge_line"] = line
    print(json.dumps({**client.as_json(), **extra}))
    return 0


def _status(args: argparse.Namespace) -> int:
    try:
        st = asyncio.run(devnet.status(args.dir))
    except Unavailable as e:
        print(f"timb testnet status: {e}", file=sys.stderr)
        return 1
    out: dict[str, Any] = {
        "network_dir": str(st.directory),
        "running": st.running,
        "bootstrap": st.bootstrap,
        "uptime_s": None if st.uptime_s is None else round(st.uptime_s, 1),
        "nodes": [{"nickname": n.nickname, "role": n.role, "pid": n.pid, "alive": n.alive} for n in st.nodes],
    }
    if st.client is not None:
        out.update(st.client.as_json())
    print(json.dumps(out))
    return 0 if st.running else 1


def _down(args: argparse.Namespace) -> int:
    try:
        stopped = devnet.down(args.dir)
    except Unavailable as e:
        print(f"timb testnet down: {e}", file=sys.stderr)
        return 1
    print(json.dumps({"network_dir": str(args.dir.resolve()), "stopped_pids": stopped}))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("testnet", help="a private Tor network on this machine (loopback only)")
    commands = parser.add_subparsers(dest="testnet_command", metavar="up|status|down", required=True)

    def with_dir(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="network directory (default ./.testnet)")
        return p

    up = with_dir(commands.add_parser("up", help="start (or reuse) the network; print the client's ports"))
    up.add_argument("--exit", action="store_true", help="relay0 exits to 127.0.0.1 only (never elsewhere)")
    up.add_argument(
        "--bridge", choices=["obfs4"], default=None, help="add a bridge relay; print its bridge line"
    )
    up.add_argument(
        "--timeout", type=float, default=60.0, metavar="S", help="time limit per stage (consensus, bootstrap)"
    )
    up.set_defaults(handler=_up)
    with_dir(commands.add_parser("status", help="what runs in the network directory")).set_defaults(
        handler=_status
    )
    with_dir(commands.add_parser("down", help="stop every tor of the network")).set_defaults(handler=_down)
