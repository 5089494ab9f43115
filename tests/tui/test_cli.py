"""`timb ui` and plain `timb`: the UI on a terminal, help otherwise; errors outside the app are
reported without secrets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pytest

from timb.core.service import TorSettings
from timb.ui.cli import main as cli_main
from timb.ui.cli import tui

SECRET = "the plaintext that must not leak"


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[argparse.Namespace]:
    calls: list[argparse.Namespace] = []

    def fake_run(args: argparse.Namespace) -> int:
        calls.append(args)
        return 0

    monkeypatch.setattr(tui, "_run", fake_run)
    return calls


@pytest.mark.parametrize("tty", [True, False])
def test_plain_timb_starts_the_ui_only_on_a_terminal(
    tty: bool,
    ran: list[argparse.Namespace],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: tty)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    assert cli_main.main([]) == 0
    if tty:
        assert [a.command for a in ran] == ["ui"]
        assert ran[0].tor_control is None
    else:
        assert ran == []
        assert "ui" in capsys.readouterr().out


def test_timb_ui_options(ran: list[argparse.Namespace], tmp_path: Path) -> None:
    argv = ["ui", "--profile", str(tmp_path), "--tor-control", "9051", "--tor-cookie", str(tmp_path / "c")]
    assert cli_main.main(argv) == 0
    assert ran[0].profile == tmp_path and ran[0].tor_control == 9051


def test_tor_description() -> None:
    assert tui.tor_description(TorSettings()) == "not configured"
    assert tui.tor_description(TorSettings(control_port=9051)) == "control port 9051"
    assert tui.tor_description(TorSettings(managed=True)).startswith("managed")


def test_tor_settings_attach_or_managed(tmp_path: Path) -> None:
    parser = cli_main.build_parser()
    attach = tui.tor_settings(parser.parse_args(["ui", "--tor-control", "9051", "--tor-cookie", "/c"]))
    assert attach.mode == "attach" and attach.control_port == 9051 and attach.cookie_path == Path("/c")
    managed = tui.tor_settings(parser.parse_args(["ui", "--tor-data", str(tmp_path), "--tor-devnet", "/n"]))
    assert managed.mode == "managed" and managed.data_dir == tmp_path and managed.devnet_dir == Path("/n")
    assert tui.tor_settings(parser.parse_args(["ui"])).mode == "none"


def test_the_tuis_own_tor_is_held_until_the_choice_is_known(tmp_path: Path) -> None:
    assert tui.held_until_asked(TorSettings(managed=True, data_dir=tmp_path)).hold_network
    attached = tui.held_until_asked(TorSettings(control_port=9051))
    assert not attached.hold_network and attached.control_port == 9051


def test_crash_log_only_inside_an_existing_profile(tmp_path: Path) -> None:
    assert tui.crash_log_for(tmp_path) is None  # a foreign file would stop profile creation


def test_an_error_outside_the_app_is_reported_redacted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async def failing(profile: Path, tor: TorSettings) -> int:
        message_body = SECRET  # noqa: F841 - a local a traceback with locals would show
        raise RuntimeError(f"could not deliver {SECRET}")

    monkeypatch.setattr(tui, "run_ui", failing)
    args: Any = argparse.Namespace(
        profile=tmp_path, tor_control=None, tor_cookie=None, tor_data=None, tor_devnet=None
    )
    assert tui._run(args) == 1
    err = capsys.readouterr().err
    assert "RuntimeError" in err and "in failing" in err
    assert SECRET not in err
