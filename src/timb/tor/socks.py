"""The one network door: a stream through tor's SOCKS5 port, and nothing else.

Every byte TIMB sends to the world leaves through `open_socket` / `open_stream`:

* the SOCKS port must be a loopback address literal (127.0.0.0/8 or ::1) — nothing here ever
  resolves a name, and no other destination is dialled;
* the destination host name travels to tor inside the SOCKS5 request (ATYP 3, "domain") —
  python-socks with ``rdns=True`` never resolves it locally;
* the SOCKS username/password are derived from an *isolation key* (an account, a contact...), so
  that tor's ``IsolateSOCKSAuth`` (on by default for every SocksPort) puts different keys on
  different circuits. The key itself never leaves the process: the credentials are an HMAC of it
  under a random per-process salt;
* failures are typed: tor refused or cannot reach the destination → `StreamError` (with a
  reason); nothing listens on the SOCKS port or tor hangs up → `TorUnavailable`. There is no
  fallback of any kind.

Latency: tor writes to our end of the SOCKS connection with Nagle on, so when it has two pieces
of one message to hand over (a stanza longer than one 498-byte cell payload, or a stanza and
the ack request after it), the second waits for our ACK of the first, and Linux delays that ACK
by up to 40 ms once the flow looks interactive. `rearm_quickack` sends the held ACK and leaves
delayed-ACK mode; the kernel drops back into it by itself, so readers re-arm it after every
read (the XMPP client does; `open_stream`'s protocol does too). bench/xmpp_bench.py measures it
(A/B in one run): over the onion path of the private test network the difference was within
the noise, for XMPP and for `open_stream` echoes alike; it costs one setsockopt per read.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import re
import secrets
import socket

from python_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError, ProxyType
from python_socks.async_.asyncio import Proxy

from timb.common.ids import OnionAddress
from timb.tor.errors import StreamError, TorUnavailable

DEFAULT_CONNECT_TIMEOUT = 120.0
STREAM_LIMIT = 1 << 20

# Fresh for every process: the same key gives the same circuit within a run, but the
# credentials tor sees (and logs, at debug level) cannot be linked to the key or across runs.
_PROCESS_SALT = secrets.token_bytes(32)

# RFC 1928 §6 replies, and tor's extended onion-service replies (tor's SocksPort ExtendedErrors,
# socks-extensions.txt §3).
SOCKS_REASONS = {
    0x01: "general SOCKS server failure",
    0x02: "connection not allowed by the exit policy",
    0x03: "network unreachable",
    0x04: "host unreachable",
    0x05: "connection refused by the destination",
    0x06: "TTL expired (tor timed out building the stream)",
    0x07: "command not supported",
    0x08: "address type not supported",
    0xF0: "onion service descriptor cannot be found",
    0xF1: "onion service descriptor is invalid",
    0xF2: "onion service introduction failed",
    0xF3: "onion service rendezvous failed",
    0xF4: "onion service needs client authorization",
    0xF5: "onion service client authorization is wrong",
    0xF6: "onion address is invalid",
    0xF7: "onion service introduction timed out",
}


def require_loopback(host: str) -> str:
    """Return ``host`` if it is a loopback address literal (127.0.0.0/8 or ::1).

    Names (even ``localhost``) are refused: accepting one would mean resolving it.

    Raises:
        ValueError: anything else.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{host!r} is not a loopback address literal (use 127.0.0.1 or ::1)") from None
    if not address.is_loopback:
        raise ValueError(f"{host} is not a loopback address: tor's ports are only reached on loopback")
    return host


def isolation_credentials(key: str, *, salt: bytes = _PROCESS_SALT) -> tuple[str, str]:
    """The SOCKS5 username and password for isolation key ``key``.

    The same key (and salt) always gives the same pair; different keys give different pairs.
    Each is 32 hex characters of HMAC-SHA256(salt, key).

    Raises:
        ValueError: an empty key (every stream must say whose it is).
    """
    if not key:
        raise ValueError("an isolation key is required")
    digest = hmac.new(salt, key.encode("utf-8", errors="surrogatepass"), hashlib.sha256).hexdigest()
    return digest[:32], digest[32:]


def check_destination(host: str, port: int) -> None:
    """Refuse destinations that cannot be sent as a SOCKS5 request.

    Raises:
        InvalidIdentifier: a ``.onion`` name that is not a valid v3 address (v2, bad checksum).
        ValueError: empty or non-ASCII host (IDNs must be punycoded first), a host longer than
            255 bytes or holding spaces or control characters, or a port outside 1..65535.
    """
    if not host or not host.isascii() or not host.isprintable() or " " in host or len(host) > 255:
        raise ValueError(f"not a host name or address tor can be asked for: {host!r}")
    if host.lower().endswith(".onion"):
        OnionAddress(host)  # refuse a mistyped address here rather than after a slow lookup in tor
    if not 1 <= port <= 65535:
        raise ValueError(f"port out of range: {port}")


async def open_socket(
    socks_host: str,
    socks_port: int,
    host: str,
    port: int,
    *,
    isolation: str,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> socket.socket:
    """A connected, non-blocking TCP socket to tor's SOCKS port, already tunnelled to host:port.

    Raises:
        ValueError: a non-loopback SOCKS host, a bad destination (`InvalidIdentifier` for an
            invalid onion address), or an empty isolation key.
        TorUnavailable: nothing listens on the SOCKS port, or tor hung up during the handshake.
        StreamError: tor answered with a SOCKS error (``.reason`` says which) or took longer
            than ``connect_timeout`` seconds.
    """
    require_loopback(socks_host)
    check_destination(host, port)
    username, password = isolation_credentials(isolation)
    proxy = Proxy(ProxyType.SOCKS5, socks_host, socks_port, username=username, password=password, rdns=True)
    try:
        sock = await proxy.connect(dest_host=host, dest_port=port, timeout=connect_timeout)
    except ProxyConnectionError as e:
        raise TorUnavailable(f"tor's SOCKS port {socks_host}:{socks_port} is not reachable") from e
    except ProxyTimeoutError as e:
        raise StreamError(f"tor did not open the stream within {connect_timeout:g} s") from e
    except ProxyError as e:
        raise _stream_error(e) from e
    except OSError as e:  # reset or closed while python-socks read the handshake
        raise TorUnavailable(f"tor's SOCKS port closed the connection: {e}") from e
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # chat is small writes: no Nagle
    return sock


def rearm_quickack(sock: object) -> bool:
    """Acknowledge at once what arrives on ``sock`` (Linux ``TCP_QUICKACK``), until the kernel
    falls back to delayed ACKs by itself: call it after every read (see the module docstring).

    Setting the option also sends an ACK the kernel was holding back, so tor's next segment
    leaves now instead of after the delayed-ACK timer.

    Returns:
        True when the option was set; False where it does not exist (not Linux), on a closed
        socket, or on one that is not TCP.

    Raises:
        TypeError: ``sock`` is not a socket.
    """
    if not isinstance(sock, socket.socket):
        raise TypeError(f"not a socket: {type(sock).__name__}")
    option: int | None = getattr(socket, "TCP_QUICKACK", None)
    if option is None or sock.fileno() < 0:
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, option, 1)
    except OSError:  # not a TCP socket (ENOPROTOOPT/EOPNOTSUPP), or already reset by the peer
        return False
    return True


class _QuickAckProtocol(asyncio.StreamReaderProtocol):
    """asyncio's stream protocol, re-arming TCP_QUICKACK before each chunk is handed on."""

    def __init__(self, reader: asyncio.StreamReader, sock: socket.socket) -> None:
        super().__init__(reader)
        self._sock = sock

    def data_received(self, data: bytes) -> None:
        rearm_quickack(self._sock)
        super().data_received(data)


async def open_stream(
    socks_host: str,
    socks_port: int,
    host: str,
    port: int,
    *,
    isolation: str,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    quickack: bool = True,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """`open_socket`, wrapped in asyncio streams whose protocol calls `rearm_quickack` after
    every read (``quickack=False`` leaves it out: only to measure what it is worth).

    Raises:
        The same as `open_socket`.
    """
    sock = await open_socket(
        socks_host, socks_port, host, port, isolation=isolation, connect_timeout=connect_timeout
    )
    loop = asyncio.get_running_loop()
    try:
        # asyncio.open_connection, with a protocol that re-arms TCP_QUICKACK after each read.
        reader = asyncio.StreamReader(limit=STREAM_LIMIT, loop=loop)
        protocol = _QuickAckProtocol(reader, sock) if quickack else asyncio.StreamReaderProtocol(reader)
        transport, _ = await loop.create_connection(lambda: protocol, sock=sock)
    except BaseException:
        sock.close()
        raise
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


def _stream_error(error: ProxyError) -> StreamError | TorUnavailable:
    code = error.error_code
    if code is None:
        # python-socks knows only RFC 1928 codes; tor's extended ones arrive as text.
        match = re.search(r"reply code: 0[xX]([0-9A-Fa-f]{2})", str(error))
        code = int(match.group(1), 16) if match else None
    if code is None:
        # python-socks chains a bad reply's error (which has an error_code) or, for a cut
        # handshake, its stream's read error (a class it does not export; it has none).
        cause = error.__cause__
        if cause is not None and not hasattr(cause, "error_code"):
            return TorUnavailable("tor closed the SOCKS connection during the handshake")
        return StreamError(f"SOCKS handshake with tor failed: {error}")
    return StreamError(SOCKS_REASONS.get(code, f"SOCKS error 0x{code:02X}"))
