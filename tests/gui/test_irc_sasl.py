"""The IRC SASL key command on a real TimbService (its real `IrcSasl`, no network needed): only
IRC accounts are offered, opening the dialog makes no key, the key made on request is the one
the service keeps, shown with the NickServ command; panic empties the copied command."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication

from tests.gui.conftest import Gui
from tests.gui.fake_service import GuiFakeService
from tests.gui.test_a11y import unnamed
from tests.unit.test_onion_service import PASS
from timb.common.secret import Secret
from timb.core.errors import InvalidRequest
from timb.core.service import TimbService
from timb.ui.gui.app import GuiApp
from timb.ui.gui.irc_sasl import SaslKeyDialog


def the_dialog(app: GuiApp) -> SaslKeyDialog:
    app.window.menu_actions["irc_sasl"].trigger()
    found = app.window.commands.dialogs(SaslKeyDialog)
    assert len(found) == 1 and isinstance(found[0], SaslKeyDialog)
    return found[0]


def test_the_sasl_key_made_on_request_shown_with_the_nickserv_command(
    tmp_path: Path, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        async with TimbService(tmp_path / "ui") as service:
            await service.create_profile(PASS)
            await service.add_account("chat", "me@timb.test", Secret("pw"))
            await service.add_account("irc", "alice@irc.test", Secret(""), network="irc")
            app = GuiApp(service, tor_description="none (test)")
            app.start()
            dialog = the_dialog(app)
            accounts = [dialog.account.itemText(i) for i in range(dialog.account.count())]
            assert accounts == ["irc"]  # the XMPP account has no SASL key
            with pytest.raises(InvalidRequest):
                service.irc_sasl.irc_sasl_key("irc")  # opening made nothing
            assert dialog.key is None and dialog.public_key.text() == ""
            assert dialog.make_button.isVisibleTo(dialog) and not dialog.copy_button.isEnabled()
            assert "no SASL key" in dialog.explanation.text()
            assert unnamed(dialog) == []

            dialog.make_button.click()
            await app.tasks.settle()
            key = service.irc_sasl.irc_sasl_key("irc")
            assert dialog.public_key.text() == key.public_key != ""
            assert dialog.register.text() == key.register == f"/msg NickServ SET PUBKEY {key.public_key}"
            assert key.mechanism in dialog.explanation.text()
            assert not dialog.make_button.isVisibleTo(dialog) and unnamed(dialog) == []
            dialog.copy_button.click()
            assert QGuiApplication.clipboard().text() == key.register
            dialog.accept()

            again = the_dialog(app)  # shown again, never replaced
            assert again.public_key.text() == key.public_key
            assert service.irc_sasl.irc_sasl_key("irc") == key

            app.window.menu_actions["panic"].trigger()
            assert QGuiApplication.clipboard().text() == ""
            assert app.window.commands.dialogs(SaslKeyDialog) == []
            assert await app.run() == 0

    loop.run_until_complete(scenario())


def test_without_an_irc_account_the_command_says_so(make_gui: Callable[[GuiFakeService], Gui]) -> None:
    service = GuiFakeService(profile="x" * 12)
    service.unlocked = True
    service.with_account("alice", "alice@timb.test")
    gui = make_gui(service)
    gui.start()
    gui.window.menu_actions["irc_sasl"].trigger()
    assert gui.window.commands.dialogs(SaslKeyDialog) == []
    assert "Add an IRC account first" in gui.window.statusBar().currentMessage()
