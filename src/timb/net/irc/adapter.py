"""`IrcAdapter`: one IRC account over Tor, shaped like the XMPP adapter for the core.

Like `timb.net.base.Adapter`: ``connect()`` returns once the server registered us (raising
ConnectError, TlsError or AuthError on the first attempt), ``disconnect()`` is idempotent, and
**one async iterator**, ``events()``, yields typed events (`IrcNetEvent`) and raises
`AdapterCrashed` if a bug escaped the session. It does not subclass ``Adapter``: IRC has no
roster and no JIDs; its peers are nicknames and its rooms channels (`join`, `part`, `topic`,
`names`), and `fragment_size` tells the core how long each line of a private message may be.

After a session existed, a lost connection is re-established with exponential backoff (back to
its start only after a session that stayed up, `ReconnectPolicy`) and the channels we were in are
joined again; TLS and SASL failures are fatal and end the retries. Nothing is re-sent by the
adapter (the core owns re-sending). The event queue is bounded by backpressure:
when the consumer falls `_HIGH_WATER` events behind, the adapter stops reading from the server.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from timb.common.clock import Clock, SystemClock
from timb.common.secret import Secret
from timb.net.base import ConnectionState, ConnectionStateChanged, Dialer, ErrorEvent
from timb.net.irc import ctcp
from timb.net.irc.account import IrcAccount, ReconnectPolicy
from timb.net.irc.connection import IrcConnection, establish
from timb.net.irc.errors import (
    AdapterCrashed,
    AuthError,
    ConnectError,
    MalformedLine,
    NetError,
    NotConnectedError,
    TlsError,
    UnsendableMessage,
)
from timb.net.irc.events import IrcEvent, Joined, Parted, Registered, ServerClosing, SessionFailed
from timb.net.irc.session import IrcSession, SessionConfig

IrcNetEvent = IrcEvent | ConnectionStateChanged | ErrorEvent
_HIGH_WATER = 1000
_QUIT_FLUSH = 2.0

__all__ = ["IrcAccount", "IrcAdapter", "IrcNetEvent", "ReconnectPolicy"]


@dataclass(frozen=True, slots=True)
class _Crash:
    error: BaseException


class IrcAdapter:
    """See the module docstring."""

    def __init__(
        self,
        account: IrcAccount,
        dialer: Dialer,
        *,
        policy: ReconnectPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Clock | None = None,
    ) -> None:
        self._account = account
        self._dialer = dialer
        self._policy = policy or ReconnectPolicy()
        # The wait between reconnection attempts and the clock that says whether a session was
        # stable, passed in so that a test can read the backoff without sleeping through it.
        self._sleep = sleep
        self._clock: Clock = clock or SystemClock()
        self._delay = self._policy.initial  # the wait before the next reconnection attempt
        self._up_since: float | None = None  # when the current session registered
        self._queue: asyncio.Queue[IrcNetEvent | _Crash] = asyncio.Queue()
        self._room = asyncio.Event()
        self._room.set()
        self._state = ConnectionState.DISCONNECTED
        self._session: IrcSession | None = None
        self._conn: IrcConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._reconnect_task: asyncio.Task[None] | None = None
        self._registered: asyncio.Future[None] | None = None
        self._closing = False
        self._channels: set[str] = set()
        self._next_id = 0

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def wanted_nick(self) -> str:
        """The account's nickname (what contacts write to)."""
        return self._account.nick

    @property
    def nick(self) -> str | None:
        """Our nickname while registered (it may differ from the account's after a collision)."""
        return self._session.nick if self._session is not None and self._session.registered else None

    @property
    def sent_lines(self) -> int:
        return self._conn.sent_lines if self._conn is not None else 0

    # --- connecting ----------------------------------------------------------------------------

    async def connect(self) -> None:
        if self._state is ConnectionState.CONNECTED:
            return
        self._closing = False
        self._delay = self._policy.initial  # the user asked: a fresh start
        try:
            await self._attempt()
        except NetError as exc:
            self._set_state(ConnectionState.FAILED, reason=str(exc), error=exc)
            raise

    async def disconnect(self) -> None:
        self._closing = True
        task, self._reconnect_task = self._reconnect_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        session, conn = self._session, self._conn
        if session is not None and conn is not None:
            session.quit()
            with contextlib.suppress(NetError):
                conn.send(session.data_to_send())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_QUIT_FLUSH):
                    await conn.flush()
        await self._drop_connection()
        if self._state is not ConnectionState.DISCONNECTED:
            self._set_state(ConnectionState.DISCONNECTED, reason="disconnected by the user")

    async def _attempt(self) -> None:
        """One connection and registration. Raises: ConnectError, TlsError, AuthError, RemoteError."""
        self._set_state(ConnectionState.CONNECTING)
        acct = self._account
        try:
            async with asyncio.timeout(self._policy.attempt_timeout):
                conn = await establish(acct, self._dialer)
                session = IrcSession(
                    SessionConfig(acct.nick, acct.sasl, acct.tls, acct.password, acct.answer_ctcp_ping)
                )
                self._conn, self._session = conn, session
                self._registered = asyncio.get_running_loop().create_future()
                session.start()
                conn.send(session.data_to_send())
                self._reader = asyncio.ensure_future(self._read_loop(conn, session))
                await asyncio.shield(self._registered)
        except TimeoutError:
            await self._drop_connection()
            raise ConnectError(f"no IRC session after {self._policy.attempt_timeout:.0f} s") from None
        except NetError:
            await self._drop_connection()
            raise
        finally:
            self._registered = None
        self._up_since = self._clock.now()
        self._set_state(ConnectionState.CONNECTED)
        for channel in sorted(self._channels):  # rejoin after a reconnection
            with contextlib.suppress(NetError):
                self.join(channel)

    async def _drop_connection(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        conn, self._conn, self._session = self._conn, None, None
        if conn is not None:
            await conn.close()

    async def _reconnect(self) -> None:
        # The wait grows after every attempt, a successful one too: only a session that stayed
        # up `stable` seconds brings it back to `initial` (`_lost`), so a server that registers
        # us and drops us at once is redialled ever less often, as one that refuses us is.
        while not self._closing:
            delay = self._delay
            self._delay = min(delay * self._policy.factor, self._policy.maximum)
            await self._sleep(delay)
            try:
                await self._attempt()
            except (TlsError, AuthError) as exc:
                self._set_state(ConnectionState.FAILED, reason=str(exc), error=exc)
                return
            except NetError as exc:
                self._set_state(ConnectionState.DISCONNECTED, reason=str(exc))
            else:
                return

    # --- reading -------------------------------------------------------------------------------

    async def _read_loop(self, conn: IrcConnection, session: IrcSession) -> None:
        try:
            reason = await self._pump(conn, session)
        except asyncio.CancelledError:
            raise
        except NetError as exc:
            reason = str(exc)
        except Exception as exc:  # noqa: BLE001 - not swallowed: raised from events()
            self._crashed(exc)
            return
        self._lost(reason)

    async def _pump(self, conn: IrcConnection, session: IrcSession) -> str:
        """Read until the stream ends; returns why it ended."""
        pinged = False
        while True:
            try:
                async with asyncio.timeout(self._policy.idle_ping):
                    line = await conn.read_line()
            except TimeoutError:
                if pinged:
                    return "the server stopped answering"
                pinged = True
                conn.send([(b"PING :keepalive\r\n", True)])
                continue
            except MalformedLine as exc:
                self._emit(ErrorEvent(exc))
                continue
            if not line:
                return "the server closed the connection"
            pinged = False
            try:
                session.receive(line)
            except MalformedLine as exc:
                self._emit(ErrorEvent(exc))
            conn.send(session.data_to_send())
            if await self._dispatch(session):
                return "the server refused the session"
            if not self._room.is_set():
                await self._room.wait()

    async def _dispatch(self, session: IrcSession) -> bool:
        """Hand the session's events on; True when the session failed."""
        while (event := session.next_event()) is not None:
            match event:
                case Registered():
                    self._settle(None)
                case SessionFailed(error=error):
                    self._settle(error)
                    self._emit(ErrorEvent(error))
                    return True
                case ServerClosing():
                    pass
                case Joined(channel=channel, me=True):
                    self._channels.add(channel)
                case Parted(channel=channel, me=True):
                    self._channels.discard(channel)
            self._emit(event)
        return False

    def _settle(self, error: NetError | None) -> None:
        fut = self._registered
        if fut is not None and not fut.done():
            if error is None:
                fut.set_result(None)
            else:
                fut.set_exception(error)

    def _lost(self, reason: str) -> None:
        fut = self._registered
        if fut is not None and not fut.done():
            fut.set_exception(ConnectError(f"the connection closed before registration: {reason}"))
            return
        if self._closing or self._state is not ConnectionState.CONNECTED:
            return
        up_since = self._up_since
        if up_since is not None and self._clock.now() - up_since >= self._policy.stable:
            self._delay = self._policy.initial
        self._set_state(ConnectionState.DISCONNECTED, reason=reason)
        self._reader = None  # this task ends now; _drop_connection must not await it
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.ensure_future(self._drop_then_reconnect())

    async def _drop_then_reconnect(self) -> None:
        await self._drop_connection()
        await self._reconnect()

    # --- commands ------------------------------------------------------------------------------

    def fragment_size(self, target: str) -> int:
        """Bytes of text one PRIVMSG line to ``target`` may carry (after the server's prefix):
        the OTR fragment size. Raises: NotConnectedError."""
        return self._require_session()[0].max_payload(target)

    async def send_message(self, to: str, body: str) -> str:
        """Send to a nick or a channel; a body longer than `fragment_size` goes as several lines
        (split between characters). Returns a local id.

        Raises:
            NotConnectedError: no session right now.
            UnsendableMessage: CR, LF, NUL or \\x01 in the body, a bad target, the queue is full.
        """
        session, conn = self._require_session()
        if ctcp.DELIM in body:
            raise UnsendableMessage("\\x01 would turn the message into a CTCP command")
        for line in split_text(body, session.max_payload(to)):
            session.privmsg(to, line)
        conn.send(session.data_to_send())
        self._next_id += 1
        return f"irc-{self._next_id}"

    def join(self, channel: str, key: Secret[str] | None = None) -> None:
        self._command(lambda s: s.join(channel, key))

    def part(self, channel: str) -> None:
        self._channels.discard(channel)
        self._command(lambda s: s.part(channel))

    def topic(self, channel: str, text: str | None = None) -> None:
        self._command(lambda s: s.topic(channel, text))

    def names(self, channel: str) -> None:
        self._command(lambda s: s.names(channel))

    def _command(self, action: Any) -> None:
        session, conn = self._require_session()
        action(session)
        conn.send(session.data_to_send())

    def _require_session(self) -> tuple[IrcSession, IrcConnection]:
        session, conn = self._session, self._conn
        ready = session is not None and session.registered and self._state is ConnectionState.CONNECTED
        if session is None or conn is None or not ready:
            raise NotConnectedError(f"{self._account.nick}@{self._account.host} has no session right now")
        return session, conn

    # --- events --------------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[IrcNetEvent]:
        while True:
            item = await self._queue.get()
            if self._queue.qsize() < _HIGH_WATER // 2:
                self._room.set()
            if isinstance(item, _Crash):
                raise AdapterCrashed(f"IRC adapter for {self._account.nick} crashed") from item.error
            yield item

    def _emit(self, event: IrcNetEvent) -> None:
        self._queue.put_nowait(event)
        if self._queue.qsize() >= _HIGH_WATER:
            self._room.clear()

    def _crashed(self, exc: BaseException) -> None:
        self._settle(AdapterCrashed(f"IRC adapter crashed: {type(exc).__name__}"))
        self._queue.put_nowait(_Crash(exc))

    def _set_state(
        self, state: ConnectionState, *, reason: str | None = None, error: NetError | None = None
    ) -> None:
        self._state = state
        self._emit(ConnectionStateChanged(state, reason=reason, error=error))


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-8 bytes, never splitting a character."""
    if not text:
        return [""]
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for ch in text:
        n = len(ch.encode())
        if size + n > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += n
    pieces.append("".join(current))
    return pieces
