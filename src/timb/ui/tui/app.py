"""`TimbApp`: the Textual terminal UI. It holds a service (`ServiceApi`), never a network.

Core events arrive in one worker and are handled in order (`handle_event`); commands go to the
service from actions. Every action is a key binding shown in the footer and a command-palette
entry (ctrl+p). Crashes never show Textual's traceback with local variables (see `crash.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App, SystemCommand
from textual.screen import Screen

from timb.core.errors import ProfileError, ServiceError
from timb.core.events import (
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
    SmpRequested,
    SubscriptionRequested,
    TorBootstrap,
    TorFailed,
    TorStalled,
    TrustChanged,
)
from timb.ui.crash import TimbCrashed, redacted_report, write_report
from timb.ui.tui.flows.contacts import Contacts
from timb.ui.tui.flows.held import HeldMessages
from timb.ui.tui.flows.onion import ONION_EVENTS, OnionFlow
from timb.ui.tui.flows.tor_connection import TorAssistant
from timb.ui.tui.flows.verification import Verification
from timb.ui.tui.screens.accounts import AccountsScreen
from timb.ui.tui.screens.dialogs import AddContactDialog
from timb.ui.tui.screens.irc import CHANNEL_EVENTS, IrcFlow
from timb.ui.tui.screens.main import MainScreen
from timb.ui.tui.screens.onion import OnionScreen
from timb.ui.tui.screens.profile import ProfileScreen
from timb.ui.tui.screens.settings import SettingsScreen
from timb.ui.tui.screens.tor import TorErrorScreen
from timb.ui.tui.screens.tor_connection import stage_words
from timb.ui.tui.service_api import ServiceApi
from timb.ui.tui.widgets.badge import BADGE_WORDS
from timb.ui.tui.widgets.conversation import ConversationView
from timb.ui.tui.widgets.onion_chat import OnionChatView
from timb.ui.tui.widgets.sidebar import ContactItem


class TimbApp(App[int]):
    """The TIMB terminal UI.

    Args:
        service: a running `TimbService` (or anything with the same commands).
        tor_description: how Tor is reached, shown in the sidebar and settings.
        crash_log: where a redacted crash report goes (None: the terminal, after exit).
    """

    CSS_PATH = "timb.tcss"
    TITLE = "TIMB"
    SUB_TITLE = "Tor Instant Messaging Bundle"
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self, service: ServiceApi, *, tor_description: str = "not configured", crash_log: Path | None = None
    ) -> None:
        super().__init__()
        self.service = service
        self.tor_description = tor_description
        self.crash_log = crash_log
        self.crash_report: str | None = None
        self.connections: dict[str, ConnectionState] = {}
        self.unlocked = False
        self._handed_unlocked = False
        self.verification = Verification(self)
        self.contacts = Contacts(self)
        self.held = HeldMessages(self)
        self.irc = IrcFlow(self, service)
        self.onion = OnionFlow(self, service.onion)
        self.tor_assistant = TorAssistant(self, lambda job: self.run_worker(job, group="tor-assistant"))

    # -- start --------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(self.tor_description)

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def on_mount(self) -> None:
        try:
            self.service.list_accounts()  # works only once a profile is unlocked
        except ProfileError:
            create = not self.service.profile_exists()
            self.push_screen(ProfileScreen(self.service, create=create), self._profile_ready)
        else:
            self._handed_unlocked = True  # `timb demo` logs the user in before the UI starts

    async def on_main_screen_ready(self) -> None:
        # Events (tor's progress or failure come at once) are shown only once there is a screen.
        self.run_worker(self._consume_events(), name="core-events", group="core", exit_on_error=True)
        if self._handed_unlocked:
            self._profile_ready(True)

    def _profile_ready(self, ok: bool | None) -> None:
        if not ok:
            return
        self.unlocked = True
        accounts = self.service.list_accounts()
        for account in accounts:
            self.connections.setdefault(
                account.id, ConnectionState.CONNECTED if account.connected else ConnectionState.DISCONNECTED
            )
        self._refresh_accounts()
        for account in accounts:
            for contact in self.service.list_contacts(account.id):
                # Listed only: a conversation view is made when it is opened or has news.
                self.main.add_contact(
                    account.id, contact.jid, contact.otr, presence=contact.presence, blocked=contact.blocked
                )
        if not accounts:
            self.notify("No account yet: press F2 to add one.", timeout=10)
        self.run_worker(self.tor_assistant.ask_if_unset(), group="tor-assistant")

    def _refresh_accounts(self) -> None:
        known = {a.id for a in self.service.list_accounts()}
        for view in self.main.conversations():
            if view.account not in known:  # the account was removed, and its contacts with it
                self.main.remove_contact(view.account, view.contact)
        for item in list(self.main.query(ContactItem)):
            if item.account not in known:
                self.main.remove_contact(item.account, item.contact)
        self.main.set_accounts(
            [
                (a.id, str(a.jid), self.connections.get(a.id, ConnectionState.DISCONNECTED))
                for a in self.service.list_accounts()
            ]
        )

    async def on_main_screen_conversation_created(self, message: MainScreen.ConversationCreated) -> None:
        view = message.view
        try:
            entries = await self.service.read_history(view.account, view.contact)
        except ServiceError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        view.add_history(entries)

    async def _consume_events(self) -> None:
        async for event in self.service.events():
            await self.handle_event(event)

    # -- core events --------------------------------------------------------------------------

    async def handle_event(self, event: CoreEvent) -> None:
        """Show one core event. Called in order by the event worker (and by tests)."""
        match event:
            case ConnectionStateChanged() | TorBootstrap() | TorFailed() | ErrorEvent():
                self._status_event(event)
            case TorStalled():
                self.tor_assistant.stalled(event)
            case PresenceChanged() | SubscriptionRequested():
                self.contacts.event(event)
            case _ if isinstance(event, CHANNEL_EVENTS):
                self.irc.event(event)
            case _ if isinstance(event, ONION_EVENTS):
                self.onion.event(event)
            case _:
                await self._conversation_event(event)

    async def _conversation_event(self, event: CoreEvent) -> None:
        main = self.main
        match event:
            case MessageReceived(account=account, contact=contact, text=text, encrypted=encrypted):
                view = await main.conversation(account, contact)
                view.add_incoming(text, encrypted=encrypted)
                if not encrypted:
                    view.add_system("that message was NOT encrypted: others could read or change it")
                main.mark_unread(account, contact)
            case MessageStateChanged(id=msg_id, state=state, account=account, contact=contact):
                shown = main.existing(account, contact)  # routed by (account, contact)
                if shown is not None:
                    shown.messages.update_state(msg_id, state)
            case OtrStateChanged(account=account, contact=contact, state=state):
                view = await main.conversation(account, contact)
                if view.otr_state is not state:
                    view.add_system(f"conversation is now {BADGE_WORDS[state].lower()}")
                await main.set_otr_state(account, contact, state)
            case OtrUnavailable(account=account, contact=contact, reason=reason):
                view = await main.conversation(account, contact)
                view.add_system(f"no private session ({reason}): pending messages stay unsent")
            case SmpRequested(account=account, contact=contact, question=question):
                view = await main.conversation(account, contact)
                view.add_system(f"{contact} asks you to verify (SMP)")
                self.verification.answer(account, contact, question)
            case SmpFinished():
                await self.verification.finished(event)
            case TrustChanged(account=account, contact=contact, fingerprint=fingerprint, trust=trust):
                view = await main.conversation(account, contact)
                view.add_system(f"key {fingerprint.human()} is now {trust.value}")
            case KeyChanged(account=account, contact=contact, new=new):
                view = await main.conversation(account, contact)
                view.add_system(f"WARNING: {contact} presents a NEW KEY {new.human()}")
                self.verification.key_changed(event)
            case HeldForKeyChange():
                await self.held.event(event)

    def _status_event(self, event: ConnectionStateChanged | TorBootstrap | TorFailed | ErrorEvent) -> None:
        main = self.main
        match event:
            case ConnectionStateChanged(account=account, state=state, detail=detail):
                self.connections[account] = state
                main.set_connection(account, state)
                for screen in self.screen_stack:
                    if isinstance(screen, AccountsScreen):
                        screen.set_connection(account, state)
                if state is ConnectionState.FAILED:
                    self.notify(f"{account}: {detail}", severity="error", markup=False)
            case TorBootstrap(progress=progress, tag=tag, summary=summary):
                main.tor.update_progress(progress, stage_words(tag, summary))
            case TorFailed(message=message):
                main.tor.set_failed(message)
                self.push_screen(TorErrorScreen(message), self._after_tor_error)
            case ErrorEvent(message=message):
                self.notify(message, severity="error", markup=False, timeout=10)

    def _after_tor_error(self, choice: str | None) -> None:
        if choice == "quit":
            self.exit(1, return_code=1)

    # -- conversation commands -----------------------------------------------------------------

    def _current(self) -> ConversationView | None:
        view = self.main.current if self.screen is self.main else None
        if view is None:
            self.notify("Open a conversation first (pick a contact on the left).", severity="warning")
        return view

    async def on_conversation_view_send(self, message: ConversationView.Send) -> None:
        view = self.main.existing(message.account, message.contact)
        try:
            sent = self.service.send_message(message.account, message.contact, message.text)
        except ServiceError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if view is not None:
            view.add_outgoing(sent.id, message.text, sent.state)

    def action_go_private(self) -> None:
        view = self._current()
        if view is not None:
            self.run_command(lambda: self.service.start_otr(view.account, view.contact))
            view.add_system("starting a private session...")

    def action_end_private(self) -> None:
        view = self._current()
        if view is not None:
            self.run_command(lambda: self.service.end_otr(view.account, view.contact))

    def action_verify(self) -> None:
        view = self._current()
        if view is not None:
            self.verification.fingerprints(view.account, view.contact)

    def action_smp(self) -> None:
        view = self._current()
        if view is not None:
            self.verification.start_smp(view.account, view.contact)

    def run_command(self, command: Callable[[], object]) -> bool:
        """Run a service command; a refusal is shown, not raised. Returns True if it ran."""
        try:
            command()
        except ServiceError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return False
        return True

    def system_line(self, account: str, contact: str, text: str) -> None:
        view = self.main.existing(account, contact)
        if view is not None:
            view.add_system(text)

    # -- accounts, contacts, settings ----------------------------------------------------------

    def action_accounts(self) -> None:
        if self.unlocked:
            self.push_screen(
                AccountsScreen(self.service, self.connections), lambda _: self._refresh_accounts()
            )

    def action_add_contact(self) -> None:
        if not self.unlocked:
            return
        accounts = [a.id for a in self.service.list_accounts()]
        if not accounts:
            self.notify("Add an account first (F2).", severity="warning")
            return

        async def added(result: tuple[str, str] | None) -> None:
            if result is not None:
                account, jid = result
                await self.main.open(account, str(jid).strip().lower())

        self.push_screen(AddContactDialog(self.service, accounts), added)

    def action_remove_contact(self) -> None:
        view = self._current()
        if view is not None:
            self.contacts.remove(view.account, view.contact)

    def action_block_contact(self) -> None:
        view = self._current()
        if view is not None:
            self.contacts.block(view.account, view.contact)

    def action_settings(self) -> None:
        if self.unlocked:
            self.push_screen(SettingsScreen(self.service, self.tor_description))

    def on_onion_screen_asked(self, message: OnionScreen.Asked) -> None:
        self.onion.asked(message)

    def on_onion_chat_view_asked(self, message: OnionChatView.Asked) -> None:
        self.onion.chat_asked(message)

    def action_onion(self) -> None:
        if self.unlocked:
            self.onion.open()

    def action_tor_connection(self) -> None:
        if self.unlocked:
            self.tor_assistant.open()

    # -- the command palette: every action ------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        if self.unlocked and isinstance(screen, MainScreen):
            yield SystemCommand(
                "Go private", "Start (or refresh) OTR in this conversation", self.action_go_private
            )
            yield SystemCommand(
                "End private session", "End OTR in this conversation", self.action_end_private
            )
            yield SystemCommand(
                "Verify fingerprints", "Compare fingerprints, mark verified", self.action_verify
            )
            yield SystemCommand(
                "Verify with a secret (SMP)", "Ask a question only they can answer", self.action_smp
            )
            yield SystemCommand(
                "Held messages", "Send or discard messages held because the key changed", self.held.open
            )
            yield SystemCommand(
                "Accounts", "Add, connect, disconnect or remove accounts", self.action_accounts
            )
            yield SystemCommand(
                "Add contact", "Add a contact (asks to see their presence)", self.action_add_contact
            )
            yield SystemCommand(
                "Remove contact", "Remove the open conversation's contact", self.action_remove_contact
            )
            yield SystemCommand(
                "Block contact",
                "Drop everything from the open conversation's contact",
                self.action_block_contact,
            )
            yield SystemCommand(
                "Settings", "History, encryption policy per contact, Tor", self.action_settings
            )
            yield SystemCommand(
                "Tor connection",
                "Connect directly, or through bridges where Tor is blocked",
                self.action_tor_connection,
            )
            yield SystemCommand(
                "Onion (serverless)",
                "Onion identities, contacts and chats with no server (F9)",
                self.action_onion,
            )
            yield SystemCommand("Add IRC account", "Nick, server, port, TLS pin, SASL", self.irc.add_account)
            yield SystemCommand("IRC channels", "Join, part, talk (NOT PRIVATE)", self.irc.open_channels)
            yield SystemCommand("IRC SASL key", "A key to log in with, for NickServ", self.irc.sasl_key)
        if isinstance(screen, AccountsScreen):
            yield SystemCommand("Add account", "Add an XMPP account", screen.action_add)
            yield SystemCommand("Connect account", "Connect the selected account", screen.action_connect)
            yield SystemCommand(
                "Disconnect account", "Disconnect the selected account", screen.action_disconnect
            )
            yield SystemCommand("Remove account", "Forget the selected account", screen.action_remove)
        yield from super().get_system_commands(screen)

    # -- crashes --------------------------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        """Replaces Textual's crash screen, whose traceback shows local variables: log a redacted
        report (`crash.redacted_report`) and exit with status 1."""
        report = redacted_report(error)
        self.crash_report = report
        self._return_code = 1
        if self.crash_log is not None and write_report(report, self.crash_log):
            self._exit_renderables.append(Text(f"TIMB stopped after an internal error; see {self.crash_log}"))
        else:
            self._exit_renderables.append(Text(report))
        if self._exception is None:
            # Textual's test harness re-raises this; the original (and its frames) is dropped.
            self._exception = TimbCrashed(report)
            self._exception_event.set()
        error.__traceback__ = None
        self._close_messages_no_wait()
