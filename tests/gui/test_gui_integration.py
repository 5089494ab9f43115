"""The GUI on the real stack: a private Tor network, Prosody as an onion service with a pinned
certificate, and an OTR bot (a second TimbService on its own client tor). Driven through the
widgets: create the profile, add and connect the account, add the bot, send (pending until
private), get the answer, SMP both ways, then panic. Prosody must never store plaintext."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.prosody import ProsodyServer
from tests.fixtures.tor import TorNetwork
from tests.tui.test_tui_integration import SECRET, echo_bot
from timb.common.secret import Secret
from timb.core.errors import ProfileError
from timb.core.events import MessageState, OtrState, SmpFinished, SmpOutcome
from timb.core.service import TimbService, TorSettings
from timb.tor.testnet.state import ClientInfo
from timb.ui.gui.accounts import AccountsDialog, AddAccountDialog
from timb.ui.gui.app import GuiApp
from timb.ui.gui.dialogs import AddContactDialog
from timb.ui.gui.profile import ProfileDialog
from timb.ui.gui.verify import SmpAnswerDialog, SmpStartDialog

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
PASS = "correct horse battery staple"
LIMIT = 120.0


async def until(predicate: Callable[[], bool], limit: float = LIMIT) -> None:
    """Let the loop run (Qt and asyncio) until ``predicate`` holds; fails after ``limit``."""
    async with asyncio.timeout(limit):
        while not predicate():  # noqa: ASYNC110 - a user sees widgets, not events: poll them
            await asyncio.sleep(0.05)


def test_gui_over_tor_and_prosody(
    tmp_path: Path,
    loop: asyncio.AbstractEventLoop,
    tor_network: TorNetwork,
    exit_tor_client: ClientInfo,
    prosody_server: ProsodyServer,
    prosody_onion: str,
    xmpp_accounts: tuple[tuple[str, str], tuple[str, str]],
) -> None:
    (alice, alice_pw), (bot_jid, bot_pw) = xmpp_accounts
    pin = prosody_server.cert_pin
    bot_tor = TorSettings(control_port=exit_tor_client.control_port, cookie_path=exit_tor_client.cookie_path)
    ui_tor = TorSettings(control_port=tor_network.control_port, cookie_path=tor_network.control_cookie)

    async def scenario() -> None:
        bot_service = TimbService(tmp_path / "bot", tor=bot_tor)
        async with (
            echo_bot(
                bot_service, bot_jid, alice, password=bot_pw, host=prosody_onion, tls_pin_sha256=pin
            ) as bot,
            TimbService(tmp_path / "alice", tor=ui_tor) as service,
        ):
            await bot.service.connect("main")
            app = GuiApp(service, tor_description="attached (private network)")
            app.start()
            w = app.window
            profile = app.profile_dialog
            assert isinstance(profile, ProfileDialog) and profile.creating
            profile.passphrase.setText(PASS)
            profile.again.setText(PASS)
            profile.submit()
            await until(lambda: w.unlocked)

            w.commands.accounts()
            accounts = w.commands.dialogs(AccountsDialog)[0]
            assert isinstance(accounts, AccountsDialog)
            add = AddAccountDialog(service, app.tasks, accounts)
            add.jid.setText(alice)
            add.password.setText(alice_pw)
            add.host.setText(prosody_onion)
            add.pin.setText(pin)
            add.submit()
            await until(lambda: bool(service.list_accounts()))  # also while its key is generated
            accounts.refresh()
            accounts.connect_selected()
            await until(lambda: service.list_accounts()[0].connected)
            assert w.tor.bar.value() == 100
            accounts.accept()

            w.menu_actions["add_contact"].trigger()
            contact = w.commands.dialogs(AddContactDialog)[0]
            assert isinstance(contact, AddContactDialog)
            contact.jid.setText(bot_jid)
            contact.submit()
            await until(lambda: (contact.account.currentText(), bot_jid) in w.views)
            view = w.views[(contact.account.currentText(), bot_jid)]
            view.composer.setPlainText("hello bot")
            view.send_button.click()
            state = next(iter(view._outgoing))
            if view.message_state(state) is MessageState.PENDING:
                assert "pending" in view.rows()[-1]
            else:  # the AKE may have finished already over tor: then it must be private
                assert view.otr_state is not OtrState.NOT_PRIVATE
            await until(lambda: any("echo: hello bot" in row for row in view.rows()))
            assert view.badge.words.text() == "PRIVATE UNVERIFIED"
            assert view.message_state(state) in (MessageState.SENT, MessageState.DELIVERED)

            w.menu_actions["smp"].trigger()
            start = w.commands.dialogs(SmpStartDialog)[0]
            assert isinstance(start, SmpStartDialog)
            start.question.setText("Where did we meet?")
            start.secret.setText(SECRET)
            start.submit()
            await until(lambda: view.badge.words.text() == "PRIVATE VERIFIED")
            assert any("knew the secret" in row for row in view.rows())

            bot.service.smp_start("main", alice, Secret(SECRET), "Our lighthouse?")
            await until(lambda: bool(w.commands.dialogs(SmpAnswerDialog)))
            answer = w.commands.dialogs(SmpAnswerDialog)[0]
            assert isinstance(answer, SmpAnswerDialog) and answer.question.text() == "Our lighthouse?"
            answer.secret.setText(SECRET)
            answer.submit()
            await until(
                lambda: any(
                    isinstance(e, SmpFinished) and e.outcome is SmpOutcome.SUCCEEDED and e.verified
                    for e in bot.events
                )
            )

            w.menu_actions["panic"].trigger()
            assert await app.run() == 0
            with pytest.raises(ProfileError):  # panic locked the profile
                service.list_accounts()

    loop.run_until_complete(scenario())
    stored = prosody_server.stored_bytes()
    assert stored
    for text in ("hello bot", "echo: hello bot", SECRET):
        assert text.encode() not in stored
