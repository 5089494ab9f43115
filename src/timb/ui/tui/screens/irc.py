"""IRC in the TUI: add an IRC account, and the channels of one account (join, part, messages).

Private messages with a nick are ordinary conversations (contact ``nick@server``, OTR required,
the same badge as XMPP). A channel is not: it shows a permanent NOT PRIVATE banner, and its
first message asks for confirmation (`ConfirmDialog`); the core refuses to send it otherwise
(`ConfirmationRequired`), so the dialog is the UI's half of a rule the core enforces.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, cast

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, ListItem, ListView, RichLog, Select, Static
from textual.worker import Worker

from timb.common.secret import Secret
from timb.core.errors import ConfirmationRequired, InvalidRequest, ServiceError
from timb.core.events import (
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

ChannelEvent = (
    ChannelJoined
    | ChannelLeft
    | ChannelMessageReceived
    | ChannelTopicChanged
    | ChannelMembersChanged
    | ChannelFailed
)
CHANNEL_EVENTS = (
    ChannelJoined,
    ChannelLeft,
    ChannelMessageReceived,
    ChannelTopicChanged,
    ChannelMembersChanged,
    ChannelFailed,
)
SASL_CHOICES = [("no SASL", "none"), ("SASL PLAIN (password, TLS only)", "plain")]


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
    ) -> AccountInfo: ...


class AddIrcAccountDialog(_Dialog):
    """Add an IRC account: nick, server, onion host, port, TLS pin, SASL. Dismisses with the
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
        sasl = self.query_one("#sasl", Select).value
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
            )
        except ValueError:
            self._error("the port must be a number")
            return
        except ServiceError as exc:
            self._error(str(exc))
            return
        self.dismiss(info)


class ChannelsScreen(Screen[None]):
    """The channels of one IRC account. ``event`` shows a channel event (the app forwards them)."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "close", "Back")]

    def __init__(self, channels: ChannelsApi, account: str) -> None:
        super().__init__()
        self.channels = channels
        self.account = account
        self.current: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(classes="page"):
            yield Static(f"IRC channels of {self.account}", classes="title", markup=False)
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

    def refresh_list(self) -> None:
        view = self.query_one("#channel-list", ListView)
        view.clear()
        for info in self.channels.list_channels(self.account):
            view.append(ListItem(Label(f"{info.channel}  {len(info.members)} here", markup=False)))
        self._show_banner()

    def _show_banner(self) -> None:
        text = banner(self.current) if self.current else ""
        self.query_one("#banner", Static).update(Text(text, style="bold reverse red") if text else "")

    def _message(self, text: str) -> None:
        self.query_one(".error", Label).update(text)

    def _log(self, line: str) -> None:
        self.query_one("#channel-log", RichLog).write(Text(line))

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
        self._send(self.current, message.value)

    @work(group="channel-send")
    async def _send(self, channel: str, text: str, confirmed: bool = False) -> None:
        try:
            await self.channels.send_channel_message(self.account, channel, text, confirmed=confirmed)
        except ConfirmationRequired:
            question = f"{banner(channel)}. Send your first message there?"

            def answered(yes: bool | None) -> None:
                if yes:
                    self._send(channel, text, confirmed=True)
                else:
                    self._message("not sent")

            self.app.push_screen(ConfirmDialog(question, "Send"), answered)
        except ServiceError as exc:
            self._message(str(exc))

    def action_close(self) -> None:
        self.dismiss(None)

    def event(self, event: ChannelEvent) -> None:
        """Show one channel event of this screen's account."""
        if event.account != self.account:
            return
        match event:
            case ChannelJoined(channel=channel, banner=text):
                self.current = channel
                self._log(f"-- joined {channel}: {text}")
            case ChannelLeft(channel=channel, kicked_by=kicked_by):
                self._log(f"-- left {channel}" + (f" (removed by {kicked_by})" if kicked_by else ""))
                if self.current == channel:
                    self.current = None
            case ChannelMessageReceived(channel=channel, sender=sender, text=text):
                self._log(f"{channel} <{sender}> {text}")
            case ChannelTopicChanged(channel=channel, topic=topic):
                self._log(f"-- {channel} topic: {topic or '(none)'}")
            case ChannelFailed(channel=channel, reason=reason):
                self._message(f"{channel}: {reason}")
            case ChannelMembersChanged():
                pass
        self.refresh_list()


class IrcFlow:
    """The app's IRC commands (the command palette) and where channel events go."""

    def __init__(self, app: App[Any], service: ServiceApi) -> None:
        self.app = app
        self.service = service

    def add_account(self) -> None:
        # TimbService.add_account takes ``network``; ServiceApi (the XMPP dialogs) does not name it.
        service = cast(IrcAccountService, self.service)
        self.app.push_screen(
            AddIrcAccountDialog(service),
            lambda info: self.app.notify(f"added {info.jid}: connect it in Accounts") if info else None,
        )

    def open_channels(self) -> None:
        channels: ChannelsApi | None = getattr(self.service, "channels", None)
        accounts = [a.id for a in self.service.list_accounts() if a.network == "irc"]
        if channels is None or not accounts:
            self.app.notify("Add an IRC account first.", severity="warning")
            return
        self.app.push_screen(ChannelsScreen(channels, accounts[0]))

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
