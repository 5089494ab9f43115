"""``timb jsonrpc``'s onion methods and notifications over a service on `FakeNet` (no tor)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.onion_fakes import FakeNet
from timb.core.onion_events import OnionMessageReceived, OnionMessageState, OnionMessageStateChanged
from timb.core.service import TimbService
from timb.ui.cli.jsonrpc import JsonRpcServer, event_to_notification


async def call(server: JsonRpcServer, method: str, params: dict[str, object]) -> dict[str, object]:
    line = await server.handle_line(
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    )
    assert line is not None
    reply: dict[str, object] = json.loads(line)
    return reply


async def test_identities_contacts_and_a_waiting_message_over_json_rpc(tmp_path: Path) -> None:
    net = FakeNet()
    async with TimbService(tmp_path / "p", onion_peer_factory=net.factory) as service:
        rpc = JsonRpcServer(service)
        assert "result" in await call(rpc, "profile.create", {"passphrase": "pw"})
        created = await call(rpc, "onion.identity.create", {"identity": "me", "nickname": "A"})
        assert "result" in created, created
        me = created["result"]
        assert isinstance(me, dict) and str(me["address"]).startswith("ricochet:") and not me["online"]
        burner = await call(rpc, "onion.identity.create", {"identity": "b", "burner_seconds": 3600})
        assert burner["result"]["burner"] is True  # type: ignore[index]
        listed = await call(rpc, "onion.identity.list", {})
        assert "result" in listed, listed
        other = listed["result"]
        assert [i["id"] for i in other] == ["me", "b"]  # type: ignore[union-attr]
        b_addr = other[1]["address"]  # type: ignore[index]
        added = await call(rpc, "onion.contact.add", {"identity": "me", "contact": b_addr, "message": "hi"})
        assert added["result"] == {
            "contact": b_addr,
            "status": "requested",
            "verified": True,
            "nickname": "",
            "online": False,
        }
        sent = await call(rpc, "onion.message.send", {"identity": "me", "contact": b_addr, "text": "later"})
        state = await call(rpc, "onion.message.state", {"identity": "me", "id": sent["result"]})
        assert state["result"] == "waiting"
        bad = await call(rpc, "onion.contact.add", {"identity": "me", "contact": "ricochet:nope"})
        assert bad["error"]["code"] == -32602  # type: ignore[index]
        missing = await call(rpc, "onion.contact.accept", {"identity": "me", "contact": b_addr})
        assert missing["error"]["code"] == -32002  # type: ignore[index]
        assert "result" in await call(rpc, "onion.identity.delete", {"identity": "b"})


def test_onion_events_are_notifications() -> None:
    n = event_to_notification(OnionMessageStateChanged("m1", OnionMessageState.WAITING, "me", "ricochet:x"))
    assert n["method"] == "onion.message.state" and n["params"]["state"] == "waiting"
    r = event_to_notification(OnionMessageReceived("me", "ricochet:x", "hello", False))
    assert r["method"] == "onion.message.received" and r["params"]["text"] == "hello"
