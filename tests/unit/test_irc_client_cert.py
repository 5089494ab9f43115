"""SASL EXTERNAL with the client certificate kept in the profile, at every layer.

Net (timb.net.irc.client_cert): the certificate reaches ssl from memory, through an anonymous
memory file or (elsewhere) a 0600 file in a 0700 directory, with the key re-encrypted under a
one-time password; nothing is left after the load, on error too. Account: EXTERNAL without TLS
is an `InvalidIrcAccount`, and the CAP negotiation refuses it too. Service
(core/service/irc_credentials.py, irc_sasl.py): choosing EXTERNAL makes the certificate, kept
only in the encrypted vault (not in the clear in any profile file, unreadable with a wrong
passphrase, the same after a reopen), its fingerprints shown for NickServ ``CERT ADD``; the
adapter the service builds presents it to a scripted TLS server that requires it, and no key
file exists after the connection, nor after a failed TLS handshake. JSON-RPC: ``account.add``
with ``sasl_mechanism`` and the ``irc.*client_certificate`` methods.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import ssl
import stat
import tempfile
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.unit.test_core_service import PASS
from tests.unit.test_irc_adapter import LAX, ONION, PairDialer, log_in_by_external, server_context
from tests.unit.test_irc_channels import FakeIrcServer
from tests.unit.test_irc_session import feed, sent
from timb.common.secret import Secret
from timb.core.accounts import Account
from timb.core.errors import InvalidRequest, ProfileError
from timb.core.service import TimbService
from timb.core.service.account_book import default_adapter_factory
from timb.core.service.irc_credentials import new_client_certificate
from timb.net.base import ConnectionState
from timb.net.irc.account import CertificatePin, ClientCertificate, IrcAccount
from timb.net.irc.adapter import IrcAdapter
from timb.net.irc.chat import IrcChatAdapter
from timb.net.irc.client_cert import MEMFD_NAME, load_client_certificate
from timb.net.irc.errors import AuthError, InvalidIrcAccount, TlsError
from timb.net.irc.events import SessionFailed
from timb.net.irc.sasl import SaslExternal
from timb.net.irc.session import IrcSession, SessionConfig
from timb.ui.cli.jsonrpc import JsonRpcServer

WRONG = Secret("not the passphrase at all")


def _every_byte(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in directory.rglob("*") if p.is_file())


def _key_der(pem: Secret[str]) -> bytes:
    key = serialization.load_pem_private_key(pem.reveal().encode(), password=None)
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _open_memfds() -> list[str]:
    """This process's descriptors that are our anonymous certificate files."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if MEMFD_NAME in target:
            found.append(target)
    return found


def _leftovers(private_tmp: Path) -> list[str]:
    """Our anonymous certificate files still open, and whatever is in the temporary directory."""
    return _open_memfds() + [p.name for p in private_tmp.iterdir()]


class LoadSpy:
    """Wraps SSLContext.load_cert_chain: what the path held, and its mode, at load time."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[tuple[str, bytes, int, int | None]] = []
        real = ssl.SSLContext.load_cert_chain

        def spy(ctx: ssl.SSLContext, certfile: Any, keyfile: Any = None, password: Any = None) -> None:
            path = str(certfile)
            parent = os.path.dirname(path)
            dir_mode = None if parent == "/proc/self/fd" else stat.S_IMODE(os.stat(parent).st_mode)
            with open(path, "rb") as f:
                held = f.read()
            self.seen.append((path, held, stat.S_IMODE(os.stat(path).st_mode), dir_mode))
            real(ctx, certfile, keyfile, password)

        monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files go to a directory of the test's (to see that none is left)."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


# -- net: into ssl from memory -----------------------------------------------------------------


def test_the_certificate_goes_through_an_anonymous_memory_file_with_the_key_sealed(
    monkeypatch: pytest.MonkeyPatch, private_tmp: Path
) -> None:
    pem = new_client_certificate()
    spy = LoadSpy(monkeypatch)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    load_client_certificate(ctx, ClientCertificate(Secret(pem.reveal().encode())))
    [(path, held, _, _)] = spy.seen
    assert path.startswith("/proc/self/fd/")  # no name in any file system
    assert b"ENCRYPTED PRIVATE KEY" in held and b"-----BEGIN PRIVATE KEY" not in held
    assert _key_der(pem) not in held
    assert _open_memfds() == []  # closed right after the load
    assert list(private_tmp.iterdir()) == []


def test_without_memfd_a_0600_file_in_a_0700_directory_is_removed_after_the_load_even_on_error(
    monkeypatch: pytest.MonkeyPatch, private_tmp: Path
) -> None:
    monkeypatch.delattr(os, "memfd_create")
    spy = LoadSpy(monkeypatch)
    pem = new_client_certificate()
    load_client_certificate(
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), ClientCertificate(Secret(pem.reveal().encode()))
    )
    [(path, held, mode, dir_mode)] = spy.seen
    assert Path(path).parent.parent == private_tmp and (mode, dir_mode) == (0o600, 0o700)
    assert b"ENCRYPTED PRIVATE KEY" in held and _key_der(pem) not in held
    assert list(private_tmp.iterdir()) == []
    # A certificate with another certificate's key: ssl refuses it, and the file goes too.
    other = new_client_certificate().reveal()
    mismatched = (
        pem.reveal().split("-----BEGIN PRIVATE KEY")[0]
        + "-----BEGIN PRIVATE KEY"
        + other.split("-----BEGIN PRIVATE KEY")[1]
    )
    with pytest.raises(TlsError, match="cannot be loaded"):
        load_client_certificate(
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), ClientCertificate(Secret(mismatched.encode()))
        )
    assert len(spy.seen) == 2 and list(private_tmp.iterdir()) == []


@pytest.mark.parametrize(
    "pem",
    [b"", b"not pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"],
)
def test_a_certificate_without_exactly_one_key_is_a_tls_error(pem: bytes) -> None:
    with pytest.raises(TlsError):
        load_client_certificate(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), ClientCertificate(Secret(pem)))


def test_external_without_tls_is_refused_by_the_account_and_by_the_negotiation() -> None:
    cert = ClientCertificate(Secret(new_client_certificate().reveal().encode()))
    with pytest.raises(InvalidIrcAccount, match="EXTERNAL"):
        IrcAccount(host=ONION, nick="alice", tls=False, sasl=SaslExternal(), client_cert=cert)
    with pytest.raises(InvalidIrcAccount, match="inside TLS"):
        IrcAccount(host=ONION, nick="alice", tls=False, client_cert=cert)
    assert "PRIVATE" not in repr(IrcAccount(host=ONION, nick="alice", client_cert=cert, sasl=SaslExternal()))
    s = IrcSession(SessionConfig("alice", sasl=SaslExternal(), tls=False))
    s.start()
    sent(s)
    (event,) = feed(s, "CAP * LS :sasl=EXTERNAL")
    assert isinstance(event, SessionFailed) and isinstance(event.error, AuthError)
    assert "EXTERNAL without TLS" in str(event.error)
    assert not any(line.startswith("AUTHENTICATE") for line in sent(s))


# -- service: made, kept in the vault, presented -------------------------------------------------


async def _external_account(directory: Path, **options: Any) -> Account:
    async with TimbService(directory, adapter_factory=FakeIrcServer().factory) as service:
        await service.create_profile(PASS)
        info = await service.add_account(
            "irc", "alice@irc.test", Secret(""), network="irc", sasl_mechanism="external", **options
        )
        assert info.sasl_mechanism == "EXTERNAL"
        return next(a for a in service._accounts if a.id == "irc")


async def test_choosing_external_makes_a_certificate_kept_only_in_the_encrypted_vault(tmp_path: Path) -> None:
    account = await _external_account(tmp_path)
    assert account.client_cert_pem is not None
    stored = _every_byte(tmp_path)
    assert b"PRIVATE KEY" not in stored and _key_der(account.client_cert_pem) not in stored
    assert b"BEGIN CERTIFICATE" not in stored  # the certificate names nobody, but is the vault's too
    async with TimbService(tmp_path, adapter_factory=FakeIrcServer().factory) as service:
        with pytest.raises(ProfileError):
            await service.unlock_profile(WRONG)
        with pytest.raises(ProfileError):  # nothing readable without the passphrase
            service.irc_sasl.irc_client_certificate("irc")
        await service.unlock_profile(PASS)
        shown = service.irc_sasl.irc_client_certificate("irc")
        [info] = service.list_accounts()
    der = x509.load_pem_x509_certificate(account.client_cert_pem.reveal().encode()).public_bytes(
        serialization.Encoding.DER
    )
    assert shown.sha512 == hashlib.sha512(der).hexdigest() and shown.sha256 == hashlib.sha256(der).hexdigest()
    assert shown.register == f"/msg NickServ CERT ADD {shown.sha512}" and shown.mechanism == "EXTERNAL"
    assert info.sasl_mechanism == "EXTERNAL"
    assert "PRIVATE" not in repr(shown) + repr(info) + repr(account)


async def test_certificate_commands_and_their_refusals(tmp_path: Path) -> None:
    async with TimbService(tmp_path, adapter_factory=FakeIrcServer().factory) as service:
        await service.create_profile(PASS)
        await service.add_account("irc", "alice@irc.test", Secret("pw"), network="irc")
        await service.add_account("x", "alice@xmpp.test", Secret("pw"))
        with pytest.raises(InvalidRequest, match="no client certificate"):
            service.irc_sasl.irc_client_certificate("irc")
        with pytest.raises(InvalidRequest, match="not an IRC account"):
            await service.irc_sasl.make_irc_client_certificate("x")
        with pytest.raises(InvalidRequest, match="IRC settings"):
            await service.update_account("x", sasl_mechanism="EXTERNAL")
        with pytest.raises(InvalidRequest, match="one of"):
            await service.update_account("irc", sasl_mechanism="SCRAM-SHA-256")
        first = await service.irc_sasl.make_irc_client_certificate("irc")
        assert first.mechanism == "auto"  # made: presented, but PLAIN still logs in
        await service.update_account("irc", sasl_mechanism="EXTERNAL")
        # Choosing EXTERNAL keeps the certificate made (and perhaps registered) before.
        assert service.irc_sasl.irc_client_certificate("irc") == dataclasses.replace(
            first, mechanism="EXTERNAL"
        )
        again = await service.irc_sasl.make_irc_client_certificate("irc")
        assert again.sha512 != first.sha512  # a new one replaces it: to be registered again


def _service_adapter(account: Account, dialer: PairDialer) -> IrcAdapter:
    chat = default_adapter_factory(account, dialer)  # type: ignore[arg-type]
    assert isinstance(chat, IrcChatAdapter)
    irc = chat.irc
    assert isinstance(irc._account.sasl, SaslExternal)
    assert isinstance(irc._account.client_cert, ClientCertificate)
    # The scripted server below needs no pacing; the account, certificate and SASL are the service's.
    return IrcAdapter(dataclasses.replace(irc._account, flood=LAX), dialer)


async def test_the_service_built_adapter_presents_the_stored_certificate_and_logs_in_by_external(
    tmp_path: Path, private_tmp: Path
) -> None:
    server_ctx, pin = server_context(tmp_path, "srv")
    account = await _external_account(tmp_path / "p", host=ONION, tls_pin_sha256=pin.digest.hex())
    assert account.client_cert_pem is not None
    stored = x509.load_pem_x509_certificate(account.client_cert_pem.reveal().encode())
    server_ctx.verify_mode = ssl.CERT_REQUIRED  # the server wants a client certificate, this one
    server_ctx.load_verify_locations(cadata=stored.public_bytes(serialization.Encoding.PEM).decode())
    dialer = PairDialer()
    dialer.certificates = [server_ctx]
    adapter = _service_adapter(account, dialer)
    task = asyncio.create_task(adapter.connect())
    server = await dialer.next_server()
    presented = server.writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    assert CertificatePin.of(presented) == CertificatePin.of(stored.public_bytes(serialization.Encoding.DER))
    assert _leftovers(private_tmp) == []  # gone once connected
    await log_in_by_external(server, "alice")
    async with asyncio.timeout(10):
        await task
    assert adapter.state is ConnectionState.CONNECTED
    await adapter.disconnect()
    dialer.close()


@pytest.mark.parametrize("memfd", [True, False])
async def test_no_key_file_is_left_when_the_tls_handshake_fails(
    tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch, memfd: bool
) -> None:
    if not memfd:
        monkeypatch.delattr(os, "memfd_create")
    spy = LoadSpy(monkeypatch)
    account = await _external_account(tmp_path / "p", host=ONION, tls_pin_sha256="ab" * 32)
    dialer = PairDialer()  # no TLS on the far end: it answers the ClientHello with a text line
    adapter = _service_adapter(account, dialer)
    task = asyncio.create_task(adapter.connect())
    server = await dialer.next_server()
    server.send("ERROR :this is not TLS")
    with pytest.raises(TlsError):
        async with asyncio.timeout(10):
            await task
    assert len(spy.seen) == 1  # the certificate was loaded for this connection...
    assert _leftovers(private_tmp) == []  # ...and nothing of it is left
    await adapter.disconnect()
    dialer.close()


# -- JSON-RPC ------------------------------------------------------------------------------------


async def test_jsonrpc_adds_an_external_account_and_shows_the_fingerprint_only(tmp_path: Path) -> None:
    async with TimbService(tmp_path, adapter_factory=FakeIrcServer().factory) as service:
        await service.create_profile(PASS)
        rpc = JsonRpcServer(service)

        async def call(method: str, **params: object) -> Any:
            reply = await rpc.handle_line(
                json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
            )
            assert reply is not None and "PRIVATE" not in reply
            return json.loads(reply)

        added = await call(
            "account.add",
            id="irc",
            jid="alice@irc.test",
            password="",
            network="irc",
            sasl_mechanism="EXTERNAL",
        )
        assert added["result"]["sasl_mechanism"] == "EXTERNAL"
        shown = (await call("irc.client_certificate", account="irc"))["result"]
        assert (
            shown["register"] == f"/msg NickServ CERT ADD {shown['sha512']}" and len(shown["sha512"]) == 128
        )
        made = (await call("irc.make_client_certificate", account="irc"))["result"]
        assert made["sha512"] != shown["sha512"]
        refused = await call("account.update", account="irc", sasl_mechanism="PLAIN")  # no password
        assert refused["error"]["code"] == -32602
        xmpp = await call("account.add", id="x", jid="a@xmpp.test", password="pw")
        assert "sasl_mechanism" not in xmpp["result"] and "answer_ctcp_ping" not in xmpp["result"]
