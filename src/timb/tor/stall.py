"""Bootstrap stall detection: is tor still getting somewhere, and if not, why. Pure: fed the
control port's events with the time they arrived (the caller owns the clock).

Measured on the private network (tor 0.4.9.11, obfs4proxy 0.0.14): a bridge that is down or
has a wrong ``cert=`` never shows in ``status/bootstrap-phase``; tor sits at ``2 %
conn_done_pt`` (or ``conn_pt``) for ever. Its only signals are WARN log lines ("Proxy Client:
unable to connect OR connection (handshaking (proxy)) ... general SOCKS server failure"),
about 1 s after each try for a dead bridge and 31-62 s for a bad cert (obfs4proxy holds a bad
handshake for 30 s and more), and ORCONN FAILED/CLOSED events. So the watch trusts only time:
no new bootstrap phase for ``stall_after_s`` seconds is a stall, and the events it has seen
meanwhile say why.
"""

from __future__ import annotations

from timb.tor.control.events import BootstrapStatus, ControlEvent, LogEvent, OrConnEvent
from timb.tor.errors import Stall, StallReason

# What a watch finds (Stall, StallReason) is defined in timb.tor.errors, below this module,
# because BootstrapStalled carries it; an import back from there would close a cycle.
# Importers may take them from here.
__all__ = ["PROXY_FAILURE", "BootstrapWatch", "Stall", "StallReason"]

PROXY_FAILURE = "Proxy Client: unable to connect"
# Phases in which tor waits for its first hop (a bridge's transport, a proxy, a guard).
_FIRST_HOP_TAGS = frozenset({"starting", "conn_pt", "conn_done_pt", "conn_proxy", "conn_done_proxy", "conn"})


class BootstrapWatch:
    """Feed it the bootstrap status and the control events; ask it whether bootstrap stalled.

    ``stall_after_s``: how long without a new phase counts as a stall (configurable: a censored
    network may legitimately be slow; a test uses a few seconds).
    """

    def __init__(self, status: BootstrapStatus, now: float, *, stall_after_s: float) -> None:
        if stall_after_s <= 0:
            raise ValueError("stall_after_s must be positive")
        self.stall_after_s = stall_after_s
        self.status = status
        self._since = now
        self._proxy_failures = 0
        self._orconn_failures: list[str] = []

    @property
    def done(self) -> bool:
        return self.status.done

    def bootstrap(self, status: BootstrapStatus, now: float) -> None:
        """A new ``BOOTSTRAP`` status; a higher phase restarts the clock (a repeated one does not)."""
        if status.progress > self.status.progress:
            self._since = now
            self._proxy_failures = 0
            self._orconn_failures.clear()
        if status.progress >= self.status.progress:
            self.status = status

    def event(self, event: ControlEvent, now: float) -> None:
        """Any other control event: only the signals of a stuck first hop are kept."""
        if (
            isinstance(event, LogEvent)
            and event.severity in {"WARN", "ERR"}
            and PROXY_FAILURE in event.message
        ):
            self._proxy_failures += 1
        elif isinstance(event, OrConnEvent) and event.status in {"FAILED", "CLOSED"}:
            self._orconn_failures.append(event.reason or "no reason given")
            del self._orconn_failures[:-8]  # the latest few are enough to name a cause

    def check(self, now: float) -> Stall | None:
        """The stall, if tor has shown no new phase for ``stall_after_s``; None otherwise."""
        seconds = now - self._since
        if self.status.done or seconds < self.stall_after_s:
            return None
        reason, detail = self._diagnose()
        return Stall(reason, self.status, seconds, detail)

    def _diagnose(self) -> tuple[StallReason, str]:
        if self._proxy_failures:
            return (
                StallReason.TRANSPORT_CANNOT_CONNECT,
                f"The pluggable transport failed {self._proxy_failures} time(s): the bridge may be "
                "down or blocked, or its line (address, cert=) may be wrong. Try other bridges or "
                "another transport.",
            )
        if self.status.warning:
            return StallReason.TOR_WARNING, f"tor says: {self.status.warning}."
        if self._orconn_failures:
            return (
                StallReason.CONNECTIONS_FAIL,
                f"Last reason: {self._orconn_failures[-1]}. Tor may be blocked here: try bridges.",
            )
        if self.status.tag in _FIRST_HOP_TAGS:
            return (
                StallReason.FIRST_HOP_SILENT,
                "Connected to the transport, but no answer came through it: a wrong cert= or a "
                "censor that drops the traffic. Try other bridges or another transport."
                if self.status.tag == "conn_done_pt"
                else "Tor may be blocked here: try bridges.",
            )
        return StallReason.NO_PROGRESS, "Tor may be blocked here: try bridges or another transport."
