"""The window's IRC channel commands and events: the channels dialog, the channel tabs, and the
first message held until the user confirms it.

A send first goes out unconfirmed. Only the core knows whether this channel's first message was
confirmed (it forgets when we leave, and keeps it across a reconnection's rejoin), so the GUI
keeps no flag of its own: `ConfirmationRequired` means nothing left, and the question is asked;
"Send" repeats the same text with ``confirmed=True``. Closing a channel's tab does not leave the
channel (the Leave button does): the view is kept, and the dialog's Open shows it again.
"""

from __future__ import annotations

import functools

from timb.core.errors import ConfirmationRequired, ProfileError, ServiceError
from timb.core.events import (
    ChannelEvent,
    ChannelFailed,
    ChannelJoined,
    ChannelLeft,
    ChannelMembersChanged,
    ChannelMessageReceived,
    ChannelTopicChanged,
)
from timb.ui.gui.channels import ChannelsDialog, ChannelView, first_message_dialog, fold
from timb.ui.gui.host import WindowHost
from timb.ui.gui.i18n import tr

MAX_VIEWS = 200  # the core's channels per account: the views follow what it tracks


class ChannelFlow:
    def __init__(self, window: WindowHost) -> None:
        self.w = window
        self.views: dict[tuple[str, str], ChannelView] = {}  # (account, folded channel)

    # -- commands ---------------------------------------------------------------------------------

    def open_dialog(self) -> None:
        try:
            accounts = [a.id for a in self.w.service.list_accounts() if a.network == "irc"]
        except ProfileError:
            accounts = []
        if not accounts:
            self.w.show_status(tr("Add an IRC account first (F2)."), error=True)
            return
        dialog = ChannelsDialog(self.w.service.channels, accounts, self.w.widget)
        dialog.open_requested.connect(lambda account, channel: self.show(account, channel, focus=True))
        self.w.commands.open_dialog(dialog)

    def leave_current(self) -> None:
        view = self.w.tabs.currentWidget() if self.w.tabs.isVisible() else None
        if isinstance(view, ChannelView):
            self.leave(view)
        else:
            self.w.show_status(tr("Open a channel first (IRC > Channels, Ctrl+J)."))

    def leave(self, view: ChannelView) -> None:
        self.w.tasks.run(functools.partial(self.w.service.channels.part_channel, view.account, view.channel))

    def send(self, view: ChannelView, text: str, *, confirmed: bool = False) -> None:
        async def attempt() -> bool:
            try:
                await self.w.service.channels.send_channel_message(
                    view.account, view.channel, text, confirmed=confirmed
                )
            except ConfirmationRequired:
                return False  # nothing left: the user decides
            return True

        def done(sent: bool) -> None:
            if sent:
                view.add_own(text)
            else:
                self.confirm_first(view, text)

        def refused(message: str) -> None:
            view.add_system(tr("not sent: {reason}").format(reason=message))
            view.give_back(text)

        self.w.tasks.spawn(attempt(), done, on_error=refused)

    def confirm_first(self, view: ChannelView, text: str) -> None:
        dialog = first_message_dialog(view.channel, view.members.count(), self.w.widget)

        def chosen(key: object) -> None:
            if key == "send":
                self.send(view, text, confirmed=True)
            else:
                view.add_system(tr("not sent: you kept it"))
                view.give_back(text)

        dialog.chosen.connect(chosen)
        self.w.commands.open_dialog(dialog)

    # -- tabs -------------------------------------------------------------------------------------

    def view(self, account: str, channel: str) -> ChannelView:
        key = (account, fold(channel))
        found = self.views.get(key)
        if found is None:
            if len(self.views) >= MAX_VIEWS:  # bounded: the oldest view that we left goes first
                old = next((k for k, v in self.views.items() if not v.joined), next(iter(self.views)))
                self.drop(*old)
            found = ChannelView(account, channel, self.w.tabs)
            found.send_requested.connect(functools.partial(self.send, found))
            found.leave_requested.connect(functools.partial(self.leave, found))
            self.views[key] = found
        return found

    def show(self, account: str, channel: str, *, focus: bool = False) -> ChannelView:
        view = self.view(account, channel)
        if self.w.tabs.indexOf(view) < 0:
            self._refresh_view(view)
            self.w.tabs.addTab(view, view.channel)
            self.w.tabs.show()
            self.w.empty.hide()
        if focus:
            self.w.tabs.setCurrentWidget(view)
            view.composer.setFocus()
        return view

    def _refresh_view(self, view: ChannelView) -> None:
        """Topic and people as the service has them now (events went on while the tab was shut)."""
        try:
            infos = self.w.service.channels.list_channels(view.account)
        except ServiceError:  # the profile locked, or the account went away
            return
        for info in infos:
            if fold(info.channel) == fold(view.channel):
                view.set_joined(info.joined)
                view.set_topic(info.topic)
                view.set_members(info.members)

    def tab_closed(self, view: ChannelView) -> None:
        """The tab goes; the channel stays joined (Leave parts it). A left channel is forgotten."""
        self.w.tabs.removeTab(self.w.tabs.indexOf(view))
        if not view.joined:
            self.drop(view.account, view.channel)
        self.w.show_empty_if_none()

    def drop(self, account: str, channel: str) -> None:
        view = self.views.pop((account, fold(channel)), None)
        if view is not None:
            index = self.w.tabs.indexOf(view)
            if index >= 0:
                self.w.tabs.removeTab(index)
            view.deleteLater()
        self.w.show_empty_if_none()

    def clear(self) -> None:
        for account, channel in list(self.views):
            self.drop(account, channel)

    # -- events -----------------------------------------------------------------------------------

    def _dialogs(self) -> list[ChannelsDialog]:
        return [d for d in self.w.commands.dialogs(ChannelsDialog) if isinstance(d, ChannelsDialog)]

    def handle(self, event: ChannelEvent) -> None:
        account = event.account
        match event:
            case ChannelJoined() | ChannelLeft():
                self._membership(event)
            case ChannelMessageReceived(own=True):
                pass  # the server's echo of ours: shown when it left
            case ChannelMessageReceived(channel=channel, sender=sender, text=text, action=action):
                self.view(account, channel).add_message(sender, text, action=action)
            case ChannelTopicChanged(channel=channel, topic=topic, setter=setter):
                if (topical := self.views.get((account, fold(channel)))) is not None:
                    topical.set_topic(topic)
                    topical.add_system(
                        tr("{who} set the topic").format(who=setter) if setter else tr("the topic changed")
                    )
            case ChannelMembersChanged(channel=channel, members=members):
                if (peopled := self.views.get((account, fold(channel)))) is not None:
                    peopled.set_members(members)
            case ChannelFailed(channel=channel, reason=reason):
                self.w.show_status(
                    tr("{channel}: {reason}").format(channel=channel, reason=reason), error=True
                )
                for dialog in self._dialogs():
                    dialog.failed(account, channel, reason)
        for dialog in self._dialogs():
            dialog.refresh()

    def _membership(self, event: ChannelJoined | ChannelLeft) -> None:
        account, channel = event.account, event.channel
        if isinstance(event, ChannelJoined):
            asked = [d for d in self._dialogs() if d.waiting == (account, fold(channel))]
            for dialog in asked:  # first: focus goes back to the window when it closes
                dialog.accept()
            view = self.show(account, channel, focus=bool(asked))
            view.set_joined(True)
            view.add_system(tr("you are in {channel}: NOT PRIVATE").format(channel=channel))
        elif (left := self.views.get((account, fold(channel)))) is not None:
            left.set_joined(False)
            left.add_system(
                tr("{who} removed you from {channel}").format(who=event.kicked_by, channel=channel)
                if event.kicked_by
                else tr("you left {channel}").format(channel=channel)
            )
            if self.w.tabs.indexOf(left) < 0:
                self.drop(account, channel)
