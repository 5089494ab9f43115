"""The GUI's onion section on a real TimbService (its real `OnionPart`), with a second real
service as the contact, linked by the in-process onion network of the unit tests (no tor):
create an identity, go online, add the contact by address, chat both ways with acknowledgements,
and a stranger's request answered in the dialog."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from tests.unit.onion_fakes import FakeNet
from tests.unit.test_onion_service import PASS, Side
from timb.core.onion_events import OnionContactRequested
from timb.core.service import TimbService
from timb.ui.gui.app import GuiApp
from timb.ui.gui.dialogs import ButtonsDialog
from timb.ui.gui.onion import IdentityDialog, NewIdentityDialog
from timb.ui.gui.profile import ProfileDialog


async def until(predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(20):
        while not predicate():  # noqa: ASYNC110 - a user sees widgets, not events: poll them
            await asyncio.sleep(0.01)


async def peer(service: TimbService) -> Side:
    await service.create_profile(PASS)
    await service.onion.create_identity("me")
    await service.onion.go_online("me")
    return Side(service)


def test_gui_onion_chat_on_the_real_service(tmp_path: Path, loop: asyncio.AbstractEventLoop) -> None:
    net = FakeNet()

    async def scenario() -> None:
        async with (
            TimbService(tmp_path / "ui", onion_peer_factory=net.factory) as service,
            TimbService(tmp_path / "bob", onion_peer_factory=net.factory) as bob_service,
            TimbService(tmp_path / "eve", onion_peer_factory=net.factory) as eve_service,
        ):
            bob, eve = await peer(bob_service), await peer(eve_service)
            tasks = [asyncio.create_task(s.collect()) for s in (bob, eve)]
            app = GuiApp(service, tor_description="none (test)")
            app.start()
            w = app.window
            profile = app.profile_dialog
            assert isinstance(profile, ProfileDialog)
            profile.passphrase.setText(PASS.reveal())
            profile.again.setText(PASS.reveal())
            profile.submit()
            await until(lambda: w.unlocked)

            w.menu_actions["onion_identity"].trigger()
            new = w.commands.dialogs(NewIdentityDialog)[0]
            assert isinstance(new, NewIdentityDialog)
            new.name.setText("work")
            new.submit()
            await until(lambda: bool(w.commands.dialogs(IdentityDialog)))
            ident = w.commands.dialogs(IdentityDialog)[0]
            assert isinstance(ident, IdentityDialog)
            assert ident.address.text() == service.onion.list_identities()[0].address
            ident.online_button.click()
            await until(lambda: service.onion.list_identities()[0].online)
            ident.contact.setText(bob.address)
            ident.add_contact()
            await until(lambda: any(isinstance(e, OnionContactRequested) for e in bob.events))
            await bob_service.onion.accept("me", ident.address.text())
            ident.accept()
            mine = service.onion.list_identities()[0].address
            await until(lambda: ("contact", "work", bob.address) in w.onion_section.rows())
            await until(lambda: service.onion.list_contacts("work")[0].status == "contact")

            w.onion_section.activated.emit("contact", "work", bob.address)
            view = w.onion.views[("work", bob.address)]
            assert view.badge.words.text() == "PRIVATE (ONION) VERIFIED"
            await until(lambda: "is online" in view.presence.text())
            view.composer.setPlainText("hello bob, serverless")
            view.send_button.click()
            await until(lambda: "delivered" in view.rows()[-1])
            assert "hello bob, serverless" in bob.received()
            bob_service.onion.send_message("me", mine, "hello back")
            await until(lambda: any("hello back" in row for row in view.rows()))

            await eve_service.onion.add_contact("me", mine, message="<i>let me in</i>")
            await until(lambda: bool(w.commands.dialogs(ButtonsDialog)))
            request = w.commands.dialogs(ButtonsDialog)[0]
            assert isinstance(request, ButtonsDialog) and "<i>let me in</i>" in request.label.text()
            assert ("request", "work", eve.address) in w.onion_section.rows()
            request.buttons["accept"].click()
            await until(
                lambda: any(
                    c.contact == eve.address and c.status == "contact"
                    for c in service.onion.list_contacts("work")
                )
            )
            w.onion.open_chat("work", eve.address, focus=True)
            assert w.onion.views[("work", eve.address)].badge.words.text() == "PRIVATE (ONION) UNVERIFIED"
            eve_service.onion.send_message("me", mine, "from a stranger")
            chat = w.onion.views[("work", eve.address)]
            await until(lambda: any("from a stranger" in row for row in chat.rows()))

            w.menu_actions["panic"].trigger()
            assert await app.run() == 0
            for task in tasks:
                task.cancel()

    loop.run_until_complete(scenario())
