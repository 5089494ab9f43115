"""The connection assistant in the TUI on the fake service: the first-run question, a bad pasted
line shown and nothing stored, the palette entry, the stall notice, bootstrap stages in words;
and once on the real service with its own tor on the private network (held until answered)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, RadioButton, Select, TextArea

from tests.fixtures.tor import TorNetwork
from tests.tui.fake_service import FakeService
from tests.tui.test_app import BOB, PASS, settle, text_of, type_into
from tests.tui.test_tui_integration import until
from timb.core.events import TorBootstrap, TorStalled
from timb.core.service import TimbService, TorSettings
from timb.tor.builtin import FORMAT
from timb.tor.client import TorClient
from timb.ui.cli.tui import held_until_asked, tor_description
from timb.ui.tui.app import TimbApp
from timb.ui.tui.screens.main import MainScreen
from timb.ui.tui.screens.tor_connection import TorConnectionScreen, TorStalledScreen, stage_words

pytestmark = pytest.mark.timeout(60)


def service(mode: str | None) -> FakeService:
    svc = FakeService(profile=PASS)
    svc.with_account("alice", "alice@timb.test", BOB)
    svc.tor_mode = mode
    return svc


async def unlock(pilot: Any) -> None:
    await type_into(pilot, "#passphrase", PASS)
    await pilot.press("enter")
    await settle(pilot)
    await settle(pilot)


async def press_save(pilot: Any) -> None:
    pilot.app.screen.query_one("#save").press()
    await settle(pilot)
    await settle(pilot)


async def test_first_run_asks_and_stores_builtin_obfs4() -> None:
    svc = service(None)
    app = TimbApp(service=svc)
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        screen = app.screen
        assert isinstance(screen, TorConnectionScreen) and screen.first_run
        assert not screen.query("#cancel")  # the question must be answered
        screen.query_one("#builtin", RadioButton).value = True
        await pilot.pause()
        assert screen.query_one(Select).value == "obfs4"
        await press_save(pilot)
        assert isinstance(app.screen, MainScreen)
    assert ("set_tor_connection", "builtin", "obfs4", None) in svc.calls
    assert svc.tor_mode == "builtin"


async def test_no_question_when_a_choice_is_stored() -> None:
    svc = service("direct")
    app = TimbApp(service=svc)
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, MainScreen)
    assert not [c for c in svc.calls if c[0] == "set_tor_connection"]


async def test_no_question_for_an_attached_tor() -> None:
    """A tor TIMB did not start takes no bridges from TIMB: no first-run question (its answer
    would change nothing); the palette screen says where to configure it."""
    svc = service(None)
    svc.tor_managed = False
    app = TimbApp(service=svc)
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, MainScreen)
        app.tor_assistant.open()
        await settle(pilot)
        assert isinstance(app.screen, TorConnectionScreen) and not app.screen.first_run
        words = text_of(app.screen.query_one("#tor-attached"))
        assert "does not use bridges" in words and "that tor's own settings" in words
    assert not [c for c in svc.calls if c[0] == "set_tor_connection"]


async def test_bad_pasted_line_is_named_and_nothing_stored() -> None:
    svc = service(None)
    app = TimbApp(service=svc)
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        screen = app.screen
        assert isinstance(screen, TorConnectionScreen)
        screen.query_one("#custom", RadioButton).value = True
        screen.query_one(TextArea).text = "obfs4 bad line"
        await pilot.pause()
        await press_save(pilot)
        assert app.screen is screen  # stays open
        assert "bridge line 1: address" in text_of(screen.query_one("#tor-connection-error"))
    assert svc.tor_mode is None


async def test_palette_entry_changes_it_later() -> None:
    svc = service("direct")
    app = TimbApp(service=svc)
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        app.tor_assistant.open()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TorConnectionScreen) and not screen.first_run
        assert "2026-11-01" in text_of(screen.query_one("#tor-builtin-date"))
        screen.query_one("#custom", RadioButton).value = True
        screen.query_one(TextArea).text = "obfs4 127.0.0.1:4444 cert=x iat-mode=0"
        await pilot.pause()
        await press_save(pilot)
        assert isinstance(app.screen, MainScreen)
    assert svc.tor_mode == "custom"


async def test_the_settings_screen_leads_to_it() -> None:
    svc = service("direct")
    app = TimbApp(service=svc)
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await pilot.press("f4")
        await pilot.pause()
        app.screen.query_one("#tor-connection").press()
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, TorConnectionScreen) and not app.screen.first_run
        await pilot.press("escape")  # Cancel: back to the settings, nothing stored
        await pilot.pause()
        assert type(app.screen).__name__ == "SettingsScreen"
    assert not [c for c in svc.calls if c[0] == "set_tor_connection"]


async def test_stall_notice_offers_bridges_once() -> None:
    svc = service("direct")
    app = TimbApp(service=svc)
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        stall = TorStalled(2, "conn_done_pt", "PROXY", "The bridge does not answer.", "Try another bridge.")
        svc.emit(stall)
        svc.emit(stall)  # repeated each time-out: still one notice
        await pilot.pause(0.1)
        assert len([s for s in app.screen_stack if isinstance(s, TorStalledScreen)]) == 1
        words = text_of(app.screen.query_one("#tor-stalled"))
        assert "2%" in words and "reaching the bridge" in words and "does not answer" in words
        assert "STUCK at 2%" in text_of(app.main.tor.query_one("#tor-label"))
        app.screen.query_one("#bridges").press()
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, TorConnectionScreen)
    assert not [c for c in svc.calls if c[0] == "set_tor_connection"]  # nothing changed by itself


async def test_pt_stages_in_words() -> None:
    svc = service("direct")
    app = TimbApp(service=svc)
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        svc.emit(TorBootstrap(1, "conn_pt", "Connecting to pluggable transport"))
        await pilot.pause(0.1)
        assert "pluggable transport" in text_of(app.main.tor.query_one("#tor-label"))
    assert stage_words("conn_done_pt", "x") == "transport running, reaching the bridge"
    assert stage_words("unheard_of", "tor's summary") == "tor's summary"


async def test_a_bridge_list_file_replaces_the_builtin_one_on_the_real_service(tmp_path: Path) -> None:
    """On the real service (no tor: nothing is dialled): a file with a bad line is refused whole
    and named, the screen still shows the shipped list; a good one is kept and shown at once."""
    obfs4 = f"obfs4 127.0.0.1:7001 {'C' * 40} cert={'A' * 70} iat-mode=0"
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    for path, lines in ((good, [obfs4]), (bad, [obfs4, obfs4.replace(":7001", ":0")])):
        doc = {"format": FORMAT, "date": "2027-03-04", "source": "a friend", "bridges": {"obfs4": lines}}
        path.write_text(json.dumps(doc))
    async with TimbService(tmp_path / "profile") as real:
        app = TimbApp(service=real)
        async with app.run_test(size=(100, 50)) as pilot:
            await type_into(pilot, "#passphrase", PASS)
            await type_into(pilot, "#repeat", PASS)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, MainScreen), 60)
            app.tor_assistant.open()
            await until(pilot, lambda: isinstance(app.screen, TorConnectionScreen), 10)
            screen = app.screen
            shipped = text_of(screen.query_one("#tor-builtin-date"))
            screen.query_one("#tor-list-path", Input).value = str(bad)
            screen.query_one("#import").press()
            await until(pilot, lambda: "refused" in text_of(screen.query_one("#tor-connection-error")), 10)
            assert "bridge 2 of the file: port" in text_of(screen.query_one("#tor-connection-error"))
            assert text_of(screen.query_one("#tor-builtin-date")) == shipped
            screen.query_one("#tor-list-path", Input).value = str(good)
            screen.query_one("#import").press()
            await until(pilot, lambda: "2027-03-04" in text_of(screen.query_one("#tor-builtin-date")), 10)
            assert "a friend" in text_of(screen.query_one("#tor-builtin-date"))
            assert text_of(screen.query_one("#tor-connection-error")) == ""
            assert screen.query_one(Select).value == "obfs4"
            await pilot.press("ctrl+q")
        info = await real.tor_connection()  # kept by the service, not only shown
        assert (info.builtin_date, info.builtin_source, info.transports) == (
            "2027-03-04",
            "a friend",
            ("obfs4",),
        )


@pytest.mark.integration
async def test_the_tuis_own_tor_contacts_nothing_until_the_first_run_answer(
    tor_network: TorNetwork, tmp_path: Path
) -> None:
    """The real service with its own tor on the private network, as `timb ui --tor-data` runs it:
    the question comes after the new profile, the tor is held (``DisableNetwork 1``) until the
    answer, and "Connect directly" then bootstraps it to ready."""
    settings = held_until_asked(
        TorSettings(managed=True, data_dir=tmp_path / "tor", devnet_dir=tor_network.data_dir)
    )
    async with TimbService(tmp_path / "profile", tor=settings) as real:
        app = TimbApp(service=real, tor_description=tor_description(settings))
        async with app.run_test(size=(100, 40)) as pilot:
            await type_into(pilot, "#passphrase", PASS)
            await type_into(pilot, "#repeat", PASS)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, TorConnectionScreen), 60)
            assert app.screen.first_run
            assert await disable_network(real) == ["1"]  # nothing contacted before the answer
            assert (await real.tor_connection()).mode is None
            await press_save(pilot)  # "Connect directly" is the preselected answer
            await until(pilot, lambda: "ready" in text_of(app.main.tor.query_one("#tor-label")), 90)
            assert await disable_network(real) == ["0"]
            assert (await real.tor_connection()).mode == "direct"
            await pilot.press("ctrl+q")


async def disable_network(service: TimbService) -> list[str]:
    client = await service._tor.dialer()  # the test reads the real tor's configuration
    assert isinstance(client, TorClient)
    return (await client.control.get_conf("DisableNetwork"))["DisableNetwork"]
