"""`XmppAdapter`: one XMPP account over Tor, as the core sees it (timb.net.base.Adapter).

It owns one `TorClientXMPP` for its lifetime (so XEP-0198 state survives reconnections), turns
slixmpp's string-named events into typed `NetEvent`s, and owns reconnection: after a session
existed, a lost stream is re-established with exponential backoff; the server's stream management
resumes the session when it still holds it (``ConnectionStateChanged(CONNECTED, resumed=True)``),
otherwise a fresh session starts. TLS and authentication failures are fatal and end the retries.

Every slixmpp handler registered here runs behind `_guard`: an exception becomes
`AdapterCrashed`, raised from `events()` in the owner's task (slixmpp would drop it).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

from slixmpp import JID
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from timb.common.errors import InvalidIdentifier
from timb.common.ids import Jid
from timb.common.random import Random, SystemRandom
from timb.net.base import (
    Adapter,
    AdapterCrashed,
    AuthError,
    ConnectError,
    ConnectionState,
    ConnectionStateChanged,
    Dialer,
    ErrorEvent,
    NetError,
    NetEvent,
    NotConnectedError,
    RemoteError,
    RosterChanged,
    RosterItem,
    TlsError,
)
from timb.net.xmpp import convert, hints, ibb, privacy
from timb.net.xmpp.account import ReconnectPolicy, XmppAccount
from timb.net.xmpp.client import TorClientXMPP
from timb.net.xmpp.tls import describe_ssl_error, make_ssl_context

_RESOURCE_BYTES = 8
_IBB_ELEMENTS = ("open", "data", "close")

# (sender, the IBB element of an <iq type="set"/>) -> None to answer with a result; raises
# RemoteError(condition) to answer with that error (timb.core.service.xmpp_files).
IbbSink = Callable[[Jid, ET.Element], None]

__all__ = ["ReconnectPolicy", "XmppAccount", "XmppAdapter"]


@dataclass(frozen=True, slots=True)
class _Crash:
    error: BaseException


class XmppAdapter(Adapter):
    """See the module docstring and timb.net.base.Adapter for the contract."""

    def __init__(
        self,
        account: XmppAccount,
        dialer: Dialer,
        *,
        random: Random | None = None,
        policy: ReconnectPolicy | None = None,
    ) -> None:
        privacy.install_log_redaction()
        self._account = account
        self._dialer = dialer
        self._random = random or SystemRandom()
        self._policy = policy or ReconnectPolicy()
        self._queue: asyncio.Queue[NetEvent | _Crash] = asyncio.Queue()
        self._xmpp: TorClientXMPP | None = None
        self._state = ConnectionState.DISCONNECTED
        self._outcome: asyncio.Future[bool] | None = None
        self._closing = False
        self._reconnect_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._register = False
        # In-band bytestreams (XEP-0047) go to the service's file part; none: refused.
        self.ibb_sink: IbbSink | None = None

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def bound_jid(self) -> Jid | None:
        """Our full JID (with the random resource) while connected."""
        if self._xmpp is None or self._state is not ConnectionState.CONNECTED:
            return None
        return Jid.parse(str(self._xmpp.boundjid))

    def register_on_connect(self) -> None:
        """Create the account on the server (XEP-0077 in-band registration, with the account's
        address and password) during the next `connect`, before logging in. Only once: a
        later reconnection just logs in.

        `connect` then also raises RemoteError (e.g. ``conflict``: the name is taken;
        ``not-allowed``: the server does not allow registration).
        """
        self._register = True

    # --- connecting ----------------------------------------------------------------------------

    async def connect(self) -> None:
        if self._state is ConnectionState.CONNECTED:
            return
        self._closing = False
        if self._xmpp is None:
            self._xmpp = self._make_client()
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
        xmpp = self._xmpp
        if xmpp is not None:
            xmpp.cancel_connection_attempt()
            if xmpp.is_connected():
                await xmpp.disconnect(wait=2.0)
            # A deliberate close ends the session: forget stream-management state.
            xmpp.event("session_end")
        if self._state is not ConnectionState.DISCONNECTED:
            self._set_state(ConnectionState.DISCONNECTED, reason="disconnected by the user")

    def _make_client(self) -> TorClientXMPP:
        acct = self._account
        resource = self._random.randbytes(_RESOURCE_BYTES).hex()
        xmpp = TorClientXMPP(
            f"{acct.jid.bare}/{resource}",
            acct.password.reveal(),
            dialer=self._dialer,
            isolation=acct.isolation or str(acct.jid.bare),
            ssl_context=make_ssl_context(acct.pin, acct.ca_file),
            pin=acct.pin,
            direct_tls=acct.direct_tls,
            on_failure=self._attempt_failed,
            on_crash=self._crashed,
        )
        handlers: dict[str, Callable[[Any], None]] = {
            "session_start": self._on_session_start,
            "stream_negotiated": self._on_stream_negotiated,
            "session_resumed": self._on_session_resumed,
            "failed_auth": self._on_failed_auth,
            "no_auth": self._on_no_auth,
            "ssl_invalid_chain": self._on_invalid_chain,
            "stream_error": self._on_stream_error,
            "disconnected": self._on_disconnected,
            "message": self._on_message,
            "message_error": self._on_message_error,
            "presence_available": self._on_presence,
            "presence_unavailable": self._on_presence,
            "roster_update": self._on_roster_update,
            "roster_subscription_request": self._on_subscription_request,
            "stanza_acked": self._on_stanza_acked,
        }
        for name, handler in handlers.items():
            xmpp.add_event_handler(name, self._guard(handler))
        xmpp.expects_ibb = lambda: self.ibb_sink is not None
        for element in _IBB_ELEMENTS:
            path = f"{{{xmpp.default_ns}}}iq/{{{ibb.NS}}}{element}"
            xmpp.register_handler(
                Callback(f"timb-ibb-{element}", MatchXPath(path), self._guard(self._on_ibb))
            )
        if self._register:
            # The stream feature runs before SASL (order 50 < 100) on the TLS-protected stream.
            xmpp.register_plugin("xep_0077", {"create_account": True})
            xmpp.add_event_handler("register", self._on_register)
        return xmpp

    async def _attempt(self) -> None:
        """One session attempt; returns when the session can carry messages.

        Raises:
            ConnectError, TlsError, AuthError, AdapterCrashed.
        """
        xmpp = self._require_client()
        acct = self._account
        self._set_state(ConnectionState.CONNECTING)
        outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._outcome = outcome
        xmpp.connect(acct.host or acct.jid.domain, acct.port)
        try:
            resumed = await asyncio.wait_for(asyncio.shield(outcome), self._policy.attempt_timeout)
        except TimeoutError:
            self._abort(xmpp)
            raise ConnectError(f"no session after {self._policy.attempt_timeout:.0f} s") from None
        except NetError:
            self._abort(xmpp)
            raise
        finally:
            self._outcome = None
        self._set_state(ConnectionState.CONNECTED, resumed=resumed)

    @staticmethod
    def _abort(xmpp: TorClientXMPP) -> None:
        xmpp.cancel_connection_attempt()
        xmpp.abort()

    def _attempt_failed(self, error: NetError) -> None:
        outcome = self._outcome
        if outcome is not None and not outcome.done():
            outcome.set_exception(error)
        else:
            self._emit(ErrorEvent(error))

    async def _reconnect(self) -> None:
        delay = self._policy.initial
        while not self._closing:
            await asyncio.sleep(delay)
            try:
                await self._attempt()
            except (TlsError, AuthError) as exc:
                self._set_state(ConnectionState.FAILED, reason=str(exc), error=exc)
                return
            except ConnectError as exc:
                self._set_state(ConnectionState.DISCONNECTED, reason=str(exc))
                delay = min(delay * self._policy.factor, self._policy.maximum)
            else:
                return

    # --- commands ------------------------------------------------------------------------------

    async def send_message(self, to: Jid, body: str) -> str:
        xmpp = self._require_session()
        msg = xmpp.make_message(mto=str(to), mbody=body, mtype="chat")
        if hints.is_otr_message(body):
            hints.add_storage_hints(msg)
        msg.send()
        xmpp.request_ack_after_queued()
        return str(msg["id"])

    async def send_ibb(self, to: Jid, element: ET.Element) -> None:
        """One in-band bytestream element (XEP-0047) in an <iq type="set"/> to ``to``'s full
        address, through the server; returns at its result.

        Raises:
            NotConnectedError; RemoteError: the peer or the server answered with an error.
        """
        xmpp = self._require_session()
        iq = xmpp.make_iq_set(ito=str(to))
        iq.append(element)
        await self._iq(iq.send())  # type: ignore[no-untyped-call]

    async def roster(self) -> tuple[RosterItem, ...]:
        xmpp = self._require_session()
        await self._iq(xmpp.get_roster())
        return self._roster_snapshot()

    async def add_contact(self, jid: Jid, name: str | None = None) -> None:
        xmpp = self._require_session()
        await self._iq(xmpp.update_roster(JID(str(jid.bare)), name=name or ""))
        xmpp.send_presence_subscription(pto=str(jid.bare), ptype="subscribe")

    async def remove_contact(self, jid: Jid) -> None:
        xmpp = self._require_session()
        await self._iq(xmpp.del_roster_item(JID(str(jid.bare))))  # type: ignore[no-untyped-call]

    async def approve_subscription(self, jid: Jid) -> None:
        self._require_session().client_roster[str(jid.bare)].authorize()

    async def deny_subscription(self, jid: Jid) -> None:
        self._require_session().client_roster[str(jid.bare)].unauthorize()

    async def events(self) -> AsyncIterator[NetEvent]:
        while True:
            item = await self._queue.get()
            if isinstance(item, _Crash):
                raise AdapterCrashed(f"XMPP adapter for {self._account.jid} crashed") from item.error
            yield item

    def _require_client(self) -> TorClientXMPP:
        if self._xmpp is None:
            raise NotConnectedError("not connected: call connect() first")
        return self._xmpp

    def _require_session(self) -> TorClientXMPP:
        xmpp = self._require_client()
        if self._state is not ConnectionState.CONNECTED:
            raise NotConnectedError(f"{self._account.jid} has no session right now")
        return xmpp

    @staticmethod
    async def _iq(request: Any) -> None:
        try:
            await request
        except IqError as exc:
            raise RemoteError(str(exc.condition)) from None
        except IqTimeout:
            raise RemoteError("remote-server-timeout", "no answer from the server") from None

    # --- slixmpp events ------------------------------------------------------------------------

    def _guard(self, handler: Callable[[Any], None]) -> Callable[[Any], None]:
        def guarded(data: Any) -> None:
            try:
                handler(data)
            except Exception as exc:  # noqa: BLE001 - not swallowed: raised from events()
                self._crashed(exc)

        return guarded

    def _crashed(self, exc: BaseException) -> None:
        crash = AdapterCrashed(f"XMPP adapter for {self._account.jid} crashed: {type(exc).__name__}")
        crash.__cause__ = exc
        outcome = self._outcome
        if outcome is not None and not outcome.done():
            outcome.set_exception(crash)
        self._queue.put_nowait(_Crash(exc))

    def _on_session_start(self, _data: Any) -> None:
        xmpp = self._require_client()
        # Initial presence: no status, no priority, no caps. Then the roster, which also makes
        # this resource "interested" so the server pushes roster changes to it.
        xmpp.send_presence()
        self._spawn(self._iq(xmpp.get_roster()))

    def _on_stream_negotiated(self, _data: Any) -> None:
        # After session_start the server may still offer stream management; a message sent
        # before <enable/> would never be acked. So the session is ready when every stream
        # feature is done (a resumption ends in session_resumed instead).
        if self._require_client().sessionstarted:
            self._settle(resumed=False)

    def _on_session_resumed(self, _data: Any) -> None:
        self._settle(resumed=True)

    def _settle(self, *, resumed: bool) -> None:
        outcome = self._outcome
        if outcome is not None and not outcome.done():
            outcome.set_result(resumed)

    def _on_failed_auth(self, _data: Any) -> None:
        # The first refusal is final: trying the next (weaker) mechanism would hand the password
        # to a server that just failed a SCRAM exchange. slixmpp picks the next mechanism right
        # after this event; with no mechanism left it sends nothing and disconnects.
        xmpp = self._require_client()
        xmpp.plugin["feature_mechanisms"].mech_list = set()
        self._attempt_failed(AuthError(f"the server refused the credentials for {self._account.jid}"))
        self._abort(xmpp)

    def _on_no_auth(self, _data: Any) -> None:
        self._attempt_failed(AuthError("the server offers no authentication mechanism TIMB accepts"))

    def _on_invalid_chain(self, exc: Any) -> None:
        text = describe_ssl_error(exc) if isinstance(exc, ssl.SSLError) else "certificate not trusted"
        self._attempt_failed(TlsError(text))
        self._abort(self._require_client())

    def _on_stream_error(self, error: Any) -> None:
        condition = str(error["condition"])
        self._attempt_failed(ConnectError(f"the server closed the stream ({condition})"))

    def _on_disconnected(self, reason: Any) -> None:
        text = str(reason) if reason else "connection lost"
        if self._outcome is not None and not self._outcome.done():
            if isinstance(reason, ssl.SSLError):  # a STARTTLS handshake that failed
                self._attempt_failed(TlsError(describe_ssl_error(reason)))
            else:
                self._attempt_failed(
                    ConnectError(f"the connection closed before the session started: {text}")
                )
            return
        if self._closing or self._state is not ConnectionState.CONNECTED:
            return
        self._set_state(ConnectionState.DISCONNECTED, reason=text)
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = self._spawn(self._reconnect())

    async def _on_register(self, _form: Any) -> None:
        xmpp = self._require_client()
        iq = xmpp.make_iq_set()
        iq["register"]["username"] = self._account.jid.local
        iq["register"]["password"] = self._account.password.reveal()
        try:
            await self._iq(iq.send())  # type: ignore[no-untyped-call]
        except RemoteError as exc:
            self._attempt_failed(RemoteError(exc.condition, "the server refused the registration"))
            self._abort(xmpp)
            return
        except Exception as exc:  # noqa: BLE001 - not swallowed: raised from events()
            self._crashed(exc)
            return
        xmpp.plugin["xep_0077"].create_account = False  # registered: from now on, log in only

    def _on_ibb(self, iq: Any) -> None:
        if iq["type"] != "set":
            return
        try:
            self._to_ibb_sink(iq)
        except RemoteError as exc:
            reply = iq.reply()
            reply.error()
            reply["error"]["type"] = "cancel"
            reply["error"]["condition"] = exc.condition
            reply.send()
            return
        iq.reply().send()

    def _to_ibb_sink(self, iq: Any) -> None:
        """Raises: RemoteError (the condition to answer with)."""
        element = next((e for e in iq.xml if e.tag.startswith(f"{{{ibb.NS}}}")), None)
        sink = self.ibb_sink
        if element is None or sink is None:
            raise RemoteError("service-unavailable", "no in-band bytestreams here")
        try:
            sender = Jid.parse(str(iq["from"]))
        except InvalidIdentifier:
            raise RemoteError("bad-request", "invalid sender") from None
        sink(sender, element)

    def _on_message(self, msg: Any) -> None:
        self._emit_some(convert.message(msg))

    def _on_message_error(self, msg: Any) -> None:
        self._emit(convert.message_error(msg))

    def _on_presence(self, pres: Any) -> None:
        self._emit_some(convert.presence(pres, str(self._require_client().boundjid)))

    def _on_roster_update(self, _iq: Any) -> None:
        self._emit(RosterChanged(self._roster_snapshot()))

    def _on_subscription_request(self, pres: Any) -> None:
        self._emit(convert.subscription_request(pres))

    def _on_stanza_acked(self, stanza: Any) -> None:
        self._emit_some(convert.acked(stanza))

    # --- helpers -------------------------------------------------------------------------------

    def _roster_snapshot(self) -> tuple[RosterItem, ...]:
        return convert.roster_items(self._require_client().client_roster, self._account.jid.bare)

    def _set_state(
        self,
        state: ConnectionState,
        *,
        reason: str | None = None,
        resumed: bool = False,
        error: NetError | None = None,
    ) -> None:
        self._state = state
        self._emit(ConnectionStateChanged(state, reason=reason, resumed=resumed, error=error))

    def _emit(self, event: NetEvent) -> None:
        self._queue.put_nowait(event)

    def _emit_some(self, event: NetEvent | None) -> None:
        if event is not None:
            self._queue.put_nowait(event)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, NetError):
            self._emit(ErrorEvent(exc))
        elif exc is not None:
            self._crashed(exc)
