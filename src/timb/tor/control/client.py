"""An asyncio client for tor's control port (control-spec.txt).

One `ControlConnection` owns one TCP connection to a loopback control port and one reader task.
The reader parses replies (`timb.tor.control.reply`) and routes them: a synchronous reply goes to
the oldest command still waiting (tor answers commands in order, control-spec §2.2), an
asynchronous 650 reply goes to every event subscription. When the connection is lost, every
pending and every later command raises `TorUnavailable`, and every subscription ends with it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Self

from timb.common.secret import Secret
from timb.tor.control.events import ControlEvent, UnknownEvent, parse_event
from timb.tor.control.reply import (
    AddOnionResult,
    ControlProtocolError,
    Reply,
    ReplyParser,
    parse_add_onion,
    parse_authchallenge,
    parse_getconf,
    parse_getinfo,
    parse_protocolinfo,
)
from timb.tor.errors import TorError, TorUnavailable
from timb.tor.socks import require_loopback

# control-spec §3.24 AUTHCHALLENGE: the two HMAC-SHA256 keys of SAFECOOKIE.
SERVER_TO_CONTROLLER = b"Tor safe cookie authentication server-to-controller hash"
CONTROLLER_TO_SERVER = b"Tor safe cookie authentication controller-to-server hash"
COOKIE_LEN = 32
DEFAULT_TIMEOUT = 30.0
EVENT_QUEUE_MAX = 4096


class EventSubscription:
    """Async iterator over the control events that arrive after it was created.

    Ends (raises `TorUnavailable` from ``__anext__``) when the connection is lost. A subscriber
    that falls more than EVENT_QUEUE_MAX events behind is cut off with `TorError` rather than
    letting memory grow without bound.
    """

    def __init__(self, owner: ControlConnection) -> None:
        self._owner = owner
        self._queue: asyncio.Queue[ControlEvent | TorError] = asyncio.Queue(EVENT_QUEUE_MAX + 1)

    def _push(self, item: ControlEvent | TorError) -> None:
        if self._queue.qsize() >= EVENT_QUEUE_MAX:
            item = TorError("control events were dropped: the subscriber fell behind")
            self._owner._unsubscribe(self)
        self._queue.put_nowait(item)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ControlEvent:
        item = await self._queue.get()
        if isinstance(item, TorError):
            self._queue.put_nowait(item)  # stay ended for every later call
            raise item
        return item

    def close(self) -> None:
        self._owner._unsubscribe(self)


class ControlConnection:
    """A connection to tor's control port. Create it with `ControlConnection.connect`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._parser = ReplyParser()
        self._waiting: collections.deque[asyncio.Future[Reply]] = collections.deque()
        self._subscriptions: list[EventSubscription] = []
        self._write_lock = asyncio.Lock()
        self._lost: str | None = None
        self._events: frozenset[str] = frozenset()
        self._events_lock = asyncio.Lock()
        self._reader_task = asyncio.get_running_loop().create_task(self._read_loop())

    @classmethod
    async def connect(
        cls, host: str = "127.0.0.1", port: int = 9051, *, connect_timeout: float = 10.0
    ) -> Self:
        """Open the TCP connection (not yet authenticated: call `authenticate`).

        Raises:
            ValueError: ``host`` is not a loopback address literal.
            TorUnavailable: nothing listens there, or it did not accept within ``connect_timeout``.
        """
        require_loopback(host)
        try:
            async with asyncio.timeout(connect_timeout):
                reader, writer = await asyncio.open_connection(host, port)
        except (OSError, TimeoutError) as e:
            raise TorUnavailable(f"tor control port {host}:{port} is not reachable: {e}") from e
        return cls(reader, writer)

    @property
    def is_closed(self) -> bool:
        return self._lost is not None

    async def wait_lost(self) -> str:
        """Wait until the connection is lost or closed, and say why (tor exited, or `close`)."""
        await asyncio.wait({self._reader_task})  # never raises: the reader's end is the answer
        return self._lost or "control connection closed"

    # ---- the reader task ----

    async def _read_loop(self) -> None:
        try:
            while True:
                chunk = await self._reader.read(65536)
                if not chunk:
                    self._fail("tor closed the control connection")
                    return
                for reply in self._parser.feed(chunk):
                    self._route(reply)
        except OSError as e:
            self._fail(f"control connection lost: {e}")
        except ControlProtocolError as e:
            self._fail(f"control connection dropped: tor sent a malformed reply ({e})")

    def _route(self, reply: Reply) -> None:
        if reply.is_async:
            try:
                event: ControlEvent = parse_event(reply)
            except ControlProtocolError:
                # One odd event must not take the whole connection down: pass it on raw.
                name, _, body = reply.lines[0].text.partition(" ")
                event = UnknownEvent(name, body)
            for sub in list(self._subscriptions):
                sub._push(event)
            return
        if not self._waiting:
            raise ControlProtocolError("tor sent a reply to no command")
        future = self._waiting.popleft()
        if not future.done():  # a cancelled (timed-out) caller's reply is read and dropped
            future.set_result(reply)

    def _fail(self, reason: str) -> None:
        if self._lost is None:
            self._lost = reason
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(TorUnavailable(reason))
        for sub in self._subscriptions:
            sub._queue.put_nowait(TorUnavailable(reason))
        self._subscriptions.clear()
        self._writer.close()

    def _unavailable(self) -> TorUnavailable:
        return TorUnavailable(self._lost or "control connection closed")

    # ---- commands ----

    async def command(self, line: str, *, reply_timeout: float = DEFAULT_TIMEOUT) -> Reply:
        """Send one command line and return tor's reply (any status; see `Reply.raise_for_status`).

        Raises:
            ValueError: the line holds CR or LF (that would smuggle a second command).
            TorUnavailable: the connection is lost or tor did not answer within ``reply_timeout``.
            ControlProtocolError: tor's reply was malformed (the connection is then closed).
        """
        if "\r" in line or "\n" in line or "\0" in line:
            raise ValueError("a control command is one line")
        if self._lost is not None:
            raise self._unavailable()
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        async with self._write_lock:
            self._waiting.append(future)
            try:
                self._writer.write(line.encode() + b"\r\n")
                await self._writer.drain()
            except OSError as e:
                self._fail(f"control connection lost: {e}")
        try:
            async with asyncio.timeout(reply_timeout):
                return await future
        except TimeoutError:
            raise TorUnavailable(f"tor did not answer {line.split(' ', 1)[0]} in {reply_timeout} s") from None

    async def get_info(self, *keys: str) -> dict[str, str]:
        """``GETINFO key ...`` → {key: value}.

        Raises:
            ControlError: an unknown key (552) or other refusal.
            TorUnavailable, ControlProtocolError: as for `command`.
        """
        _check_words(keys)
        return parse_getinfo(await self.command("GETINFO " + " ".join(keys)))

    async def get_conf(self, *keys: str) -> dict[str, list[str]]:
        """``GETCONF key ...`` → {key: [values]} (``[]`` for an option at its default).

        Raises:
            ControlError: an unknown option (552).
            TorUnavailable, ControlProtocolError: as for `command`.
        """
        _check_words(keys)
        return parse_getconf(await self.command("GETCONF " + " ".join(keys)))

    def subscribe(self) -> EventSubscription:
        """A new subscription to the events enabled by `set_events` (registered at once, so no
        event that arrives after this call is missed).

        Raises:
            TorUnavailable: the connection is lost.
        """
        if self._lost is not None:
            raise self._unavailable()
        sub = EventSubscription(self)
        self._subscriptions.append(sub)
        return sub

    def _unsubscribe(self, sub: EventSubscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(sub)

    async def set_events(self, events: Iterable[str]) -> None:
        """``SETEVENTS`` — replaces the set of enabled event types (e.g. ``STATUS_CLIENT``).

        Raises:
            ControlError: an unknown event name (552).
        """
        names = sorted(set(events))
        _check_words(names)
        (await self.command(" ".join(["SETEVENTS", *names]))).raise_for_status()
        self._events = frozenset(names)

    async def enable_events(self, events: Iterable[str]) -> None:
        """Add event types to those already enabled (several users may share one connection).

        Raises:
            ControlError: an unknown event name (552).
        """
        async with self._events_lock:
            wanted = self._events | set(events)
            if wanted != self._events:
                await self.set_events(wanted)

    async def signal(self, name: str) -> None:
        """``SIGNAL name`` (e.g. NEWNYM).

        Raises:
            ControlError: an unknown signal.
        """
        _check_words([name])
        (await self.command(f"SIGNAL {name}")).raise_for_status()

    async def add_onion(
        self,
        key: Secret[str],
        ports: Iterable[tuple[int, str]],
        *,
        flags: Iterable[str] = (),
    ) -> AddOnionResult:
        """``ADD_ONION <key> [Flags=..] Port=virt,target ...``.

        ``key`` is ``NEW:ED25519-V3`` or ``ED25519-V3:<base64 blob>``; ``ports`` pairs a virtual
        port with a target ``127.0.0.1:PORT``.

        Raises:
            ValueError: no ports, or a field that could break the command line.
            ControlError: tor refused (bad key, service already exists, ...).
        """
        port_args = [f"Port={virt},{target}" for virt, target in ports]
        if not port_args:
            raise ValueError("an onion service needs at least one port")
        flag_list = list(flags)
        _check_words([*port_args, *flag_list, key.reveal()])
        parts = ["ADD_ONION", key.reveal()]
        if flag_list:
            parts.append("Flags=" + ",".join(flag_list))
        return parse_add_onion(await self.command(" ".join(parts + port_args)))

    async def del_onion(self, service_id: str) -> None:
        """``DEL_ONION service_id``.

        Raises:
            ControlError: no such service (552).
        """
        _check_words([service_id])
        (await self.command(f"DEL_ONION {service_id}")).raise_for_status()

    # ---- authentication ----

    async def authenticate(
        self, *, cookie_path: str | Path | None = None, password: Secret[str] | None = None
    ) -> None:
        """Authenticate with SAFECOOKIE, checking tor's proof before proving anything ourselves.

        Weaker methods are used only when the caller explicitly configured them: a
        ``password`` (sent when tor offers HASHEDPASSWORD; it travels in clear on loopback) or a
        ``cookie_path`` (plain COOKIE with *that* file when tor offers no SAFECOOKIE). Without
        them, a listener offering only NULL, COOKIE or HASHEDPASSWORD is refused: a process
        squatting on the control port could otherwise read the cookie (or any 32-byte file it
        names as COOKIEFILE) off the wire, or have TIMB trust it without any proof.

        Raises:
            ControlError: tor rejected the credentials (515).
            ControlProtocolError: tor's SAFECOOKIE proof is wrong (not the tor that wrote the
                cookie), the cookie file is not 32 bytes, or no method TIMB may use is offered.
            TorUnavailable: the connection is lost.
        """
        info = parse_protocolinfo(await self.command("PROTOCOLINFO 1"))
        methods = info.auth_methods
        if password is not None and "HASHEDPASSWORD" in methods:
            escaped = password.reveal().replace("\\", "\\\\").replace('"', '\\"')
            await self._authenticate(f'AUTHENTICATE "{escaped}"')
        elif "SAFECOOKIE" in methods:
            path = cookie_path if cookie_path is not None else info.cookie_file
            if path is None:
                raise ControlProtocolError("tor offers SAFECOOKIE but names no cookie file")
            await self._safecookie(_read_cookie(Path(path)))
        elif "COOKIE" in methods and cookie_path is not None:
            cookie = _read_cookie(Path(cookie_path))
            await self._authenticate("AUTHENTICATE " + cookie.reveal().hex())
        else:
            await self.close()
            raise ControlProtocolError(
                f"the control port offers only {sorted(methods)}: TIMB authenticates with SAFECOOKIE "
                "unless a password or cookie file is configured"
            )

    async def _safecookie(self, cookie: Secret[bytes]) -> None:
        client_nonce = secrets.token_bytes(32)
        challenge = parse_authchallenge(await self.command("AUTHCHALLENGE SAFECOOKIE " + client_nonce.hex()))
        message = cookie.reveal() + client_nonce + challenge.server_nonce
        expected = hmac.new(SERVER_TO_CONTROLLER, message, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, challenge.server_hash):
            await self.close()
            raise ControlProtocolError(
                "tor's SAFECOOKIE proof is wrong: this is not the tor that wrote the cookie"
            )
        client_hash = hmac.new(CONTROLLER_TO_SERVER, message, hashlib.sha256).hexdigest()
        await self._authenticate("AUTHENTICATE " + client_hash)

    async def _authenticate(self, line: str) -> None:
        (await self.command(line)).raise_for_status()

    # ---- shutdown ----

    async def close(self) -> None:
        """Close the connection and stop the reader task; pending commands raise TorUnavailable."""
        if self._lost is None:
            self._fail("control connection closed")
        self._reader_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader_task
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _check_words(words: Iterable[str]) -> None:
    for word in words:
        if not word or any(c in word for c in ' \r\n\0"') or not word.isprintable():
            raise ValueError(f"not a control-port word: {word!r}")


def _read_cookie(path: Path) -> Secret[bytes]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise TorUnavailable(f"cannot read tor's control cookie {path}: {e.strerror}") from e
    if len(data) != COOKIE_LEN:
        raise ControlProtocolError(f"tor's control cookie {path} is not {COOKIE_LEN} bytes")
    return Secret(data)
