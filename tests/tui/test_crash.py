"""A crash never shows (or logs) local variables or message text: only types and frames."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from tests.tui.fake_service import FakeService
from tests.tui.test_app import PASS, ready_service, unlocked
from timb.core.events import MessageReceived
from timb.ui.crash import HEADER, TimbCrashed, redacted_report
from timb.ui.tui.app import TimbApp

pytestmark = pytest.mark.timeout(60)

SECRET_TEXT = "meet at the north gate at 9"
SECRET_LOCAL = "passphrase-in-a-local-variable"


class Boom(Exception):
    pass


def explode(plaintext: str) -> None:
    passphrase = SECRET_LOCAL
    raise Boom(f"could not handle {plaintext!r} with {passphrase}")


def test_report_has_types_and_frames_but_no_messages_or_locals() -> None:
    try:
        try:
            explode(SECRET_TEXT)
        except Boom as inner:
            raise KeyError(SECRET_TEXT) from inner
    except KeyError as error:
        report = redacted_report(error)
    assert report.startswith(HEADER)
    assert "KeyError" in report and "test_crash.Boom" in report
    assert "in explode" in report
    assert SECRET_TEXT not in report and SECRET_LOCAL not in report


def test_report_looks_inside_exception_groups() -> None:
    try:
        raise ExceptionGroup("group", [ValueError(SECRET_TEXT), Boom(SECRET_TEXT)])
    except ExceptionGroup as error:
        report = redacted_report(error)
    assert "ValueError" in report and "Boom" in report and SECRET_TEXT not in report


class CrashingService(FakeService):
    """Crashes while handling an incoming message, with the plaintext in a local variable."""

    def list_contacts(self, account_id: str) -> list[dict[str, Any]]:
        if getattr(self, "armed", False):
            message_body = SECRET_TEXT  # noqa: F841 - a local Textual's traceback would print
            explode(SECRET_TEXT)
        return super().list_contacts(account_id)


async def test_app_crash_is_logged_redacted_and_exits_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = CrashingService(profile=PASS)
    service.with_account("alice", "alice@timb.test", "bob@timb.test")
    log = tmp_path / "crash.log"
    app = TimbApp(service=service, crash_log=log)
    with pytest.raises(TimbCrashed) as raised:
        async with app.run_test() as pilot:
            await unlocked(pilot)
            service.armed = True  # type: ignore[attr-defined]
            service.emit(MessageReceived("alice", "bob@timb.test", SECRET_TEXT, True, False))
            await pilot.press("f4")  # the settings screen lists contacts: crash
            await pilot.pause()
    assert app.return_code == 1
    assert raised.value.__cause__ is None and raised.value.__context__ is None
    assert SECRET_TEXT not in str(raised.value)
    text = log.read_text()
    assert "test_crash.Boom" in text and "in explode" in text
    assert SECRET_TEXT not in text and SECRET_LOCAL not in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    out = capsys.readouterr()
    assert SECRET_TEXT not in out.out + out.err and SECRET_LOCAL not in out.out + out.err


async def test_crash_without_a_log_keeps_the_report_for_the_terminal() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    with pytest.raises(TimbCrashed):
        async with app.run_test() as pilot:
            await unlocked(pilot)
            service.emit(Boom(SECRET_TEXT))  # the event stream itself fails
            await pilot.pause(0.1)
    assert app.crash_report is not None
    assert "Boom" in app.crash_report and SECRET_TEXT not in app.crash_report


def test_a_real_run_prints_only_the_redacted_report(capfd: pytest.CaptureFixture[str]) -> None:
    """Outside the test harness (App.run, as `timb ui` does): exit status 1, and what reaches the
    terminal after the screen is restored is the redacted report."""
    service = ready_service()
    app = TimbApp(service=service)

    async def crash(pilot: Any) -> None:
        await unlocked(pilot)
        service.emit(Boom(SECRET_TEXT))
        await pilot.pause(0.5)

    app.run(headless=True, size=(80, 24), auto_pilot=crash)
    assert app.return_code == 1
    out = capfd.readouterr()
    printed = out.out + out.err
    assert "TIMB stopped after an internal error" in printed and "Boom" in printed
    assert SECRET_TEXT not in printed and SECRET_LOCAL not in printed
