"""One IRC connection: a stream tor handed over, TLS on it, lines in, paced lines out.

`establish` gets a socket from the `Dialer` (the host name goes to tor inside SOCKS5;
nothing is resolved or dialed here) and wraps it with asyncio's ``open_connection(sock=...)``,
with TLS when the account has it: certificate authorities and the host name, or exactly the
pinned certificate, checked on the finished handshake before we send a byte.

`IrcConnection.read_line` returns one line, never more than `MAX_RECEIVED` bytes are buffered: a
longer line is discarded (a `MalformedLine` raised once) and reading goes on.
`IrcConnection.send` queues lines in the account's `SendQueue`; a writer task sends them as the
token bucket allows (the only timing in the IRC adapter).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import Any

from timb.net.base import Dialer
from timb.net.irc.account import IrcAccount
from timb.net.irc.client_cert import load_client_certificate
from timb.net.irc.errors import ConnectError, MalformedLine, TlsError
from timb.net.irc.flood import SendQueue
from timb.net.irc.message import MAX_RECEIVED
from timb.net.tls import check_peer_certificate, describe_ssl_error, make_ssl_context
from timb.tor.errors import TorError
from timb.tor.socks import rearm_quickack


def make_context(account: IrcAccount) -> ssl.SSLContext:
    """The account's TLS context, its client certificate loaded (`client_cert`: no lasting
    plaintext key on disk). Raises: TlsError (the certificate cannot be loaded)."""
    ctx = make_ssl_context(account.pin, account.ca_file)
    if account.client_cert is not None:
        load_client_certificate(ctx, account.client_cert)
        if not account.host.lower().endswith(".onion"):
            # TLS 1.2 sends the client certificate in the clear: through an exit relay the
            # relay (and anyone after it) would read a stable certificate naming the user and
            # link all their sessions. TLS 1.3 encrypts it; an onion service's circuit does too.
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


async def establish(account: IrcAccount, dialer: Dialer) -> IrcConnection:
    """Raises: ConnectError (tor could not reach the server), TlsError."""
    where = f"{account.host}:{account.port}"
    # Before dialling: a client certificate that cannot be loaded opens no stream at all.
    ctx = make_context(account) if account.tls else None
    try:
        sock = await dialer.open_socket(account.host, account.port, isolation=account.isolation_key)
    except (TorError, OSError) as exc:
        raise ConnectError(f"could not open a stream to {where}: {exc}") from None
    except ValueError as exc:  # the dialer refused the destination itself (e.g. a bad .onion)
        raise ConnectError(f"cannot connect to {where}: {exc}") from None
    try:
        reader, writer = await asyncio.open_connection(
            sock=_as_socket(sock),
            ssl=ctx,
            server_hostname=account.host if ctx is not None else None,
            limit=MAX_RECEIVED,
        )
    except ssl.SSLError as exc:
        _close_socket(sock)
        raise TlsError(describe_ssl_error(exc)) from None
    except OSError as exc:
        _close_socket(sock)
        raise ConnectError(f"the stream to {where} failed: {exc}") from None
    if ctx is not None:
        ssl_object = writer.get_extra_info("ssl_object")
        try:
            check_peer_certificate(ssl_object.getpeercert(binary_form=True), account.pin)
        except TlsError:
            writer.transport.abort()  # not close(): nothing more goes to this peer
            raise
    return IrcConnection(reader, writer, sock, SendQueue(account.flood, asyncio.get_running_loop().time()))


class IrcConnection:
    """See the module docstring. ``closed`` is set once the writer has stopped."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sock: object, queue: SendQueue
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._sock = sock
        self.queue = queue
        self._wakeup = asyncio.Event()
        self._empty = asyncio.Event()
        self._discarding = False
        self.sent_lines = 0
        self._writer_task = asyncio.ensure_future(self._write_loop())

    async def read_line(self) -> bytes:
        """The next line (with its LF), b"" at the end of the stream.

        Raises: MalformedLine (a line too long: dropped), ConnectError (the stream broke).
        """
        while True:
            try:
                line = await self._reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:
                return b"" if not exc.partial or self._discarding else exc.partial
            except asyncio.LimitOverrunError as exc:
                await self._reader.readexactly(exc.consumed)
                self._discarding = True
                raise MalformedLine("a line longer than IRC allows (dropped)") from None
            except (OSError, ssl.SSLError) as exc:
                raise ConnectError(f"the connection broke: {type(exc).__name__}") from None
            rearm_quickack(self._sock)
            if self._discarding:  # the tail of a line already dropped
                self._discarding = False
                continue
            return line

    def send(self, lines: list[tuple[bytes, bool]]) -> None:
        """Queue lines (urgent ones first). Raises: UnsendableMessage (the queue is full)."""
        for line, urgent in lines:
            self.queue.push(line, urgent=urgent)
        if lines:
            self._wakeup.set()

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            delay = self.queue.next_delay(loop.time())
            if delay is None:
                self._empty.set()
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if delay > 0:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), delay)
                continue
            for line in self.queue.pop_ready(loop.time()):
                self._writer.write(line)
                self.sent_lines += 1
            await self._writer.drain()

    async def flush(self) -> None:
        """Wait until every queued line has been written (the caller bounds the wait)."""
        while len(self.queue):
            self._empty.clear()
            await self._empty.wait()
        await self._writer.drain()

    async def close(self) -> None:
        self._writer_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError, ssl.SSLError, ConnectionError):
            await self._writer_task
        self.queue.clear()
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError, ConnectionError, TimeoutError):
            async with asyncio.timeout(2.0):
                await self._writer.wait_closed()

    def abort(self) -> None:
        self._writer_task.cancel()
        self._writer.transport.abort()

    @property
    def writer_error(self) -> BaseException | None:
        """The exception that stopped the writer (a broken stream), if it stopped."""
        task = self._writer_task
        if not task.done() or task.cancelled():
            return None
        return task.exception()


def _as_socket(sock: object) -> Any:
    # Typed `object` because only timb.tor may import `socket`; asyncio checks it is a stream socket.
    return sock


def _close_socket(sock: object) -> None:
    close = getattr(sock, "close", None)
    if callable(close):
        close()
