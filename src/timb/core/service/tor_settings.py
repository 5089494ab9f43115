"""The connection assistant's setting: how the user's own (managed) tor reaches the Tor network.

The first start asks one question: connect directly, or "Tor is blocked or dangerous where I
am", then built-in bridges of one transport (obfs4, snowflake, meek_lite) or bridges the user was
given (pasted lines). The answer is a `BridgeChoice`, kept in the profile's encrypted vault (its
own section, ``tor_connection``): a private bridge is a secret, since a bridge that leaks gets
blocked, so its lines are never in a repr or a log.

Pasted lines are validated all-or-nothing (`timb.tor.bridges.parse_bridge_lines`: the first bad
line raises `BridgeLineError` naming its line and field, nothing is stored). `bridge_torrc`
turns a choice into tor's ``UseBridges``/``Bridge``/``ClientTransportPlugin`` lines for the
transport programs installed here, and applies the offline guard *before* any tor is started:
under ``TIMB_OFFLINE=1`` the built-in (public) bridges are refused with a clear error.

The built-in list itself can be replaced by the user with a newer one (TIMB's format or Tor
Browser's ``pt_config.json``): kept in its own vault section, ``tor_bridge_list``, in TIMB's
format, and read back through the same validation as any file (`load_bridge_list`).

Bridges only work with TIMB's managed tor; an attached tor is configured where it runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from timb.core.storage.vault import JsonObject, Vault
from timb.tor.bridges import BridgeLine, check_offline_bridges, parse_bridge_lines
from timb.tor.builtin import FORMAT, BuiltinBridges, load_builtin, parse_bridge_document
from timb.tor.errors import BridgeLineError, OfflineGuardError
from timb.tor.process import offline_mode
from timb.tor.transports import TransportProgram, available_transports, bridge_options

SECTION: Final = "tor_connection"
LIST_SECTION: Final = "tor_bridge_list"
DIRECT: Final = "direct"
BUILTIN: Final = "builtin"
CUSTOM: Final = "custom"
MODES: Final = (DIRECT, BUILTIN, CUSTOM)


@dataclass(frozen=True, slots=True)
class BridgeChoice:
    """``mode``: ``direct`` (no bridges), ``builtin`` (the shipped bridges of ``transport``) or
    ``custom`` (``bridges``, validated lines the user pasted; hidden from repr)."""

    mode: str = DIRECT
    transport: str | None = None
    bridges: tuple[BridgeLine, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown Tor connection {self.mode!r}; expected one of {MODES}")
        if (self.mode == BUILTIN) != (self.transport is not None):
            raise ValueError("a transport is chosen with built-in bridges, and only then")
        if (self.mode == CUSTOM) != bool(self.bridges):
            raise ValueError("given bridges need at least one line, and only then")

    @classmethod
    def direct(cls) -> BridgeChoice:
        return cls()

    @classmethod
    def builtin(cls, transport: str) -> BridgeChoice:
        return cls(BUILTIN, transport)

    @classmethod
    def custom(cls, text: str) -> BridgeChoice:
        """Pasted bridge lines (one per line; blank lines and ``#`` comments ignored).

        Raises: BridgeLineError (the first bad line and field; nothing is kept), or with line 0
        when the text holds no bridge at all.
        """
        bridges = parse_bridge_lines(text)
        if not bridges:
            raise BridgeLineError(0, "bridges", "no bridge line given")
        return cls(CUSTOM, None, bridges)

    @property
    def uses_bridges(self) -> bool:
        return self.mode != DIRECT

    def to_json(self) -> JsonObject:
        return {
            "mode": self.mode,
            "transport": self.transport,
            "bridges": [str(b) for b in self.bridges],
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, object]) -> BridgeChoice | None:
        """The stored choice, or None when there is none or it no longer parses (the assistant
        asks again: a damaged setting never silently becomes a direct connection)."""
        mode, transport, lines = doc.get("mode"), doc.get("transport"), doc.get("bridges")
        try:
            if mode == DIRECT:
                return cls.direct()
            if mode == BUILTIN and isinstance(transport, str):
                return cls.builtin(transport)
            if mode == CUSTOM and isinstance(lines, list) and all(isinstance(x, str) for x in lines):
                return cls.custom("\n".join(lines))
        except (BridgeLineError, ValueError):
            return None
        return None


def load_choice(vault: Vault) -> BridgeChoice | None:
    """The stored choice (None: not asked yet, the first-run question). Raises: VaultLocked."""
    return BridgeChoice.from_json(vault.section(SECTION))


def store_choice(vault: Vault, choice: BridgeChoice) -> None:
    """Raises: VaultLocked, StorageIOError."""
    section = vault.section(SECTION)
    section.clear()
    section.update(choice.to_json())
    vault.save()


def load_bridge_list(vault: Vault) -> BuiltinBridges:
    """The user's replacement for the built-in list, or the shipped one when there is none.

    A stored list that no longer validates (a parser made stricter since) gives the shipped
    one: the settings screen shows the shipped list's source and date, so the user sees it.

    Raises: VaultLocked, BridgeLineError (the shipped file is damaged).
    """
    stored = vault.data.get(LIST_SECTION)
    if isinstance(stored, dict):
        try:
            return parse_bridge_document(stored)
        except BridgeLineError:
            pass
    return load_builtin()


def store_bridge_list(vault: Vault, bridges: BuiltinBridges) -> None:
    """Raises: VaultLocked, StorageIOError."""
    # Kept in TIMB's own format, whichever format it was imported from (what
    # `parse_bridge_document` reads back).
    lines: JsonObject = {t: [str(b) for b in bridges.lines(t)] for t in bridges.transports()}
    doc: JsonObject = {
        "format": FORMAT,
        "date": bridges.date.isoformat(),
        "source": bridges.source,
        "recommended": bridges.recommended,
        "bridges": lines,
    }
    vault.set_section(LIST_SECTION, doc)
    vault.save()


def check_offline_list(bridges: BuiltinBridges, environ: Mapping[str, str] | None = None) -> None:
    """Under ``TIMB_OFFLINE=1``, refuse a replacement list with any line the guard would refuse
    (a public address, a transport that dials elsewhere), naming the line's number in the file:
    such a list could only ever be refused later, when chosen.

    Raises: OfflineGuardError.
    """
    if not offline_mode(environ):
        return
    for transport in bridges.transports():
        for number, bridge in enumerate(bridges.lines(transport), 1):
            try:
                check_offline_bridges({"bridge": [str(bridge)]})
            except OfflineGuardError as exc:
                raise OfflineGuardError(
                    f"TIMB_OFFLINE=1: {transport} bridge {number} of the list is refused ({exc})"
                ) from None


def offered_transports(builtin: BuiltinBridges, programs: Sequence[TransportProgram]) -> tuple[str, ...]:
    """The built-in transports that can run here (an installed program carries them)."""
    runnable = available_transports(programs)
    return tuple(t for t in builtin.transports() if t in runnable and builtin.lines(t))


def chosen_bridges(choice: BridgeChoice, builtin: BuiltinBridges) -> tuple[BridgeLine, ...]:
    """The bridge lines a choice stands for (``()`` for a direct connection).

    Raises: ValueError (the built-in list has no bridge of that transport).
    """
    if choice.mode == BUILTIN:
        assert choice.transport is not None
        lines = builtin.lines(choice.transport)
        if not lines:
            raise ValueError(f"the built-in bridge list has no {choice.transport} bridge")
        return lines
    return choice.bridges


def bridge_torrc(
    choice: BridgeChoice,
    builtin: BuiltinBridges,
    programs: Sequence[TransportProgram],
    environ: Mapping[str, str] | None = None,
) -> tuple[tuple[str, str], ...]:
    """The torrc lines for ``choice`` (none for a direct connection), checked by the offline
    guard when ``TIMB_OFFLINE=1`` so that no tor is ever started with a public bridge.

    Raises:
        ValueError: a transport no installed program carries (named with its package).
        OfflineGuardError: offline, and a line is not a loopback obfs4/vanilla bridge.
    """
    bridges = chosen_bridges(choice, builtin)
    if not bridges:
        return ()
    options = tuple(bridge_options(bridges, programs))
    if offline_mode(environ):
        try:
            check_offline_bridges(_by_option(options))
        except OfflineGuardError as exc:
            raise OfflineGuardError(
                f"TIMB_OFFLINE=1: {choice.mode} bridges are refused before tor starts ({exc})"
            ) from None
    return options


def _by_option(options: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """The bridge options in the guard's shape (lower-case name -> values); the rest of the
    torrc is judged by the guard again when that tor starts."""
    doc: dict[str, list[str]] = {}
    for key, value in options:
        doc.setdefault(key.lower(), []).append(value)
    return doc
