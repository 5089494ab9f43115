"""IRC in the TUI: add an IRC account, and the channels of each account (join, part, messages).

Private messages with a nick are ordinary conversations (contact ``nick@server``, OTR required,
the same badge as XMPP). A channel is not: it shows a permanent NOT PRIVATE banner, and its
first message asks for confirmation (`ConfirmDialog`); the core refuses to send it otherwise
(`ConfirmationRequired`), so the dialog is the UI's half of a rule the core enforces.
"""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar, Protocol, cast

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    ListItem,
    ListView,
    RichLog,
    Select,
    Static,
)
from textual.worker import Worker

from timb.common.secret import Secret
from timb.core.errors import ConfirmationRequired, InvalidRequest, ServiceError
from timb.core.events import (
    ChannelEvent,
    ChannelFailed,
    ChannelJoined,
    ChannelLeft,
    ChannelMembersChanged,
    ChannelMessageReceived,
    ChannelTopicChanged,
)
from timb.core.service.channels import ChannelInfo, banner
from timb.core.service.results import AccountInfo
from timb.ui.tui.screens.dialogs import ConfirmDialog, _Dialog, account_id_for
from timb.ui.tui.service_api import ServiceApi

CHANNEL_EVENTS = ChannelEvent  # (isinstance takes the union)
# value -> the service's sasl_mechanism ("auto" with an empty password logs in by nothing)
SASL_CHOICES = [
    ("no SASL", "none"),
    ("SASL PLAIN (password, TLS only)", "plain"),
    ("SASL EXTERNAL (a client certificate kept in the profile)", "external"),
]
SASL_MECHANISM = {"none": "auto", "plain": "PLAIN", "external": "EXTERNAL"}


class ChannelsApi(Protocol):
    """The channel commands the TUI calls (`timb.core.service.channels.Channels`)."""

    def join_channel(self, account_id: str, channel: str) -> None: ...

    def part_channel(self, account_id: str, channel: str) -> None: ...

    def list_channels(self, account_id: str) -> list[ChannelInfo]: ...

    async def send_channel_message(
        self, account_id: str, channel: str, text: str, *, confirmed: bool = False
    ) -> str: ...


class IrcAccountService(Protocol):
    """What `AddIrcAccountDialog` needs: `add_account` with ``network``."""

    def list_accounts(self) -> list[AccountInfo]: ...

    async def add_account(
        self,
        account_id: str,
        jid: str,
        password: Secret[str],
        *,
        host: str | None = None,
        port: int | None = None,
        tls_pin_sha256: str | None = None,
        auto_connect: bool = False,
        network: str = "xmpp",
        sasl_mechanism: str | None = None,
        answer_ctcp_ping: bool = False,
    ) -> AccountInfo: ...


class AddIrcAccountDialog(_Dialog):
    """Add an IRC account: nick, server, onion host, port, TLS pin, SASL (none, PLAIN, or
    EXTERNAL: the service makes the client certificate), CTCP PING (off). Dismisses with the
    account's description, or None."""

    def __init__(self, service: IrcAccountService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Add an IRC account (private messages use OTR)", classes="title")
            with Horizontal(classes="row"):
                yield Input(placeholder="nick", id="nick")
                yield Input(placeholder="server name: irc.example.org", id="server")
            yield Input(placeholder="onion host (optional): xyz...onion", id="host")
            with Horizontal(classes="row"):
                yield Input(placeholder="port", value="6697", id="port", type="integer")
                yield Input(placeholder="TLS certificate pin (optional, SHA-256 hex)", id="pin")
            yield Select(SASL_CHOICES, value="none", allow_blank=False, id="sasl")
            yield Input(placeholder="SASL password", password=True, id="password")
            # Off by default: a PING reply tells whoever asks that we are online, and our lag.
            yield Checkbox("Answer CTCP PING (tells others you are online)", value=False, id="ctcp-ping")
            yield Label("", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Add", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    @on(Button.Pressed, "#ok")
    @work(exclusive=True, group="irc-account")
    async def _add(self) -> None:
        nick, server = self._value("nick"), self._value("server")
        if not nick or not server:
            self._error("a nick and a server name are needed")
            return
        sasl = str(self.query_one("#sasl", Select).value)
        password = self.query_one("#password", Input).value if sasl == "plain" else ""
        if sasl == "plain" and not password:
            self._error("SASL PLAIN needs a password")
            return
        try:
            port = int(self._value("port") or "6697")
            taken = {a.id for a in self.service.list_accounts()}
            info = await self.service.add_account(
                account_id_for(f"{nick}@{server}", taken),
                f"{nick}@{server}",
                Secret(password),
                host=self._value("host") or None,
                port=port,
                tls_pin_sha256=self._value("pin") or None,
                network="irc",
                sasl_mechanism=SASL_MECHANISM[sasl],
                answer_ctcp_ping=self.query_one("#ctcp-ping", Checkbox).value,
            )
        except ValueError:
            self._error("the port must be a number")
            return
        except ServiceError as exc:
            self._error(str(exc))
            return
        self.dismiss(info)


class ChannelsScreen(Screen[None]):
    """The channels of the IRC accounts, one account at a time (the picker at the top).
    ``event`` records a channel event of any of them (the app forwards them) and shows it when
    its account is the one picked: each account keeps its own log and current channel."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "close", "Back")]
    LOG_LINES = 500  # per account, while the screen is open

    def __init__(self, channels: ChannelsApi, account: str, accounts: list[str] | None = None) -> None:
        super().__init__()
        self.channels = channels
        self.accounts = list(dict.fromkeys([account, *(accounts or [])]))
        self.account = account
        self._current: dict[str, str | None] = {}
        self._lines: dict[str, deque[str]] = {a: deque(maxlen=self.LOG_LINES) for a in self.accounts}

    @property
    def current(self) -> str | None:
        """The open channel of the account shown."""
        return self._current.get(self.account)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(classes="page"):
            with Horizontal(classes="row"):
                yield Static("IRC channels of", classes="title", markup=False)
                yield Select(
                    [(a, a) for a in self.accounts], value=self.account, allow_blank=False, id="account"
                )
            yield Static("", id="banner", classes="not-private", markup=False)
            with Horizontal(classes="row"):
                yield Input(placeholder="#channel", id="channel")
                yield Button("Join", variant="primary", id="join")
                yield Button("Part", id="part")
            yield ListView(id="channel-list")
            yield RichLog(id="channel-log", wrap=True, markup=False)
            yield Input(placeholder="message to the channel (NOT PRIVATE)", id="text")
            yield Label("", classes="error")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.refresh_list()

    @on(Select.Changed, "#account")
    def _picked(self, changed: Select.Changed) -> None:
        account = str(changed.value)
        if account == self.account or account not in self._lines:
            return
        self.account = account
        log = self.query_one("#channel-log", RichLog)
        log.clear()
        for line in self._lines[account]:
            log.write(Text(line))
        self._message("")
        self.refresh_list()

    def refresh_list(self) -> None:
        view = self.query_one("#channel-list", ListView)
        view.clear()
        try:
            channels = self.channels.list_channels(self.account)
        except ServiceError as exc:  # the account went away meanwhile
            self._message(str(exc))
            channels = []
        for info in channels:
            view.append(ListItem(Label(f"{info.channel}  {len(info.members)} here", markup=False)))
        self._show_banner()

    def _show_banner(self) -> None:
        text = banner(self.current) if self.current else ""
        self.query_one("#banner", Static).update(Text(text, style="bold reverse red") if text else "")

    def _message(self, text: str) -> None:
        self.query_one(".error", Label).update(text)

    @on(Button.Pressed, "#join")
    @on(Input.Submitted, "#channel")
    def action_join(self) -> None:
        channel = self.query_one("#channel", Input).value.strip()
        try:
            self.channels.join_channel(self.account, channel)
        except ServiceError as exc:
            self._message(str(exc))

    @on(Button.Pressed, "#part")
    def action_part(self) -> None:
        if self.current is None:
            return
        try:
            self.channels.part_channel(self.account, self.current)
        except ServiceError as exc:
            self._message(str(exc))

    @on(Input.Submitted, "#text")
    def _submitted(self, message: Input.Submitted) -> None:
        if self.current is None:
            self._message("join a channel first")
            return
        message.input.value = ""
        self._send(self.account, self.current, message.value)

    @work(group="channel-send")
    async def _send(self, account: str, channel: str, text: str, confirmed: bool = False) -> None:
        # The account is the one picked when the message was typed, not when it is confirmed.
        try:
            await self.channels.send_channel_message(account, channel, text, confirmed=confirmed)
        except ConfirmationRequired:
            question = f"{banner(channel)}. Send your first message there (as {account})?"

            def answered(yes: bool | None) -> None:
                if yes:
                    self._send(account, channel, text, confirmed=True)
                else:
                    self._message("not sent")

            self.app.push_screen(ConfirmDialog(question, "Send"), answered)
        except ServiceError as exc:
            self._message(str(exc))
        else:
            # The server echoes our line only as a bare acknowledgement (MessageEchoed), never
            # as a message: without this the user's own lines were missing from the log.
            self._log(account, f"{channel} <me> {text}")

    def action_close(self) -> None:
        self.dismiss(None)

    def event(self, event: ChannelEvent) -> None:
        """Record one channel event; show it if its account is the one picked."""
        account = event.account
        if account not in self._lines:
            return  # not an account of this screen
        line: str | None = None
        match event:
            case ChannelJoined(channel=channel, banner=text):
                self._current[account] = channel
                line = f"-- joined {channel}: {text}"
            case ChannelLeft(channel=channel, kicked_by=kicked_by):
                line = f"-- left {channel}" + (f" (removed by {kicked_by})" if kicked_by else "")
                if self._current.get(account) == channel:
                    self._current[account] = None
            case ChannelMessageReceived(channel=channel, sender=sender, text=text):
                line = f"{channel} <{sender}> {text}"
            case ChannelTopicChanged(channel=channel, topic=topic):
                line = f"-- {channel} topic: {topic or '(none)'}"
            case ChannelFailed(channel=channel, reason=reason):
                line = f"-- {channel}: {reason}"
                if account == self.account:
                    self._message(f"{channel}: {reason}")
            case ChannelMembersChanged():
                pass
        if line is not None:
            self._log(account, line)
        if account == self.account:
            self.refresh_list()

    def _log(self, account: str, line: str) -> None:
        """Keep ``line`` in ``account``'s log; show it if that account is the one picked."""
        self._lines[account].append(line)
        if account == self.account:
            self.query_one("#channel-log", RichLog).write(Text(line))


class IrcFlow:
    """The app's IRC commands (the command palette) and where channel events go."""

    def __init__(self, app: App[Any], service: ServiceApi) -> None:
        self.app = app
        self.service = service

    def add_account(self) -> None:
        # TimbService.add_account takes ``network``; ServiceApi (the XMPP dialogs) does not name it.
        service = cast(IrcAccountService, self.service)
        self.app.push_screen(AddIrcAccountDialog(service), self._added)

    def _added(self, info: AccountInfo | None) -> None:
        if info is None:
            return
        self.app.notify(f"added {info.jid}: connect it in Accounts", markup=False)
        sasl = getattr(self.service, "irc_sasl", None)
        if info.sasl_mechanism == "EXTERNAL" and sasl is not None:
            try:
                cert = sasl.irc_client_certificate(info.id)
            except ServiceError as exc:
                self.app.notify(str(exc), severity="error", markup=False)
                return
            self.app.notify(
                f"{info.id}: SASL EXTERNAL with a new client certificate (SHA-512 {cert.sha512}). "
                f"Register it once with the network's services: {cert.register}",
                timeout=60,
                markup=False,
            )

    def open_channels(self) -> None:
        channels: ChannelsApi | None = getattr(self.service, "channels", None)
        accounts = [a.id for a in self.service.list_accounts() if a.network == "irc"]
        if channels is None or not accounts:
            self.app.notify("Add an IRC account first.", severity="warning")
            return
        self.app.push_screen(ChannelsScreen(channels, accounts[0], accounts))

    def sasl_key(self) -> Worker[None]:
        """Show the first IRC account's SASL ECDSA public key (made on first use) and how to
        register it with NickServ."""
        return self.app.run_worker(self._sasl_key(), group="irc-sasl")

    async def _sasl_key(self) -> None:
        sasl = getattr(self.service, "irc_sasl", None)
        accounts = [a.id for a in self.service.list_accounts() if a.network == "irc"]
        if sasl is None or not accounts:
            self.app.notify("Add an IRC account first.", severity="warning")
            return
        try:
            try:
                key = sasl.irc_sasl_key(accounts[0])
            except InvalidRequest:
                key = await sasl.make_irc_sasl_key(accounts[0])
        except ServiceError as exc:
            self.app.notify(str(exc), severity="error", markup=False)
            return
        self.app.notify(
            f"{accounts[0]}: SASL {key.mechanism} from the next connection. Register it once: {key.register}",
            timeout=60,
            markup=False,
        )

    def event(self, event: ChannelEvent) -> None:
        """Give a channel event to every open `ChannelsScreen`."""
        for screen in self.app.screen_stack:
            if isinstance(screen, ChannelsScreen):
                screen.event(event)
