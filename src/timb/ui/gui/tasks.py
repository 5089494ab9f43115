"""Service commands run as asyncio tasks owned by the window (every task has an owner).

A command's refusal (`ServiceError`) is shown to the user; anything else is a bug and goes to the
crash handler (redacted). `settle` waits for every command in flight (tests, and panic).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from timb.core.errors import ServiceError

T = TypeVar("T")


class Tasks:
    def __init__(self, show_error: Callable[[str], None], crash: Callable[[BaseException], None]) -> None:
        self._show_error = show_error
        self._crash = crash
        self._running: set[asyncio.Task[Any]] = set()

    def spawn(
        self,
        command: Coroutine[Any, Any, T],
        then: Callable[[T], None] | None = None,
        *,
        on_error: Callable[[str], None] | None = None,
    ) -> asyncio.Task[T]:
        """Run ``command``; on success call ``then(result)``; a refusal goes to ``on_error``
        (default: the window's error display)."""
        task = asyncio.ensure_future(command)
        self._running.add(task)

        def done(finished: asyncio.Task[T]) -> None:
            self._running.discard(finished)
            if finished.cancelled():
                return
            error = finished.exception()
            if isinstance(error, ServiceError):
                (on_error or self._show_error)(str(error))
            elif error is not None:
                self._crash(error)
            elif then is not None:
                then(finished.result())

        task.add_done_callback(done)
        return task

    def run(self, command: Callable[[], object]) -> bool:
        """Run a synchronous service command; a refusal is shown. True if it ran."""
        try:
            command()
        except ServiceError as exc:
            self._show_error(str(exc))
            return False
        return True

    async def settle(self) -> None:
        """Wait until no command is in flight (commands may start others)."""
        while self._running:
            await asyncio.wait(set(self._running))

    def cancel(self) -> None:
        for task in list(self._running):
            task.cancel()
