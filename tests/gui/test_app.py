"""The GUI against a fake service: each screen's commands reach the service, each core event shows.

The fake (tests/gui/fake_service.py) records the calls; events are handed to `handle_event` in
order, as the app's event task does.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog

from tests.gui.conftest import Gui
from tests.gui.fake_service import OURS, THEIRS, GuiFakeService
from timb.common.ids import Fingerprint
from timb.core.events import (
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
)
from timb.ui.gui.accounts import AccountsDialog, AddAccountDialog
from timb.ui.gui.dialogs import ButtonsDialog
from timb.ui.gui.events import handle_event
from timb.ui.gui.profile import ProfileDialog
from timb.ui.gui.settings import SettingsDialog
from timb.ui.gui.verify import FingerprintDialog, KeyChangedDialog, SmpAnswerDialog, SmpStartDialog

MakeGui = Callable[[GuiFakeService], Gui]
PASSPHRASE = "correct horse battery staple"


def unlocked(make_gui: MakeGui, *contacts: str) -> Gui:
    service = GuiFakeService(profile=PASSPHRASE)
    service.unlocked = True
    service.with_account("alice", "alice@timb.test", *contacts)
    gui = make_gui(service)
    gui.start()
    return gui


def only(gui: Gui, kind: type[QDialog]) -> QDialog:
    dialogs = gui.window.commands.dialogs(kind)
    assert len(dialogs) == 1, dialogs
    return dialogs[0]


def test_create_profile_asks_twice_and_shows_strength(make_gui: MakeGui) -> None:
    gui = make_gui(GuiFakeService())
    gui.start()
    dialog = gui.app.profile_dialog
    assert isinstance(dialog, ProfileDialog) and dialog.creating
    assert not gui.window.unlocked
    dialog.passphrase.setText("short")
    assert "too short" in dialog.hint.text()
    dialog.passphrase.setText(PASSPHRASE)
    assert dialog.meter.value() > 0
    dialog.again.setText(PASSPHRASE + "x")
    dialog.submit()
    assert "differ" in dialog.error.text()
    assert gui.service.calls == []
    dialog.passphrase.setText(PASSPHRASE)
    dialog.again.setText(PASSPHRASE)
    dialog.submit()
    assert dialog.passphrase.text() == "" and dialog.again.text() == ""
    gui.settle()
    assert gui.service.calls == [("create_profile", PASSPHRASE)]
    assert gui.window.unlocked and gui.app.profile_dialog is None


def test_unlock_refused_then_accepted(make_gui: MakeGui) -> None:
    service = GuiFakeService(profile=PASSPHRASE)
    service.with_account("alice", "alice@timb.test", "bob@timb.test")
    gui = make_gui(service)
    gui.start()
    dialog = gui.app.profile_dialog
    assert isinstance(dialog, ProfileDialog) and not dialog.creating
    dialog.passphrase.setText("wrong passphrase")
    dialog.submit()
    gui.settle()
    assert "wrong passphrase" in dialog.error.text() and not gui.window.unlocked
    dialog.passphrase.setText(PASSPHRASE)
    dialog.submit()
    gui.settle()
    assert gui.window.unlocked
    assert gui.window.contact_list.contacts() == [("alice", "bob@timb.test")]


def test_add_account_and_throwaway_registration(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui)
    gui.window.commands.accounts()
    accounts = only(gui, AccountsDialog)
    assert isinstance(accounts, AccountsDialog)
    add = AddAccountDialog(gui.service, gui.app.tasks, accounts)
    add.jid.setText("carol@timb.test")
    add.password.setText("pw")
    add.host.setText("abc.onion")
    add.submit()
    gui.settle()
    assert gui.service.calls[-1][:3] == ("add_account", "carol", "carol@timb.test")
    assert gui.service.calls[-1][4] == "abc.onion"
    assert add.password.text() == ""
    refused = AddAccountDialog(gui.service, gui.app.tasks, accounts)
    refused.jid.setText("closed.example")
    refused.register()
    gui.settle()
    assert "not-allowed" in refused.error.text()
    throwaway = AddAccountDialog(gui.service, gui.app.tasks, accounts)
    throwaway.jid.setText("timb.test")
    throwaway.register()
    gui.settle()
    assert gui.service.calls[-1][:3] == ("register_account", "throwaway", "timb.test")
    irc = AddAccountDialog(gui.service, gui.app.tasks, accounts)
    irc.network.setCurrentIndex(irc.network.findData("irc"))
    assert irc.port.value() == 6697 and not irc.buttons[1].isEnabled()
    irc.jid.setText("dana@irc.timb.test")
    irc.submit()  # no password: IRC without SASL
    gui.settle()
    assert gui.service.calls[-1][:3] == ("add_account", "dana", "dana@irc.timb.test")
    assert gui.service.calls[-1][-1] == "irc" and gui.service.calls[-1][5] == 6697
    accounts.refresh()
    assert accounts.list.count() == 4


def test_contacts_presence_requests_and_block(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui, "bob@timb.test")
    handle_event(gui.window, PresenceChanged("alice", "bob@timb.test", "away"))
    item = gui.window.contact_list.item_for("alice", "bob@timb.test")
    assert item is not None and "away" in item.text()
    handle_event(gui.window, SubscriptionRequested("alice", "eve@evil.test"))
    request = only(gui, ButtonsDialog)
    assert isinstance(request, ButtonsDialog)
    assert gui.service.calls == []  # nothing approved by itself
    request.buttons["block"].click()
    gui.settle()
    assert gui.service.calls == [("block_contact", "alice", "eve@evil.test")]


def test_pending_until_private_then_sent(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui, "bob@timb.test")
    gui.window.open("alice", "bob@timb.test")
    view = gui.window.views[("alice", "bob@timb.test")]
    assert view.badge.words.text() == "NOT PRIVATE"
    view.composer.setPlainText("hello bob")
    view.send_button.click()
    assert view.message_state("m1") is MessageState.PENDING
    assert "pending" in view.rows()[-1] and "sent" not in view.rows()[-1]
    handle_event(gui.window, OtrStateChanged("alice", "bob@timb.test", OtrState.PRIVATE_UNVERIFIED))
    assert view.badge.words.text() == "PRIVATE UNVERIFIED"
    assert view.message_state("m1") is MessageState.PENDING  # only the core says it left
    handle_event(gui.window, MessageStateChanged("m1", MessageState.SENT, "alice", "bob@timb.test"))
    assert view.message_state("m1") is MessageState.SENT
    assert any("sent encrypted" in row for row in view.rows())
    handle_event(gui.window, OtrStateChanged("alice", "bob@timb.test", OtrState.PRIVATE_VERIFIED))
    assert view.badge.words.text() == "PRIVATE VERIFIED"
    assert "bob" not in gui.window.windowTitle()


def test_finished_badge_in_words_and_colour(make_gui: MakeGui) -> None:
    """They ended the session: the badge says FINISHED on its grey, never still PRIVATE."""
    gui = unlocked(make_gui, "bob@timb.test")
    gui.window.open("alice", "bob@timb.test")
    view = gui.window.views[("alice", "bob@timb.test")]
    handle_event(gui.window, OtrStateChanged("alice", "bob@timb.test", OtrState.PRIVATE_VERIFIED))
    handle_event(gui.window, OtrStateChanged("alice", "bob@timb.test", OtrState.FINISHED))
    assert view.badge.state is OtrState.FINISHED and view.badge.words.text() == "FINISHED"
    assert view.badge.accessibleName() == "Privacy: FINISHED"
    assert "ended the private session" in view.badge.accessibleDescription()
    assert "conversation is now FINISHED" in view.rows()[-1]
    image = gui.window.grab().toImage()
    spot = view.badge.mapTo(gui.window, QPoint(2, view.badge.height() // 2))
    assert image.pixelColor(spot).name() == "#4a4a4a"


def test_remove_contact_only_after_confirmation(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui, "bob@timb.test", "carol@timb.test")
    gui.window.open("alice", "bob@timb.test")
    gui.window.menu_actions["remove_contact"].trigger()
    dialog = only(gui, ButtonsDialog)
    assert isinstance(dialog, ButtonsDialog) and "bob@timb.test" in dialog.label.text()
    dialog.buttons["no"].click()
    gui.settle()
    assert gui.service.calls == [] and ("alice", "bob@timb.test") in gui.window.views
    gui.window.menu_actions["remove_contact"].trigger()
    confirm = only(gui, ButtonsDialog)
    assert isinstance(confirm, ButtonsDialog)
    confirm.buttons["yes"].click()
    gui.settle()
    assert gui.service.calls == [("remove_contact", "alice", "bob@timb.test")]
    assert "bob@timb.test" not in gui.service.contacts["alice"]
    assert gui.window.contact_list.contacts() == [("alice", "carol@timb.test")]
    assert gui.window.views == {} and not gui.window.tabs.isVisible()


def test_incoming_message_title_and_notification_hide_contact_and_text(
    make_gui: MakeGui, monkeypatch: pytest.MonkeyPatch
) -> None:
    gui = unlocked(make_gui, "bob@timb.test")
    monkeypatch.setattr(gui.window, "isActiveWindow", lambda: False)  # the user is elsewhere
    handle_event(gui.window, MessageReceived("alice", "bob@timb.test", "the secret text", True, False))
    view = gui.window.views[("alice", "bob@timb.test")]
    assert "the secret text" in view.rows()[-1]
    assert gui.window.windowTitle() == "TIMB"
    assert list(gui.window.notifier.shown) == [("TIMB", "A new message arrived.")]
    gui.window.ui_settings["notify_text"] = True
    handle_event(gui.window, MessageReceived("alice", "bob@timb.test", "plain one", False, False))
    assert gui.window.notifier.shown[-1] == ("TIMB", "bob@timb.test: plain one")
    assert "NOT ENCRYPTED" in view.rows()[-2]


def test_fingerprints_in_libotr_format_and_they_match(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui, "bob@timb.test")
    gui.window.open("alice", "bob@timb.test")
    gui.window.menu_actions["verify"].trigger()
    dialog = only(gui, FingerprintDialog)
    assert isinstance(dialog, FingerprintDialog)
    assert dialog.ours.text() == OURS.human() and dialog.theirs.text() == THEIRS.human()
    assert len(OURS.human().split()) == 5
    dialog.buttons["match"].click()
    gui.settle()
    assert gui.service.calls[-1] == ("set_trust", "alice", "bob@timb.test", THEIRS.human(), "verified")


def test_smp_as_initiator(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui, "bob@timb.test")
    gui.window.open("alice", "bob@timb.test")
    gui.window.menu_actions["smp"].trigger()
    dialog = only(gui, SmpStartDialog)
    assert isinstance(dialog, SmpStartDialog)
    dialog.question.setText("where did we meet?")
    dialog.secret.setText("lisbon")
    dialog.buttons["ok"].click()
    assert dialog.secret.text() == ""
    assert gui.service.calls[-1] == ("smp_start", "alice", "bob@timb.test", "lisbon", "where did we meet?")
    handle_event(gui.window, SmpFinished("alice", "bob@timb.test", SmpOutcome.SUCCEEDED, True))
    assert "verified" in gui.window.views[("alice", "bob@timb.test")].rows()[-1]


def test_smp_as_responder_pops_the_question_up(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui, "bob@timb.test")
    handle_event(gui.window, SmpRequested("alice", "bob@timb.test", "our cat's name?"))
    dialog = only(gui, SmpAnswerDialog)
    assert isinstance(dialog, SmpAnswerDialog) and dialog.isVisible()
    assert dialog.question.text() == "our cat's name?"
    dialog.secret.setText("felix")
    dialog.buttons["ok"].click()
    assert gui.service.calls[-1] == ("smp_respond", "alice", "bob@timb.test", "felix")
    handle_event(gui.window, SmpRequested("alice", "bob@timb.test", None))
    again = only(gui, SmpAnswerDialog)
    handle_event(gui.window, SmpFinished("alice", "bob@timb.test", SmpOutcome.ABORTED, False))
    assert not again.isVisible() and gui.window.commands.dialogs(SmpAnswerDialog) == []
    assert gui.service.calls[-1][0] == "smp_respond"  # withdrawn: nothing aborted on their behalf


def test_key_change_dialog_blocks_until_chosen(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui, "bob@timb.test")
    new = Fingerprint(bytes(range(200, 220)))
    handle_event(gui.window, KeyChanged("alice", "bob@timb.test", (THEIRS,), new))
    dialog = only(gui, KeyChangedDialog)
    assert isinstance(dialog, KeyChangedDialog)
    assert dialog.isModal() and dialog.windowModality() is Qt.WindowModality.ApplicationModal
    assert dialog.new.text() == new.human()
    dialog.reject()  # Escape
    assert dialog.isVisible()
    dialog.buttons["verify"].click()
    assert not dialog.isVisible()
    assert isinstance(only(gui, FingerprintDialog), FingerprintDialog)


def test_settings_history_off_by_default_and_per_contact(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui, "bob@timb.test")
    gui.window.commands.settings()
    dialog = only(gui, SettingsDialog)
    assert isinstance(dialog, SettingsDialog)
    assert not dialog.history.isChecked() and not dialog.notify_text.isChecked()
    dialog.history.setChecked(True)
    gui.settle()
    assert gui.service.calls[-1] == ("set_settings", True, None, None)
    dialog.contact_policy.setCurrentIndex(dialog.contact_policy.findData("opportunistic"))
    dialog.save_contact()
    gui.settle()
    assert gui.service.calls[-1] == ("set_contact_policy", "alice", "bob@timb.test", "opportunistic")


def test_tor_progress_bar_and_stage(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui)
    handle_event(gui.window, TorBootstrap(45, "requesting_descriptors", "Asking for relay descriptors"))
    assert gui.window.tor.bar.value() == 45
    assert "Asking for relay descriptors" in gui.window.tor.stage.text()


def test_panic_ends_sessions_locks_and_quits(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui, "bob@timb.test")
    gui.window.open("alice", "bob@timb.test")
    handle_event(gui.window, MessageReceived("alice", "bob@timb.test", "keep me secret", True, False))
    gui.window.menu_actions["panic"].trigger()
    assert gui.window.views == {} and gui.window.contact_list.count() == 0
    status = gui.run(gui.app.run())
    assert status == 0
    assert ("end_otr", "alice", "bob@timb.test") in gui.service.calls
    assert gui.service.calls[-1] == ("close",) and not gui.service.unlocked


def test_panic_ends_otr_with_every_contact_of_every_account_and_empties_the_clipboard(
    make_gui: MakeGui,
) -> None:
    """Not only the open tabs: a closed tab's session, another account's and a stranger's end."""
    gui = unlocked(make_gui, "bob@timb.test", "carol@timb.test")
    gui.service.with_account("work", "me@work.test", "dave@work.test")
    gui.window.open("alice", "bob@timb.test")
    gui.window.open("alice", "carol@timb.test")
    carol = gui.window.views[("alice", "carol@timb.test")]
    gui.window.tabs.tabCloseRequested.emit(gui.window.tabs.indexOf(carol))  # its session lives on
    handle_event(gui.window, MessageReceived("alice", "eve@stranger.test", "hello", True, False))
    assert set(gui.window.views) == {("alice", "bob@timb.test"), ("alice", "eve@stranger.test")}
    QGuiApplication.clipboard().setText("a fingerprint the user copied")
    gui.window.menu_actions["panic"].trigger()
    ended = [call[1:] for call in gui.service.calls if call[0] == "end_otr"]
    assert sorted(ended) == [
        ("alice", "bob@timb.test"),
        ("alice", "carol@timb.test"),
        ("alice", "eve@stranger.test"),
        ("work", "dave@work.test"),
    ]
    assert QGuiApplication.clipboard().text() == ""
    assert gui.window.views == {} and gui.window.contact_list.count() == 0


def test_crash_in_a_command_is_reported_redacted(make_gui: MakeGui) -> None:
    gui = unlocked(make_gui)
    secret = "the message text"

    async def broken() -> None:
        raise KeyError(secret)  # a bug whose message quotes a message

    gui.app.tasks.spawn(broken())
    gui.settle()
    report = gui.app.crash_report
    assert report is not None and "builtins.KeyError" in report and secret not in report
    assert gui.app.exit_status == 1


def test_the_badge_paints_its_colour(make_gui: MakeGui) -> None:
    """Words in white need their fill: the badge's background must actually be painted."""
    gui = unlocked(make_gui, "bob@timb.test")
    gui.window.open("alice", "bob@timb.test")
    view = gui.window.views[("alice", "bob@timb.test")]
    for state, colour in ((OtrState.NOT_PRIVATE, "#b00020"), (OtrState.PRIVATE_VERIFIED, "#1b7f3b")):
        view.set_otr_state(state)
        image = gui.window.grab().toImage()  # painted as part of the window, as on screen
        spot = view.badge.mapTo(gui.window, QPoint(2, view.badge.height() // 2))
        assert image.pixelColor(spot).name() == colour
