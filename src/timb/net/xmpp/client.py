"""A slixmpp client whose only way to the network is a `Dialer` (tor), with TLS we control.

slixmpp 1.17 resolves names (SRV and A records, ``get_dns_records``) and dials
(``loop.create_connection(host, port)`` in ``_attempt_connection``) by itself and has no proxy
support. `TorClientXMPP` overrides exactly these private methods of
``slixmpp.xmlstream.XMLStream``, verified against the pinned version `SLIXMPP_VERSION`
(tests/unit/test_xmpp_slixmpp_internals.py fails loudly if their signatures or roles change):

* ``get_dns_records(domain, port=None)`` returns no records: nothing is ever resolved here. The
  adapter always passes an explicit host and port to ``connect``, so slixmpp does not even ask.
* ``_attempt_connection(host, port, tls, server_hostname)`` gets a connected socket from the dialer
  (the host name goes to tor inside SOCKS5) and wraps it with
  ``loop.create_connection(lambda: self, sock=sock, ssl=..., server_hostname=...)``. A failed
  attempt reports a typed error to the owner and ends slixmpp's own retry loop (it clears
  ``_current_connection_attempt``, as ``cancel_connection_attempt`` would, without cancelling the
  task it runs in): the adapter owns retries and backoff.

Public hooks it also uses: ``get_ssl_context`` (our context, `tls.make_ssl_context`),
``connection_made`` (the certificate pin is checked on the finished handshake, before the stream
header is sent), ``exception`` (slixmpp's sink for handler exceptions, which by default drops them:
here they go to the owner), and the ``mechanisms`` stream feature is re-registered behind a guard
that refuses to authenticate on a stream without TLS.

asyncio sets TCP_NODELAY on every TCP socket it wraps (``_SelectorSocketTransport``), so the
client-to-tor leg has Nagle off. Tor's side of that connection has Nagle on: it holds the rest of
a stanza until we ACK the first part, and Linux delays that ACK by up to 40 ms. So
``data_received`` re-arms TCP_QUICKACK on the socket (`timb.tor.socks.rearm_quickack`) before
each chunk is parsed. bench/xmpp_bench.py has the A/B (mode "TIMB + OTR, no quickack"); on the
onion path its effect was within the noise, while the XEP-0198 ack request's timing
(`TorClientXMPP.request_ack_after_queued`) made a ~35 ms difference.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

import slixmpp
from slixmpp.plugins.xep_0198 import stanza as sm_stanza
from slixmpp.stanza import StreamFeatures
from slixmpp.xmlstream.xmlstream import NotConnectedError

from timb.net.base import ConnectError, Dialer, NetError, TlsError
from timb.net.xmpp import privacy
from timb.net.xmpp.errors import IncompatibleSlixmpp
from timb.net.xmpp.tls import CertificatePin, check_peer_certificate, describe_ssl_error
from timb.tor.errors import TorError
from timb.tor.socks import rearm_quickack

SLIXMPP_VERSION = "1.17.0"

if slixmpp.__version__ != SLIXMPP_VERSION:  # pragma: no cover - guarded by the version pin
    raise IncompatibleSlixmpp(
        f"timb.net.xmpp was verified against slixmpp {SLIXMPP_VERSION}, found {slixmpp.__version__}"
    )

#: SASL mechanisms we accept. PLAIN is only ever chosen inside TLS (slixmpp's default
#: ``unencrypted_plain=False``, and `_guard_sasl` refuses SASL on a stream without TLS at all).
SASL_MECHANISMS = frozenset(
    {"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "PLAIN"}
)
_SASL_FEATURE_ORDER = 100  # feature_mechanisms' default 'order'


class TorClientXMPP(slixmpp.ClientXMPP):
    """slixmpp's ClientXMPP that dials only through ``dialer`` (see the module docstring).

    ``on_failure`` receives the typed reason an attempt failed (ConnectError, TlsError);
    ``on_crash`` receives any exception that escaped a handler. Both are called on the loop.
    """

    #: Quiet seconds after the last message before the XEP-0198 ack request (see
    #: `request_ack_after_queued`); 0 sends the request at once, behind each message.
    ack_request_delay: float = 0.5
    #: Longest a request is postponed while messages keep coming.
    ack_request_max_wait: float = 2.0
    #: Join what is written in one event-loop iteration into one write (see `send_raw`).
    coalesce_writes: bool = True

    def __init__(
        self,
        jid: str,
        password: str,
        *,
        dialer: Dialer,
        isolation: str,
        ssl_context: ssl.SSLContext,
        pin: CertificatePin | None,
        direct_tls: bool,
        on_failure: Callable[[NetError], None],
        on_crash: Callable[[BaseException], None],
    ) -> None:
        # lang: a constant, never the user's locale (privacy.STREAM_LANG).
        super().__init__(jid, password, lang=privacy.STREAM_LANG)
        self._dialer = dialer
        self._isolation = isolation
        self._tls_context = ssl_context
        self._pin = pin
        self._on_failure = on_failure
        self._on_crash = on_crash
        self._tor_socket: object | None = None  # the dialer's socket under the current stream
        self._ack_request: asyncio.TimerHandle | None = None
        self._ack_first = 0.0  # loop time of the first message the pending request covers
        self._pending_writes: list[bytes] = []
        self._flush_scheduled = False
        self.enable_direct_tls = direct_tls
        self.enable_starttls = not direct_tls
        self.enable_plaintext = False
        self.use_aiodns = False
        # see-other-host would steer us to a host the server chooses: never follow it
        # (basexmpp follows while redirect_attempts > max_redirects is false).
        self.max_redirects = -1
        # Subscriptions are the user's decision: no automatic approval or subscribe-back.
        self.roster.auto_authorize = None  # type: ignore[assignment]  # None: ask (slixmpp docs)
        self.roster.auto_subscribe = False
        self.plugin["feature_mechanisms"].use_mechs = set(SASL_MECHANISMS)
        self.unregister_feature("mechanisms", _SASL_FEATURE_ORDER)
        self.register_feature("mechanisms", self._guard_sasl, restart=True, order=_SASL_FEATURE_ORDER)
        # window 0: slixmpp never requests an ack by itself. Its request (every 5th stanza by
        # default) runs in the outgoing filter and is written *before* that stanza, so the message
        # became the second packet close behind another on tor's connections: the ~40 ms stall of
        # `request_ack_after_queued`, for one message in five (bench/xmpp_bench.py, "slixmpp <r/>
        # every 5"). `request_ack_after_queued` sends the one request needed, after the messages.
        self.register_plugin("xep_0198", {"allow_resume": True, "window": 0})
        self.register_plugin("xep_0199", {"keepalive": False})
        #: Set by the adapter: an accepted file transfer waits for its in-band bytestream.
        self.expects_ibb: Callable[[], bool] = lambda: False
        late = lambda: self.expects_ibb()  # noqa: E731, PLW0108 - read at each stanza: the adapter sets it later
        self.add_filter("in", privacy.answer_unknown_iq(lambda: self.boundjid, late))
        self.add_filter("out", privacy.strip_error_text)

    # --- private slixmpp API, pinned to 1.17.0 -------------------------------------------------

    async def get_dns_records(self, domain: str, port: int | None = None) -> list[tuple[str, str, str, int]]:
        """Never resolve anything locally (see the module docstring)."""
        return []

    async def _attempt_connection(self, host: str, port: int, tls: bool, server_hostname: str | None) -> bool:
        """One attempt: a socket from the dialer, wrapped by asyncio (see the module docstring)."""
        self.event_when_connected = "connected"
        if self._current_connection_attempt is None:  # cancelled meanwhile
            return False
        sock = await self._dial(host, port)
        if sock is None:
            return False
        self._tor_socket = sock
        try:
            await self.loop.create_connection(
                lambda: self,
                sock=_as_socket(sock),
                ssl=self.get_ssl_context() if tls else None,
                server_hostname=server_hostname if tls else None,
            )
        except ssl.SSLError as exc:
            return self._attempt_failed(TlsError(describe_ssl_error(exc)))
        except OSError as exc:
            return self._attempt_failed(ConnectError(f"the stream to {host}:{port} failed: {exc}"))
        return True

    async def _dial(self, host: str, port: int) -> object | None:
        """The dialer's socket, or None once the failure has been reported."""
        try:
            return await self._dialer.open_socket(host, port, isolation=self._isolation)
        except (TorError, OSError) as exc:
            self._attempt_failed(ConnectError(f"could not open a stream to {host}:{port}: {exc}"))
        except ValueError as exc:  # the dialer refused the destination itself (e.g. a bad .onion)
            self._attempt_failed(ConnectError(f"cannot connect to {host}:{port}: {exc}"))
        except Exception as exc:  # noqa: BLE001 - routed to the owner, not swallowed
            # slixmpp's connect loop would log and drop this; the owner must see it.
            self._on_crash(exc)
            self._attempt_failed(ConnectError(f"connecting to {host}:{port} failed: bug"))
        return None

    def _attempt_failed(self, error: NetError) -> bool:
        self._current_connection_attempt = None  # end slixmpp's retry loop: the adapter retries
        self._on_failure(error)
        return False

    # --- public slixmpp hooks ------------------------------------------------------------------

    def get_ssl_context(self) -> ssl.SSLContext:
        return self._tls_context

    def connection_made(self, transport: asyncio.BaseTransport, send_event: bool = True) -> None:
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            try:
                check_peer_certificate(ssl_object.getpeercert(binary_form=True), self._pin)
            except TlsError as exc:
                if isinstance(transport, asyncio.Transport):
                    transport.abort()  # not close(): nothing more goes to this peer
                else:  # pragma: no cover - asyncio always hands a Transport here
                    transport.close()
                self._attempt_failed(exc)
                return
        super().connection_made(transport, send_event)

    def data_received(self, data: bytes | str) -> None:
        # ACK now what tor just handed over, so tor's next segment is not held back by Nagle
        # waiting for our delayed ACK (see the module docstring).
        if self._tor_socket is not None:
            rearm_quickack(self._tor_socket)
        super().data_received(data)

    def exception(self, exception: Exception) -> None:
        self._on_crash(exception)

    def send_raw(self, data: str | bytes) -> None:
        """Write `data` at the end of this event-loop iteration, with whatever else is written in it.

        slixmpp writes each stanza on its own, so a burst leaves as one TLS record and one TCP
        segment per stanza, and tor sends each in cells of its own: an OTR message of ~670 bytes
        takes two 498-byte cells, the second mostly empty, and the onion path was limited by cells
        per second (bench/xmpp_bench.py, "writes not coalesced"). Joined, a burst fills its cells.
        A lone message waits only for the end of the current iteration. Like slixmpp's, nothing
        here is logged.
        """
        if not self.coalesce_writes:
            super().send_raw(data)
            return
        if not self.transport:
            raise NotConnectedError
        self._pending_writes.append(data.encode("utf-8") if isinstance(data, str) else data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self._flush_writes)

    def _flush_writes(self) -> None:
        self._flush_scheduled = False
        data = b"".join(self._pending_writes)
        self._pending_writes.clear()
        # A stream lost in between takes the data with it, as an unsent buffer would: stanzas
        # stay in XEP-0198's unacknowledged queue and are sent again on resumption.
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def request_ack_after_queued(self) -> None:
        """Ask the server to acknowledge everything sent so far (XEP-0198), once the sending
        pauses.

        slixmpp's own ack request runs in an outgoing filter, i.e. *before* the stanza that
        triggered it is written, so the last message would stay unacknowledged until the next
        one. This request goes through the send queue, behind the messages, once no message was
        sent for `ack_request_delay` seconds (each call postpones it, but never beyond
        `ack_request_max_wait` after the first unrequested message): a burst or a quick
        exchange gets one ``<r/>``, after it.

        Why not at once: the ``<r/>`` and the server's ``<a/>`` are extra cells on tor's
        connections, and a cell that follows another one closely on a connection between tor
        relays was held ~40 ms by Nagle and a delayed ACK on the private test network (the
        immediate request cost ~40 ms per message; bench/xmpp_bench.py has the A/B). The cost:
        MessageAcked comes that much later.
        """
        now = self.loop.time()
        if self._ack_request is not None:
            if now - self._ack_first >= self.ack_request_max_wait:
                return  # a steady stream of messages: keep the request already scheduled
            self._ack_request.cancel()
        else:
            self._ack_first = now
        if self.ack_request_delay <= 0:
            self._request_ack_now()
            return
        self._ack_request = self.loop.call_later(self.ack_request_delay, self._request_ack_now)

    def _request_ack_now(self) -> None:
        # Like any stanza, a request made while the stream is down waits in slixmpp's send
        # queue for the resumed stream.
        self._ack_request = None
        if self.plugin["xep_0198"].enabled_out:
            self.send(sm_stanza.RequestAck(self))

    # --- TLS before SASL -----------------------------------------------------------------------

    def tls_active(self) -> bool:
        return isinstance(self.socket, ssl.SSLObject | ssl.SSLSocket)

    def _guard_sasl(self, features: StreamFeatures) -> Any:
        if not self.tls_active():
            self._attempt_failed(TlsError("the server did not offer TLS: refusing to authenticate"))
            self.abort()
            return True
        return self.plugin["feature_mechanisms"]._handle_sasl_auth(features)  # type: ignore[no-untyped-call]


def _as_socket(sock: object) -> Any:
    # The dialer's socket is typed `object` because only timb.tor may import `socket`; asyncio
    # checks it is a stream socket and raises otherwise.
    return sock
