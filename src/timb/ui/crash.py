"""Crash reports without secrets.

Textual's default crash screen prints a traceback with local variables, which may hold message
plaintext, passphrases or keys. TIMB replaces it (`TimbApp._handle_exception`) with this report:
for each exception in the chain, its type and the frames (file, line, function, source line).
Never the exception's message (``KeyError('the message text')`` would leak it) and never locals.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

HEADER = "TIMB stopped after an internal error. This report holds no messages, keys or variables."


class TimbCrashed(RuntimeError):
    """Raised in place of the original error (whose frames hold locals) where one must be raised,
    e.g. by Textual's test harness. Its message is the redacted report."""


def _chain(error: BaseException) -> list[BaseException]:
    """The error, what caused it, and (for groups and wrapped worker errors) what is inside."""
    out: list[BaseException] = []
    todo: list[BaseException] = [error]
    while todo and len(out) < 32:
        exc = todo.pop()
        if any(exc is seen for seen in out):
            continue
        out.append(exc)
        if isinstance(exc, BaseExceptionGroup):
            todo.extend(reversed(exc.exceptions))
        inner = getattr(exc, "error", None)  # textual.worker.WorkerFailed wraps the real error
        if isinstance(inner, BaseException):
            todo.append(inner)
        cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if cause is not None:
            todo.append(cause)
    return out


def redacted_report(error: BaseException) -> str:
    """Exception types and frames only. Source lines are the program's own code, not data."""
    lines = [HEADER]
    for exc in _chain(error):
        kind = type(exc)
        lines.append(f"{kind.__module__}.{kind.__qualname__}")
        for frame in traceback.extract_tb(exc.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
    return "\n".join(lines)


def write_report(report: str, log_path: Path) -> bool:
    """Append the report to ``log_path`` (created 0600). Returns False if it cannot be written
    (the caller then shows the report on the terminal once the screen is restored)."""
    try:
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as log:
            log.write(report + "\n\n")
    except OSError:
        return False
    return True
