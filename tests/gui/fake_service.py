"""The TUI's fake service (tests/tui/fake_service.py) with the few commands only the GUI calls."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.tui.fake_service import OURS, THEIRS, FakeService
from timb.common.secret import Secret
from timb.core.service.results import AccountInfo, SettingsInfo, TorInfo

__all__ = ["OURS", "THEIRS", "GuiFakeService"]


class GuiFakeService(FakeService):
    def __init__(self, *, profile: str | None = None) -> None:
        super().__init__(profile=profile)
        self.closed = False
        self.prefs: dict[str, Any] = {"history": False, "otr_policy": "always", "auto_connect": False}
        self.requests: dict[str, list[str]] = {}

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
        return replace(info, network=network)

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
