"""Bridge lines: parse, validate and render them for tor (``Bridge`` option). Pure.

A bridge line is what a user pastes from bridges.torproject.org, a friend or Tor Browser
(tor-manual ``Bridge [transport] IP:ORPort [fingerprint] [k=v ...]``)::

    obfs4 192.0.2.1:443 4352E58420E68F5E40BF7C74FADDCCD9D1349413 cert=... iat-mode=0
    Bridge snowflake 192.0.2.3:80 2B28... fingerprint=2B28... url=https://... fronts=a.example ice=stun:...
    [2001:db8::1]:443 4352E58420E68F5E40BF7C74FADDCCD9D1349413

Lines are data, never torrc text: each one is split into typed fields, every field is checked
against what its transport accepts, and the ``Bridge`` value tor gets is rendered from the
fields, so nothing pasted can add another option, a comment or a second line. Addresses must be
IP literals (a name would be resolved by tor or its transport outside Tor). Several lines parse
all-or-nothing: the first bad one raises `BridgeLineError` naming its line and field, and no
line is returned.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from timb.tor.errors import BridgeLineError, OfflineGuardError

MAX_LINES = 256  # more than any bridge distributor hands out; bounds hostile pastes
MAX_LINE_LENGTH = 4096
VANILLA = "vanilla"  # the name TIMB shows for a line without a transport

_FINGERPRINT = re.compile(r"^[0-9A-Fa-f]{40}$")
_TRANSPORT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
# Printable ASCII without space and the three characters torrc gives a meaning (quote, escape,
# comment): a value holding one of them could change how tor reads the line.
_TOKEN_FORBIDDEN = set(' "\\#')


@dataclass(frozen=True, slots=True)
class BridgeLine:
    """One validated bridge. ``transport`` is None for a vanilla (plain Tor) bridge; ``host`` is
    an IP literal without brackets; ``fingerprint`` is 40 upper-case hex digits or None;
    ``params`` are the ``k=v`` arguments in their pasted order."""

    transport: str | None
    host: str
    port: int
    fingerprint: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def kind(self) -> str:
        return self.transport or VANILLA

    @property
    def address(self) -> str:
        """``host:port``, with the IPv6 host in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def param(self, key: str) -> str | None:
        return dict(self.params).get(key)

    def replace_params(self, params: Iterable[tuple[str, str]]) -> BridgeLine:
        """The same bridge with other arguments (re-validated).

        Raises:
            BridgeLineError: the new arguments are not valid for this transport.
        """
        line = BridgeLine(self.transport, self.host, self.port, self.fingerprint, tuple(params))
        return parse_bridge_line(line.torrc_value())

    def torrc_value(self) -> str:
        """The value of tor's ``Bridge`` option for this line."""
        words = [self.transport] if self.transport else []
        words.append(self.address)
        if self.fingerprint:
            words.append(self.fingerprint)
        words += [f"{k}={v}" for k, v in self.params]
        return " ".join(words)

    def __str__(self) -> str:
        return self.torrc_value()


def parse_bridge_lines(text: str) -> tuple[BridgeLine, ...]:
    """Every bridge in ``text``: one per line; blank lines and ``#`` comments are skipped.

    Raises:
        BridgeLineError: a bad line (the first one), too many lines, or no bridge at all.
    """
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise BridgeLineError(0, "text", f"more than {MAX_LINES} lines")
    out: list[BridgeLine] = []
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        out.append(parse_bridge_line(stripped, line_no=number))
    if not out:
        raise BridgeLineError(0, "text", "no bridge line found")
    return tuple(out)


def parse_bridge_line(text: str, *, line_no: int = 1) -> BridgeLine:
    """One bridge line, with or without the leading ``Bridge`` keyword.

    Raises:
        BridgeLineError: naming ``line_no`` and the field that is wrong.
    """

    def fail(field: str, reason: str) -> BridgeLineError:
        return BridgeLineError(line_no, field, reason)

    words = _words(text, fail)
    transport: str | None = None
    if not _looks_like_address(words[0]):
        transport = words.pop(0)
        if not _TRANSPORT.match(transport):
            raise fail("transport", f"{transport!r} is not a transport name")
        if transport not in TRANSPORT_RULES:
            raise fail("transport", f"{transport!r} is not supported ({', '.join(sorted(TRANSPORT_RULES))})")
    if not words:
        raise fail("address", "missing")
    host, port = _parse_address(words.pop(0), fail)
    fingerprint = None
    if words and "=" not in words[0]:
        fingerprint = words.pop(0)
        if not _FINGERPRINT.match(fingerprint):
            raise fail("fingerprint", "is not 40 hexadecimal digits")
        fingerprint = fingerprint.upper()
    params = _parse_params(words, fail)
    if transport is None:
        if params:
            raise fail(params[0][0], "a bridge without a transport takes no arguments")
    else:
        _check_transport(transport, dict(params), fail)
    return BridgeLine(transport, host, port, fingerprint, tuple(params))


_Fail = Callable[[str, str], BridgeLineError]


def _words(text: str, fail: _Fail) -> list[str]:
    if len(text) > MAX_LINE_LENGTH:
        raise fail("line", f"longer than {MAX_LINE_LENGTH} characters")
    if not text.isascii() or any(not (c.isprintable() or c == "\t") for c in text):
        raise fail("line", "holds a control or non-ASCII character")
    words = text.split()
    if words and words[0].casefold() == "bridge":
        words = words[1:]
    if not words:
        raise fail("line", "is empty")
    if any(_TOKEN_FORBIDDEN & set(word) for word in words):
        raise fail("line", "holds a quote, backslash or '#'")
    return words


def _looks_like_address(word: str) -> bool:
    return word.startswith("[") or word[:1].isdigit() or ":" in word


def _parse_address(word: str, fail: _Fail) -> tuple[str, int]:
    if word.startswith("["):
        host, sep, rest = word[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise fail("address", "is not [IPv6]:port")
        port_text = rest[1:]
    else:
        host, sep, port_text = word.rpartition(":")
        if not sep:
            raise fail("address", "has no :port")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise fail("address", "is not an IP address literal (names are not looked up)") from None
    if isinstance(ip, ipaddress.IPv6Address) and not word.startswith("["):
        raise fail("address", "an IPv6 address is written in brackets: [addr]:port")
    if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise fail("port", "is not a port 1-65535")
    return str(ip), int(port_text)


def _parse_params(words: list[str], fail: _Fail) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    seen: set[str] = set()
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            raise fail("arguments", "a word after the fingerprint is not key=value")
        if not _KEY.match(key):
            raise fail("arguments", "an argument name is not a word")
        if key in seen:
            raise fail(key, "given twice")
        if not value:
            raise fail(key, "is empty")
        seen.add(key)
        params.append((key, value))
    return params


# ---- what each transport accepts -------------------------------------------------------------


def _fingerprint(value: str) -> str | None:
    return None if _FINGERPRINT.match(value) else "is not 40 hexadecimal digits"


def _obfs4_cert(value: str) -> str | None:
    # obfs4's cert is base64 (unpadded) of node id (20 bytes) + Curve25519 public key (32 bytes).
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return "is not base64"
    return None if len(raw) == 52 else "is not an obfs4 certificate (52 bytes)"


def _iat_mode(value: str) -> str | None:
    return None if value in {"0", "1", "2"} else "must be 0, 1 or 2"


def _hex(length: int) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        ok = len(value) == length and all(c in "0123456789abcdefABCDEF" for c in value)
        return None if ok else f"is not {length} hexadecimal digits"

    return check


def _https_url(value: str) -> str | None:
    try:
        url = urlsplit(value)
        port = url.port
    except ValueError:
        return "is not a URL"
    if url.scheme != "https" or not url.hostname:
        return "is not an https:// URL"
    if url.username is not None or url.password is not None:
        return "holds a user name or password"
    if port == 0 or _host_error(url.hostname) is not None:
        return "has a bad host or port"
    return None


def _host_error(value: str) -> str | None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None if _HOSTNAME.match(value) else "is not a host name"
    return None


def _hosts(value: str) -> str | None:
    hosts = value.split(",")
    return next(("is not a list of host names" for h in hosts if _host_error(h)), None)


def _ice(value: str) -> str | None:
    for server in value.split(","):
        scheme, sep, rest = server.partition(":")
        host, sep2, port = rest.rpartition(":")
        if scheme not in {"stun", "turn", "stuns", "turns"} or not sep or not sep2:
            return "is not a list of stun:host:port"
        if _host_error(host) or not port.isdigit() or not 0 < int(port) < 65536:
            return "has a server with a bad host or port"
    return None


def _word(value: str) -> str | None:
    return None if re.fullmatch(r"[A-Za-z0-9_.,:/-]{1,256}", value) else "holds unexpected characters"


def _number(value: str) -> str | None:
    return None if value.isascii() and value.isdigit() and len(value) < 6 else "is not a number"


Check = Callable[[str], "str | None"]


@dataclass(frozen=True, slots=True)
class TransportRule:
    """The arguments a transport accepts (name -> check) and those it needs (any one set)."""

    accepted: Mapping[str, Check]
    required: tuple[frozenset[str], ...] = ()


TRANSPORT_RULES: Mapping[str, TransportRule] = {
    # obfs4proxy / lyrebird: cert, or the older node-id + public-key pair; iat-mode always.
    "obfs4": TransportRule(
        {"cert": _obfs4_cert, "iat-mode": _iat_mode, "node-id": _hex(40), "public-key": _hex(64)},
        (frozenset({"cert", "iat-mode"}), frozenset({"node-id", "public-key", "iat-mode"})),
    ),
    "meek_lite": TransportRule({"url": _https_url, "front": _hosts, "utls": _word}, (frozenset({"url"}),)),
    "snowflake": TransportRule(
        {
            "url": _https_url,
            "front": _hosts,
            "fronts": _hosts,
            "ice": _ice,
            "fingerprint": _fingerprint,
            "utls-imitate": _word,
            "utls-nosni": _word,
            "ampcache": _https_url,
            "sqsqueue": _https_url,
            "sqscreds": _word,
            "max": _number,
        },
        (frozenset({"url"}), frozenset({"ampcache"}), frozenset({"sqsqueue"})),
    ),
    "webtunnel": TransportRule(
        {"url": _https_url, "ver": _word, "servername": _hosts, "utls": _word}, (frozenset({"url"}),)
    ),
}


def _check_transport(transport: str, params: Mapping[str, str], fail: _Fail) -> None:
    rule = TRANSPORT_RULES[transport]
    for key, value in params.items():
        check = rule.accepted.get(key)
        if check is None:
            raise fail(key, f"is not an argument of {transport}")
        problem = check(value)
        if problem is not None:
            raise fail(key, problem)
    if rule.required and not any(need <= params.keys() for need in rule.required):
        missing = sorted(rule.required[0] - params.keys())
        raise fail(missing[0], f"missing ({transport} needs {', '.join(sorted(rule.required[0]))})")


# ---- the offline guard's part ------------------------------------------------------------------

# Transports that dial only the bridge's own address: a loopback bridge keeps them on loopback.
# meek_lite, snowflake and webtunnel dial the URL, broker, STUN servers or fronts in their
# arguments instead, which are never loopback in a real line: refused offline.
OFFLINE_TRANSPORTS = frozenset({None, "obfs4"})


def check_offline_bridges(opts: Mapping[str, list[str]]) -> None:
    """The offline guard for bridges and transports (``opts``: lower-case option -> values).

    Every ``Bridge`` must parse, be on a loopback address and use no transport that dials
    elsewhere; a ``ClientTransportPlugin`` must ``exec`` a program or name a loopback proxy;
    ``ServerTransportListenAddr`` must be on loopback and ``ServerTransportPlugin`` ``exec``.

    Raises:
        OfflineGuardError: naming the offending option (not the whole line).
    """
    for value in opts.get("bridge", []):
        try:
            bridge = parse_bridge_line(value)
        except BridgeLineError as e:
            raise OfflineGuardError(f"Bridge line refused: {e.field} {e.reason}") from None
        if not ipaddress.ip_address(bridge.host).is_loopback:
            raise OfflineGuardError(f"Bridge {bridge.host!r} is not on loopback")
        if bridge.transport not in OFFLINE_TRANSPORTS:
            raise OfflineGuardError(f"Bridge transport {bridge.transport} dials beyond the bridge's address")
    for value in opts.get("clienttransportplugin", []):
        words = value.split()
        if len(words) >= 3 and words[1] == "exec":
            continue
        if len(words) == 3 and words[1] in {"socks4", "socks5"} and _loopback_endpoint(words[2]):
            continue
        raise OfflineGuardError("ClientTransportPlugin is neither 'exec' nor a loopback proxy")
    for value in opts.get("servertransportplugin", []):
        words = value.split()
        if len(words) < 3 or words[1] != "exec":
            raise OfflineGuardError("ServerTransportPlugin is not 'exec'")
    for value in opts.get("servertransportlistenaddr", []):
        words = value.split()
        if len(words) != 2 or not _loopback_endpoint(words[1]):
            raise OfflineGuardError("ServerTransportListenAddr is not on loopback")


def _loopback_endpoint(text: str) -> bool:
    host = text[1:].partition("]")[0] if text.startswith("[") else text.rpartition(":")[0]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
