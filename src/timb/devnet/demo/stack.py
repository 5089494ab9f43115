"""The whole demo on this machine: private Tor network, Prosody as an onion service, two accounts,
the user's profile and the demo bot.

Layout of the demo directory::

    tor/       the private Tor network (timb.devnet.network): client0 (the user's tor, which also
               hosts Prosody's onion service) and client "bot" (the bot's tor); with
               ``bridge="obfs4"`` also the bridge relay (bridge0) and the user's own tor "you",
               which reaches the network only through that bridge (`timb.devnet.demo.bridge`),
               while client0 only hosts Prosody's onion service
    prosody/   config, certificate, data, log and the pid we started (server.pid)
    profile/   the user's TIMB profile (passphrase `DEMO_PASSPHRASE`, shown by the demo)
    bot/       the bot's profile

`DemoStack.stop` stops everything it started in reverse order; `stop_leftovers` is the last resort
after a crash (by the pids recorded in the directory, checked against their command lines). Every
tor also exits when the demo process dies (``__OwningControllerProcess``), Prosody too (Linux
parent-death signal).

Raises (`DemoStack.start`): Unavailable (tor, Prosody or a login failed; the message says which).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from timb.common.secret import Secret
from timb.core.errors import ServiceError, Unavailable
from timb.core.events import CoreEvent
from timb.core.service import TimbService, TorSettings
from timb.devnet import network as devnet
from timb.devnet.demo import bridge as demo_bridge
from timb.devnet.demo.bot import DemoBot
from timb.devnet.demo.prosody import DemoProsody, stop_recorded
from timb.tor.bridges import BridgeLine
from timb.tor.client import TorClient
from timb.tor.errors import TorError

DEMO_PASSPHRASE = "timb demo passphrase"  # noqa: S105 - printed by the demo: a throwaway profile
ACCOUNT = "demo"
USER, BOT = "you", "bot"
ONION_PORT = 5222
LOGIN_TIMEOUT_S = 120.0

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DemoFacts:
    """What the demo set up (all of it on loopback)."""

    directory: Path
    onion: str
    cert_pin: str
    user_jid: str
    bot_jid: str
    passphrase: str
    secret: str
    prosody_pid: int
    tor_pids: tuple[int, ...]
    control_port: int
    bridge: str | None = None  # the transport the user's tor reached the network through


def _secret_words() -> str:
    words = ["amber", "harbour", "lantern", "meadow", "orchid", "pebble", "quartz", "willow", "falcon"]
    return "-".join(secrets.SystemRandom().sample(words, 3)) + f"-{secrets.randbelow(90) + 10}"


class DemoStack:
    """Bring the demo up (`start`) and down (`stop`). After `start`: ``service`` is the user's
    running service, unlocked, its account connected, the bot in its contacts; ``bot`` the demo
    bot; ``facts`` says what runs.

    Args:
        directory: the demo directory (created; see the module docstring).
        say: narrates each step (one line each).
        on_progress: tor's bootstrap progress of the user's client.
        on_bot_event: every event of the bot's service.
        bridge: "obfs4": the user's tor reaches the network only through the network's bridge
            (proved after login, see `timb.devnet.demo.bridge`); None: directly.
    """

    def __init__(
        self,
        directory: Path,
        *,
        say: Say,
        on_progress: devnet.ProgressCallback | None = None,
        on_bot_event: Callable[[CoreEvent], None] | None = None,
        bridge: str | None = None,
    ) -> None:
        if bridge is not None and bridge not in demo_bridge.TRANSPORTS:
            raise ValueError(f"the demo's bridges speak {', '.join(demo_bridge.TRANSPORTS)}, not {bridge!r}")
        self.directory = directory
        self.bridge = bridge
        self._bridge_line: BridgeLine | None = None
        self._say = say
        self._on_progress = on_progress
        self._on_bot_event = on_bot_event
        self.secret = _secret_words()
        self._prosody: DemoProsody | None = None
        self._onion_tor: TorClient | None = None
        self._service: TimbService | None = None
        self._service_entered = False
        self._bot: DemoBot | None = None
        self._facts: DemoFacts | None = None

    @property
    def tor_dir(self) -> Path:
        return self.directory / "tor"

    @property
    def service(self) -> TimbService:
        if self._service is None:
            raise Unavailable("the demo is not running")
        return self._service

    @property
    def bot(self) -> DemoBot:
        if self._bot is None:
            raise Unavailable("the demo is not running")
        return self._bot

    @property
    def facts(self) -> DemoFacts:
        if self._facts is None:
            raise Unavailable("the demo is not running")
        return self._facts

    async def start(self) -> DemoFacts:
        """Start everything; on failure, what was started is left for `stop`. Raises: Unavailable."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Prosody first: it takes a second, so a missing or broken one fails before tor's 10 s.
        prosody = await self._start_prosody()
        user_pw, bot_pw = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
        user_jid = await asyncio.to_thread(prosody.register, USER, user_pw)
        bot_jid = await asyncio.to_thread(prosody.register, BOT, bot_pw)
        host, bot_tor = await self._start_tor()
        user_tor = host if self._bridge_line is None else await self._start_bridged_tor()

        onion = await self._publish(host, prosody.port)
        self._say(f"  Prosody reachable only as onion service {onion} (port {ONION_PORT})")
        self._say(
            f"  accounts {user_jid} and {bot_jid}; certificate pinned: sha256 {prosody.cert_pin[:16]}..."
        )

        service = await self._make_profile(user_tor, onion, prosody.cert_pin, (user_jid, user_pw), bot_jid)
        bot = self._bot = DemoBot(
            self.directory / "bot",
            TorSettings(bot_tor.control_port, cookie_path=bot_tor.control_cookie),
            self.secret,
            self._on_bot_event,
        )
        await bot.start(bot_jid, Secret(bot_pw), host=onion, pin=prosody.cert_pin, contact=user_jid)
        await service.connect(ACCOUNT)
        self._say("Logging in to both accounts through Tor and the onion service ...")
        t1 = time.monotonic()
        await self._until_connected(service, bot)
        self._say(f"  both logged in in {time.monotonic() - t1:.1f} s")
        if self._bridge_line is not None:
            proof = await demo_bridge.prove_bridge(user_tor, self._bridge_line)
            self._say(proof.summary(user_tor.pid))
        status = await devnet.status(self.tor_dir)
        assert prosody.pid is not None
        self._facts = DemoFacts(
            self.directory,
            onion,
            prosody.cert_pin,
            user_jid,
            bot_jid,
            DEMO_PASSPHRASE,
            self.secret,
            prosody.pid,
            tuple(n.pid for n in status.nodes),
            user_tor.control_port,
            self.bridge,
        )
        bot.greet(user_jid)
        return self._facts

    async def _start_tor(self) -> tuple[devnet.DevnetClient, devnet.DevnetClient]:
        """The private network with the user's client tor, and the bot's own client tor."""
        t0 = time.monotonic()
        bridge, clients, first = (
            ("", 2, "your client tor")
            if self.bridge is None
            else (f", an {self.bridge} bridge", 3, "the server's tor (it hosts Prosody's onion)")
        )
        self._say(
            f"Starting a private Tor network (3 directory authorities, 2 relays{bridge}, {clients} clients;"
            " loopback only)"
        )
        self._say(f"  the authorities vote a first consensus (about 5-10 s), then {first} bootstraps:")
        host = await devnet.up(
            self.tor_dir,
            owner_pid=os.getpid(),
            key_cache=devnet.default_key_cache(),
            on_progress=self._on_progress,
            bridge=self.bridge,
        )
        if self.bridge is not None:
            self._bridge_line = demo_bridge.bridge_line(self.tor_dir)
        bot_tor = await devnet.add_client(self.tor_dir, BOT, owner_pid=os.getpid())
        self._say(f"  Tor network ready in {time.monotonic() - t0:.1f} s (the bot has its own client tor)")
        return host, bot_tor

    async def _start_bridged_tor(self) -> devnet.DevnetClient:
        """The user's tor: a client of the network that reaches it only through the bridge."""
        assert self._bridge_line is not None
        t0 = time.monotonic()
        self._say(f"  the bridge: {demo_bridge.describe_line(self._bridge_line)} (loopback only)")
        self._say(f"  your tor reaches the network only through that {self.bridge} bridge; it bootstraps:")
        user_tor = await demo_bridge.add_bridged_client(
            self.tor_dir, USER, self._bridge_line, owner_pid=os.getpid(), on_progress=self._on_progress
        )
        self._say(f"  your tor is ready through the bridge in {time.monotonic() - t0:.1f} s")
        return user_tor

    async def _make_profile(
        self, host: devnet.DevnetClient, onion: str, pin: str, user: tuple[str, str], bot_jid: str
    ) -> TimbService:
        """The user's profile with the demo account (through the onion) and the bot as contact."""
        self._say(f"Creating your profile in {self.directory / 'profile'} (passphrase: {DEMO_PASSPHRASE!r})")
        service = self._service = TimbService(
            self.directory / "profile", tor=TorSettings(host.control_port, cookie_path=host.control_cookie)
        )
        await service.__aenter__()
        self._service_entered = True
        user_jid, user_pw = user
        try:
            await service.create_profile(Secret(DEMO_PASSPHRASE))
            # The connection assistant's answer for the private network (all on loopback): the
            # TUI asks only when no choice is stored, and the demo opens already set up. With a
            # bridge it is the line the user would have been given (the demo's tor runs with it).
            if self._bridge_line is None:
                await service.set_tor_connection("direct")
            else:
                await service.set_tor_connection("custom", lines=self._bridge_line.torrc_value())
            await service.add_account(ACCOUNT, user_jid, Secret(user_pw), host=onion, tls_pin_sha256=pin)
            await service.add_contact(ACCOUNT, bot_jid)
        except ServiceError as exc:
            raise Unavailable(f"could not set up your demo profile: {exc}") from exc
        return service

    async def _start_prosody(self) -> DemoProsody:
        prosody = self._prosody = await asyncio.to_thread(DemoProsody.prepare, self.directory / "prosody")
        await asyncio.to_thread(prosody.start)
        self._say(f"Started Prosody (XMPP server) pid {prosody.pid} on 127.0.0.1:{prosody.port}")
        return prosody

    async def _publish(self, host: devnet.DevnetClient, port: int) -> str:
        """An ephemeral onion service on the user's tor -> Prosody; it lives as long as this
        control connection."""
        try:
            tor = self._onion_tor = await TorClient.attach(
                "127.0.0.1", host.control_port, cookie_path=host.control_cookie
            )
            service = await tor.add_onion([(ONION_PORT, port)], await_publication=True)
        except TorError as exc:
            raise Unavailable(f"could not publish Prosody's onion service: {exc}") from exc
        return str(service.address.host)

    async def _until_connected(self, service: TimbService, bot: DemoBot) -> None:
        deadline = time.monotonic() + LOGIN_TIMEOUT_S
        while not (service.list_accounts()[0].connected and bot.connected()):
            if time.monotonic() > deadline:
                detail = "; ".join(bot.errors[-3:]) or "no error reported"
                raise Unavailable(
                    f"the demo accounts did not log in within {LOGIN_TIMEOUT_S:.0f} s ({detail})"
                )
            await asyncio.sleep(0.2)

    async def stop(self) -> list[str]:
        """Stop everything started, in reverse order; returns what was stopped. Never raises for
        one part failing: it goes on with the rest and names the failure in the list."""
        done: list[str] = []
        if self._bot is not None:
            bot, self._bot = self._bot, None
            done.append(await self._step("the bot", bot.close()))
        if self._service is not None and self._service_entered:
            self._service_entered = False
            done.append(await self._step("your account", self._service.__aexit__(None, None, None)))
        if self._onion_tor is not None:
            tor, self._onion_tor = self._onion_tor, None
            done.append(await self._step("the onion service", tor.close()))
        if self._prosody is not None:
            prosody, self._prosody = self._prosody, None
            pid = prosody.pid
            await asyncio.to_thread(prosody.stop)
            done.append(f"Prosody (pid {pid})")
        if self.tor_dir.exists():
            try:
                pids = await asyncio.to_thread(devnet.down, self.tor_dir)
            except Unavailable as exc:
                done.append(f"the tor processes (with an error: {exc})")
            else:
                done.append(f"{len(pids)} tor processes ({', '.join(map(str, pids))})")
        return done

    @staticmethod
    async def _step(name: str, stopping: object) -> str:
        assert asyncio.iscoroutine(stopping)
        try:
            await stopping
        except (ServiceError, TorError, OSError) as exc:
            return f"{name} (with an error: {exc})"
        return name


def stop_leftovers(directory: Path) -> list[int]:
    """The last resort (sync, after a crash or an interrupted `DemoStack.stop`): stop the Prosody
    and the tors recorded in ``directory``. Returns the pids signalled."""
    pids: list[int] = []
    prosody = stop_recorded(directory / "prosody")
    if prosody is not None:
        pids.append(prosody)
    if (directory / "tor").exists():
        with contextlib.suppress(Unavailable):
            pids += devnet.down(directory / "tor")
    return pids
