"""CTCP PING is answered only if the user turns it on for the IRC account: off by default in the
account record, on through account.add/update (service and JSON-RPC), kept across a reopen of
the profile, handed to the adapter the service builds; refused for an XMPP account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_core_service import PASS
from tests.unit.test_irc_channels import FakeIrcServer
from timb.common.secret import Secret
from timb.core.service import InvalidRequest, TimbService
from timb.core.service.account_book import default_adapter_factory
from timb.net.irc.chat import IrcChatAdapter
from timb.ui.cli.jsonrpc import JsonRpcServer


def _answers_ping(service: TimbService, account_id: str) -> bool:
    """What the adapter the service would build for the account is told (the net layer's
    ``answer_ctcp_ping``, tested in test_irc_session.py)."""
    account = next(a for a in service._accounts if a.id == account_id)
    chat = default_adapter_factory(account, object())  # type: ignore[arg-type]  # nothing dials here
    assert isinstance(chat, IrcChatAdapter)
    return chat.irc._account.answer_ctcp_ping


async def test_ctcp_ping_is_off_by_default_on_when_set_and_kept_across_a_reopen(tmp_path: Path) -> None:
    async with TimbService(tmp_path, adapter_factory=FakeIrcServer().factory) as service:
        await service.create_profile(PASS)
        off = await service.add_account("off", "alice@irc.test", Secret(""), network="irc")
        on = await service.add_account("on", "bob@irc.test", Secret(""), network="irc", answer_ctcp_ping=True)
        assert (off.answer_ctcp_ping, on.answer_ctcp_ping) == (False, True)
        assert (_answers_ping(service, "off"), _answers_ping(service, "on")) == (False, True)
        await service.add_account("x", "alice@xmpp.test", Secret("pw"))
        with pytest.raises(InvalidRequest, match="IRC settings"):
            await service.update_account("x", answer_ctcp_ping=True)
        with pytest.raises(InvalidRequest, match="IRC settings"):
            await service.add_account("y", "bob@xmpp.test", Secret("pw"), answer_ctcp_ping=True)
        assert [a.id for a in service.list_accounts()] == ["off", "on", "x"]  # nothing added
        await service.update_account("off", answer_ctcp_ping=True)
        await service.update_account("on", answer_ctcp_ping=False)
    async with TimbService(tmp_path, adapter_factory=FakeIrcServer().factory) as service:
        await service.unlock_profile(PASS)
        shown = {a.id: a.answer_ctcp_ping for a in service.list_accounts()}
        assert shown == {"off": True, "on": False, "x": None}  # None: not an IRC setting
        assert (_answers_ping(service, "off"), _answers_ping(service, "on")) == (True, False)


async def test_jsonrpc_account_add_and_update_set_ctcp_ping(tmp_path: Path) -> None:
    async with TimbService(tmp_path, adapter_factory=FakeIrcServer().factory) as service:
        await service.create_profile(PASS)
        rpc = JsonRpcServer(service)

        async def call(method: str, **params: object) -> Any:
            request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            reply = await rpc.handle_line(json.dumps(request))
            assert reply is not None
            return json.loads(reply)

        added = await call("account.add", id="irc", jid="alice@irc.test", password="", network="irc")
        assert added["result"]["answer_ctcp_ping"] is False
        updated = await call("account.update", account="irc", answer_ctcp_ping=True)
        assert updated["result"]["answer_ctcp_ping"] is True and _answers_ping(service, "irc")
        wrong = await call("account.update", account="irc", answer_ctcp_ping="yes")
        assert wrong["error"]["code"] == -32602 and _answers_ping(service, "irc")
