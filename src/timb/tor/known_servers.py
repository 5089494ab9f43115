"""Known onion addresses of chat servers: connect to a server's own onion service when one is
known, so the connection never leaves the Tor network through an exit relay. Pure (no I/O but
reading the file given).

The list is a dated, user-editable JSON file (``known_servers.json`` ships with TIMB, made from
CoyIM's ``servers/known.go``)::

    {"format": "timb-known-servers-1", "date": "YYYY-MM-DD", "source": "...",
     "servers": [{"domain": "example.org", "protocol": "xmpp", "onion": "<56 chars>.onion"}],
     "retired": [{"domain": ..., "protocol": ..., "onion": ..., "reason": ...}]}

``servers`` are used; ``retired`` entries are a record only and are never dialled. Every entry
CoyIM lists today is a v2 address, which tor 0.4.6 and later refuse, so all of them are retired
and the shipped ``servers`` list is empty until a server publishes a v3 address. The whole file
is refused (`KnownServersError`, naming the entry and field) if one used entry is malformed.
The TLS certificate is still checked for the domain when its onion is dialled.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from timb.common.errors import InvalidIdentifier
from timb.common.ids import OnionAddress
from timb.tor.errors import KnownServersError

FORMAT = "timb-known-servers-1"
PROTOCOLS = ("xmpp", "irc")
MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class KnownServers:
    """(protocol, domain) -> onion; ``date``: when the list was taken (shown to the user)."""

    date: datetime.date
    source: str
    onions: Mapping[tuple[str, str], OnionAddress]

    def onion_for(self, domain: str, protocol: str = "xmpp") -> OnionAddress | None:
        """The onion to dial for ``domain`` (case-insensitive, a trailing dot ignored)."""
        return self.onions.get((protocol, domain.strip().lower().rstrip(".")))


def load_known_servers(path: Path | None = None) -> KnownServers:
    """The user's file at ``path``, or the shipped list. Raises: KnownServersError, OSError."""
    if path is None:
        text = resources.files("timb.tor").joinpath("known_servers.json").read_text(encoding="utf-8")
    else:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise KnownServersError(0, "file", "larger than 1 MiB")
        text = path.read_text(encoding="utf-8")
    return parse_known_servers(text)


def parse_known_servers(text: str) -> KnownServers:
    """Raises: KnownServersError (the first bad entry; the file is used whole or not at all)."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise KnownServersError(0, "file", "not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise KnownServersError(0, "format", f"expected {FORMAT!r}")
    try:
        date = datetime.date.fromisoformat(str(doc.get("date")))
    except ValueError:
        raise KnownServersError(0, "date", "expected YYYY-MM-DD") from None
    entries = doc.get("servers", [])
    if not isinstance(entries, list):
        raise KnownServersError(0, "servers", "expected a list")
    onions: dict[tuple[str, str], OnionAddress] = {}
    for index, entry in enumerate(entries, 1):
        key, onion = _entry(index, entry)
        if key in onions:
            raise KnownServersError(index, "domain", "listed twice")
        onions[key] = onion
    return KnownServers(date, str(doc.get("source", "")), onions)


def _entry(index: int, entry: object) -> tuple[tuple[str, str], OnionAddress]:
    if not isinstance(entry, dict):
        raise KnownServersError(index, "entry", "expected an object")
    domain, protocol, onion = entry.get("domain"), entry.get("protocol", "xmpp"), entry.get("onion")
    if protocol not in PROTOCOLS:
        raise KnownServersError(index, "protocol", f"expected one of {PROTOCOLS}")
    if not isinstance(domain, str) or not domain or len(domain) > 253 or any(c.isspace() for c in domain):
        raise KnownServersError(index, "domain", "expected a domain name")
    if not isinstance(onion, str):
        raise KnownServersError(index, "onion", "expected a v3 onion address")
    try:
        address = OnionAddress(onion)
    except InvalidIdentifier as exc:
        raise KnownServersError(index, "onion", str(exc)) from None
    return (str(protocol), domain.lower().rstrip(".")), address


ENV_FILE = "TIMB_KNOWN_SERVERS"  # the user's own list (replaces the shipped one)


def known_onion(
    domain: str, protocol: str = "xmpp", environ: Mapping[str, str] | None = None
) -> OnionAddress | None:
    """The onion to dial for an account on ``domain`` that names no host: from the file in
    ``$TIMB_KNOWN_SERVERS`` if set, else the shipped list.

    Raises: KnownServersError, OSError (the user's file is unreadable: never silently ignored,
    so a connection does not leave through an exit relay because of a typo).
    """
    env = os.environ if environ is None else environ
    path = env.get(ENV_FILE)
    return load_known_servers(Path(path) if path else None).onion_for(domain, protocol)
