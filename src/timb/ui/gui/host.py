"""`WindowHost`: what the window's helpers (commands, events, held, bridges, onion_flow,
channel_flow) may use of `MainWindow`.

The window builds its helpers and the helpers call back into the window. If they named
`MainWindow` (even under TYPE_CHECKING) every helper would import the window that imports it: a
cycle that hides which helper reaches into which part. They name these Protocols instead; the
window satisfies them structurally (mypy checks it where the window passes ``self``), and this
module imports only the leaf widgets, never the window or a helper.

The helpers seen through the host are Protocols too (`Dialogs` is `commands.Commands`, ...),
each with only the methods another helper calls. They are read-only properties because the
window holds the concrete classes: a settable member would have to be exactly the same type.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QDialog, QLabel, QTabWidget, QWidget

from timb.core.events import (
    ChannelEvent,
    ConnectionState,
    HeldForKeyChange,
    KeyChanged,
    MessageReceived,
    TorStalled,
)
from timb.core.onion_events import OnionEvent, OnionMessageReceived
from timb.ui.gui.conversation import ConversationView
from timb.ui.gui.onion import OnionSection
from timb.ui.gui.service_api import ServiceApi
from timb.ui.gui.sidebar import ContactList, TorPanel
from timb.ui.gui.tasks import Tasks


class Dialogs(Protocol):
    """`commands.Commands` as the other helpers use it: the dialogs it keeps and opens."""

    @property
    def open_dialogs(self) -> list[QDialog]: ...

    def open_dialog(self, dialog: QDialog) -> None: ...

    def open_blocking(self, dialog: QDialog) -> None: ...

    def dialogs(self, kind: type[QDialog]) -> list[QDialog]: ...

    def subscription(self, account: str, contact: str) -> None: ...

    def answer_smp(self, account: str, contact: str, question: str | None) -> None: ...

    def withdraw_smp(self, account: str, contact: str) -> None: ...

    def key_changed(self, event: KeyChanged) -> None: ...


class HeldMessages(Protocol):
    """`held.HeldFlow`: messages held for a key change."""

    def held(self, event: HeldForKeyChange) -> None: ...

    def ask_current(self) -> None: ...

    def clear(self) -> None: ...


class OnionChats(Protocol):
    """`onion_flow.OnionFlow`: the onion section and its chat tabs."""

    def handle(self, event: OnionEvent) -> None: ...

    def new_identity(self) -> None: ...

    def clear(self) -> None: ...


class ChannelChats(Protocol):
    """`channel_flow.ChannelFlow`: IRC channels and their tabs."""

    def handle(self, event: ChannelEvent) -> None: ...

    def open_dialog(self) -> None: ...

    def leave_current(self) -> None: ...

    def clear(self) -> None: ...


class TorChoice(Protocol):
    """`bridges.TorFlow`: the bridges question and the stall notice."""

    def settings(self) -> None: ...

    def progressed(self, progress: int) -> None: ...

    def stalled(self, event: TorStalled) -> None: ...


class Notifications(Protocol):
    """`events.Notifier`: desktop notifications."""

    def message(self, event: MessageReceived | OnionMessageReceived) -> None: ...


class WindowHost(Protocol):
    """The window, as its helpers see it."""

    service: ServiceApi
    tasks: Tasks
    panicked: bool

    @property
    def widget(self) -> QWidget:
        """The window itself: the parent of the dialogs the helpers open."""
        ...

    @property
    def quit_requested(self) -> SignalInstance: ...

    @property
    def connections(self) -> dict[str, ConnectionState]: ...

    @property
    def ui_settings(self) -> dict[str, bool]: ...

    @property
    def views(self) -> dict[tuple[str, str], ConversationView]: ...

    @property
    def tor(self) -> TorPanel: ...

    @property
    def contact_list(self) -> ContactList: ...

    @property
    def onion_section(self) -> OnionSection: ...

    @property
    def tabs(self) -> QTabWidget: ...

    @property
    def empty(self) -> QLabel: ...

    @property
    def commands(self) -> Dialogs: ...

    @property
    def held(self) -> HeldMessages: ...

    @property
    def onion(self) -> OnionChats: ...

    @property
    def channels(self) -> ChannelChats: ...

    @property
    def tor_flow(self) -> TorChoice: ...

    @property
    def notifier(self) -> Notifications: ...

    def conversation(self, account: str, contact: str, *, focus: bool = False) -> ConversationView: ...

    def open(self, account: str, contact: str) -> None: ...

    def current(self) -> ConversationView | None: ...

    def drop_view(self, account: str, contact: str) -> None: ...

    def show_empty_if_none(self) -> None: ...

    def show_status(self, text: str, *, error: bool = False) -> None: ...

    def set_unlocked(self, unlocked: bool) -> None: ...

    def refresh_accounts(self) -> None: ...
