"""The TUI on a fake service (tests/tui/fake_service.py): Textual run_test() + Pilot, 80x24."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.widgets import Input, Label, Select, Switch

from tests.tui.fake_service import THEIRS, FakeService
from timb.common.secret import Secret
from timb.core.events import (
    ConnectionState,
    ConnectionStateChanged,
    KeyChanged,
    MessageReceived,
    MessageState,
    MessageStateChanged,
    OtrState,
    OtrStateChanged,
    PresenceChanged,
    SmpFinished,
    SmpOutcome,
    SmpRequested,
    SubscriptionRequested,
    TorBootstrap,
    TorFailed,
)
from timb.core.service.results import HistoryDirection, HistoryItem
from timb.ui.tui.app import TimbApp
from timb.ui.tui.screens.accounts import AccountsScreen
from timb.ui.tui.screens.main import MainScreen
from timb.ui.tui.screens.profile import ProfileScreen
from timb.ui.tui.screens.settings import ContactSettingsItem
from timb.ui.tui.screens.tor import TorErrorScreen
from timb.ui.tui.screens.verify import FingerprintDialog, KeyChangedScreen, SmpAnswerDialog, SmpStartDialog
from timb.ui.tui.widgets.badge import OtrBadge
from timb.ui.tui.widgets.messages import MessageRow

PASS = "correct horse battery staple"
BOB = "bob@timb.test"


pytestmark = pytest.mark.timeout(60)


async def settle(pilot: Any) -> None:
    """Wait for the UI's own workers (not the endless core-event reader)."""
    app = pilot.app
    workers = [w.wait() for w in app.workers if w.name != "core-events"]
    # A dialog's worker is cancelled when the dialog closes itself: that is the normal end.
    await asyncio.gather(*workers, return_exceptions=True)
    await pilot.pause()


def text_of(widget: Any) -> str:
    return str(widget.render())


async def type_into(pilot: Any, selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    await pilot.pause()
    field.value = text
    await pilot.pause()


async def unlocked(pilot: Any) -> None:
    await type_into(pilot, "#passphrase", PASS)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.pause()
    assert isinstance(pilot.app.screen, MainScreen)


async def open_chat(pilot: Any, contact: str = BOB) -> Any:
    app = pilot.app
    view = await app.main.open("alice", contact)
    await pilot.pause()
    return view


def ready_service(cls: type[FakeService] = FakeService) -> FakeService:
    service = cls(profile=PASS)
    service.with_account("alice", "alice@timb.test", BOB)
    return service


async def test_create_profile_asks_twice_and_hints_strength() -> None:
    service = FakeService()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        assert isinstance(app.screen, ProfileScreen) and app.screen.create
        await type_into(pilot, "#passphrase", "short")
        assert "too short" in text_of(app.screen.query_one("#strength", Label))
        await type_into(pilot, "#passphrase", PASS)
        assert "strength (rough estimate)" in text_of(app.screen.query_one("#strength", Label))
        await type_into(pilot, "#repeat", PASS + "x")
        await pilot.press("enter")
        await pilot.pause()
        assert "differ" in text_of(app.screen.query_one("#profile-error", Label))
        assert service.calls == []
        await type_into(pilot, "#repeat", PASS)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause()
        assert service.calls == [("create_profile", PASS)]
        assert isinstance(app.screen, MainScreen)


async def test_unlock_shows_wrong_passphrase_and_then_unlocks() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        assert isinstance(app.screen, ProfileScreen) and not app.screen.create
        await type_into(pilot, "#passphrase", "not it")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause()
        assert "wrong passphrase" in text_of(app.screen.query_one("#profile-error", Label))
        await unlocked(pilot)
        # The contact from the profile is listed.
        assert app.main.contact_item("alice", BOB) is not None


async def test_add_account_from_the_accounts_screen() -> None:
    service = FakeService(profile=PASS)
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)
        await pilot.press("a")
        await pilot.pause()
        await type_into(pilot, "#jid", "alice@example.onion")
        await type_into(pilot, "#password", "hunter2-but-longer")
        await type_into(pilot, "#host", "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion")
        await type_into(pilot, "#pin", "ab" * 32)
        await pilot.click("#ok")
        await settle(pilot)
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)
        name, account_id, jid, password, host, port, pin = service.calls[-1]
        assert (name, account_id, jid, port, pin) == (
            "add_account",
            "alice",
            "alice@example.onion",
            5222,
            "ab" * 32,
        )
        assert isinstance(password, Secret) and password.reveal() == "hunter2-but-longer"
        assert host.endswith(".onion")
        await pilot.press("c")
        await pilot.pause()
        assert service.calls[-1] == ("connect", "alice")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert [i.account for i in app.main.query("AccountItem")] == ["alice"]


async def test_add_account_refusal_is_shown_and_dialog_stays() -> None:
    service = FakeService(profile=PASS)
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        await pilot.press("f2")
        await pilot.press("a")
        await pilot.pause()
        await type_into(pilot, "#jid", "no-at-sign")
        await type_into(pilot, "#password", "pw")
        await pilot.click("#ok")
        await settle(pilot)
        await pilot.pause()
        assert "bare JID" in text_of(app.screen.query_one(".error", Label))
        assert service.accounts == {}


async def test_composer_sends_and_message_is_pending_until_private() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        view = await open_chat(pilot)
        composer = view.query_one("#composer", Input)
        assert composer.has_focus
        await pilot.press(*"hello bob", "enter")
        await pilot.pause()
        assert service.calls[-1] == ("send_message", "alice", BOB, "hello bob")
        assert composer.value == ""
        row = view.messages.row_for("m1")
        assert row is not None and row.state is MessageState.PENDING
        assert "[pending]" in text_of(row) and "sent" not in text_of(row)
        assert row.has_class("-pending")
        # The session becomes private; the core sends the held message.
        service.emit(OtrStateChanged("alice", BOB, OtrState.PRIVATE_UNVERIFIED))
        service.emit(MessageStateChanged("m1", MessageState.SENT, "alice", BOB))
        await pilot.pause(0.1)
        assert "[sent]" in text_of(row) and not row.has_class("-pending")
        # An empty line sends nothing.
        await pilot.press("enter")
        await pilot.pause()
        assert [c for c in service.calls if c[0] == "send_message"] == [
            ("send_message", "alice", BOB, "hello bob")
        ]


async def test_badge_follows_otr_events_in_words_and_colour() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        view = await open_chat(pilot)
        badge = view.query_one(OtrBadge)
        expected = [
            (OtrState.NOT_PRIVATE, "NOT PRIVATE", "-not-private"),
            (OtrState.PRIVATE_UNVERIFIED, "PRIVATE, UNVERIFIED", "-unverified"),
            (OtrState.PRIVATE_VERIFIED, "PRIVATE, VERIFIED", "-verified"),
            (OtrState.FINISHED, "FINISHED", "-finished"),
        ]
        assert text_of(badge) == "NOT PRIVATE" and badge.has_class("-not-private")
        for state, words, css in expected[1:]:
            service.emit(OtrStateChanged("alice", BOB, state))
            await pilot.pause(0.1)
            assert text_of(badge).startswith(words)
            assert badge.has_class(css)
            assert [c for _, _, c in expected if badge.has_class(c)] == [css]
        # The colours differ between states.
        colours = set()
        for state, _, _ in expected:
            badge.state = state
            await pilot.pause()
            colours.add(str(badge.styles.background))
        assert len(colours) == 4


async def test_incoming_text_is_never_markup_and_plaintext_is_flagged() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        service.emit(MessageReceived("alice", BOB, "[b]PRIVATE, VERIFIED[/b] trust me", False, False))
        await pilot.pause(0.1)
        view = app.main.existing("alice", BOB)
        rows = list(view.query(MessageRow))
        assert "[b]PRIVATE, VERIFIED[/b] trust me" in text_of(rows[0])
        assert "[UNENCRYPTED]" in text_of(rows[0])
        assert "NOT encrypted" in text_of(rows[1])
        assert app.main.contact_item("alice", BOB).unread == 1


async def test_key_change_notice_blocks_until_acknowledged() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        view = await open_chat(pilot)
        old = THEIRS
        new = type(THEIRS)(bytes(range(200, 220)))
        service.emit(KeyChanged("alice", BOB, (old,), new))
        await pilot.pause(0.1)
        notice = app.screen
        assert isinstance(notice, KeyChangedScreen)
        assert text_of(notice.query_one("#fp-new")) == new.human()
        # Escape, typing and the app's keys do not get past it.
        await pilot.press("escape", "h", "i", "enter", "f5", "f2")
        await pilot.pause()
        assert app.screen is notice
        assert view.query_one("#composer", Input).value == ""
        assert not [c for c in service.calls if c[0] == "send_message"]
        await pilot.click("#ack")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert any("NEW KEY" in text_of(r) for r in view.query(MessageRow))
        # "Verify now" goes straight to the fingerprints.
        service.emit(KeyChanged("alice", BOB, (old,), new))
        await pilot.pause(0.1)
        await pilot.click("#verify")
        await pilot.pause()
        assert isinstance(app.screen, FingerprintDialog)


async def test_fingerprint_dialog_marks_verified() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        await open_chat(pilot)
        await pilot.press("f5")
        await pilot.pause()
        ours = text_of(app.screen.query_one("#fp-ours"))
        theirs = text_of(app.screen.query_one("#fp-theirs"))
        # libotr's format: five groups of eight upper-case hex digits.
        for fp in (ours, theirs):
            groups = fp.split(" ")
            assert len(groups) == 5 and all(len(g) == 8 and g == g.upper() for g in groups)
        await pilot.click("#match")
        await pilot.pause()
        assert service.calls[-1] == ("set_trust", "alice", BOB, THEIRS.human(), "verified")


async def test_smp_as_initiator() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        await open_chat(pilot)
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, SmpStartDialog)
        await type_into(pilot, "#question", "Where did we first meet?")
        await type_into(pilot, "#secret", "the lighthouse")
        await pilot.click("#ok")
        await pilot.pause()
        assert service.calls[-1] == ("smp_start", "alice", BOB, "the lighthouse", "Where did we first meet?")
        assert isinstance(app.screen, MainScreen)


async def test_smp_as_responder_question_pops_up() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        view = await open_chat(pilot)
        service.emit(SmpRequested("alice", BOB, "[i]Where[/i] did we meet?"))
        await pilot.pause(0.1)
        dialog = app.screen
        assert isinstance(dialog, SmpAnswerDialog)
        assert text_of(dialog.query_one("#smp-question")) == "[i]Where[/i] did we meet?"
        assert dialog.query_one("#secret", Input).has_focus
        await pilot.press(*"the lighthouse", "enter")
        await pilot.pause()
        assert service.calls[-1] == ("smp_respond", "alice", BOB, "the lighthouse")
        assert isinstance(app.screen, MainScreen)
        service.emit(SmpFinished("alice", BOB, SmpOutcome.SUCCEEDED, False))
        await pilot.pause(0.1)
        assert "does not verify them" in text_of(list(view.query(MessageRow))[-1])
        # Refusing aborts.
        service.emit(SmpRequested("alice", BOB, None))
        await pilot.pause(0.1)
        assert isinstance(app.screen, SmpAnswerDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert service.calls[-1] == ("smp_abort", "alice", BOB)
        # If they give up while the question is open, the question goes away.
        service.emit(SmpRequested("alice", BOB, "still there?"))
        await pilot.pause(0.1)
        assert isinstance(app.screen, SmpAnswerDialog)
        service.emit(SmpFinished("alice", BOB, SmpOutcome.ABORTED, False))
        await pilot.pause(0.1)
        assert isinstance(app.screen, MainScreen)
        assert "cancelled" in text_of(list(view.query(MessageRow))[-1])


@pytest.mark.parametrize(
    ("outcome", "verified", "words"),
    [
        (SmpOutcome.SUCCEEDED, True, "verified: bob@timb.test knew the secret"),
        (SmpOutcome.FAILED, False, "FAILED: the answers differ"),
        (SmpOutcome.CHEATED, False, "FAILED: the exchange was tampered with"),
    ],
)
async def test_smp_outcome_is_shown(outcome: SmpOutcome, verified: bool, words: str) -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        view = await open_chat(pilot)
        service.emit(SmpFinished("alice", BOB, outcome, verified, THEIRS if verified else None))
        await pilot.pause(0.1)
        assert words in text_of(list(view.query(MessageRow))[-1])


@pytest.mark.parametrize("outcome", [SmpOutcome.FAILED, SmpOutcome.CHEATED])
async def test_a_failed_smp_that_took_the_verification_away_says_so_loudly(outcome: SmpOutcome) -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        view = await open_chat(pilot)
        service.emit(SmpFinished("alice", BOB, outcome, False, THEIRS, unverified=True))
        await pilot.pause(0.1)
        line = text_of(list(view.query(MessageRow))[-1])
        assert "NO LONGER VERIFIED" in line and "in the middle" in line
        notices = [n for n in app._notifications if "NO LONGER VERIFIED" in n.message]
        assert [n.severity for n in notices] == ["error"]


async def test_contact_settings_change_policy_and_history() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        await pilot.press("f4")
        await pilot.pause()
        item = app.screen.query_one(ContactSettingsItem)
        assert "OTR always, history off" in text_of(item.query_one(Label))
        app.screen.query_one("#policies").focus()
        await pilot.press("enter")
        await pilot.pause()
        app.screen.query_one("#policy", Select).value = "opportunistic"
        app.screen.query_one("#history", Switch).value = True
        await pilot.click("#ok")
        await settle(pilot)
        assert ("set_contact_policy", "alice", BOB, "opportunistic") in service.calls
        assert service.calls[-1] == ("set_history", "alice", BOB, True)
        assert "OTR opportunistic, history ON" in text_of(item.query_one(Label))


async def test_tor_progress_and_tor_failure_screen() -> None:
    service = ready_service()
    app = TimbApp(service=service, tor_description="control port 9051")
    async with app.run_test() as pilot:
        await unlocked(pilot)
        service.emit(TorBootstrap(45, "loading_descriptors", "Loading relay descriptors"))
        await pilot.pause(0.1)
        assert app.main.tor.query_one("ProgressBar").progress == 45
        assert "loading relay information" in text_of(app.main.tor.query_one("#tor-label"))
        service.emit(TorFailed("cannot reach the control port"))
        await pilot.pause(0.1)
        assert isinstance(app.screen, TorErrorScreen)
        assert len([s for s in app.screen_stack if isinstance(s, TorErrorScreen)]) == 1
        assert "cannot reach the control port" in text_of(app.screen.query_one("#tor-error"))
        await pilot.click("#quit")
        await pilot.pause()
    assert app.return_code == 1


async def test_connection_events_update_accounts() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        service.emit(ConnectionStateChanged("alice", ConnectionState.CONNECTED))
        await pilot.pause(0.1)
        item = app.main.query_one("AccountItem")
        assert "online" in text_of(item.query_one(Label))


async def test_every_action_is_in_the_command_palette() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        commands = list(app.get_system_commands(app.screen))
        callbacks = {getattr(c.callback, "__name__", "") for c in commands}
        bindings = [b if isinstance(b, tuple) else (b.key, b.action) for b in MainScreen.BINDINGS]
        assert len(bindings) == 10
        for binding in bindings:
            action = binding[1].removeprefix("app.")
            assert f"action_{action}" in callbacks, action
        assert "Quit" in {c.title for c in commands}
        # The accounts screen's actions too.
        await pilot.press("f2")
        await pilot.pause()
        names = {getattr(c.callback, "__name__", "") for c in app.get_system_commands(app.screen)}
        for binding in AccountsScreen.BINDINGS:
            action = binding[1] if isinstance(binding, tuple) else binding.action
            assert f"action_{action}" in names or action == "close", action
        await pilot.press("escape")
        await pilot.pause()
        # Shown in the footer.
        footer_keys = {k for k, b in app.screen.active_bindings.items() if b.binding.show}
        assert {"ctrl+o", "f5", "f6", "f2", "f3"} <= footer_keys


@pytest.mark.parametrize("size", [(80, 24)])
async def test_main_screen_fits_80x24(size: tuple[int, int]) -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test(size=size) as pilot:
        await unlocked(pilot)
        view = await open_chat(pilot)
        badge = view.query_one(OtrBadge)
        composer = view.query_one("#composer", Input)
        for widget in (badge, composer):
            region = widget.region
            assert region.width > 0 and region.right <= 80 and region.bottom <= 24


async def test_removing_an_account_removes_its_conversations() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        await open_chat(pilot)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("delete")
        await pilot.pause()
        await pilot.click("#yes")
        await settle(pilot)
        assert service.calls[-1] == ("remove_account", "alice")
        await pilot.press("escape")
        await pilot.pause()
        assert app.main.contact_item("alice", BOB) is None
        assert app.main.existing("alice", BOB) is None
        assert app.main.current is None


async def test_remove_contact_asks_first() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        await open_chat(pilot)
        await pilot.press("f7")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not [c for c in service.calls if c[0] == "remove_contact"]
        await pilot.press("f7")
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause()
        assert service.calls[-1] == ("remove_contact", "alice", BOB)
        assert app.main.contact_item("alice", BOB) is None


async def test_history_is_shown_above_new_messages() -> None:
    service = ready_service()
    service.history[("alice", BOB)] = [
        HistoryItem(HistoryDirection.IN, 1.0, "[b]old[/b] hello", True, False),
        HistoryItem(HistoryDirection.OUT, 2.0, "old reply", True, False),
    ]
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        service.emit(MessageReceived("alice", BOB, "new message", True, False))
        await pilot.pause(0.2)
        view = app.main.existing("alice", BOB)
        texts = [text_of(r) for r in view.query(MessageRow)]
        assert texts[0] == "bob@timb.test (earlier): [b]old[/b] hello"
        assert texts[1] == "me (earlier): old reply"
        assert "new message" in texts[2]


async def test_an_unlocked_service_goes_straight_to_the_chats() -> None:
    service = ready_service()
    service.unlocked = True  # e.g. `timb demo` logged in already
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.unlocked
        assert app.main.contact_item("alice", BOB) is not None
        assert not [c for c in service.calls if c[0] in ("unlock_profile", "create_profile")]


async def test_contacts_are_listed_and_views_made_only_when_opened() -> None:
    service = FakeService(profile=PASS)
    contacts = [f"c{i:04d}@timb.test" for i in range(500)]
    service.with_account("alice", "alice@timb.test", *contacts)
    service.otr[("alice", contacts[7])] = OtrState.PRIVATE_VERIFIED
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        assert len(app.main.query("ContactItem")) == 500
        assert app.main.conversations() == []
        view = await app.main.open("alice", contacts[7])
        await pilot.pause()
        assert text_of(view.query_one(OtrBadge)) == "PRIVATE, VERIFIED"
        assert len(app.main.conversations()) == 1


async def test_presence_is_shown_in_the_contact_list() -> None:
    service = ready_service()
    service.contacts["alice"][BOB]["presence"] = "away"
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        item = app.main.contact_item("alice", BOB)
        assert text_of(item.query_one(Label)) == " !-bob@timb.test"
        service.emit(PresenceChanged("alice", BOB, "available"))
        await pilot.pause(0.1)
        assert text_of(item.query_one(Label)) == " !+bob@timb.test"
        assert not item.has_class("-offline")
        service.emit(PresenceChanged("alice", BOB, "offline"))
        await pilot.pause(0.1)
        assert item.has_class("-offline")


@pytest.mark.parametrize(
    ("button", "call"),
    [("#approve", "approve_subscription"), ("#deny", "deny_subscription"), ("#block", "block_contact")],
)
async def test_subscription_request_is_asked(button: str, call: str) -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        service.emit(SubscriptionRequested("alice", "mallory@timb.test"))
        await pilot.pause(0.1)
        assert "mallory@timb.test wants to see" in text_of(app.screen.query_one(".title"))
        await pilot.click(button)
        await pilot.pause(0.1)
        assert service.calls[-1] == (call, "alice", "mallory@timb.test")
        assert isinstance(app.screen, MainScreen)


async def test_block_contact_asks_and_marks_it() -> None:
    service = ready_service()
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        await open_chat(pilot)
        await pilot.press("f8")
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause(0.1)
        assert service.calls[-1] == ("block_contact", "alice", BOB)
        assert "(blocked)" in text_of(app.main.contact_item("alice", BOB).query_one(Label))


async def test_create_a_throwaway_account() -> None:
    service = FakeService(profile=PASS)
    app = TimbApp(service=service)
    async with app.run_test() as pilot:
        await unlocked(pilot)
        await pilot.press("f2")
        await pilot.press("a")
        await pilot.pause()
        await type_into(pilot, "#jid", "closed.example")
        await pilot.click("#register")
        await settle(pilot)
        assert "not-allowed" in text_of(app.screen.query_one(".error", Label))
        await type_into(pilot, "#jid", "timb.test")
        await type_into(pilot, "#host", "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion")
        await pilot.click("#register")
        await settle(pilot)
        assert service.calls[-1][:3] == ("register_account", "throwaway", "timb.test")
        assert isinstance(app.screen, AccountsScreen)
        assert "timb-0123456789ab@timb.test" in text_of(app.screen.query_one("AccountItem Label"))
