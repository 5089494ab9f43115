"""One account's link to its chat network: the adapter, the ordered outbox and the event pump.

OTR wire messages must reach the peer in order and none may be skipped (a lost Data Message makes
the next ones unreadable), so the outbox is a queue whose head is only removed once the adapter
took it: a send that finds no session waits for the next one, and a stop or a crash leaves the
message at the head for the next connection.

Expected trouble (tor, TLS, credentials, the server) ends the link with FAILED and an error event;
anything else propagates to the owner's task group.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable

from timb.common.ids import Jid
from timb.core.errors import ServiceError
from timb.core.events import ConnectionState, ConnectionStateChanged, CoreEvent, ErrorEvent
from timb.net import base as net
from timb.tor.errors import TorError


class AccountLink:
    """The network side of one account. The owner runs `run` in a task and calls `stop`."""

    def __init__(
        self,
        account_id: str,
        emit: Callable[[CoreEvent], None],
        on_down: Callable[[], None] | None = None,
        on_up: Callable[[], None] | None = None,
    ) -> None:
        """``on_down`` is called whenever the session is lost or ended (presence goes stale);
        ``on_up`` whenever it is (again) connected (what waited may go now)."""
        self.account_id = account_id
        self._emit = emit
        self._on_down = on_down
        self._on_up = on_up
        self._outbox: deque[tuple[str, str]] = deque()
        self._queued = asyncio.Event()
        self.connected = asyncio.Event()
        self.adapter: net.Adapter | None = None
        self.task: asyncio.Task[None] | None = None
        self.last_error: str | None = None  # why the last attempt failed (safe to show)

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def enqueue(self, contact: str, wire: str) -> None:
        self._outbox.append((contact, wire))
        self._queued.set()

    async def run(
        self, make_adapter: Callable[[], Awaitable[net.Adapter]], on_event: Callable[[net.NetEvent], None]
    ) -> None:
        """Connect, then pump events to ``on_event`` and the outbox to the adapter until the
        session ends for good. Raises only what is not expected network trouble."""
        self._emit(ConnectionStateChanged(self.account_id, ConnectionState.CONNECTING))
        try:
            adapter = await make_adapter()
            self.adapter = adapter
            await adapter.connect()
        except (net.NetError, TorError, ServiceError) as exc:
            self._failed(exc)
            return
        self.connected.set()
        self._emit(ConnectionStateChanged(self.account_id, ConnectionState.CONNECTED))
        if self._on_up is not None:
            self._on_up()
        # The adapter may have queued its own CONNECTING/CONNECTED for the attempt that
        # connect() already reported; they are not shown twice.
        catching_up = True
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._send_loop(adapter))
                async for event in adapter.events():
                    if catching_up and isinstance(event, net.ConnectionStateChanged):
                        if event.state is net.ConnectionState.CONNECTING:
                            continue
                        if event.state is net.ConnectionState.CONNECTED:
                            catching_up = False
                            continue
                    catching_up = False
                    if isinstance(event, net.ConnectionStateChanged):
                        self._state(event)
                    else:
                        on_event(event)
        except* (net.NetError, TorError) as failure:
            self._failed(failure.exceptions[0])

    async def settled(self) -> bool:
        """Wait until the link is connected (True) or its task has ended (False)."""
        task = self.task
        if task is None or self.connected.is_set():
            return self.connected.is_set()
        waiter = asyncio.ensure_future(self.connected.wait())
        try:
            await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        return self.connected.is_set()

    async def stop(self) -> None:
        """Disconnect and end the task (idempotent). Unsent wire messages stay queued."""
        task, self.task = self.task, None
        adapter, self.adapter = self.adapter, None
        self.connected.clear()
        if adapter is not None:
            await adapter.disconnect()
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if adapter is not None:
            self._emit(ConnectionStateChanged(self.account_id, ConnectionState.DISCONNECTED))
            self._down()

    def _state(self, event: net.ConnectionStateChanged) -> None:
        state = ConnectionState(event.state.value)
        if state is ConnectionState.CONNECTED:
            self.connected.set()
        else:
            self.connected.clear()
        self._emit(ConnectionStateChanged(self.account_id, state, event.reason or ""))
        if state is ConnectionState.CONNECTED and self._on_up is not None:
            self._on_up()
        if state in (ConnectionState.DISCONNECTED, ConnectionState.FAILED):
            self._down()

    def _failed(self, exc: BaseException) -> None:
        self.connected.clear()
        detail = str(exc) or type(exc).__name__
        self.last_error = detail
        self._emit(ConnectionStateChanged(self.account_id, ConnectionState.FAILED, detail))
        self._emit(ErrorEvent(f"account {self.account_id}: {detail}"))
        self._down()

    def _down(self) -> None:
        if self._on_down is not None:
            self._on_down()

    async def _send_loop(self, adapter: net.Adapter) -> None:
        while True:
            if not self._outbox:
                self._queued.clear()
                await self._queued.wait()
                continue
            await self.connected.wait()
            contact, wire = self._outbox[0]
            try:
                await adapter.send_message(Jid.parse(contact), wire)
            except net.NotConnectedError:
                self.connected.clear()  # wait for the session to come back, then the same message
                continue
            self._outbox.popleft()
