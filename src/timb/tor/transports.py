"""Pluggable transports: which client programs are installed, what they carry, the
``ClientTransportPlugin`` lines for tor, and bridge lines adapted to older programs.

Programs (Debian package names): ``obfs4proxy`` (obfs4, meek_lite), ``snowflake-client``
(snowflake) and ``lyrebird`` (obfs4, meek_lite, webtunnel: the obfs4proxy successor Tor Browser
ships). A transport is offered only when a program that carries it is installed and answers
``-version``; asking for the version starts no transport and connects nowhere.

:func:`plan_transports` and :func:`adapt_bridge` are pure; :func:`detect_programs` runs the
binaries (``-version`` only).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from timb.tor.bridges import BridgeLine

# Program -> the transports it carries, in the order of preference when two carry one.
PROGRAMS: Mapping[str, frozenset[str]] = {
    "lyrebird": frozenset({"obfs4", "meek_lite", "webtunnel"}),
    "obfs4proxy": frozenset({"obfs4", "meek_lite"}),
    "snowflake-client": frozenset({"snowflake"}),
}
# snowflake-client learnt Tor Browser's ``fronts=`` (a list) late; Debian 12's 2.5.1 reads only
# ``front=``. Every version reads ``front=``, so translating for a version that would have
# understood ``fronts=`` loses only the spare fronts, never the connection.
SNOWFLAKE_FRONTS_SINCE = (2, 10, 0)
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True, slots=True)
class TransportProgram:
    """An installed transport program: its name, absolute path and version (e.g. (0, 0, 14))."""

    name: str
    path: str
    version: tuple[int, int, int]

    @property
    def transports(self) -> frozenset[str]:
        return PROGRAMS.get(self.name, frozenset())


def parse_version(text: str) -> tuple[int, int, int] | None:
    """The first ``X.Y[.Z]`` in a program's ``-version`` output (``obfs4proxy-0.0.14``,
    ``snowflake-client 2.5.1``)."""
    match = _VERSION.search(text)
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


Runner = Callable[[Sequence[str]], str]


def _run_version(argv: Sequence[str]) -> str:
    done = subprocess.run(
        list(argv), capture_output=True, timeout=10, check=False, stdin=subprocess.DEVNULL, env={}
    )
    return (done.stdout + done.stderr).decode(errors="replace")


def detect_programs(
    *, which: Callable[[str], str | None] = shutil.which, run: Runner = _run_version
) -> tuple[TransportProgram, ...]:
    """The transport programs installed here (found on PATH, answering ``-version``)."""
    found: list[TransportProgram] = []
    for name in PROGRAMS:
        path = which(name)
        if path is None or not path.startswith("/") or any(c.isspace() for c in path):
            continue  # tor's ClientTransportPlugin needs an absolute path without spaces
        try:
            version = parse_version(run([path, "-version"]))
        except (OSError, subprocess.SubprocessError):
            continue
        if version is not None:
            found.append(TransportProgram(name, path, version))
    return tuple(found)


def available_transports(programs: Iterable[TransportProgram]) -> frozenset[str]:
    """Every transport at least one installed program carries."""
    return frozenset(t for p in programs for t in p.transports)


def plan_transports(
    bridges: Sequence[BridgeLine], programs: Sequence[TransportProgram]
) -> dict[str, TransportProgram]:
    """transport -> the program that will carry it, for every transport ``bridges`` use.

    Raises:
        ValueError: a bridge needs a transport no installed program carries (named).
    """
    plan: dict[str, TransportProgram] = {}
    for transport in sorted({b.transport for b in bridges if b.transport is not None}):
        carriers = [p for p in programs if transport in p.transports]
        if not carriers:
            raise ValueError(f"no installed program carries {transport} (install {_package_for(transport)})")
        plan[transport] = carriers[0]
    return plan


def _package_for(transport: str) -> str:
    return " or ".join(name for name, carried in PROGRAMS.items() if transport in carried)


def adapt_bridge(bridge: BridgeLine, program: TransportProgram) -> BridgeLine:
    """``bridge`` as ``program`` understands it: for a snowflake-client older than
    SNOWFLAKE_FRONTS_SINCE, ``fronts=a,b`` becomes ``front=a``."""
    if (
        bridge.transport != "snowflake"
        or program.name != "snowflake-client"
        or program.version >= SNOWFLAKE_FRONTS_SINCE
        or bridge.param("fronts") is None
    ):
        return bridge
    params: list[tuple[str, str]] = []
    for key, value in bridge.params:
        if key == "fronts":
            if bridge.param("front") is None:
                params.append(("front", value.split(",")[0]))
        else:
            params.append((key, value))
    return bridge.replace_params(params)


def bridge_options(
    bridges: Sequence[BridgeLine], programs: Sequence[TransportProgram]
) -> list[tuple[str, str]]:
    """The torrc lines that make tor use only ``bridges``: ``UseBridges 1``, one ``Bridge``
    per line (adapted to its program) and one ``ClientTransportPlugin`` per program used.

    Raises:
        ValueError: no bridges, or a transport no installed program carries.
    """
    if not bridges:
        raise ValueError("no bridges given")
    plan = plan_transports(bridges, programs)
    opts: list[tuple[str, str]] = [("UseBridges", "1")]
    for bridge in bridges:
        program = plan.get(bridge.transport) if bridge.transport else None
        adapted = adapt_bridge(bridge, program) if program else bridge
        opts.append(("Bridge", adapted.torrc_value()))
    by_program: dict[str, list[str]] = {}
    for transport, program in plan.items():
        by_program.setdefault(program.path, []).append(transport)
    for path, transports in by_program.items():
        opts.append(("ClientTransportPlugin", f"{','.join(sorted(transports))} exec {path}"))
    return opts
