"""Settings: history (off by default), the default and per-contact encryption policy, whether
notifications may show message text (off), and how TIMB reaches Tor (chosen when it starts)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from timb.core.service.results import TorInfo
from timb.ui.gui.a11y import named
from timb.ui.gui.dialogs import policy_box
from timb.ui.gui.i18n import tr
from timb.ui.gui.service_api import ServiceApi
from timb.ui.gui.tasks import Tasks


def tor_words(tor: TorInfo) -> str:
    if tor.mode == "managed":
        text = tr("managed: TIMB runs its own tor")
    elif tor.control_port:
        text = tr("attached to the tor at control port {port}").format(port=tor.control_port)
    else:
        text = tr("not configured: accounts cannot connect")
    if tor.private_network:
        text += " " + tr("(private test network)")
    return text


class SettingsDialog(QDialog):
    """Changes apply when a control changes (each is one service command)."""

    def __init__(
        self, service: ServiceApi, tasks: Tasks, ui: dict[str, bool], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service, self.tasks, self.ui = service, tasks, ui
        self.setWindowTitle(tr("Settings"))
        current = service.settings()
        self.history = named(
            QCheckBox(tr("Keep &history (encrypted in the profile)"), self),
            tr("Keep history"),
            tr("Off by default: conversations are forgotten when TIMB closes"),
        )
        self.history.setChecked(current.history)
        self.history.toggled.connect(lambda on: self.tasks.spawn(self.service.set_settings(history=on)))
        self.default_policy = policy_box(self, current.otr_policy)
        self.default_policy.setAccessibleName(tr("Default encryption policy"))
        self.default_policy.currentIndexChanged.connect(
            lambda _: self.tasks.spawn(
                self.service.set_settings(otr_policy=str(self.default_policy.currentData()))
            )
        )
        self.auto_connect = named(
            QCheckBox(tr("&Connect every account at unlock"), self),
            tr("Connect at unlock"),
            tr("Connect all accounts through Tor as soon as the profile is unlocked"),
        )
        self.auto_connect.setChecked(current.auto_connect)
        self.auto_connect.toggled.connect(
            lambda on: self.tasks.spawn(self.service.set_settings(auto_connect=on))
        )
        self.notify_text = named(
            QCheckBox(tr("Show message &text in notifications"), self),
            tr("Message text in notifications"),
            tr("Off: notifications are read by other software, so they only say a message arrived"),
        )
        self.notify_text.setChecked(ui.get("notify_text", False))
        self.notify_text.toggled.connect(lambda on: self.ui.__setitem__("notify_text", on))
        general = QGroupBox(tr("General"), self)
        form = QFormLayout(general)
        form.addRow(self.history)
        form.addRow(tr("Default &encryption:"), self.default_policy)
        form.addRow(self.auto_connect)
        form.addRow(self.notify_text)
        form.addRow(tr("Tor:"), QLabel(tor_words(current.tor), general))
        form.addRow(QLabel(tr("How Tor is reached is chosen when TIMB starts (timb gui --help)."), general))
        layout = QVBoxLayout(self)
        layout.addWidget(general)
        layout.addWidget(self._per_contact())
        close = named(QPushButton(tr("Close"), self), tr("Close"), tr("Close the settings"))
        close.clicked.connect(self.accept)
        layout.addWidget(close)

    def _per_contact(self) -> QGroupBox:
        box = QGroupBox(tr("One contact"), self)
        self.contact = named(QComboBox(box), tr("Contact"), tr("The contact whose settings are below"))
        for account in self.service.list_accounts():
            for contact in self.service.list_contacts(account.id):
                self.contact.addItem(
                    f"{contact.jid} ({account.id})",
                    [
                        account.id,
                        contact.jid,
                        contact.policy,
                        contact.history,
                    ],
                )
        self.contact_policy = policy_box(box)
        self.contact_history = named(
            QCheckBox(tr("Keep history of this conversation"), box),
            tr("Keep history of this conversation"),
            tr("Off unless you turn it on"),
        )
        save = named(QPushButton(tr("&Save for this contact"), box), tr("Save for this contact"), tr("Apply"))
        save.clicked.connect(self.save_contact)
        self.contact.currentIndexChanged.connect(self._show_contact)
        form = QFormLayout(box)
        form.addRow(tr("C&ontact:"), self.contact)
        form.addRow(tr("Encr&yption:"), self.contact_policy)
        form.addRow(self.contact_history)
        row = QHBoxLayout()
        row.addWidget(save, 0, Qt.AlignmentFlag.AlignRight)
        form.addRow(row)
        self._show_contact()
        box.setEnabled(self.contact.count() > 0)
        return box

    def _show_contact(self) -> None:
        data = self.contact.currentData()
        if data:
            self.contact_policy.setCurrentIndex(max(0, self.contact_policy.findData(data[2])))
            self.contact_history.setChecked(bool(data[3]))

    def save_contact(self) -> None:
        data = self.contact.currentData()
        if not data:
            return
        account, jid = data[0], data[1]
        policy, history = str(self.contact_policy.currentData()), self.contact_history.isChecked()
        if policy != data[2]:
            self.tasks.spawn(self.service.set_contact_policy(account, jid, policy))
        if history != data[3]:
            self.tasks.spawn(self.service.set_history(account, jid, history))
        self.contact.setItemData(self.contact.currentIndex(), [account, jid, policy, history])
