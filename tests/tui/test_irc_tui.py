"""IRC in the TUI (ui/tui/screens/irc.py) on the real service over the in-memory IRC-like server of
tests/unit/test_irc_channels.py: the add-account dialog stores an IRC account; the channels screen
shows the NOT PRIVATE banner and its first message leaves only after the confirmation dialog."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Input, Static

from tests.unit.test_core_service import PASS, running
from tests.unit.test_irc_channels import FakeIrcServer, irc_setup, of
from timb.common.secret import Secret
from timb.core.events import ChannelJoined, ChannelMessageReceived
from timb.core.service import TimbService
from timb.ui import tui
from timb.ui.tui.screens.dialogs import ConfirmDialog
from timb.ui.tui.screens.irc import CHANNEL_EVENTS, AddIrcAccountDialog, ChannelsScreen, IrcFlow

pytestmark = pytest.mark.timeout(60)


class Host(App[None]):
    CSS_PATH = str(Path(tui.__file__).parent / "timb.tcss")

    def __init__(self, service: TimbService) -> None:
        super().__init__()
        self.service = service


async def until(pilot: Any, predicate: Any) -> None:
    async with asyncio.timeout(10):
        while not predicate():
            await pilot.pause(0.02)


async def test_the_channel_banner_shows_and_the_first_message_waits_for_the_confirmation(
    tmp_path: Path,
) -> None:
    server = FakeIrcServer()
    async with running(tmp_path / "a", server) as alice, running(tmp_path / "b", server) as bob:
        await irc_setup(alice, "alice")
        await irc_setup(bob, "bob")
        bob.service.channels.join_channel("irc", "#timb")
        await bob.wait(of(ChannelJoined, channel="#timb"))
        app = Host(alice.service)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = ChannelsScreen(alice.service.channels, "irc")
            await app.push_screen(screen)
            forwarded = 0

            async def pump() -> None:  # the app's event loop does this in TimbApp.handle_event
                nonlocal forwarded
                for event in alice.events[forwarded:]:
                    if isinstance(event, CHANNEL_EVENTS):
                        screen.event(event)
                forwarded = len(alice.events)

            channel = screen.query_one("#channel", Input)
            channel.focus()
            channel.value = "#timb"
            await pilot.press("enter")
            await alice.wait(of(ChannelJoined, channel="#timb"))
            await pump()
            await pilot.pause()
            assert "NOT PRIVATE: everyone in #timb and the server reads this" in str(
                screen.query_one("#banner", Static).render()
            )
            text = screen.query_one("#text", Input)
            text.focus()
            text.value = "first words"
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            assert server.said == []  # asked, not sent
            await pilot.click("#cancel")
            await pilot.pause()
            assert server.said == []
            text.focus()
            text.value = "first words"
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.click("#yes")
            await bob.wait(of(ChannelMessageReceived, text="first words"))
            text.focus()
            text.value = "second"
            await pilot.press("enter")
            await bob.wait(of(ChannelMessageReceived, text="second"))  # no second question
            assert server.said == ["first words", "second"]


async def test_the_add_irc_account_dialog_stores_an_irc_account(tmp_path: Path) -> None:
    server = FakeIrcServer()
    async with running(tmp_path / "a", server) as alice:
        await alice.service.create_profile(PASS)
        app = Host(alice.service)
        results: list[object] = []
        async with app.run_test(size=(100, 30)) as pilot:
            dialog = AddIrcAccountDialog(alice.service)
            await app.push_screen(dialog, results.append)
            dialog.query_one("#nick", Input).value = "alice"
            dialog.query_one("#server", Input).value = "irc.test"
            dialog.query_one("#pin", Input).value = "ab" * 32
            await pilot.click("#ok")
            await until(pilot, lambda: results)
        [account] = alice.service.list_accounts()
        assert (account.network, str(account.jid), account.port) == ("irc", "alice@irc.test", 6697)
        assert account.tls_pin_sha256 == "ab" * 32


async def test_the_sasl_key_command_shows_the_public_key_to_register(tmp_path: Path) -> None:
    async with running(tmp_path / "a", FakeIrcServer()) as alice:
        await alice.service.create_profile(PASS)
        await alice.service.add_account("irc", "alice@irc.test", Secret(""), network="irc")
        app = Host(alice.service)
        async with app.run_test(size=(100, 30)) as pilot:
            flow = IrcFlow(app, alice.service)
            await flow.sasl_key().wait()
            await pilot.pause()
            key = alice.service.irc_sasl.irc_sasl_key("irc")  # made by the command
            shown = [n.message for n in app._notifications]
            assert any(key.register in m and "PRIVATE" not in m for m in shown)
