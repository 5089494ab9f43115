"""`Redialler`: one reconnect loop per contact, with exponential backoff and jitter (asyncio).

While a contact is wanted (a contact, or one we asked) and not online, the loop dials it; a
failed attempt doubles the pause (up to a cap), a working contact connection resets it. While
the contact is online the loop sleeps until `wake` (a lost connection, a command).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from timb.common.ids import OnionAddress
from timb.common.random import Random

# attempt(peer): None when no stream could be opened, else whether the connection carried the
# contact (then the next try comes at once, after the first pause otherwise).
Attempt = Callable[[OnionAddress], Awaitable[bool | None]]
Guard = Callable[[Coroutine[Any, Any, None]], Coroutine[Any, Any, None]]
IDLE_WAKE = 3600.0


class Redialler:
    def __init__(
        self,
        *,
        wants: Callable[[OnionAddress], bool],
        online: Callable[[OnionAddress], bool],
        attempt: Attempt,
        guard: Guard,
        random: Random,
        backoff: tuple[float, float],
    ) -> None:
        self._wants, self._online, self._attempt, self._guard = wants, online, attempt, guard
        self._random = random
        self._backoff = backoff
        self._tasks: dict[OnionAddress, asyncio.Task[None]] = {}
        self._wake: dict[OnionAddress, asyncio.Event] = {}

    def ensure(self, peer: OnionAddress) -> None:
        """Start ``peer``'s loop if it is wanted and has none; wake it if it has one."""
        if not self._wants(peer):
            return
        task = self._tasks.get(peer)
        if task is not None and not task.done():
            self.wake(peer)
            return
        self._wake[peer] = asyncio.Event()
        self._tasks[peer] = asyncio.create_task(self._guard(self._loop(peer)), name=f"onion-dial-{peer}")

    def running(self, peer: OnionAddress) -> bool:
        """Whether ``peer`` has a loop (dialling it, or waiting to redial when it goes offline)."""
        task = self._tasks.get(peer)
        return task is not None and not task.done()

    def wake(self, peer: OnionAddress) -> None:
        wake = self._wake.get(peer)
        if wake is not None:
            wake.set()

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    async def _pause(self, peer: OnionAddress, seconds: float) -> None:
        """Sleep ``seconds`` or until woken."""
        wake = self._wake[peer]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), seconds)
        wake.clear()

    async def _loop(self, peer: OnionAddress) -> None:
        first, cap = self._backoff
        delay = first
        try:
            while self._wants(peer):
                if self._online(peer):  # maybe through its own connection: wait for a loss
                    await self._pause(peer, IDLE_WAKE)
                    delay = first
                    continue
                worked = await self._attempt(peer)
                if worked:
                    delay = first  # it was a working contact connection: try again soon
                    continue
                await self._pause(peer, self._jitter(delay))
                delay = min(delay * 2, cap)
        finally:
            if self._tasks.get(peer) is asyncio.current_task():
                del self._tasks[peer]

    def _jitter(self, delay: float) -> float:
        """``delay`` give or take 25 %, so that peers that lost each other do not redial in step."""
        spread = int.from_bytes(self._random.randbytes(2), "big") / 65535
        return delay * (0.75 + spread / 2)
