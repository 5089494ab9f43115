"""Two OnionConnection cores joined by a fake link (no sockets), for the onion unit tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from timb.common.ids import OnionAddress
from timb.common.random import DeterministicRandom
from timb.common.secret import Secret
from timb.net.onion.connection import OnionConnection, Role
from timb.net.onion.events import ConnectionEvent
from timb.net.onion.identity import OnionIdentity
from timb.net.onion.messages import Status

ALICE = OnionIdentity(Secret(bytes(range(32))))
BOB = OnionIdentity(Secret(bytes(range(32, 64))))
MALLORY = OnionIdentity(Secret(bytes(range(64, 96))))


@dataclass
class Pair:
    client: OnionConnection
    server: OnionConnection
    now: float = 1000.0
    client_events: list[ConnectionEvent] = field(default_factory=list)
    server_events: list[ConnectionEvent] = field(default_factory=list)

    def pump(self) -> None:
        """Deliver bytes both ways until both sides are quiet."""
        for _ in range(100):
            a = self.client.data_to_send()
            if a:
                self.server.receive_data(a, self.now)
            b = self.server.data_to_send()
            if b:
                self.client.receive_data(b, self.now)
            self.client_events += self.client.take_events()
            self.server_events += self.server.take_events()
            if not a and not b:
                return
        raise AssertionError("the link never went quiet")

    def take(self) -> tuple[list[ConnectionEvent], list[ConnectionEvent]]:
        c, s = self.client_events, self.server_events
        self.client_events, self.server_events = [], []
        return c, s


def make_pair(
    *,
    client: OnionIdentity = ALICE,
    server: OnionIdentity = BOB,
    client_knows: Callable[[OnionAddress], bool] = lambda _a: False,
    server_knows: Callable[[OnionAddress], bool] = lambda _a: False,
    screen: Callable[[OnionAddress], Status] = lambda _a: Status.Pending,
    now: float = 1000.0,
) -> Pair:
    c = OnionConnection(
        Role.CLIENT,
        client,
        now=now,
        random=DeterministicRandom(b"c"),
        peer=server.address,
        is_contact=client_knows,
    )
    s = OnionConnection(
        Role.SERVER,
        server,
        now=now,
        random=DeterministicRandom(b"s"),
        is_contact=server_knows,
        screen_request=screen,
    )
    return Pair(c, s, now)
