"""The TUI's fake service (tests/tui/fake_service.py) with the few commands only the GUI calls."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.gui.fake_channels import FakeChannels
from tests.gui.fake_onion import FakeOnion
from tests.tui.fake_service import OURS, THEIRS, FakeService
from timb.common.ids import Fingerprint
from timb.common.secret import Secret
from timb.core.errors import InvalidRequest, ProfileError
from timb.core.service.results import AccountInfo, HeldNotice, SettingsInfo, TorInfo
from timb.core.service.tor_connection import TorConnectionInfo
from timb.core.service.tor_settings import BridgeChoice
from timb.tor.errors import BridgeLineError

__all__ = ["OURS", "THEIRS", "GuiFakeService"]


class GuiFakeService(FakeService):
    def __init__(self, *, profile: str | None = None) -> None:
        super().__init__(profile=profile)
        self.closed = False
        self.prefs: dict[str, Any] = {"history": False, "otr_policy": "always", "auto_connect": False}
        self.requests: dict[str, list[str]] = {}
        self.written_for: dict[tuple[str, str], tuple[Fingerprint, ...]] = {}
        self.tor_choice: BridgeChoice | None = None  # None: never asked
        self.managed_tor = False  # tests/gui's service attaches (TorInfo "attach" below)
        self.transports: tuple[str, ...] = ("meek_lite", "obfs4", "snowflake")
        self.onion = FakeOnion(self.emit, lambda: self.unlocked)
        self.channels = FakeChannels(
            self.emit, lambda: {a: d.get("network", "xmpp") for a, d in self.accounts.items()}
        )

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
    ) -> AccountInfo:
        info = await super().add_account(
            account_id, jid, password, host=host, port=port or 5222, tls_pin_sha256=tls_pin_sha256
        )
        self.calls[-1] = (*self.calls[-1], network)
        self.accounts[account_id]["network"] = network
        return replace(info, network=network)

    def _account(self, account_id: str) -> AccountInfo:
        info = super()._account(account_id)
        return replace(info, network=self.accounts[account_id].get("network", "xmpp"))

    def with_irc_account(self, account: str = "irc", jid: str = "alice@irc.test") -> None:
        """Test helper: an IRC account (connected: channels need a connection)."""
        self.with_account(account, jid)
        self.accounts[account].update(network="irc", connected=True)

    async def close(self) -> None:
        self.calls.append(("close",))
        self.closed = True
        self.unlocked = False
        self.queue.put_nowait(None)

    def settings(self) -> SettingsInfo:
        return SettingsInfo(**self.prefs, tor=TorInfo("attach", 9051, None, True))

    async def set_settings(
        self, *, history: bool | None = None, otr_policy: str | None = None, auto_connect: bool | None = None
    ) -> None:
        self.calls.append(("set_settings", history, otr_policy, auto_connect))
        for key, value in (("history", history), ("otr_policy", otr_policy), ("auto_connect", auto_connect)):
            if value is not None:
                self.prefs[key] = value

    async def unblock_contact(self, account_id: str, jid: str) -> None:
        self.calls.append(("unblock_contact", account_id, jid))

    def list_blocked(self, account_id: str) -> list[str]:
        return [c for c, d in self.contacts.get(account_id, {}).items() if d.get("blocked")]

    def subscription_requests(self, account_id: str) -> list[str]:
        return list(self.requests.get(account_id, []))

    # -- held messages: the TUI fake's rules (release only to the session's key) ------------------

    def hold(
        self,
        account_id: str,
        contact: str,
        ids: tuple[str, ...],
        written_for: tuple[Fingerprint, ...],
        offered: Fingerprint | None,
    ) -> None:
        """Test helper: the core holds ``ids`` written for ``written_for`` because the session
        now has ``offered`` (None: no session now); the test hands the event to the window."""
        self.held[(account_id, contact)] = list(ids)
        self.written_for[(account_id, contact)] = written_for
        if offered is None:
            self.session_key.pop((account_id, contact), None)
        else:
            self.session_key[(account_id, contact)] = offered

    def held_notice(self, account_id: str, contact: str) -> HeldNotice:
        key = self._held_key(account_id, contact)
        ids = tuple(self.held.get(key, []))
        return HeldNotice(ids, self.written_for.get(key, ()) if ids else (), self.session_key.get(key))

    # -- the Tor connection choice (the real validation: timb.core.service.tor_settings) ---------

    async def tor_connection(self) -> TorConnectionInfo:
        if not self.unlocked:
            raise ProfileError("no profile is unlocked: unlock or create one first")
        choice = self.tor_choice
        return TorConnectionInfo(
            None if choice is None else choice.mode,
            None if choice is None else choice.transport,
            0 if choice is None else len(choice.bridges),
            self.transports,
            "2026-12-03",
            self.managed_tor,
            None if self.managed_tor else False,
        )

    async def set_tor_connection(
        self, mode: str, *, transport: str | None = None, lines: str | None = None
    ) -> None:
        self.calls.append(("set_tor_connection", mode, transport, lines))
        try:
            if mode == "custom":
                choice = BridgeChoice.custom(lines or "")
            else:
                choice = BridgeChoice(mode, transport if mode == "builtin" else None)
        except BridgeLineError as exc:
            raise InvalidRequest(f"bridge line {exc.line}: {exc.field}: {exc.reason}") from None
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        if choice.transport is not None and choice.transport not in self.transports:
            raise InvalidRequest(f"no installed program carries {choice.transport}")
        self.tor_choice = choice
