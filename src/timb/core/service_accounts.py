"""The account commands of `TimbService`: add, update, list, remove, connect."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from timb.common.errors import InvalidIdentifier
from timb.common.secret import Secret
from timb.core.accounts import Account, AccountError, normalise_pin
from timb.core.errors import InvalidRequest, Unavailable
from timb.core.service_base import ServiceBase
from timb.net import base as net
from timb.otr import PrivateKey


class AccountCommands(ServiceBase):
    async def add_account(
        self,
        account_id: str,
        jid: str,
        password: Secret[str],
        *,
        host: str | None = None,
        port: int = 5222,
        tls_pin_sha256: str | None = None,
        auto_connect: bool = False,
    ) -> dict[str, Any]:
        """Add an account (with a new OTR key); returns its public description.

        Raises: ProfileError, InvalidRequest.
        """
        self._require_profile()
        try:
            account = self._accounts.add(
                account_id,
                jid,
                password,
                self._rng,
                host=host,
                port=port,
                tls_pin_sha256=tls_pin_sha256,
                auto_connect=auto_connect,
            )
        except (AccountError, InvalidIdentifier) as exc:
            raise InvalidRequest(str(exc)) from None
        key = await asyncio.to_thread(PrivateKey.generate)
        self._otr_keys()[account.id] = [format(n, "x") for n in key.numbers()]
        self._runtime_for(account, key)
        await self._save()
        return self._describe(account)

    async def update_account(
        self,
        account_id: str,
        *,
        password: Secret[str] | None = None,
        host: str | None = None,
        port: int | None = None,
        tls_pin_sha256: str | None = None,
        auto_connect: bool | None = None,
    ) -> dict[str, Any]:
        """Change an account's settings (those given); they apply at the next connection.

        Raises: NotFound, InvalidRequest.
        """
        runtime = self._runtime(account_id)
        changes: dict[str, Any] = {
            "password": password,
            "host": host,
            "port": port,
            "tls_pin_sha256": normalise_pin(tls_pin_sha256),
            "auto_connect": auto_connect,
        }
        try:
            account = self._accounts.update(account_id, **{k: v for k, v in changes.items() if v is not None})
        except (AccountError, InvalidIdentifier) as exc:
            raise InvalidRequest(str(exc)) from None
        runtime.account = account
        await self._save()
        return self._describe(account)

    def list_accounts(self) -> list[dict[str, Any]]:
        self._require_profile()
        return [self._describe(a) for a in self._accounts]

    async def remove_account(self, account_id: str) -> None:
        """Disconnect and forget an account, its key and contacts. Raises: NotFound."""
        runtime = self._runtime(account_id)
        await runtime.link.stop()
        for contact in self._contacts(account_id):
            runtime.conversations.fail_pending(contact)
        self._pump(runtime)
        self._accounts.remove(account_id)
        self._otr_keys().pop(account_id, None)
        self._require_profile().vault.section("contacts").pop(account_id, None)
        del self._runtimes[account_id]
        await self._save()

    async def connect(self, account_id: str) -> None:
        """Start connecting (returns at once; progress comes as ConnectionStateChanged)."""
        runtime = self._runtime(account_id)
        if runtime.link.running:
            return
        if self._group is None:
            raise Unavailable("the service is not running (use it with 'async with')")
        runtime.link.task = self._group.create_task(
            runtime.link.run(
                lambda: self._make_adapter(runtime.account), lambda e: self._on_net_event(runtime, e)
            ),
            name=f"timb-account-{account_id}",
        )

    async def disconnect(self, account_id: str) -> None:
        await self._runtime(account_id).link.stop()

    def _describe(self, account: Account) -> dict[str, Any]:
        runtime = self._runtimes.get(account.id)
        info = account.public()
        info["connected"] = bool(runtime and runtime.link.connected.is_set())
        if runtime is not None:
            info["fingerprint"] = runtime.key.fingerprint().human()
        return info

    async def register_account(
        self,
        account_id: str,
        server: str,
        *,
        host: str | None = None,
        port: int = 5222,
        tls_pin_sha256: str | None = None,
    ) -> dict[str, Any]:
        """Create a throwaway account on ``server`` by in-band registration (XEP-0077) with a
        random name and password, through tor like any connection; returns its description
        (as `add_account`) once the server accepted it and the account is connected.

        On failure nothing is kept (the account is removed again).

        Raises: ProfileError, InvalidRequest (a bad argument), Unavailable (tor or the server
        unreachable, the server refused: registration not allowed, name taken; or the
        network adapter cannot register accounts).
        """
        username = "timb-" + self._rng.randbytes(6).hex()
        password = Secret(base64.urlsafe_b64encode(self._rng.randbytes(18)).decode())
        await self.add_account(
            account_id, f"{username}@{server}", password, host=host, port=port, tls_pin_sha256=tls_pin_sha256
        )
        runtime = self._runtime(account_id)
        self._registering.add(account_id)
        try:
            await self.connect(account_id)
            registered = await runtime.link.settled()
        finally:
            self._registering.discard(account_id)
        if not registered:
            reason = runtime.link.last_error or "no session"
            await self.remove_account(account_id)
            raise Unavailable(f"could not register an account on {server}: {reason}")
        return self._describe(runtime.account)

    async def _make_adapter(self, account: Account) -> net.Adapter:
        """Raises: Unavailable when tor could not be reached, or registration was asked of an
        adapter that cannot do it."""
        adapter = self._adapter_factory(account, await self._tor.dialer())
        if account.id in self._registering:
            register = getattr(adapter, "register_on_connect", None)
            if register is None:
                raise Unavailable("this network cannot create accounts in-band")
            register()
        return adapter
