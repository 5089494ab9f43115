"""A restart without loss over IRC: two TimbServices with IRC accounts on ngircd as an onion
service of the private Tor network chat privately; Alice writes long messages (several OTR
fragments each, paced by the flood limiter); Bob's service closes once the first has arrived
and been acknowledged, with the next one's fragments on the wire; Alice writes on while Bob is
away (the server bounces it: no such nick). Bob's next service, on the same profile, writes
first: the peers re-key, Alice re-sends what Bob did not confirm, and Bob's two lives together
show every message of Alice's exactly once, in order."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.ircd import IrcServer
from tests.fixtures.tor import TorNetwork
from tests.integration.test_irc_service import PASSPHRASE, Local
from timb.common.secret import Secret
from timb.core.events import (
    ConnectionState,
    ConnectionStateChanged,
    MessageReceived,
    MessageState,
    MessageStateChanged,
)
from timb.core.service import TimbService, TorSettings

pytestmark = pytest.mark.integration


def shown(local: Local) -> list[str]:
    return [e.text for e in local.seen if isinstance(e, MessageReceived)]


def state_of(local: Local, msg_id: str) -> MessageState | None:
    states = [e.state for e in local.seen if isinstance(e, MessageStateChanged) and e.id == msg_id]
    return states[-1] if states else None


def sends(local: Local, msg_id: str) -> int:
    return sum(
        1
        for e in local.seen
        if isinstance(e, MessageStateChanged) and e.id == msg_id and e.state is MessageState.SENT
    )


async def start(local: Local, nick: str, onion: str, pin: str, *, new: bool) -> None:
    if new:
        await local.service.create_profile(PASSPHRASE)
        await local.service.add_account(
            "main", f"{nick}@{onion}", Secret(""), network="irc", tls_pin_sha256=pin
        )
    else:
        await local.service.unlock_profile(PASSPHRASE)
    await local.service.connect("main")
    await local.wait_for(
        lambda e: isinstance(e, ConnectionStateChanged) and e.state is ConnectionState.CONNECTED
    )


async def test_bob_restarts_mid_chat_and_nothing_is_lost_or_shown_twice(
    tmp_path: Path, tor_network: TorNetwork, ircd_onion: str, ircd_server: IrcServer
) -> None:
    settings = TorSettings(control_port=tor_network.control_port, cookie_path=tor_network.control_cookie)
    stamp = str(time.monotonic_ns())[-6:]
    a_nick, b_nick = f"ra{stamp}", f"rb{stamp}"
    to_bob, to_alice = f"{b_nick}@{ircd_onion}", f"{a_nick}@{ircd_onion}"
    pin = ircd_server.pin().digest.hex()
    # ~700 bytes of text: 3 fragments of 351 bytes after OTR's base64, ~4 s each at ngircd's pace
    texts = [f"{i} " + "long line of a private chat over IRC, " * 18 + f"end {i}" for i in range(4)]
    tasks: list[asyncio.Task[Any]] = []
    async with TimbService(tmp_path / "a", tor=settings) as a_service:
        alice = Local(a_service)
        tasks.append(asyncio.create_task(alice.collect()))
        await start(alice, a_nick, ircd_onion, pin, new=True)
        async with TimbService(tmp_path / "b", tor=settings) as b_service:
            bob = Local(b_service)
            tasks.append(asyncio.create_task(bob.collect()))
            await start(bob, b_nick, ircd_onion, pin, new=True)
            await alice.service.add_contact("main", to_bob)
            await bob.service.add_contact("main", to_alice)
            alice.service.send_message("main", to_bob, "hello bob")
            await bob.wait_for(lambda _: shown(bob) == ["hello bob"])
            bob.service.send_message("main", to_alice, "hello alice")
            await alice.wait_for(lambda _: shown(alice) == ["hello alice"])
            ids = [alice.service.send_message("main", to_bob, t).id for t in texts[:3]]
            await alice.wait_for(lambda _: state_of(alice, ids[0]) is MessageState.DELIVERED)
            first_life = shown(bob)
            await b_service.close()  # mid-chat: the next message's fragments are on their way
        assert first_life[0] == "hello bob" and texts[0] in first_life
        assert len(first_life) < 4, "Bob saw everything before he left: the restart tests nothing"
        ids.append(alice.service.send_message("main", to_bob, texts[3]).id)  # Bob is away
        async with TimbService(tmp_path / "b", tor=settings) as b_service:
            bob = Local(b_service)
            tasks.append(asyncio.create_task(bob.collect()))
            await start(bob, b_nick, ircd_onion, pin, new=False)
            bob.service.send_message("main", to_alice, "bob is back")  # his new instance re-keys
            await alice.wait_for(lambda _: shown(alice)[-1:] == ["bob is back"], within=240)
            await alice.wait_for(
                lambda _: all(state_of(alice, i) is MessageState.DELIVERED for i in ids), 240
            )
            await bob.wait_for(lambda _: texts[3] in shown(bob))
            both_lives = first_life + shown(bob)
            assert both_lives == ["hello bob", *texts], [t[:8] for t in both_lives]
            sent_twice = [i for i in ids if sends(alice, i) >= 2]
            lives = f"Bob's first life showed {len(first_life)}"
            print(f"FIGURE: {lives}; re-sent after re-keying: {len(sent_twice)} of {len(ids)}")
            assert ids[-1] in sent_twice  # written into the dead session, re-sent once in the new one
            got = [e for e in bob.seen if isinstance(e, MessageReceived)]
            assert all(e.encrypted and e.contact == to_alice for e in got)
            await b_service.close()
        await a_service.close()
    for task in tasks:
        await task
