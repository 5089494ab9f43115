"""torrc: a model of tor's configuration, its renderer, the private-network templates and the
offline guard. Pure: no I/O, no clock, no randomness (ports and paths are passed in).

The templates follow the measured recipe for a private Tor network on loopback (field notes §1):
every node has ``TestingTorNetwork 1``, the chutney "rapid" set and ``DirAuthority`` lines on
127.0.0.1 only; every non-client has ``SocksPort 0`` (else they all fight for 9050); clients get
``LearnCircuitBuildTimeout 0`` + ``CircuitBuildTimeout 2`` (removes the 18 s stalls at 95 %).

The offline guard, :func:`check_private_network`, takes options as tor's ``GETCONF`` returns
them, so the same function checks a torrc TIMB is about to start and a tor TIMB attaches to.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from timb.tor.bridges import check_offline_bridges
from timb.tor.errors import OfflineGuardError

LOOPBACK = "127.0.0.1"

# Options whose values name directory servers TIMB's tor would contact.
_DIRECTORY_OPTIONS = ("DirAuthority", "AlternateDirAuthority", "AlternateBridgeAuthority", "FallbackDir")
# Options whose values are a proxy tor would send all its traffic through.
_PROXY_OPTIONS = ("Socks4Proxy", "Socks5Proxy", "HTTPSProxy", "HTTPProxy")


@dataclass(frozen=True, slots=True)
class TorConfig:
    """An ordered torrc: (option, value) pairs; an option may repeat (DirAuthority, ExitPolicy).

    Raises:
        ValueError: at construction, for an option name that is not a plain word or a value
            that could break out of its line (newline, NUL).
    """

    options: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name, value in self.options:
            if not name or not all(c.isalnum() or c == "_" for c in name):
                raise ValueError(f"bad torrc option name {name!r}")
            if any(c in value for c in "\n\r\0"):
                raise ValueError(f"torrc value for {name} contains a line break or NUL")

    def plus(self, *pairs: tuple[str, str]) -> TorConfig:
        """A new config with ``pairs`` appended."""
        return TorConfig(self.options + tuple(pairs))

    def without(self, name: str) -> TorConfig:
        """A new config with every line of option ``name`` removed (case-insensitive)."""
        key = name.casefold()
        return TorConfig(tuple(p for p in self.options if p[0].casefold() != key))

    def get(self, name: str) -> list[str]:
        """Every value of option ``name`` (case-insensitive), in order; [] when unset."""
        key = name.casefold()
        return [v for n, v in self.options if n.casefold() == key]

    def as_getconf(self) -> dict[str, list[str]]:
        """The options in :func:`check_private_network`'s input format."""
        out: dict[str, list[str]] = {}
        for name, value in self.options:
            out.setdefault(name, []).append(value)
        return out

    def render(self) -> str:
        """The torrc text, one ``Option value`` per line."""
        return "".join(f"{name} {_quote(value)}\n" for name, value in self.options)


def _quote(value: str) -> str:
    # torrc treats '#' as a comment and a leading '"' as a C-style quoted string; quote only then,
    # so ordinary values read exactly like the field notes' recipes.
    if not any(c in value for c in '#"\\') and value == value.strip():
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


@dataclass(frozen=True, slots=True)
class DirAuthority:
    """One directory authority of the private network (a ``DirAuthority`` line)."""

    nickname: str
    or_port: int
    dir_port: int
    v3ident: str
    fingerprint: str
    address: str = LOOPBACK

    def line(self) -> str:
        return (
            f"{self.nickname} orport={self.or_port} no-v2 v3ident={self.v3ident} "
            f"{self.address}:{self.dir_port} {self.fingerprint}"
        )


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """Where one tor of the private network lives and listens. Ports are picked by the caller.

    ``control_port``: None lets tor pick one (``127.0.0.1:auto``; ManagedTor reads it back).
    ``owner_pid``: if set, ``__OwningControllerProcess``: tor exits when that process does.
    """

    nickname: str
    data_dir: str
    control_port: int | None = None
    or_port: int | None = None
    dir_port: int | None = None
    socks_port: int | None = None
    owner_pid: int | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())


# The chutney "rapid" set plus the testing-network votes (field notes §1).
_RAPID: tuple[tuple[str, str], ...] = (
    ("AssumeReachable", "1"),
    ("PathsNeededToBuildCircuits", "0.25"),
    ("TestingDirAuthVoteExit", "*"),
    ("TestingDirAuthVoteGuard", "*"),
    ("TestingMinExitFlagThreshold", "0"),
    ("V3AuthNIntervalsValid", "2"),
)

# The shortest voting schedule tor accepts: 5 s for the first consensus, 10 s afterwards
# (tor wants vote delay + distribution delay, at least 2 + 2, below half the interval).
INITIAL_VOTING_INTERVAL = 5
_AUTHORITY_SCHEDULE: tuple[tuple[str, str], ...] = (
    ("TestingV3AuthInitialVoteDelay", "2"),
    ("TestingV3AuthInitialDistDelay", "2"),
    ("V3AuthVotingInterval", "10"),
    ("V3AuthVoteDelay", "2"),
    ("V3AuthDistDelay", "2"),
)


def control_options(control_port: int | None, owner_pid: int | None) -> list[tuple[str, str]]:
    """ControlPort on loopback (``auto`` if None) with cookie authentication (and an owner)."""
    port = "auto" if control_port is None else str(control_port)
    opts = [("ControlPort", f"{LOOPBACK}:{port}"), ("CookieAuthentication", "1")]
    if owner_pid is not None:
        opts.append(("__OwningControllerProcess", str(owner_pid)))
    return opts


def common_options(node: NodeSpec, authorities: Sequence[DirAuthority]) -> list[tuple[str, str]]:
    """The lines every node of the private network shares."""
    d = node.data_dir
    opts: list[tuple[str, str]] = [
        ("TestingTorNetwork", "1"),
        ("DataDirectory", d),
        ("Nickname", node.nickname),
        ("RunAsDaemon", "0"),
        ("ShutdownWaitLength", "0"),
        ("PidFile", f"{d}/pid"),
        ("Log", f"notice file {d}/notice.log"),
        ("LogTimeGranularity", "1"),
        ("SafeLogging", "0"),
        ("Address", LOOPBACK),
        ("OutboundBindAddress", LOOPBACK),
        # Parsing the GeoIP files costs ~0.7 s of CPU per node at start; a late authority
        # misses the first vote, which costs a voting round (5-10 s).
        ("GeoIPFile", "/dev/null"),
        ("GeoIPv6File", "/dev/null"),
        *control_options(node.control_port, node.owner_pid),
        *_RAPID,
    ]
    opts += [("DirAuthority", a.line()) for a in authorities]
    return opts


def _require(value: int | None, what: str, node: NodeSpec) -> int:
    if value is None:
        raise ValueError(f"{node.nickname}: {what} is required for this role")
    return value


def authority_torrc(
    node: NodeSpec,
    authorities: Sequence[DirAuthority],
    *,
    initial_voting: tuple[int, int] = (INITIAL_VOTING_INTERVAL, 0),
) -> TorConfig:
    """A directory authority: ORPort + DirPort, votes on the fastest schedule, never exits.

    ``initial_voting``: (``TestingV3AuthInitialVotingInterval``,
    ``TestingV3AuthVotingStartOffset``) until the first consensus, so the caller can hold the
    first vote and release it (``SETCONF``) once the relays are ready (testnet/schedule.py).

    Raises:
        ValueError: ``node`` has no or_port or dir_port.
    """
    or_port = _require(node.or_port, "or_port", node)
    dir_port = _require(node.dir_port, "dir_port", node)
    return TorConfig(
        (
            *common_options(node, authorities),
            ("ORPort", f"{LOOPBACK}:{or_port}"),
            ("DirPort", f"{LOOPBACK}:{dir_port}"),
            ("SocksPort", "0"),
            ("AuthoritativeDirectory", "1"),
            ("V3AuthoritativeDirectory", "1"),
            ("ContactInfo", f"{node.nickname}@test.test"),
            *_AUTHORITY_SCHEDULE,
            ("TestingV3AuthInitialVotingInterval", str(initial_voting[0])),
            ("TestingV3AuthVotingStartOffset", str(initial_voting[1])),
            ("ExitPolicy", "reject *:*"),
            # HSDirs are the authorities only: relays are not directory caches (see relay_torrc).
            ("TestingDirAuthVoteHSDir", ",".join(f"${a.fingerprint}" for a in authorities)),
            *node.extra,
        )
    )


def relay_torrc(
    node: NodeSpec, authorities: Sequence[DirAuthority], *, exit_to_loopback: bool = False
) -> TorConfig:
    """A relay. With ``exit_to_loopback`` it exits to 127.0.0.1 only — never ``accept *:*``, so a
    bug cannot leave loopback.

    Raises:
        ValueError: ``node`` has no or_port.
    """
    or_port = _require(node.or_port, "or_port", node)
    opts = [
        *common_options(node, authorities),
        ("ORPort", f"{LOOPBACK}:{or_port}"),
        ("SocksPort", "0"),
        # Not a directory cache: a client that asked a fresh relay for microdescriptors got a
        # 404 and waited 10 s; the authorities always have them.
        ("DirCache", "0"),
    ]
    if exit_to_loopback:
        opts += [
            ("ExitRelay", "1"),
            ("ExitPolicy", f"accept {LOOPBACK}:*, reject *:*"),
            ("ExitPolicyRejectPrivate", "0"),
            ("ExitPolicyRejectLocalInterfaces", "0"),
        ]
    else:
        opts.append(("ExitPolicy", "reject *:*"))
    return TorConfig((*opts, *node.extra))


def client_torrc(
    node: NodeSpec, authorities: Sequence[DirAuthority], *, use_microdescriptors: bool = True
) -> TorConfig:
    """A client (and host of ephemeral onion services made with ADD_ONION).

    ``use_microdescriptors=False`` is needed to use the loopback exit: microdescriptor policy
    summaries only describe public addresses (tor bug #11264), so such a client sees no exit.
    Without ``socks_port`` tor picks a free one (``127.0.0.1:auto``; ask it with
    ``GETINFO net/listeners/socks``), so no other process can take it in between.
    """
    socks = "auto" if node.socks_port is None else str(node.socks_port)
    opts = [
        *common_options(node, authorities),
        ("SocksPort", f"{LOOPBACK}:{socks}"),
        ("LearnCircuitBuildTimeout", "0"),
        ("CircuitBuildTimeout", "2"),
        # Fetch microdescriptors at once rather than batching them for 5 s.
        ("TestingClientMaxIntervalWithoutRequest", "1"),
        # Vanguards-lite picks 4 layer-2 relays out of 5; when its set cannot serve as hop 2
        # of a path here, internal circuits fail for up to a minute ("Could not find a node
        # that matches the configured _HSLayer2Nodes set") and bootstrap stalls at 95 %.
        ("VanguardsLiteEnabled", "0"),
    ]
    if not use_microdescriptors:
        opts.append(("UseMicrodescriptors", "0"))
    return TorConfig((*opts, *node.extra))


def onion_host_torrc(
    node: NodeSpec,
    authorities: Sequence[DirAuthority],
    hs_dir: str,
    ports: Iterable[tuple[int, int]],
) -> TorConfig:
    """A client that also publishes a torrc-configured onion service in ``hs_dir``, mapping each
    (virtual port, loopback target port) pair. Its address appears in ``hs_dir/hostname``.

    Raises:
        ValueError: ``ports`` is empty.
    """
    hs = [("HiddenServicePort", f"{virt} {LOOPBACK}:{target}") for virt, target in ports]
    if not hs:
        raise ValueError("an onion host needs at least one port")
    return client_torrc(node, authorities).plus(("HiddenServiceDir", hs_dir), *hs)


# --- the offline guard ------------------------------------------------------------------------


def check_private_network(options: Mapping[str, Sequence[str]]) -> None:
    """Refuse a tor that is not on the private test network on loopback.

    ``options`` maps an option name (any case) to its values, in the shape ``GETCONF`` returns:
    one string per configured line (``{"DirAuthority": ["auth0 orport=... 127.0.0.1:5000 FP",
    ...], "TestingTorNetwork": ["1"]}``). An option at its default may be missing, map to [] or to
    [""] (GETCONF answers ``250 Name`` without ``=`` for a default).

    Accepted only when ``TestingTorNetwork`` is 1, at least one DirAuthority (or
    AlternateDirAuthority) is set, every directory server (DirAuthority, AlternateDirAuthority,
    AlternateBridgeAuthority, FallbackDir) and every proxy is on loopback, no bridges are used,
    no ExitPolicy ``accept`` rule reaches beyond loopback, a node that may exit (ExitPolicy lines
    without ``ExitRelay 0``, ``ExitRelay 1``, ``ReducedExitPolicy 1``) has a ``reject *:*`` rule
    (else tor appends its default exit policy, which exits to the Internet), and a ``TCPProxy``
    (tor makes all its OR connections through it) is on loopback.

    Raises:
        OfflineGuardError: naming the first offending option.
    """
    opts = _normalise(options)
    if opts.get("testingtornetwork", ["0"])[-1] != "1":
        raise OfflineGuardError("tor is not a private test network: TestingTorNetwork is not 1")
    if not opts.get("dirauthority") and not opts.get("alternatedirauthority"):
        raise OfflineGuardError("tor has no private DirAuthority: it would use the public authorities")
    for name in _DIRECTORY_OPTIONS:
        for value in opts.get(name.casefold(), []):
            for host in _directory_hosts(value):
                if not _is_loopback(host):
                    raise OfflineGuardError(f"{name} {host!r} is not on loopback")
    check_offline_bridges(opts)
    _check_proxies(opts)
    for value in opts.get("exitpolicy", []):
        _check_exit_policy(value)
    _check_exit_policy_closed(opts)


def _check_proxies(opts: Mapping[str, list[str]]) -> None:
    for name in _PROXY_OPTIONS:
        for value in opts.get(name.casefold(), []):
            host = _split_host_port(value.split()[0])
            if not _is_loopback(host):
                raise OfflineGuardError(f"{name} {host!r} is not on loopback")
    for value in opts.get("tcpproxy", []):
        host = _split_host_port(value.split()[-1])  # "haproxy host:port"
        if not _is_loopback(host):
            raise OfflineGuardError(f"TCPProxy {host!r} is not on loopback")


def _normalise(options: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, values in options.items():
        kept = [v.strip() for v in values if v.strip()]
        if kept:
            out.setdefault(name.casefold(), []).extend(kept)
    return out


def _directory_hosts(value: str) -> list[str]:
    """The addresses in a DirAuthority/FallbackDir line: ``addr:port`` and ``ipv6=[addr]:port``.

    ``DirAuthority [nickname] [flags] ipv4addr:port fingerprint``; FallbackDir uses
    ``ipv4addr:port orport=N id=FP [ipv6=[addr]:port]``.
    """
    hosts: list[str] = []
    for token in value.split():
        if token.startswith("ipv6="):
            hosts.append(_split_host_port(token[len("ipv6=") :]))
        elif "=" not in token and ":" in token:
            hosts.append(_split_host_port(token))
    if not hosts:
        raise OfflineGuardError(f"cannot find the address in directory line {value!r}")
    return hosts


def _split_host_port(text: str) -> str:
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    return text.rsplit(":", 1)[0] if ":" in text else text


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name, or garbage: tor would resolve or dial it; refuse


def _check_exit_policy(value: str) -> None:
    for rule in (r.strip() for r in value.split(",")):
        parts = rule.split()
        if not parts or not parts[0].startswith("accept"):
            continue
        target = parts[1] if len(parts) > 1 else ""
        if not _is_loopback_network(_split_host_port(target)):
            raise OfflineGuardError(f"ExitPolicy {rule!r} exits beyond loopback")


def _check_exit_policy_closed(opts: Mapping[str, list[str]]) -> None:
    # Tor appends its default exit policy (or the reduced one) after the configured rules unless
    # they already end everything with "reject *:*" (rules after it are unreachable).
    rules = [r.split() for value in opts.get("exitpolicy", []) for r in value.split(",") if r.strip()]
    exit_relay = opts.get("exitrelay", ["auto"])[-1]
    may_exit = exit_relay == "1" or (exit_relay != "0" and bool(rules))
    may_exit = may_exit or (exit_relay != "0" and opts.get("reducedexitpolicy", ["0"])[-1] == "1")
    if may_exit and not any(rule in (["reject", "*:*"], ["reject", "*"]) for rule in rules):
        raise OfflineGuardError("ExitPolicy has no 'reject *:*': tor would add its default exit policy")


def _is_loopback_network(text: str) -> bool:
    # "127.0.0.0/8" is loopback; "127.0.0.1/0" is the whole Internet.
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False  # "*", "private", names: refuse
    return net.network_address.is_loopback and net.broadcast_address.is_loopback
