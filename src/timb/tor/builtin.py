"""Built-in bridges: the dated list TIMB ships (``builtin_bridges.json``, made from Tor
Browser's ``projects/tor-expert-bundle/pt_config.json``) and user replacements for it.

The list is data, read as JSON and validated line by line with `timb.tor.bridges`: a line
that does not parse, or sits under the wrong transport, rejects the whole file. A user can
replace the list with a newer one in either format: TIMB's own, or Tor Browser's
``pt_config.json`` as it is (its ``meek-azure`` key becomes ``meek_lite``; its
``pluggableTransports`` command lines are ignored, TIMB picks the programs itself).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from timb.tor.bridges import BridgeLine, parse_bridge_line
from timb.tor.errors import BridgeLineError

FORMAT = "timb-builtin-bridges-1"
MAX_FILE_BYTES = 1 << 20
# Tor Browser's key for each list -> the transport its lines must use.
_TOR_BROWSER_KEYS = {
    "obfs4": "obfs4",
    "snowflake": "snowflake",
    "meek-azure": "meek_lite",
    "meek": "meek_lite",
}


@dataclass(frozen=True, slots=True)
class BuiltinBridges:
    """Bridges by transport, with the date the list was taken (shown to the user: built-in
    bridges get blocked over time) and where it came from."""

    date: datetime.date
    source: str
    bridges: Mapping[str, tuple[BridgeLine, ...]]
    recommended: str = "obfs4"

    def transports(self) -> tuple[str, ...]:
        return tuple(sorted(self.bridges))

    def lines(self, transport: str) -> tuple[BridgeLine, ...]:
        """The bridges of ``transport`` (``()`` when the list has none)."""
        return self.bridges.get(transport, ())


def load_builtin() -> BuiltinBridges:
    """The list shipped with TIMB.

    Raises:
        BridgeLineError: the shipped file is damaged (a packaging bug; refused like any file).
    """
    text = resources.files("timb.tor").joinpath("builtin_bridges.json").read_text(encoding="utf-8")
    return parse_bridge_file(text)


def load_bridge_file(path: Path, *, date: datetime.date | None = None) -> BuiltinBridges:
    """A replacement list from ``path`` (TIMB's format or Tor Browser's ``pt_config.json``).

    ``date``: the date to show for a ``pt_config.json`` (which carries none); defaults to the
    file's modification day.

    Raises:
        BridgeLineError: unreadable, too big, not one of the two formats, or a bad line.
    """
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise BridgeLineError(0, "file", f"is larger than {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
        mtime = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC).date()
    except (OSError, UnicodeDecodeError) as e:
        raise BridgeLineError(0, "file", f"cannot be read ({type(e).__name__})") from None
    return parse_bridge_file(text, default_date=date or mtime, source=path.name)


def parse_bridge_file(
    text: str, *, default_date: datetime.date | None = None, source: str = "builtin"
) -> BuiltinBridges:
    """Read a bridge list (TIMB's format, or Tor Browser's pt_config.json).

    Raises:
        BridgeLineError: not JSON, not one of the two formats, a bad date, or a bad line.
    """
    if len(text) > MAX_FILE_BYTES:
        raise BridgeLineError(0, "file", f"is larger than {MAX_FILE_BYTES} bytes")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        raise BridgeLineError(0, "file", "is not JSON") from None
    return parse_bridge_document(doc, default_date=default_date, source=source)


def parse_bridge_document(
    doc: object, *, default_date: datetime.date | None = None, source: str = "builtin"
) -> BuiltinBridges:
    """`parse_bridge_file` on JSON already read (a replacement kept in the profile is read
    back through here, so it is validated again line by line like any file).

    Raises:
        BridgeLineError: not one of the two formats, a bad date, or a bad line.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("bridges"), dict):
        raise BridgeLineError(0, "file", "has no 'bridges' object")
    if doc.get("format") == FORMAT:
        keys = {name: name for name in doc["bridges"]}
        date = _date(doc.get("date"))
        source = str(doc.get("source", source))
    elif "pluggableTransports" in doc:
        keys = {k: _TOR_BROWSER_KEYS[k] for k in doc["bridges"] if k in _TOR_BROWSER_KEYS}
        if default_date is None:
            raise BridgeLineError(0, "date", "missing for a pt_config.json")
        date = default_date
    else:
        raise BridgeLineError(0, "file", "is neither a TIMB bridge list nor Tor Browser's pt_config.json")
    recommended = doc.get("recommended", doc.get("recommendedDefault", "obfs4"))
    return BuiltinBridges(date, source, _bridges(doc["bridges"], keys), str(recommended))


def _date(value: object) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise BridgeLineError(0, "date", "is not YYYY-MM-DD") from None


def _bridges(raw: Mapping[str, object], keys: Mapping[str, str]) -> dict[str, tuple[BridgeLine, ...]]:
    """The lines of the lists in ``keys``, validated. A bad line's number counts every bridge
    from the top of the file, the lists TIMB skips (Tor Browser's ``conjure``) included, so the
    user can find it in a ``pt_config.json``, which has one bridge a line."""
    out: dict[str, list[BridgeLine]] = {}
    number = 0
    for key, lines in raw.items():
        transport = keys.get(key)
        if transport is None:
            number += len(lines) if isinstance(lines, list) else 0
            continue
        if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
            raise BridgeLineError(0, key, "is not a list of lines")
        for line in lines:
            number += 1
            bridge = parse_bridge_line(line, line_no=number)
            if bridge.kind != transport:
                raise BridgeLineError(number, "transport", f"is {bridge.kind} under {key}")
            out.setdefault(transport, []).append(bridge)
    if not out:
        raise BridgeLineError(0, "bridges", "holds no bridge TIMB can use")
    return {transport: tuple(lines) for transport, lines in out.items()}
