"""The ``timb`` command.

Each subcommand lives in its own module under timb.ui.cli with ``register(subparsers)``, which adds
a parser whose ``handler`` default is ``(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMAND_MODULES: list[str] = [
    "timb.ui.cli.testnet",
    "timb.ui.cli.demo",
    "timb.ui.cli.jsonrpc",
    "timb.ui.cli.tui",
    "timb.ui.cli.gui",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="timb", description="TIMB, the Tor Instant Messaging Bundle")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None and args.command is None and sys.stdin.isatty() and sys.stdout.isatty():
        args = parser.parse_args(["ui"])  # plain `timb` on a terminal: the terminal UI
        handler = args.handler
    if handler is None:
        parser.print_help()
        return 0
    result: int = handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
