"""The scripted conversation of `timb demo` without a terminal: narrated as it happens.

The user's service (the only consumer of its events here) greets nothing; the bot greets first,
the user answers, both fingerprints are compared, the user verifies the bot with SMP and sends
one more message, now verified. Every message shows whether it was encrypted and verified.

Raises (`run_script`): Unavailable when a step does not happen in time or goes wrong (a message
not encrypted, fingerprints that differ, SMP that fails).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from timb.common.secret import Secret
from timb.core.errors import Unavailable
from timb.core.events import (
    ConnectionState,
    ConnectionStateChanged,
    CoreEvent,
    ErrorEvent,
    KeyChanged,
    MessageReceived,
    MessageState,
    MessageStateChanged,
    OtrStateChanged,
    SmpFinished,
    SmpOutcome,
    TrustChanged,
)
from timb.core.service import TimbService
from timb.devnet.demo.bot import DemoBot
from timb.devnet.demo.stack import ACCOUNT, DemoFacts, Say

STEP_TIMEOUT_S = 120.0
QUESTION = "What is the demo secret?"


def _state(encrypted: bool, verified: bool) -> str:
    if not encrypted:
        return "NOT ENCRYPTED"
    return "encrypted (OTR), " + ("verified" if verified else "unverified")


@dataclass
class _Narrator:
    """Prints the user's events as they come and lets the script wait for one."""

    say: Say
    bot: str
    events: list[CoreEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    connection: ConnectionState | None = None

    def show(self, event: CoreEvent) -> None:
        match event:
            case MessageReceived(contact=contact, text=text, encrypted=encrypted, verified=verified):
                self.say(f"  {contact} -> you: {text!r}   [{_state(encrypted, verified)}]")
            case MessageStateChanged(state=state) if state is MessageState.SENT:
                self.say("  (your message left, encrypted)")
            case OtrStateChanged(contact=contact, state=state):
                self.say(f"  OTR with {contact}: {state.value.replace('_', ' ')}")
            case SmpFinished(outcome=outcome, verified=verified):
                self.say(
                    f"  SMP finished: {outcome.value}" + ("; the bot is now verified" if verified else "")
                )
            case TrustChanged(fingerprint=fingerprint, trust=trust):
                self.say(f"  key {fingerprint.human()} is now {trust.value}")
            case KeyChanged(contact=contact):
                self.say(f"  WARNING: {contact} presents a new key")
            case ConnectionStateChanged(state=state, detail=detail) if state is not self.connection:
                self.connection = state
                self.say(f"  your account: {state.value}" + (f" ({detail})" if detail else ""))
            case ErrorEvent(message=message):
                self.say(f"  error: {message}")
            case _:
                pass

    async def consume(self, source: AsyncIterator[CoreEvent]) -> None:
        async for event in source:
            self.events.append(event)
            self.show(event)
            self.changed.set()

    async def wait_for(self, what: str, predicate: Callable[[CoreEvent], bool], start: int = 0) -> CoreEvent:
        async def find() -> CoreEvent:
            seen = start
            while True:
                for event in self.events[seen:]:
                    if predicate(event):
                        return event
                seen = len(self.events)
                self.changed.clear()
                await self.changed.wait()

        try:
            async with asyncio.timeout(STEP_TIMEOUT_S):
                return await find()
        except TimeoutError:
            raise Unavailable(f"timed out after {STEP_TIMEOUT_S:.0f} s waiting for {what}") from None


def _from_bot(bot: str, *, startswith: str = "") -> Callable[[CoreEvent], bool]:
    return lambda e: isinstance(e, MessageReceived) and e.contact == bot and e.text.startswith(startswith)


async def run_script(service: TimbService, bot: DemoBot, facts: DemoFacts, say: Say) -> None:
    """Run the conversation: ``service`` is the user's (connected, the bot in its contacts; this
    becomes the only consumer of its events), ``bot`` the running demo bot. Raises: Unavailable."""
    narrator = _Narrator(say, facts.bot_jid)
    consumer = asyncio.create_task(narrator.consume(service.events()), name="timb-demo-narrator")
    try:
        await _conversation(service, bot, facts, narrator, say)
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)


def _require_encrypted(event: CoreEvent, verified: bool) -> None:
    assert isinstance(event, MessageReceived)
    if not event.encrypted or event.verified is not verified:
        raise Unavailable(f"expected an encrypted, {'' if verified else 'un'}verified message: {event}")


async def _conversation(
    service: TimbService, demo_bot: DemoBot, facts: DemoFacts, narrator: _Narrator, say: Say
) -> None:
    bot = facts.bot_jid
    say(f"Conversation with {bot} (policy: always private; nothing is sent in plaintext)")
    say("  the bot greets you; its message waits until the OTR session (AKE) is private:")
    _require_encrypted(
        await narrator.wait_for("the bot's greeting", _from_bot(bot, startswith="Hello")), False
    )
    text = "Hi bot! Can anyone else read this?"
    mark = len(narrator.events)
    service.send_message(ACCOUNT, bot, text)
    say(f"  you -> {bot}: {text!r}")
    _require_encrypted(
        await narrator.wait_for("the bot's answer", _from_bot(bot, startswith="echo:"), mark), False
    )

    say("Fingerprints compared (libotr's format):")
    theirs = service.fingerprints(ACCOUNT, bot).theirs
    seen = theirs.human() if theirs else None
    own = demo_bot.fingerprint()
    say(f"  the bot's key, as you see it:  {seen}")
    say(f"  the bot's key, as it says:     {own}")
    if seen is None or seen != own:
        raise Unavailable("the fingerprints differ: this would be a man in the middle")
    say("  they match")

    say(f"Verifying the bot with SMP (question {QUESTION!r}, shared secret {facts.secret!r}) ...")
    mark = len(narrator.events)
    service.smp_start(ACCOUNT, bot, Secret(facts.secret), QUESTION)
    result = await narrator.wait_for("the SMP result", lambda e: isinstance(e, SmpFinished), mark)
    assert isinstance(result, SmpFinished)
    if result.outcome is not SmpOutcome.SUCCEEDED or not result.verified:
        raise Unavailable(f"SMP did not verify the bot: {result.outcome.value}")
    say(f"  SMP result: {result.outcome.value}; the bot proved it knows the secret (zero-knowledge)")

    text = "Now I know it is you."
    mark = len(narrator.events)
    service.send_message(ACCOUNT, bot, text)
    say(f"  you -> {bot}: {text!r}")
    _require_encrypted(
        await narrator.wait_for("the verified answer", _from_bot(bot, startswith="echo:"), mark), True
    )
