"""Two TIMB clients chat through the private Tor network and Prosody (as an onion service).

Alice is a `TimbService` in this process; Bob is a ``timb jsonrpc`` subprocess with his own client
tor. They do the AKE, exchange 100 messages each way, and Prosody's data directory and logs never
hold any of the texts. Then Bob's process is killed mid-conversation (SIGKILL), Alice keeps
writing, Bob starts again from his profile: the session re-keys by itself and every message
arrives exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.prosody import ProsodyServer, free_port
from tests.fixtures.tor import TorNetwork
from tests.unit.test_core_service import Client
from timb.common.secret import Secret
from timb.core.events import (
    ConnectionState,
    ConnectionStateChanged,
    MessageReceived,
    MessageState,
    MessageStateChanged,
    OtrUnavailable,
)
from timb.core.service import TimbService, TorSettings
from timb.tor.testnet.state import ClientInfo

pytestmark = pytest.mark.integration

N = 100
PASSPHRASE = "integration passphrase"
RESOLVERS = {
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyname_ex",
    "socket.gethostbyaddr",
    "socket.getnameinfo",
}

# The jsonrpc child runs under an audit hook that logs every connect and every name lookup.
_AUDITED_MAIN = """
import json, sys
log = open(sys.argv.pop(1), "a", buffering=1)
RESOLVERS = RESOLVER_SET
def hook(event, args):
    if event == "socket.connect":
        target = list(args[1]) if isinstance(args[1], tuple) else str(args[1])
        log.write(json.dumps(["connect", target]) + "\\n")
    elif event in RESOLVERS:
        log.write(json.dumps([event, str(args[0])]) + "\\n")
sys.addaudithook(hook)
from timb.ui.cli.main import main
sys.exit(main(sys.argv[1:]))
""".replace("RESOLVER_SET", repr(RESOLVERS))

# The in-process client is audited the same way, on the main thread only (fixtures use others).
_audit_log: list[tuple[str, object]] = []
_auditing = threading.Event()


def _hook(event: str, args: tuple[object, ...]) -> None:
    if not _auditing.is_set() or threading.current_thread() is not threading.main_thread():
        return
    if event == "socket.connect":
        _audit_log.append(("connect", args[1]))
    elif event in RESOLVERS:
        _audit_log.append((event, args[0]))


sys.addaudithook(_hook)


def assert_only_tor(log: list[tuple[str, object]], allowed: set[tuple[str, int]]) -> None:
    """Every connect went to one of tor's loopback ports; every lookup was of an IP literal."""
    assert any(kind == "connect" for kind, _ in log), "the audit saw nothing: it is not working"
    for kind, target in log:
        if kind == "connect":
            assert isinstance(target, (tuple, list)), target
            assert (str(target[0]), int(target[1])) in allowed, f"connected to {target}"
        else:
            ip = ipaddress.ip_address(str(target))  # raises for a host name: a local lookup
            assert ip.is_loopback, f"{kind}({target})"


class RpcClient:
    """``timb jsonrpc`` in a subprocess: requests by id, notifications collected."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.notifications: list[dict[str, Any]] = []
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next = 0
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, profile: Path, tor: ClientInfo, audit: Path) -> RpcClient:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _AUDITED_MAIN, str(audit), "jsonrpc", "--profile", str(profile),
            "--tor-control", str(tor.control_port), "--tor-cookie", str(tor.cookie_path),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 22,
            env={**os.environ, "TIMB_OFFLINE": "1"}, start_new_session=True,
        )  # fmt: skip
        return cls(proc)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            message = json.loads(line)
            if "method" in message:
                self.notifications.append(message)
                self._changed.set()
            else:
                self._pending.pop(message["id"]).set_result(message)

    async def call(self, method: str, **params: Any) -> Any:
        self._next += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[self._next] = future
        request = {"jsonrpc": "2.0", "id": self._next, "method": method, "params": params}
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        await self.proc.stdin.drain()
        async with asyncio.timeout(120):
            reply = await future
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return reply["result"]

    async def wait(self, predicate: Callable[[list[dict[str, Any]]], bool], limit: float = 180) -> None:
        async with asyncio.timeout(limit):
            while not predicate(self.notifications):
                self._changed.clear()
                await self._changed.wait()

    def received(self) -> list[str]:
        return [n["params"]["text"] for n in self.notifications if n["method"] == "message.received"]

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    async def close(self) -> None:
        if self.proc.returncode is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                async with asyncio.timeout(30):
                    await self.proc.wait()
            except TimeoutError:
                self.kill()
                await self.proc.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


class Local(Client):
    """The in-process client: a service and its events (tor and Prosody are slower to wait for)."""

    def __init__(self, service: TimbService) -> None:
        super().__init__(service, limit=180)

    def delivered(self, ids: list[str]) -> bool:
        return all(self.service.message_state("main", i) is MessageState.DELIVERED for i in ids)


@contextlib.asynccontextmanager
async def local_client(profile: Path, tor: TorNetwork) -> AsyncIterator[Local]:
    settings = TorSettings(control_port=tor.control_port, cookie_path=tor.control_cookie)
    async with TimbService(profile, tor=settings) as service:
        local = Local(service)
        task = asyncio.create_task(local.collect())
        try:
            yield local
        finally:
            await service.close()
            await task


def connected(notes: list[dict[str, Any]]) -> bool:
    return any(n["method"] == "connection.state" and n["params"]["state"] == "connected" for n in notes)


async def setup_bob(bob: RpcClient, jid: str, password: str, alice: str, onion: str, pin: str) -> None:
    await bob.call("profile.create", passphrase=PASSPHRASE)
    await bob.call("account.add", id="main", jid=jid, password=password, host=onion, tls_pin_sha256=pin)
    await bob.call("contact.add", account="main", jid=alice)
    await bob.call("account.connect", account="main")
    await bob.wait(connected)


async def setup_alice(
    alice: Local, jid: str, password: str, bob: str, onion: str, pin: str, *, create: bool = True
) -> None:
    s = alice.service
    if create:
        await s.create_profile(Secret(PASSPHRASE))
    await s.add_account("main", jid, Secret(password), host=onion, tls_pin_sha256=pin)
    await s.add_contact("main", bob)
    await s.connect("main")
    await alice.wait(
        lambda ev: any(
            isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.CONNECTED for e in ev
        )
    )


def assert_no_plaintext(server: ProsodyServer, texts: list[str]) -> None:
    stored = server.stored_bytes()
    assert stored  # Prosody did write data and logs: the check is not vacuous
    for text in texts:
        assert text.encode() not in stored, "a message text reached Prosody's disk"


async def test_chat_over_tor_and_onion_prosody_then_restart(
    tmp_path: Path,
    tor_network: TorNetwork,
    tor_client: ClientInfo,
    prosody_server: ProsodyServer,
    prosody_onion: str,
    xmpp_accounts: tuple[tuple[str, str], tuple[str, str]],
) -> None:
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    pin = prosody_server.cert_pin
    a_texts = [f"alice to bob, private line {i:03d} zq" for i in range(N)]
    b_texts = [f"bob to alice, private line {i:03d} zq" for i in range(N)]
    audit = tmp_path / "bob-audit.jsonl"
    _audit_log.clear()
    _auditing.set()
    async with local_client(tmp_path / "alice", tor_network) as alice:
        bob = await RpcClient.start(tmp_path / "bob", tor_client, audit)
        try:
            await setup_alice(alice, alice_jid, alice_pw, bob_jid, prosody_onion, pin)
            await setup_bob(bob, bob_jid, bob_pw, alice_jid, prosody_onion, pin)

            # 100 messages each way, sent before any session exists: held, then sent encrypted.
            started = time.monotonic()
            a_ids = [alice.service.send_message("main", bob_jid, t).id for t in a_texts]
            for text in b_texts:
                await bob.call("message.send", account="main", contact=alice_jid, text=text)
            await bob.wait(lambda _: len(bob.received()) >= N)
            await alice.wait(lambda _: len(alice.received()) >= N)
            elapsed = time.monotonic() - started
            print(f"FIGURE: AKE + {N} messages each way over onion Prosody: {elapsed:.2f} s")
            assert bob.received() == a_texts
            assert alice.received() == b_texts
            assert all(
                n["params"]["encrypted"] for n in bob.notifications if n["method"] == "message.received"
            )
            await alice.wait(lambda _: alice.delivered(a_ids))
            assert_no_plaintext(prosody_server, a_texts + b_texts)

            # Bob's process dies without a word; Alice keeps writing.
            bob.kill()
            await bob.close()
            later = [f"alice while bob was dead {i:02d} zq" for i in range(10)]
            later_ids = [alice.service.send_message("main", bob_jid, t).id for t in later]
            bob = await RpcClient.start(tmp_path / "bob", tor_client, audit)
            await bob.call("profile.unlock", passphrase=PASSPHRASE)
            await bob.call("account.connect", account="main")
            await bob.wait(lambda _: len(bob.received()) >= len(later), limit=240)
            await alice.wait(lambda _: alice.delivered(later_ids), limit=240)
            assert bob.received() == later  # each exactly once, in order, none of the old ones
            for msg_id in later_ids:
                # Sent into the dead session, then re-sent in the new one (once more if a second
                # AKE crossed the first before bob acknowledged: he shows each id once, above).
                states = [
                    e.state for e in alice.events if isinstance(e, MessageStateChanged) and e.id == msg_id
                ]
                assert states.count(MessageState.SENT) >= 2 and states[-1] is MessageState.DELIVERED
            # And the conversation goes on both ways in the new session.
            await bob.call("message.send", account="main", contact=alice_jid, text="bob is back zq")
            await alice.wait(lambda _: alice.received()[-1:] == ["bob is back zq"])
            assert_no_plaintext(prosody_server, a_texts + b_texts + later + ["bob is back zq"])
            assert any(
                n["method"] == "tor.bootstrap" and n["params"]["progress"] == 100 for n in bob.notifications
            )
        finally:
            _auditing.clear()
            bob.kill()
            await bob.close()
    alice_tor = {("127.0.0.1", tor_network.control_port), ("127.0.0.1", tor_network.socks_port)}
    assert_only_tor(_audit_log, alice_tor)
    bob_tor = {("127.0.0.1", tor_client.control_port), ("127.0.0.1", tor_client.socks_port)}
    assert_only_tor([(e[0], e[1]) for e in map(json.loads, audit.read_text().splitlines())], bob_tor)


UNKNOWN_ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"


def failed(local: Local, account: str) -> ConnectionStateChanged | None:
    for e in local.events:
        if (
            isinstance(e, ConnectionStateChanged)
            and e.account == account
            and e.state is ConnectionState.FAILED
        ):
            return e
    return None


async def test_clear_errors_and_a_peer_that_refuses_otr(
    tmp_path: Path,
    tor_network: TorNetwork,
    prosody_server: ProsodyServer,
    prosody_onion: str,
    xmpp_accounts: tuple[tuple[str, str], tuple[str, str]],
) -> None:
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    pin = prosody_server.cert_pin
    secret = "this text must never be sent zq"
    async with (
        local_client(tmp_path / "alice", tor_network) as alice,
        local_client(tmp_path / "bob", tor_network) as bob,
    ):
        s = alice.service
        await s.create_profile(Secret(PASSPHRASE))
        await s.add_account(
            "wrongpw", alice_jid, Secret("not the password"), host=prosody_onion, tls_pin_sha256=pin
        )
        await s.add_account("nohost", "carol@timb.test", Secret("pw"), host=UNKNOWN_ONION, tls_pin_sha256=pin)
        await s.connect("wrongpw")
        await s.connect("nohost")
        await alice.wait(
            lambda _: failed(alice, "wrongpw") is not None and failed(alice, "nohost") is not None
        )
        wrong = failed(alice, "wrongpw")
        assert wrong is not None and "refused the credentials" in wrong.detail, wrong
        nohost = failed(alice, "nohost")
        assert nohost is not None and nohost.detail, nohost
        await s.remove_account("wrongpw")

        # Bob refuses OTR for Alice (policy never); Alice insists on it (the default).
        await setup_alice(alice, alice_jid, alice_pw, bob_jid, prosody_onion, pin, create=False)
        await bob.service.create_profile(Secret(PASSPHRASE))
        await bob.service.add_account("main", bob_jid, Secret(bob_pw), host=prosody_onion, tls_pin_sha256=pin)
        await bob.service.add_contact("main", alice_jid, policy="never")
        await bob.service.connect("main")
        await bob.wait(
            lambda ev: any(
                isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.CONNECTED for e in ev
            )
        )
        msg = s.send_message("main", bob_jid, secret).id
        await bob.wait(lambda _: len(bob.received()) == 1)  # Bob's client shows Alice's OTR request
        assert bob.received()[0].startswith("?OTRv")
        bob.service.send_message("main", alice_jid, "I do not use OTR, sorry")  # his choice
        await alice.wait(lambda ev: any(isinstance(e, OtrUnavailable) for e in ev))
        (plain,) = [e for e in alice.events if isinstance(e, MessageReceived)]
        assert plain.text == "I do not use OTR, sorry" and plain.encrypted is False
        assert s.message_state("main", msg) is MessageState.PENDING
        assert secret.encode() not in prosody_server.stored_bytes()

    # Tor is down (nothing listens on its control port): a clear error, no crash.
    settings = TorSettings(control_port=free_port(), cookie_path=tor_network.control_cookie)
    async with TimbService(tmp_path / "carol", tor=settings) as service:
        carol = Local(service)
        task = asyncio.create_task(carol.collect())
        await service.create_profile(Secret(PASSPHRASE))
        await service.add_account("main", "carol@timb.test", Secret("pw"), host=prosody_onion)
        await service.connect("main")
        await carol.wait(lambda _: failed(carol, "main") is not None)
        down = failed(carol, "main")
        assert down is not None and "tor is not available" in down.detail, down
        await service.close()
        await task


def connected_count(local: Local) -> int:
    return sum(
        1
        for e in local.events
        if isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.CONNECTED
    )


async def test_prosody_restart_reconnects_and_the_private_chat_goes_on(
    tmp_path: Path,
    tor_network: TorNetwork,
    prosody_server: ProsodyServer,
    prosody_onion: str,
    xmpp_accounts: tuple[tuple[str, str], tuple[str, str]],
) -> None:
    (alice_jid, alice_pw), (bob_jid, bob_pw) = xmpp_accounts
    pin = prosody_server.cert_pin
    async with (
        local_client(tmp_path / "alice", tor_network) as alice,
        local_client(tmp_path / "bob", tor_network) as bob,
    ):
        await setup_alice(alice, alice_jid, alice_pw, bob_jid, prosody_onion, pin)
        await setup_alice(bob, bob_jid, bob_pw, alice_jid, prosody_onion, pin)
        first = [f"before the server restart {i} zq" for i in range(5)]
        for text in first:
            alice.service.send_message("main", bob_jid, text)
        await bob.wait(lambda _: bob.received() == first)
        await asyncio.sleep(1.5)  # acknowledgements out before the server goes away
        before = (connected_count(alice), connected_count(bob))
        await asyncio.to_thread(prosody_server.restart)
        await alice.wait(lambda _: connected_count(alice) > before[0])
        await bob.wait(lambda _: connected_count(bob) > before[1])
        second = [f"after the server restart {i} zq" for i in range(5)]
        for text in second:
            alice.service.send_message("main", bob_jid, text)
        bob.service.send_message("main", alice_jid, "still private after the restart zq")
        await bob.wait(lambda _: bob.received() == first + second)
        await alice.wait(lambda _: alice.received() == ["still private after the restart zq"])
        assert all(e.encrypted for e in alice.events + bob.events if isinstance(e, MessageReceived))
        assert_no_plaintext(prosody_server, first + second + ["still private after the restart zq"])
