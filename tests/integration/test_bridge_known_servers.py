"""Known server onions end to end: the private network's onion Prosody stands in for a listed
domain (a test-only list in ``$TIMB_KNOWN_SERVERS``); an account on that domain that names no
host connects to the onion (the TLS certificate still checked for the domain). The only entry
ever dialled is the one pointing at the private network (without it the account would dial its
domain through the private network's exit, which reaches nothing but loopback addresses). The
service's own tor dialer is wrapped to write down each host it is asked for, so the test sees
that the onion, not the domain, was dialled (a CONNECTED alone would not tell them apart)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fixtures.prosody import ProsodyServer
from tests.fixtures.tor import TorNetwork
from timb import net
from timb.common.secret import Secret
from timb.core.accounts import Account
from timb.core.events import ConnectionState, ConnectionStateChanged
from timb.core.service import TimbService, TorSettings
from timb.core.service.account_book import default_adapter_factory
from timb.tor.known_servers import ENV_FILE, FORMAT

pytestmark = pytest.mark.integration


@dataclass
class _RecordingDialer:
    """The service's real tor dialer, with every host it was asked to dial written down."""

    inner: net.Dialer
    hosts: list[str] = field(default_factory=list)

    async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
        self.hosts.append(host)
        return await self.inner.open_socket(host, port, isolation=isolation)


async def test_an_account_on_a_listed_domain_connects_to_its_onion(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tor_network: TorNetwork,
    prosody_server: ProsodyServer,
    prosody_onion: str,
    xmpp_accounts: tuple[tuple[str, str], tuple[str, str]],
) -> None:
    listed = {"domain": prosody_server.domain, "protocol": "xmpp", "onion": prosody_onion}
    known = tmp_path / "known.json"
    known.write_text(json.dumps({"format": FORMAT, "date": "2026-12-03", "servers": [listed]}))
    monkeypatch.setenv(ENV_FILE, str(known))
    (jid, password), _ = xmpp_accounts
    tor = TorSettings(control_port=tor_network.control_port, cookie_path=tor_network.control_cookie)
    dialled: list[str] = []

    def recording(account: Account, dialer: net.Dialer | None) -> net.Adapter:
        if dialer is None:
            return default_adapter_factory(account, None)
        return default_adapter_factory(account, _RecordingDialer(dialer, dialled))

    async with TimbService(tmp_path / "p", tor=tor, adapter_factory=recording) as service:
        await service.create_profile(Secret("a passphrase for the test"))
        await service.add_account("a", jid, Secret(password), tls_pin_sha256=prosody_server.cert_pin)
        await service.connect("a")
        async with asyncio.timeout(120):
            async for event in service.events():
                match event:
                    case ConnectionStateChanged(state=ConnectionState.CONNECTED):
                        break
                    case ConnectionStateChanged(state=ConnectionState.FAILED):
                        pytest.fail(f"login failed: {event.detail}")
    assert dialled, "the account connected without its dialer: the test saw nothing"
    assert set(dialled) == {prosody_onion}, f"dialled {dialled}, not only the listed onion"
    assert prosody_server.domain not in dialled
