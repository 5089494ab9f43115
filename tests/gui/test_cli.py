"""`timb gui` takes the same profile and tor options as `timb ui`; `timb demo --gui` exists."""

from __future__ import annotations

from pathlib import Path

from timb.ui.cli import gui
from timb.ui.cli.main import build_parser


def test_timb_gui_has_the_options_of_timb_ui(tmp_path: Path) -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["gui", "--profile", str(tmp_path), "--tor-control", "9051", "--tor-cookie", "c"]
    )
    assert args.handler is gui._run
    assert (args.profile, args.tor_control, args.tor_cookie) == (tmp_path, 9051, Path("c"))
    ui = parser.parse_args(["ui", "--tor-data", "d"])
    assert parser.parse_args(["gui", "--tor-data", "d"]).tor_data == ui.tor_data


def test_timb_demo_gui_is_an_option() -> None:
    args = build_parser().parse_args(["demo", "--gui"])
    assert args.gui is True
    assert build_parser().parse_args(["demo"]).gui is False


def test_timb_gui_holds_its_own_tor_until_the_connection_is_chosen(tmp_path: Path) -> None:
    parser = build_parser()
    assert gui.gui_tor_settings(parser.parse_args(["gui", "--tor-data", str(tmp_path)])).hold_network
    attached = parser.parse_args(["gui", "--tor-control", "9051", "--tor-cookie", "c"])
    assert not gui.gui_tor_settings(attached).hold_network  # configured where it runs
