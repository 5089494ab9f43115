"""Pinned snapshots (pytest-textual-snapshot 1.1.0, textual 8.2.8) at 80x24. After an intended
change of the look: ``pytest tests/tui/test_snapshots.py --snapshot-update`` and review the SVGs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui import scenes
from tests.tui.fake_service import FakeService
from timb.ui.tui.app import TimbApp

pytestmark = pytest.mark.timeout(60)


def test_chat_screen(snap_compare: Any) -> None:
    """A private, unverified chat: badge in words, delivered/sent/pending messages, footer keys."""
    app, _ = scenes.chat_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=scenes.chatting)


def test_key_change_notice(snap_compare: Any) -> None:
    app, _ = scenes.chat_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=scenes.key_changed)


def test_held_messages_prompt(snap_compare: Any) -> None:
    """Held for a key change: both keys, the three choices, all within 80x24."""
    app, _ = scenes.chat_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=scenes.held_for_key_change)


def test_smp_question_pops_up(snap_compare: Any) -> None:
    app, _ = scenes.chat_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=scenes.smp_question)


def test_create_profile(snap_compare: Any) -> None:
    app = TimbApp(service=FakeService())
    assert snap_compare(app, terminal_size=(80, 24), run_before=scenes.create_profile)


def test_onion_identity(snap_compare: Any) -> None:
    """The onion screen: identities and contacts, the address to copy, online in words."""
    app, _ = scenes.onion_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=scenes.onion_identity)


def test_onion_chat(snap_compare: Any) -> None:
    """An onion chat: PRIVATE (ONION) in words, no OTR, each message's state."""
    app, _ = scenes.onion_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=scenes.onion_chat)
