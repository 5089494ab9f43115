"""Core events shown in the window, in order (`handle_event`), and desktop notifications.

A notification says only that a message arrived: no text and no contact, unless the user turned
message text on in the settings (notifications are read by other software and shown on locked
screens). A message the core holds is shown pending; only MessageStateChanged moves it on.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtWidgets import QSystemTrayIcon

from timb.core.events import (
    ChannelFailed,
    ChannelJoined,
    ChannelLeft,
    ChannelMembersChanged,
    ChannelMessageReceived,
    ChannelTopicChanged,
    ConnectionState,
    ConnectionStateChanged,
    CoreEvent,
    ErrorEvent,
    HeldForKeyChange,
    KeyChanged,
    MessageReceived,
    MessageStateChanged,
    OtrStateChanged,
    OtrUnavailable,
    PresenceChanged,
    SmpFinished,
    SmpOutcome,
    SmpRequested,
    SubscriptionRequested,
    TorBootstrap,
    TorFailed,
    TorStalled,
    TrustChanged,
)
from timb.core.onion_events import (
    OnionContactChanged,
    OnionContactRequested,
    OnionIdentityChanged,
    OnionMessageReceived,
    OnionMessageStateChanged,
    OnionPresenceChanged,
)
from timb.ui.gui.badge import badge_words
from timb.ui.gui.host import WindowHost
from timb.ui.gui.i18n import tr

TOR_ERROR_PREFIX = "tor:"  # ErrorEvent copies of TorFailed (timb.core.tor_link)


def smp_outcome_words(event: SmpFinished) -> str:
    match event.outcome:
        case SmpOutcome.SUCCEEDED if event.verified:
            return tr("verified: {contact} knew the secret").format(contact=event.contact)
        case SmpOutcome.SUCCEEDED:
            # Answering their question proves us to them, not them to us (as libotr).
            return tr("you answered their question correctly (this does not verify them)")
        case SmpOutcome.FAILED:
            return tr("verification FAILED: the answers differ")
        case SmpOutcome.CHEATED:
            return tr("verification FAILED: the exchange was tampered with")
        case SmpOutcome.ABORTED:
            return tr("verification was cancelled")


class Notifier:
    """Desktop notifications through the system tray, when there is one. ``shown`` keeps the last
    few (title, body) for the tests; it never holds message text unless the user allowed it."""

    def __init__(self, window: WindowHost) -> None:
        self.window = window
        self.shown: deque[tuple[str, str]] = deque(maxlen=16)
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(window.widget.windowIcon(), window.widget)
            self.tray.show()

    def message(self, event: MessageReceived | OnionMessageReceived) -> None:
        if self.window.widget.isActiveWindow():
            return
        if self.window.ui_settings.get("notify_text"):
            body = tr("{contact}: {text}").format(contact=event.contact, text=event.text)
        else:
            body = tr("A new message arrived.")
        self.shown.append(("TIMB", body))
        if self.tray is not None:
            self.tray.showMessage("TIMB", body, QSystemTrayIcon.MessageIcon.Information)


def handle_event(w: WindowHost, event: CoreEvent) -> None:
    """Show one core event (called in order by the event task, and by tests)."""
    match event:
        case ConnectionStateChanged() | TorBootstrap() | TorFailed() | ErrorEvent():
            _status_event(w, event)
        case PresenceChanged(account=account, contact=contact, presence=presence):
            w.contact_list.set_presence(account, contact, presence)
        case SubscriptionRequested(account=account, contact=contact):
            w.commands.subscription(account, contact)
        case HeldForKeyChange():
            w.held.held(event)
        case TorStalled():
            w.tor_flow.stalled(event)
        case (
            OnionIdentityChanged()
            | OnionContactRequested()
            | OnionContactChanged()
            | OnionPresenceChanged()
            | OnionMessageReceived()
            | OnionMessageStateChanged()
        ):
            w.onion.handle(event)
        case (
            ChannelJoined()
            | ChannelLeft()
            | ChannelMessageReceived()
            | ChannelTopicChanged()
            | ChannelMembersChanged()
            | ChannelFailed()
        ):
            w.channels.handle(event)
        case SmpRequested() | SmpFinished() | TrustChanged() | KeyChanged():
            _verification_event(w, event)
        case _:
            _conversation_event(w, event)


def _conversation_event(w: WindowHost, event: CoreEvent) -> None:
    match event:
        case MessageReceived(account=account, contact=contact, text=text, encrypted=encrypted):
            view = w.conversation(account, contact)
            view.add_incoming(text, encrypted=encrypted)
            if not encrypted:
                view.add_system(tr("that message was NOT encrypted: others could read or change it"))
            if w.tabs.currentWidget() is not view:
                w.contact_list.mark_unread(account, contact)
            w.notifier.message(event)
        case MessageStateChanged(id=msg_id, state=state):
            for view in w.views.values():
                if view.update_state(msg_id, state):
                    break
        case OtrStateChanged(account=account, contact=contact, state=state):
            view = w.conversation(account, contact)
            if view.otr_state is not state:
                view.add_system(tr("conversation is now {state}").format(state=badge_words(state)))
            view.set_otr_state(state)
        case OtrUnavailable(account=account, contact=contact, reason=reason):
            w.conversation(account, contact).add_system(
                tr("no private session ({reason}): pending messages stay unsent").format(reason=reason)
            )


def _verification_event(w: WindowHost, event: SmpRequested | SmpFinished | TrustChanged | KeyChanged) -> None:
    match event:
        case SmpRequested(account=account, contact=contact, question=question):
            w.conversation(account, contact).add_system(
                tr("{contact} asks you to verify (SMP)").format(contact=contact)
            )
            w.commands.answer_smp(account, contact, question)
        case SmpFinished(account=account, contact=contact):
            w.commands.withdraw_smp(account, contact)
            text = smp_outcome_words(event)
            view = w.conversation(account, contact)
            view.add_system(text)
            if event.unverified:  # a failed check took an earlier verification away
                text = tr("their key is NO LONGER VERIFIED: a failed check may mean someone in the middle")
                view.add_system(text)
            w.show_status(f"{contact}: {text}", error=event.outcome is not SmpOutcome.SUCCEEDED)
        case TrustChanged(account=account, contact=contact, fingerprint=fingerprint, trust=trust):
            w.conversation(account, contact).add_system(
                tr("key {fingerprint} is now {trust}").format(
                    fingerprint=fingerprint.human(), trust=trust.value
                )
            )
        case KeyChanged(account=account, contact=contact, new=new):
            w.conversation(account, contact).add_system(
                tr("WARNING: {contact} presents a NEW KEY {fingerprint}").format(
                    contact=contact, fingerprint=new.human()
                )
            )
            w.commands.key_changed(event)


def _status_event(
    w: WindowHost, event: ConnectionStateChanged | TorBootstrap | TorFailed | ErrorEvent
) -> None:
    match event:
        case ConnectionStateChanged(account=account, state=state, detail=detail):
            w.connections[account] = state
            w.refresh_accounts()
            for dialog in w.commands.open_dialogs:
                refresh = getattr(dialog, "set_connection", None)
                if callable(refresh):
                    refresh(account, state)
            if state is ConnectionState.FAILED:
                w.show_status(f"{account}: {detail}", error=True)
        case TorBootstrap(progress=progress, summary=summary):
            w.tor.update_progress(progress, summary)
            w.tor_flow.progressed(progress)
        case TorFailed(message=message):
            w.tor.set_failed(message)
            w.show_status(tr("Tor failed: {message}").format(message=message), error=True)
        case ErrorEvent(message=message) if not message.startswith(TOR_ERROR_PREFIX):
            w.show_status(message, error=True)
        case ErrorEvent():
            pass  # "tor: ..." repeats the TorFailed just shown
