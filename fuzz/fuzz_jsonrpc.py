"""Fuzz ``timb jsonrpc``'s line handler (`timb.ui.cli.jsonrpc.JsonRpcServer.handle_line`) over a
real `TimbService` (in-memory fake chat server, no tor) (issue 9, item 9).

Inputs are arbitrary lines (decoded so that invalid UTF-8 becomes lone surrogates, as a hostile
escape ``"\\ud800"`` does after parsing), mutations of genuine requests, and deep nestings.

Checked: no exception escapes; every reply is one line of JSON that can be written as UTF-8; the
server still answers the next request.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import sys
import tempfile
from pathlib import Path

from fuzzlib import Provider, check, instrumented, mutate, run

with instrumented():
    from tests.unit.fake_network import FakeServer

    from timb.core.service import TimbService
    from timb.ui.cli.jsonrpc import JsonRpcServer

REQUESTS = [
    {"jsonrpc": "2.0", "id": 1, "method": "profile.exists"},
    {"jsonrpc": "2.0", "id": 2, "method": "profile.create", "params": {"passphrase": "fuzz passphrase"}},
    {"jsonrpc": "2.0", "id": 3, "method": "account.add",
     "params": {"id": "main", "jid": "alice@timb.test", "password": "pw"}},
    {"jsonrpc": "2.0", "id": 4, "method": "contact.add",
     "params": {"account": "main", "jid": "bob@timb.test"}},
    {"jsonrpc": "2.0", "id": 5, "method": "message.send",
     "params": {"account": "main", "contact": "bob@timb.test", "text": "hello \\ud800"}},
    {"jsonrpc": "2.0", "id": 6, "method": "otr.fingerprints", "params": {"account": "main"}},
    {"jsonrpc": "2.0", "id": 7, "method": "smp.start",
     "params": {"account": "main", "contact": "bob@timb.test", "secret": "s", "question": "q"}},
    [{"jsonrpc": "2.0", "id": 8, "method": "contact.list", "params": {"account": "main"}}],
]  # fmt: skip
GENUINE = [json.dumps(r).encode() for r in REQUESTS]
ALIVE = '{"jsonrpc":"2.0","id":"alive","method":"profile.exists"}'

LOOP = asyncio.new_event_loop()
_DIR = tempfile.TemporaryDirectory(prefix="timb-fuzz-jsonrpc-")
SERVICE = TimbService(Path(_DIR.name) / "profile", adapter_factory=FakeServer().factory)
LOOP.run_until_complete(SERVICE.__aenter__())
SERVER = JsonRpcServer(SERVICE)


@atexit.register
def _close() -> None:
    LOOP.run_until_complete(SERVICE.__aexit__(None, None, None))
    LOOP.close()
    _DIR.cleanup()


def _line(p: Provider) -> str:
    match p.number(0, 3):
        case 0:
            return p.rest().decode("utf-8", errors="surrogateescape")
        case 1:
            return mutate(p, p.pick(GENUINE)).decode("utf-8", errors="surrogateescape")
        case 2:
            depth = p.number(1, 200_000)
            return p.pick(["[", '{"a":', '{"jsonrpc":"2.0","id":1,"method":"x","params":[']) * depth
        case _:
            return p.pick(GENUINE).decode()


def _handle(line: str) -> str | None:
    return LOOP.run_until_complete(asyncio.wait_for(SERVER.handle_line(line), 60))


def test_one_input(data: bytes) -> None:
    p = Provider(data)
    for _ in range(p.number(1, 3)):
        reply = _handle(_line(p))
        if reply is not None:
            check("\n" not in reply, "a reply spans lines")
            check(
                reply.encode("utf-8", errors="ignore").decode() == reply, "a reply cannot be written as UTF-8"
            )
            json.loads(reply)
    alive = _handle(ALIVE)
    check(alive is not None and json.loads(alive)["id"] == "alive", "the server stopped answering")


if __name__ == "__main__":
    run(test_one_input, sys.argv)
