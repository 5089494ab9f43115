"""SASL ECDSA-NIST256P-CHALLENGE keys for IRC accounts (core/service/irc_sasl.py): made, kept in
the encrypted profile across a restart, never shown but for the public part, used at connect."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from tests.unit.test_core_service import PASS
from tests.unit.test_irc_channels import FakeIrcServer
from timb.common.secret import Secret
from timb.core.service import InvalidRequest, TimbService
from timb.core.service.account_book import default_adapter_factory
from timb.net.irc.chat import IrcChatAdapter
from timb.net.irc.sasl import SaslEcdsa, SaslExchange


def _every_byte(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in directory.rglob("*") if p.is_file())


class NoDialer:
    async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
        raise AssertionError("nothing connects in this test")


async def test_a_sasl_key_is_made_kept_encrypted_and_used_at_the_next_connection(tmp_path: Path) -> None:
    server = FakeIrcServer()
    async with TimbService(tmp_path, adapter_factory=server.factory) as service:
        await service.create_profile(PASS)
        await service.add_account("irc", "alice@irc.test", Secret("pw"), network="irc")
        await service.add_account("x", "alice@xmpp.test", Secret("pw"))
        with pytest.raises(InvalidRequest, match="no SASL key"):
            service.irc_sasl.irc_sasl_key("irc")
        with pytest.raises(InvalidRequest, match="not an IRC account"):
            await service.irc_sasl.make_irc_sasl_key("x")
        made = await service.irc_sasl.make_irc_sasl_key("irc")
        assert made.mechanism == "ECDSA-NIST256P-CHALLENGE"
        assert made.register == f"/msg NickServ SET PUBKEY {made.public_key}"
        assert "PRIVATE" not in repr(service.list_accounts()) + repr(made)
    assert b"PRIVATE KEY" not in _every_byte(tmp_path)  # only in the encrypted vault
    async with TimbService(tmp_path, adapter_factory=server.factory) as service:
        await service.unlock_profile(PASS)
        assert service.irc_sasl.irc_sasl_key("irc") == made
        account = next(a for a in service._accounts if a.id == "irc")
        assert "PRIVATE" not in repr(account)
    adapter = default_adapter_factory(account, NoDialer())  # type: ignore[arg-type]
    assert isinstance(adapter, IrcChatAdapter)
    sasl = adapter.irc._account.sasl
    assert isinstance(sasl, SaslEcdsa) and sasl.account == "alice"  # the key wins over PLAIN
    # The signature it gives verifies with the public key the user registered.
    exchange = SaslExchange(sasl)
    assert exchange.respond(b"") == b"alice"
    challenge = bytes(range(32))
    signature = exchange.respond(challenge)
    point = base64.b64decode(made.public_key)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    public.verify(signature, challenge, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


async def test_jsonrpc_makes_and_shows_the_public_key_only(tmp_path: Path) -> None:
    import json  # noqa: PLC0415

    from timb.ui.cli.jsonrpc import JsonRpcServer  # noqa: PLC0415

    async with TimbService(tmp_path, adapter_factory=FakeIrcServer().factory) as service:
        await service.create_profile(PASS)
        await service.add_account("irc", "alice@irc.test", Secret(""), network="irc")
        rpc = JsonRpcServer(service)
        made = await rpc.handle_line(
            json.dumps(
                {"jsonrpc": "2.0", "id": 1, "method": "irc.make_sasl_key", "params": {"account": "irc"}}
            )
        )
        shown = await rpc.handle_line(
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "irc.sasl_key", "params": {"account": "irc"}})
        )
        assert made is not None and made == shown and "PRIVATE" not in made
        result = json.loads(made)["result"]
        assert (
            result["mechanism"] == "ECDSA-NIST256P-CHALLENGE" and result["public_key"] in result["register"]
        )
