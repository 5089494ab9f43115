"""The service's tasks: every task the service starts belongs to one `asyncio.TaskGroup`.

Exceptions are never swallowed: a task that fails takes the group (and the service) down, which
is why the parts report expected trouble as events instead of raising in their tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from types import TracebackType
from typing import Any

from timb.core.errors import Unavailable


class TaskOwner:
    """Owns the service's task group from ``__aenter__`` to ``__aexit__``."""

    def __init__(self) -> None:
        self._group: asyncio.TaskGroup | None = None
        self._background: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        return self._group is not None

    async def enter(self) -> None:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()

    async def exit(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._group is not None
        await self._group.__aexit__(et, exc, tb)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A task in the group. Raises: Unavailable (the service is not running)."""
        if self._group is None:
            coro.close()
            raise Unavailable("the service is not running (use it with 'async with')")
        return self._group.create_task(coro)

    def background(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """A task that runs until the service closes (`cancel_background`)."""
        task = self.spawn(coro)
        task.set_name(name)
        self._background.append(task)

    def cancel_background(self) -> None:
        for task in self._background:
            task.cancel()
