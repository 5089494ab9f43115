"""The bootstrap stall detector (timb.tor.stall) on canned event sequences: what tor really
sends for a dead bridge, a bad cert and a blocked network (pure, the clock is a number)."""

from __future__ import annotations

import pytest

from timb.tor.control.events import BootstrapStatus, LogEvent, OrConnEvent, StatusEvent, parse_event
from timb.tor.control.reply import ReplyParser
from timb.tor.stall import BootstrapWatch, StallReason

CONN_DONE_PT = BootstrapStatus(2, "conn_done_pt", "Connected to pluggable transport")
CONN_PT = BootstrapStatus(1, "conn_pt", "Connecting to pluggable transport")
HANDSHAKE = BootstrapStatus(10, "handshake_done", "Handshake with a relay done")
DONE = BootstrapStatus(100, "done", "Done")
PROXY_WARN = LogEvent(
    "WARN",
    "Proxy Client: unable to connect OR connection (handshaking (proxy)) with 127.0.0.1:5 ID=<none> "
    'RSA_ID=AA ("general SOCKS server failure")',
)


def _watch(status: BootstrapStatus = CONN_PT) -> BootstrapWatch:
    return BootstrapWatch(status, 100.0, stall_after_s=10)


def test_progress_within_the_time_out_is_no_stall() -> None:
    watch = _watch()
    watch.bootstrap(CONN_DONE_PT, 108.0)
    assert watch.check(117.9) is None
    watch.bootstrap(HANDSHAKE, 117.0)
    assert watch.check(126.0) is None
    watch.bootstrap(DONE, 130.0)
    assert watch.done and watch.check(1000.0) is None


def test_a_dead_bridge_is_the_transport_failing() -> None:
    watch = _watch(CONN_DONE_PT)
    watch.event(PROXY_WARN, 101.0)
    watch.event(OrConnEvent("$AA~bridge0", "FAILED", "CONNECTREFUSED"), 101.0)
    stall = watch.check(110.0)
    assert stall is not None and stall.reason is StallReason.TRANSPORT_CANNOT_CONNECT
    assert stall.seconds == 10.0 and "1 time(s)" in stall.detail
    assert "2 %" in stall.describe() and "bridge" in stall.describe()


def test_a_bad_cert_before_any_warning_is_a_silent_bridge() -> None:
    watch = _watch(CONN_DONE_PT)  # obfs4proxy holds the bad handshake for 30 s and more
    stall = watch.check(111.0)
    assert stall is not None and stall.reason is StallReason.FIRST_HOP_SILENT
    assert "cert=" in stall.detail


def test_a_repeated_phase_does_not_restart_the_clock() -> None:
    watch = _watch(CONN_DONE_PT)
    for t in range(101, 111):
        watch.bootstrap(CONN_DONE_PT, float(t))
    assert watch.check(110.0) is not None


def test_tors_own_bootstrap_warning_is_quoted() -> None:
    watch = _watch(BootstrapStatus(14, "handshake", "Handshaking"))
    watch.bootstrap(BootstrapStatus(14, "handshake", "Handshaking", warning="Connection refused"), 105.0)
    stall = watch.check(110.0)
    assert stall is not None and stall.reason is StallReason.TOR_WARNING
    assert "Connection refused" in stall.detail


def test_orconn_failures_name_their_reason() -> None:
    watch = _watch(BootstrapStatus(14, "handshake", "Handshaking"))
    for _ in range(50):
        watch.event(OrConnEvent("1.2.3.4:443", "FAILED", "TIMEOUT"), 101.0)
    watch.event(StatusEvent("STATUS_CLIENT", "NOTICE", "CIRCUIT_NOT_ESTABLISHED", {}), 101.0)
    stall = watch.check(112.0)
    assert stall is not None and stall.reason is StallReason.CONNECTIONS_FAIL and "TIMEOUT" in stall.detail


def test_progress_clears_the_old_evidence() -> None:
    watch = _watch(CONN_DONE_PT)
    watch.event(PROXY_WARN, 101.0)
    watch.bootstrap(BootstrapStatus(50, "loading_descriptors", "Loading"), 102.0)
    stall = watch.check(112.0)
    assert stall is not None and stall.reason is StallReason.NO_PROGRESS


def test_the_time_out_must_be_positive() -> None:
    with pytest.raises(ValueError):
        BootstrapWatch(CONN_PT, 0.0, stall_after_s=0)


def test_log_and_orconn_events_are_typed() -> None:
    raw = (
        b"650 WARN Proxy Client: unable to connect OR connection (handshaking (proxy))\r\n"
        b"650 ORCONN $AA~bridge0 CLOSED REASON=DONE NCIRCS=1 ID=7\r\n"
        b"650 NOTICE Bootstrapped 2% (conn_done_pt)\r\n"
    )
    events = [parse_event(r) for r in ReplyParser().feed(raw)]
    assert events == [
        LogEvent("WARN", "Proxy Client: unable to connect OR connection (handshaking (proxy))"),
        OrConnEvent("$AA~bridge0", "CLOSED", "DONE"),
        LogEvent("NOTICE", "Bootstrapped 2% (conn_done_pt)"),
    ]
