"""``timb jsonrpc``: the protocol layer over a service with a fake network, and the process itself."""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.fake_network import FakeServer
from timb.core.events import (
    MessageReceived,
    MessageState,
    MessageStateChanged,
    OtrUnavailable,
    PresenceChanged,
    SubscriptionRequested,
    TorFailed,
)
from timb.core.service import TimbService
from timb.ui.cli import jsonrpc
from timb.ui.cli.jsonrpc import JsonRpcServer, event_to_notification

SECRET_PASSPHRASE = "passphrase-that-must-never-be-echoed"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[JsonRpcServer]:
    async with TimbService(tmp_path / "profile", adapter_factory=FakeServer().factory) as service:
        yield JsonRpcServer(service)


async def call(server: JsonRpcServer, method: str, params: object = None, rid: object = 1) -> dict:
    request: dict[str, object] = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        request["params"] = params
    line = await server.handle_line(json.dumps(request))
    assert line is not None and "\n" not in line
    return json.loads(line)


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("{not json", -32700),
        ("\xff\xfe garbage", -32700),
        ("[]", -32600),
        ("42", -32600),
        ('"a string"', -32600),
        ('{"id": 1, "method": "account.list"}', -32600),  # no "jsonrpc": "2.0"
        ('{"jsonrpc": "1.0", "id": 1, "method": "account.list"}', -32600),
        ('{"jsonrpc": "2.0", "id": 1, "method": 7}', -32600),
        ('{"jsonrpc": "2.0", "id": {"x": 1}, "method": "account.list"}', -32600),
        ('{"jsonrpc": "2.0", "id": 1, "method": "no.such.method"}', -32601),
        ('{"jsonrpc": "2.0", "id": 1, "method": "profile.create", "params": ["positional"]}', -32602),
        ('{"jsonrpc": "2.0", "id": 1, "method": "profile.create", "params": {}}', -32602),
        ('{"jsonrpc": "2.0", "id": 1, "method": "profile.create", "params": {"passphrase": 5}}', -32602),
        ('{"jsonrpc": "2.0", "id": 1, "method": "account.list", "params": {"extra": 1}}', -32602),
        ('{"jsonrpc": "2.0", "id": 1, "method": "account.list"}', -32001),  # no profile unlocked
    ],
)
async def test_bad_lines_get_error_replies(server: JsonRpcServer, line: str, code: int) -> None:
    reply = json.loads(await server.handle_line(line) or "null")
    assert reply["jsonrpc"] == "2.0"
    assert reply["error"]["code"] == code
    assert isinstance(reply["error"]["message"], str) and reply["error"]["message"]
    assert "result" not in reply
    # the server still answers afterwards
    assert (await call(server, "profile.exists"))["result"] is False


async def test_notifications_get_no_reply_and_blank_lines_are_ignored(server: JsonRpcServer) -> None:
    assert await server.handle_line('{"jsonrpc": "2.0", "method": "profile.exists"}') is None
    assert await server.handle_line('{"jsonrpc": "2.0", "method": "no.such"}') is None
    assert await server.handle_line("   ") is None


async def test_batch(server: JsonRpcServer) -> None:
    line = json.dumps(
        [
            {"jsonrpc": "2.0", "id": "a", "method": "profile.exists"},
            {"jsonrpc": "2.0", "method": "profile.exists"},
            {"jsonrpc": "2.0", "id": "b", "method": "nope"},
        ]
    )
    replies = json.loads(await server.handle_line(line) or "[]")
    assert [r["id"] for r in replies] == ["a", "b"]
    assert replies[0]["result"] is False and replies[1]["error"]["code"] == -32601


async def test_secrets_are_never_echoed(server: JsonRpcServer) -> None:
    reply = await call(server, "profile.unlock", {"passphrase": SECRET_PASSPHRASE})
    assert reply["error"]["code"] == -32001
    await call(server, "profile.create", {"passphrase": SECRET_PASSPHRASE})
    wrong = await call(server, "profile.create", {"passphrase": SECRET_PASSPHRASE})
    bad_type = await call(server, "account.add", {"id": "a", "jid": "a@b.c", "password": 12})
    bad_jid = await call(server, "account.add", {"id": "a", "jid": "bad jid", "password": SECRET_PASSPHRASE})
    for reply in (wrong, bad_type, bad_jid):
        assert "error" in reply
        assert SECRET_PASSPHRASE not in json.dumps(reply)
    ok = await call(server, "account.add", {"id": "a", "jid": "a@b.c", "password": SECRET_PASSPHRASE})
    assert SECRET_PASSPHRASE not in json.dumps(ok)
    assert ok["result"]["jid"] == "a@b.c" and ok["result"]["fingerprint"]
    listed = await call(server, "account.list")
    assert SECRET_PASSPHRASE not in json.dumps(listed)
    updated = await call(server, "account.update", {"account": "a", "auto_connect": True, "port": 5223})
    assert updated["result"]["auto_connect"] is True and updated["result"]["port"] == 5223
    bad = await call(server, "account.update", {"account": "a", "password": SECRET_PASSPHRASE, "port": 0})
    assert bad["error"]["code"] == -32602 and SECRET_PASSPHRASE not in json.dumps(bad)


async def test_a_session_of_commands(server: JsonRpcServer) -> None:
    assert (await call(server, "profile.create", {"passphrase": "pw pw"}))["result"] is None
    await call(server, "account.add", {"id": "a", "jid": "alice@timb.test", "password": "x", "port": 5222})
    assert (await call(server, "contact.add", {"account": "a", "jid": "bob@timb.test"}))["result"] is None
    contacts = (await call(server, "contact.list", {"account": "a"}))["result"]
    assert contacts == [
        {
            "jid": "bob@timb.test",
            "policy": "always",
            "otr": "not private",
            "presence": "offline",
            "subscription": None,
            "history": False,
            "blocked": False,
        }
    ]
    sent = await call(server, "message.send", {"account": "a", "contact": "bob@timb.test", "text": "hi bob"})
    msg_id = sent["result"]["id"]
    state = await call(server, "message.state", {"account": "a", "id": msg_id})
    assert state["result"] == "pending"  # no private session: held, never sent in the clear
    missing = await call(server, "message.state", {"account": "a", "id": "nope"})
    assert missing["error"]["code"] == -32002
    fps = (await call(server, "otr.fingerprints", {"account": "a", "contact": "bob@timb.test"}))["result"]
    assert fps["theirs"] is None and len(fps["ours"]) == 44
    bad = await call(server, "trust.set", {"account": "a", "contact": "bob@timb.test", "fingerprint": "zz"})
    assert bad["error"]["code"] == -32602
    good = await call(
        server, "trust.set", {"account": "a", "contact": "bob@timb.test", "fingerprint": "ab" * 20}
    )
    assert good["result"]["trust"] == "verified"
    smp = await call(
        server, "smp.start", {"account": "a", "contact": "bob@timb.test", "secret": SECRET_PASSPHRASE}
    )
    assert smp["error"]["code"] == -32602 and "private" in smp["error"]["message"]
    assert SECRET_PASSPHRASE not in json.dumps(smp)
    assert (await call(server, "account.remove", {"account": "a"}))["result"] is None
    assert (await call(server, "account.list"))["result"] == []


async def test_settings_blocking_and_subscriptions(server: JsonRpcServer) -> None:
    await call(server, "profile.create", {"passphrase": "pw pw"})
    await call(server, "account.add", {"id": "a", "jid": "alice@timb.test", "password": "x"})
    await call(server, "contact.add", {"account": "a", "jid": "bob@timb.test"})
    settings = (await call(server, "settings.get"))["result"]
    assert (settings["otr_policy"], settings["history"], settings["tor"]["mode"]) == ("always", False, "none")
    assert (await call(server, "settings.set", {"otr_policy": "opportunistic"}))["result"] is None
    assert (await call(server, "settings.get"))["result"]["otr_policy"] == "opportunistic"
    bad = await call(server, "settings.set", {"otr_policy": "sometimes"})
    assert bad["error"]["code"] == -32602
    assert (await call(server, "settings.set", {"history": "yes"}))["error"]["code"] == -32602
    policy = {"account": "a", "jid": "bob@timb.test", "policy": "never"}
    assert (await call(server, "contact.set_policy", policy))["result"] is None
    assert (await call(server, "contact.list", {"account": "a"}))["result"][0]["policy"] == "never"
    bob = {"account": "a", "jid": "bob@timb.test"}
    assert (await call(server, "contact.block", bob))["result"] is None
    assert (await call(server, "contact.blocked", {"account": "a"}))["result"] == ["bob@timb.test"]
    assert (await call(server, "contact.unblock", bob))["result"] is None
    assert (await call(server, "contact.requests", {"account": "a"}))["result"] == []
    offline = await call(server, "contact.approve", bob)
    assert offline["error"]["code"] == -32003  # not connected: Unavailable
    made = (await call(server, "account.register", {"id": "burner", "server": "timb.test"}))["result"]
    assert made["id"] == "burner" and made["jid"].startswith("timb-") and made["connected"] is True
    assert "password" not in made


async def test_libotr_export_then_import(server: JsonRpcServer, tmp_path: Path) -> None:
    await call(server, "profile.create", {"passphrase": "pw pw"})
    added = await call(server, "account.add", {"id": "a", "jid": "alice@timb.test", "password": "x"})
    key = str(tmp_path / "otr.private_key")
    out = await call(server, "libotr.export", {"account": "a", "private_key_path": key})
    assert out["result"]["fingerprint"] == added["result"]["fingerprint"]
    again = await call(server, "libotr.export", {"account": "a", "private_key_path": key})
    assert again["error"]["code"] == -32602 and "exists" in again["error"]["message"]
    imported = await call(server, "libotr.import", {"account": "a", "private_key_path": key})
    assert imported["result"] == {"fingerprint": added["result"]["fingerprint"], "fingerprints_imported": 0}
    missing = await call(server, "libotr.import", {"account": "a", "private_key_path": key + ".nope"})
    assert missing["error"]["code"] == -32602 and "cannot read" in missing["error"]["message"]


def test_events_become_notifications() -> None:
    note = event_to_notification(MessageReceived("a", "bob@timb.test", "hi", True, False))
    assert note == {
        "jsonrpc": "2.0",
        "method": "message.received",
        "params": {
            "account": "a",
            "contact": "bob@timb.test",
            "text": "hi",
            "encrypted": True,
            "verified": False,
        },
    }
    state = event_to_notification(MessageStateChanged("id1", MessageState.SENT, "a", "b@c.d"))
    assert state["method"] == "message.state" and state["params"]["state"] == "sent"
    assert event_to_notification(OtrUnavailable("a", "b@c.d", "why"))["method"] == "otr.unavailable"
    assert set(jsonrpc.NOTIFICATIONS.values()) >= {"tor.bootstrap", "connection.state", "key.changed"}
    assert event_to_notification(TorFailed("no tor")) == {
        "jsonrpc": "2.0",
        "method": "tor.failed",
        "params": {"message": "no tor"},
    }
    presence = event_to_notification(PresenceChanged("a", "b@c.d", "away"))
    assert presence["method"] == "contact.presence" and presence["params"]["presence"] == "away"
    request = event_to_notification(SubscriptionRequested("a", "b@c.d"))
    assert request["method"] == "contact.subscription_request"


def test_the_process_survives_bad_lines_and_ends_at_eof(tmp_path: Path) -> None:
    lines = [
        "this is not json",
        "y" * 3_000_000,  # over the line limit: error replies, and reading goes on
        json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "profile.create", "params": {"passphrase": "pw pw"}}
        ),
        json.dumps({"jsonrpc": "2.0", "id": 2, "method": "nope"}),
        json.dumps({"jsonrpc": "2.0", "id": 3, "method": "account.list"}),
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "timb.ui.cli.main", "jsonrpc", "--profile", str(tmp_path / "p")],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    replies = [json.loads(line) for line in proc.stdout.splitlines()]
    by_id = {r.get("id"): r for r in replies if "method" not in r}
    assert by_id[None]["error"]["code"] == -32700
    assert by_id[1]["result"] is None
    assert by_id[2]["error"]["code"] == -32601
    assert by_id[3]["result"] == []
    assert (tmp_path / "p" / "vault.timb").exists()


def test_requests_from_a_regular_file(tmp_path: Path) -> None:
    requests = tmp_path / "requests.jsonl"
    requests.write_text(
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "profile.exists"}) + "\n" + "x" * 3_000_000 + "\n"
        + json.dumps({"jsonrpc": "2.0", "id": 2, "method": "profile.exists"}) + "\n"
    )  # fmt: skip
    with requests.open() as stdin:
        proc = subprocess.run(
            [sys.executable, "-m", "timb.ui.cli.main", "jsonrpc", "--profile", str(tmp_path / "p")],
            stdin=stdin, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    replies = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["result"] for r in replies if r.get("id") in (1, 2)] == [False, False]
    assert all(r["error"]["code"] == -32700 for r in replies if r.get("id") is None)


async def test_shutdown_method_ends_serving(tmp_path: Path) -> None:
    async with TimbService(tmp_path / "p", adapter_factory=FakeServer().factory) as service:
        server = JsonRpcServer(service)
        reply = await call(server, "shutdown")
        assert reply["result"] is None and server.shutdown_requested.is_set()
    await asyncio.sleep(0)


def test_an_internal_error_ends_the_process_with_a_redacted_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Python's own traceback would print the exception's message, which may quote a message.
    async def crash(_args: object) -> int:
        raise KeyError(" ".join(["meet at the", "north", "gate"]))  # not in the source line

    monkeypatch.setattr(jsonrpc, "_main", crash)
    assert jsonrpc._run(argparse.Namespace()) == 1
    err = capsys.readouterr().err
    assert "north gate" not in err
    assert "KeyError" in err


# -- any line (issue 9, item 9) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("[" * 100_000 + "]" * 100_000, -32700),  # RecursionError inside json.loads
        ('{"a":' * 50_000 + "1" + "}" * 50_000, -32700),
        ("1" * 5000, -32700),  # over Python's int digit limit: ValueError, not JSONDecodeError
        ('{"jsonrpc": "2.0", "id": 1, "method": "profile.create", '
         '"params": {"passphrase": "\\ud800"}}', -32602),
        ('{"jsonrpc": "2.0", "id": 1, "method": "message.send", "params": '
         '{"account": "main", "contact": "bob@timb.test", "text": "a \\udfff b"}}', -32602),
    ],
)  # fmt: skip
async def test_deep_nesting_and_lone_surrogates_get_errors_and_reading_goes_on(
    server: JsonRpcServer, line: str, code: int
) -> None:
    reply = json.loads(await server.handle_line(line) or "null")
    assert reply["error"]["code"] == code
    assert (await call(server, "profile.exists"))["result"] is False


async def test_a_request_id_with_a_lone_surrogate_is_answered_as_an_escape(server: JsonRpcServer) -> None:
    line = await server.handle_line('{"jsonrpc": "2.0", "id": "x\\ud800", "method": "profile.exists"}')
    assert line is not None
    line.encode("utf-8")  # writable to stdout
    assert json.loads(line) == {"jsonrpc": "2.0", "id": "x\ud800", "result": False}


async def test_the_service_refuses_a_lone_surrogate_before_otr_sees_it(tmp_path: Path) -> None:
    from timb.common.secret import Secret  # noqa: PLC0415
    from timb.core.service import InvalidRequest, ProfileError  # noqa: PLC0415

    async with TimbService(tmp_path / "p", adapter_factory=FakeServer().factory) as service:
        with pytest.raises(ProfileError, match="Unicode"):
            await service.create_profile(Secret("pass\ud800"))
        await service.create_profile(Secret("a passphrase"))
        await service.add_account("main", "alice@timb.test", Secret("pw"))
        await service.add_contact("main", "bob@timb.test", policy="opportunistic")
        service.start_otr("main", "bob@timb.test")
        for text in ("\ud800", "ok \udfff", "\udbff\udc00x\ud800"):
            with pytest.raises(InvalidRequest, match="Unicode") as caught:
                service.send_message("main", "bob@timb.test", text)
            assert text not in str(caught.value)
        with pytest.raises(InvalidRequest, match="Unicode"):
            service.smp_start("main", "bob@timb.test", Secret("s"), "what\ud800?")
        with pytest.raises(InvalidRequest, match="Unicode"):
            await service.add_contact("main", "b\ud800@timb.test")


_METHODS = sorted(
    {"profile.exists", "profile.create", "profile.unlock", "account.add", "account.list", "account.update",
     "account.remove", "account.connect", "contact.add", "contact.list", "contact.block", "settings.get",
     "settings.set", "libotr.import", "libotr.export", "message.send", "message.state", "otr.start",
     "otr.end", "otr.fingerprints", "trust.set", "smp.start", "smp.respond", "smp.abort", "history.set",
     "history.read", "history.delete", "no.such"}
)  # fmt: skip
_NAMES = ["passphrase", "id", "jid", "password", "host", "port", "account", "contact", "text", "policy",
          "fingerprint", "trust", "secret", "question", "enabled", "private_key_path", "fingerprints_path",
          "history", "otr_policy", "auto_connect", "tls_pin_sha256"]  # fmt: skip


def _json_lines() -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False),
        st.text(max_size=40),
    )
    value = st.recursive(
        leaf,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=8,
    )
    request = st.fixed_dictionaries(
        {"jsonrpc": st.sampled_from(["2.0", "2.0", "1.0"]), "method": st.sampled_from(_METHODS)},
        optional={
            "id": st.one_of(st.integers(), st.text(max_size=8), st.none(), value),
            "params": st.dictionaries(st.sampled_from(_NAMES), value, max_size=4) | value,
        },
    )
    nested = st.integers(1, 20_000).map(lambda n: "[" * n + "]" * n)
    return st.one_of(
        st.text(max_size=200),  # anything, lone surrogates included
        request.map(json.dumps),  # escapes: "\\ud800" arrives as a lone surrogate after parsing
        request.map(lambda r: json.dumps(r, ensure_ascii=False, allow_nan=True)),
        st.lists(request, max_size=3).map(json.dumps),
        nested,
    )


def test_any_line_gets_at_most_one_well_formed_reply_and_reading_goes_on(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    service = TimbService(tmp_path / "p", adapter_factory=FakeServer().factory)
    loop.run_until_complete(service.__aenter__())
    server = JsonRpcServer(service)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(_json_lines(), min_size=1, max_size=4))
    def check(lines: list[str]) -> None:
        for line in lines:
            reply = loop.run_until_complete(asyncio.wait_for(server.handle_line(line), 60))
            if reply is not None:
                assert "\n" not in reply
                reply.encode("utf-8")  # writable to stdout
                json.loads(reply)
        alive = loop.run_until_complete(
            server.handle_line('{"jsonrpc":"2.0","id":0,"method":"profile.exists"}')
        )
        assert alive is not None and json.loads(alive)["id"] == 0

    try:
        check()
    finally:
        loop.run_until_complete(service.__aexit__(None, None, None))
        loop.close()
