"""``timb jsonrpc``'s ``file.*`` methods and notifications (no network: the refusals and shapes)."""

from __future__ import annotations

import json
from pathlib import Path

from timb.core.file_events import FileChanged, FileOffered, FileProgress
from timb.core.service import TimbService
from timb.ui.cli.jsonrpc import JsonRpcServer, event_to_notification
from timb.ui.cli.jsonrpc_files import file_params


async def call(server: JsonRpcServer, method: str, params: dict[str, object]) -> dict[str, object]:
    line = await server.handle_line(
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    )
    assert line is not None
    reply: dict[str, object] = json.loads(line)
    return reply


def test_file_methods_take_their_parameters_from_the_service() -> None:
    assert [(p.name, p.required) for p in file_params("file.send")] == [
        ("account", True),
        ("contact", True),
        ("path", True),
        ("strip_metadata", False),
    ]
    assert [p.name for p in file_params("file.accept")] == ["account", "transfer", "folder"]


async def test_no_private_session_no_file_and_unknown_transfers(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"notes")
    async with TimbService(tmp_path / "p") as service:
        rpc = JsonRpcServer(service)
        assert "result" in await call(rpc, "profile.create", {"passphrase": "pw"})
        added = await call(rpc, "account.add", {"id": "main", "jid": "me@timb.test", "password": "x"})
        assert "result" in added, added
        assert "result" in await call(rpc, "contact.add", {"account": "main", "jid": "bob@timb.test"})
        params = {"account": "main", "contact": "bob@timb.test", "path": str(tmp_path / "a.txt")}
        refused = await call(rpc, "file.send", params)
        assert refused["error"]["code"] == -32003 and "private OTR" in refused["error"]["message"]  # type: ignore[index]
        gone = await call(rpc, "file.cancel", {"account": "main", "transfer": "ft-1"})
        assert gone["error"]["code"] == -32002  # type: ignore[index]


def test_file_events_are_notifications() -> None:
    offer = event_to_notification(FileOffered("main", "bob@timb.test", "ft-1", "a.txt", 5, False))
    assert offer["method"] == "file.offer" and offer["params"]["name"] == "a.txt"
    done = event_to_notification(FileChanged("main", "bob@timb.test", "ft-1", "incoming", "completed"))
    assert done["method"] == "file" and done["params"]["state"] == "completed"
    moved = event_to_notification(FileProgress("main", "b@t", "ft-1", "outgoing", 1, 2, 1.0, 1.0))
    assert moved["method"] == "file.progress"
