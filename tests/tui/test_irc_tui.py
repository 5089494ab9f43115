"""IRC in the TUI (ui/tui/screens/irc.py) on the real service over the in-memory IRC-like server of
tests/unit/test_irc_channels.py: the add-account dialog stores an IRC account (SASL EXTERNAL with
the certificate's CERT ADD command shown, CTCP PING off unless ticked); the channels screen
shows the NOT PRIVATE banner and its first message leaves only after the confirmation dialog;
its account picker shows each IRC account's channels, log and banner, and sends as the one
picked."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Checkbox, Input, ListView, RichLog, Select, Static

from tests.unit.test_core_service import PASS, running
from tests.unit.test_irc_channels import SERVER, FakeIrcServer, irc_setup, of
from timb.common.secret import Secret
from timb.core.events import ChannelJoined, ChannelMessageReceived, ConnectionState, ConnectionStateChanged
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


def log_lines(screen: ChannelsScreen) -> list[str]:
    return [strip.text for strip in screen.query_one("#channel-log", RichLog).lines]


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
            assert not [line for line in log_lines(screen) if "<me>" in line]  # not sent, not shown
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
            # the user's own lines are in the log once they left (the server's echo is no message)
            await until(pilot, lambda: "#timb <me> second" in log_lines(screen))
            mine = [line for line in log_lines(screen) if "<me>" in line]
            assert mine == ["#timb <me> first words", "#timb <me> second"]


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


async def test_the_dialog_adds_an_external_account_with_ctcp_ping_and_shows_the_cert_add_command(
    tmp_path: Path,
) -> None:
    async with running(tmp_path / "a", FakeIrcServer()) as alice:
        await alice.service.create_profile(PASS)
        app = Host(alice.service)
        async with app.run_test(size=(100, 30)) as pilot:
            flow = IrcFlow(app, alice.service)
            for nick, sasl, ping in (("alice", "external", True), ("plain", "none", False)):
                flow.add_account()
                await until(pilot, lambda: isinstance(app.screen, AddIrcAccountDialog))
                await pilot.pause()
                dialog = app.screen
                assert dialog.query_one("#ctcp-ping", Checkbox).value is False  # off unless ticked
                dialog.query_one("#nick", Input).value = nick
                dialog.query_one("#server", Input).value = "irc.test"
                dialog.query_one("#sasl", Select).value = sasl
                if ping:
                    await pilot.click("#ctcp-ping")
                await pilot.click("#ok")
                await until(pilot, lambda: not isinstance(app.screen, AddIrcAccountDialog))
            await pilot.pause()
            shown = [n.message for n in app._notifications]
        external, plain = alice.service.list_accounts()
        assert (external.sasl_mechanism, external.answer_ctcp_ping) == ("EXTERNAL", True)
        assert (plain.sasl_mechanism, plain.answer_ctcp_ping) == ("auto", False)
        cert = alice.service.irc_sasl.irc_client_certificate(external.id)
        assert any(cert.register in m and "PRIVATE" not in m for m in shown)


async def test_the_channel_screen_picks_the_account_and_shows_only_its_channels(tmp_path: Path) -> None:
    server = FakeIrcServer()
    async with running(tmp_path / "a", server) as alice, running(tmp_path / "b", server) as bob:
        await irc_setup(alice, "alice")
        await alice.service.add_account("irc2", f"carol@{SERVER}", Secret(""), network="irc")
        await alice.service.connect("irc2")
        await alice.wait(
            lambda ev: any(
                isinstance(e, ConnectionStateChanged)
                and e.account == "irc2"
                and e.state is ConnectionState.CONNECTED
                for e in ev
            )
        )
        await irc_setup(bob, "bob")
        bob.service.channels.join_channel("irc", "#two")
        await bob.wait(of(ChannelJoined, channel="#two"))
        app = Host(alice.service)
        async with app.run_test(size=(100, 30)) as pilot:
            IrcFlow(app, alice.service).open_channels()
            await until(pilot, lambda: isinstance(app.screen, ChannelsScreen))
            screen = app.screen
            assert isinstance(screen, ChannelsScreen) and screen.accounts == ["irc", "irc2"]
            forwarded = 0

            async def pump() -> None:  # the app's event loop does this in TimbApp.handle_event
                nonlocal forwarded
                for event in alice.events[forwarded:]:
                    if isinstance(event, CHANNEL_EVENTS):
                        screen.event(event)
                forwarded = len(alice.events)
                await pilot.pause()

            def shown() -> tuple[str, str, str]:
                items = str(
                    [
                        str(i.query_one("Label").render())
                        for i in screen.query_one("#channel-list", ListView).children
                    ]
                )
                log = " ".join(str(line.text) for line in screen.query_one("#channel-log", RichLog).lines)
                return items, str(screen.query_one("#banner", Static).render()), log

            alice.service.channels.join_channel("irc", "#one")  # alice's, while irc is picked
            await alice.wait(of(ChannelJoined, channel="#one", account="irc"))
            alice.service.channels.join_channel("irc2", "#two")  # carol's, not shown yet
            await alice.wait(of(ChannelJoined, channel="#two", account="irc2"))
            await pump()
            items, banner_text, log = shown()
            assert "#one" in items and "#two" not in items and "#one" in banner_text
            assert "joined #one" in log and "#two" not in log
            screen.query_one("#account", Select).value = "irc2"
            await until(pilot, lambda: screen.account == "irc2")
            await pilot.pause()
            items, banner_text, log = shown()
            assert "#two" in items and "#one" not in items and "#two" in banner_text
            assert "joined #two" in log and "#one" not in log  # carol's log, kept while hidden
            text = screen.query_one("#text", Input)
            text.focus()
            text.value = "from carol"
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.click("#yes")
            await bob.wait(of(ChannelMessageReceived, text="from carol"))
            [received] = [
                e for e in bob.events if isinstance(e, ChannelMessageReceived) and e.text == "from carol"
            ]
            assert (received.channel, received.sender) == ("#two", "carol")  # sent as the account picked
            screen.query_one("#account", Select).value = "irc"
            await until(pilot, lambda: screen.account == "irc")
            await pilot.pause()
            items, banner_text, log = shown()
            assert "#one" in items and "#two" not in items and "#one" in banner_text and "#two" not in log
