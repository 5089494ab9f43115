"""In-band registration (XEP-0077) of a throwaway account on the onion Prosody, through tor."""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path

import pytest

from tests.fixtures.prosody import ProsodyServer
from tests.fixtures.tor import TorNetwork
from tests.integration.test_xmpp_adapter import LoopbackDialer
from timb.common.ids import Jid
from timb.common.secret import Secret
from timb.core.events import ConnectionState, ConnectionStateChanged
from timb.core.service import TimbService, TorSettings
from timb.net.base import RemoteError
from timb.net.xmpp.adapter import XmppAccount, XmppAdapter
from timb.net.xmpp.tls import CertificatePin

pytestmark = pytest.mark.integration
_names = itertools.count(1)


async def connected_twice(service: TimbService, account: str, limit: float = 120) -> None:
    """Wait for the account's second CONNECTED (the first came from the registration)."""
    count = 0
    async with asyncio.timeout(limit):
        async for event in service.events():
            match event:
                case ConnectionStateChanged(account=a, state=ConnectionState.CONNECTED) if a == account:
                    count += 1
                    if count == 2:
                        return
                case ConnectionStateChanged(account=a, state=ConnectionState.FAILED) if a == account:
                    pytest.fail(f"login failed: {event.detail}")


async def test_register_a_throwaway_account_then_log_in_with_it(
    tmp_path: Path, tor_network: TorNetwork, prosody_server: ProsodyServer, prosody_onion: str
) -> None:
    tor = TorSettings(control_port=tor_network.control_port, cookie_path=tor_network.control_cookie)
    async with TimbService(tmp_path / "p", tor=tor) as service:
        await service.create_profile(Secret("a passphrase for the test"))
        info = await service.register_account(
            "burner", prosody_server.domain, host=prosody_onion, tls_pin_sha256=prosody_server.cert_pin
        )
        assert info.connected is True
        user = str(info.jid).split("@")[0]
        assert user.startswith("timb-")
        stored = list(prosody_server.data_dir.rglob(f"{user.replace('-', '%2d')}.dat"))  # escaped
        assert stored, "Prosody has no such account"
        # A new session logs in with the random credentials (and does not register again).
        await service.disconnect("burner")
        await service.connect("burner")
        await connected_twice(service, "burner")


async def test_the_adapter_registers_once_and_a_taken_name_is_refused(
    prosody_server: ProsodyServer, xmpp_accounts: tuple[tuple[str, str], tuple[str, str]]
) -> None:
    (taken, _password), _bob = xmpp_accounts
    dialer = LoopbackDialer(prosody_server)
    pin = CertificatePin.from_hex(prosody_server.cert_pin)

    conflict = XmppAdapter(XmppAccount(Jid.parse(taken), Secret("another password"), pin=pin), dialer)
    conflict.register_on_connect()
    with pytest.raises(RemoteError) as refused:
        await conflict.connect()
    assert refused.value.condition == "conflict"
    await conflict.disconnect()

    fresh = f"fresh{next(_names)}x{os.getpid()}@{prosody_server.domain}"
    adapter = XmppAdapter(XmppAccount(Jid.parse(fresh), Secret("pw fresh"), pin=pin), dialer)
    adapter.register_on_connect()
    await adapter.connect()
    assert adapter.bound_jid is not None and str(adapter.bound_jid.bare) == fresh
    await adapter.disconnect()
    await adapter.connect()  # the same client again: it logs in, it does not register twice
    assert adapter.bound_jid is not None
    await adapter.disconnect()
