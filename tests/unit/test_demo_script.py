"""The demo bot and the scripted conversation of `timb demo`, over an in-memory chat server (no
tor, no Prosody): the real services, OTR and SMP. The full stack is tests/integration/test_demo.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.unit.fake_network import FakeServer
from timb.common.ids import Jid
from timb.common.secret import Secret
from timb.core.errors import Unavailable
from timb.core.events import OtrState
from timb.core.service import TimbService, TorSettings
from timb.devnet.demo.bot import DemoBot
from timb.devnet.demo.script import run_script
from timb.devnet.demo.stack import ACCOUNT, DEMO_PASSPHRASE, DemoFacts

pytestmark = pytest.mark.timeout(120)

USER, BOT = "you@timb.test", "bot@timb.test"
SECRET = "amber-harbour-lantern-42"


async def until(predicate: Callable[[], bool], limit: float = 30.0) -> None:
    async with asyncio.timeout(limit):
        while not predicate():  # noqa: ASYNC110 (state of two services, not one event)
            await asyncio.sleep(0.05)


def facts(tmp_path: Path, secret: str = SECRET) -> DemoFacts:
    return DemoFacts(tmp_path, "x" * 56 + ".onion", "00" * 32, USER, BOT, DEMO_PASSPHRASE, secret, 0, (), 0)


@contextlib.asynccontextmanager
async def demo(tmp_path: Path) -> AsyncIterator[tuple[FakeServer, TimbService, DemoBot]]:
    """The user's service and the bot, both logged in, the bot's greeting sent."""
    server = FakeServer()
    bot = DemoBot(tmp_path / "bot", TorSettings(), SECRET, adapter_factory=server.factory)
    async with TimbService(tmp_path / "profile", adapter_factory=server.factory) as service:
        try:
            await service.create_profile(Secret(DEMO_PASSPHRASE))
            await service.add_account(ACCOUNT, USER, Secret("pw"))
            await service.add_contact(ACCOUNT, BOT)
            await service.connect(ACCOUNT)
            await bot.start(BOT, Secret("pw"), contact=USER)
            await until(lambda: service.list_accounts()[0].connected and bot.connected())
            bot.greet(USER)
            yield server, service, bot
        finally:
            await bot.close()


async def test_the_script_runs_encrypted_and_verifies_the_bot(tmp_path: Path) -> None:
    lines: list[str] = []
    async with demo(tmp_path) as (server, service, bot):
        await run_script(service, bot, facts(tmp_path), lines.append)
        ours = bot.fingerprint()
    out = "\n".join(lines)
    assert f"the bot's key, as you see it:  {ours}" in out
    assert "they match" in out
    assert "SMP result: succeeded" in out
    received = [line for line in lines if line.startswith(f"  {BOT} -> you:")]
    assert len(received) == 3
    assert received[0].startswith(f"  {BOT} -> you: 'Hello! I am the TIMB demo bot.")
    assert SECRET in received[0]  # the greeting tells the user the secret
    assert [r.rsplit("[", 1)[1] for r in received] == ["encrypted (OTR), unverified]"] * 2 + [
        "encrypted (OTR), verified]"
    ]
    assert bot.errors == []
    # The server carried only OTR: no message text, no secret.
    assert server.log
    for body in server.log:
        assert body.startswith("?OTR") and "Hi bot" not in body and SECRET not in body


async def test_a_wrong_secret_fails_the_script(tmp_path: Path) -> None:
    lines: list[str] = []
    async with demo(tmp_path) as (_, service, bot):
        with pytest.raises(Unavailable, match="SMP did not verify the bot: failed"):
            await run_script(service, bot, facts(tmp_path, secret="not the secret"), lines.append)
    assert "SMP result: succeeded" not in "\n".join(lines)


async def test_the_bot_never_answers_in_plaintext(tmp_path: Path) -> None:
    """A plaintext message reaches the bot: it is noted, and no reply goes out in the clear."""
    async with demo(tmp_path) as (server, service, bot):
        # The greeting's AKE makes the conversation private.
        await until(lambda: service.list_contacts(ACCOUNT)[0].otr is OtrState.PRIVATE_UNVERIFIED)
        carried = len(server.log)
        server.deliver(Jid.parse(USER), Jid.parse(BOT), "plain hello")
        await until(lambda: bool(bot.errors))
        assert "plaintext" in bot.errors[0]
        for body in server.log[carried + 1 :]:
            assert "plain hello" not in body
