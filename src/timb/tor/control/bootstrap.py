"""Where tor's bootstrap stands (control-spec §5.5 "Bootstrap phases"). Pure, and it imports
nothing of timb.tor: `timb.tor.errors`, the bottom of the layer, carries it (in a `Stall`), and
`timb.tor.control.events` parses it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BootstrapStatus:
    """Where tor's bootstrap stands (control-spec §5.5 "Bootstrap phases").

    ``progress`` is 0..100; ``tag`` and ``summary`` name the phase; ``warning`` is set when tor
    reports trouble (a ``WARN`` status with ``WARNING="..."``).
    """

    progress: int
    tag: str
    summary: str
    warning: str | None = None

    @property
    def done(self) -> bool:
        return self.progress >= 100
