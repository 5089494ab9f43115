"""The serverless part of `timb demo`: the bot's onion identity answers, and the scripted run
shows a chat with no server (Ricochet Refresh's protocol between two onion services).

The bot accepts any contact request (it is a demo bot; a user's identity asks the user) and
answers every onion message with ``echo: <text>``. The script gives the user an identity, adds
the bot's ``ricochet:`` id, waits for the bot to accept, and exchanges one message.

Raises (`run_onion_script`): Unavailable when a step does not happen in time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from timb.core.errors import Unavailable
from timb.core.events import CoreEvent
from timb.core.onion_events import (
    OnionContactRequested,
    OnionMessageReceived,
    OnionMessageState,
    OnionMessageStateChanged,
    OnionPresenceChanged,
)
from timb.core.service import TimbService

BOT_IDENTITY = "bot"
USER_IDENTITY = "me"
STEP_TIMEOUT_S = 120.0
Say = Callable[[str], None]


async def bot_go_online(service: TimbService) -> str:
    """Give the bot's service its onion identity and publish it; its ``ricochet:`` id."""
    info = await service.onion.create_identity(BOT_IDENTITY, nickname="TIMB demo bot")
    await service.onion.go_online(BOT_IDENTITY)
    return info.address


async def bot_handle(service: TimbService, event: CoreEvent) -> bool:
    """Answer an onion event for the bot; whether it was one."""
    match event:
        case OnionContactRequested(identity=BOT_IDENTITY, contact=contact):
            await service.onion.accept(BOT_IDENTITY, contact)
        case OnionMessageReceived(identity=BOT_IDENTITY, contact=contact, text=text):
            service.onion.send_message(BOT_IDENTITY, contact, f"echo: {text}")
        case _:
            return False
    return True


async def run_onion_script(service: TimbService, bot_address: str, say: Say) -> None:
    """The user's side (this becomes the only consumer of ``service``'s events until it ends)."""
    say("Serverless chat: your onion identity talks to the bot's (Ricochet Refresh protocol v3;")
    say("  no server at all, only the two onion services; protected by Tor, not OTR)")
    events: list[CoreEvent] = []
    changed = asyncio.Event()

    async def consume() -> None:
        async for event in service.events():
            events.append(event)
            changed.set()

    async def until(what: str, predicate: Callable[[CoreEvent], bool]) -> None:
        try:
            async with asyncio.timeout(STEP_TIMEOUT_S):
                while not any(predicate(e) for e in events):
                    changed.clear()
                    await changed.wait()
        except TimeoutError:
            raise Unavailable(f"timed out after {STEP_TIMEOUT_S:.0f} s waiting for {what}") from None

    consumer = asyncio.create_task(consume(), name="timb-demo-onion")
    try:
        t0 = time.monotonic()
        me = await service.onion.create_identity(USER_IDENTITY)
        await service.onion.go_online(USER_IDENTITY)
        say(f"  your identity {me.address} is online (its onion service is published)")
        await service.onion.add_contact(USER_IDENTITY, bot_address, message="hello from the demo")
        say(f"  you asked {bot_address} to be your contact")
        await until("the bot's acceptance", lambda e: isinstance(e, OnionPresenceChanged) and e.online)
        say(f"  the bot accepted; connected in {time.monotonic() - t0:.1f} s")
        text = "Hi bot, no server between us?"
        msg = service.onion.send_message(USER_IDENTITY, bot_address, text)
        say(f"  you -> bot: {text!r}")
        await until(
            "the bot's acknowledgement",
            lambda e: (
                isinstance(e, OnionMessageStateChanged)
                and e.id == msg
                and e.state is OnionMessageState.DELIVERED
            ),
        )
        say("  (delivered: the bot's client acknowledged it)")
        await until("the bot's onion answer", lambda e: isinstance(e, OnionMessageReceived))
        answer = next(e for e in events if isinstance(e, OnionMessageReceived))
        say(f"  bot -> you: {answer.text!r}   [serverless, over Tor onion services]")
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
