"""Helpers for the OTR unit tests: fixed keys (fast and deterministic) and a fake network link.

The link carries wire strings between two `Conversation`s with no sockets; it can drop, duplicate
and reorder messages from a seeded `random.Random`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from timb.common.clock import FakeClock
from timb.common.random import DeterministicRandom
from timb.otr import Conversation, Policy, PrivateKey
from timb.otr.events import Event

ALICE_KEY = PrivateKey.from_numbers(
    int(
        "bd9ae398af54a987d1d1f0404c724e5b5e481283ede9d38342232090c0992fb890e7c38697f3437125a5b00f99965e9c"
        "3db8ac2cc34f309a4fffab9d1e67ece672445045657fa77125d7526e0d0d375fed462477e45cd283e7dd7ec77f8c03b3"
        "dc45c5aa970e2c62db7653d2696b1f5b9d7b24774f7fc50f6383ea1378028931",
        16,
    ),
    int(
        "ef804ff22535be8287d295993a6e0752b94dde57",
        16,
    ),
    int(
        "fc68579faa0b1b2bb95b15a4174def6297a9937e80f3dde421f926b88b99e6587ca2ca73ae1513a3ee1a6ae7f0f8b060"
        "be46b839702b00d415e53bf43ca3cdab2cc6578c572f2bba19bd3a4c83fe0c257b9cc2a9f250fd1613fa11c647ff2609"
        "877e1edeb9f65fb911c5760c06361341f7ed658c519cb5bb81e785c5ef084bd",
        16,
    ),
    int(
        "38afe0c365b7d80b7f9ebf232f7135d5a0e257fcd76a8a8db7bf882f29a4be31966d3d0b1e50753b1b8309bef9b98cc4"
        "cd18cb7c77c27a353ce0237a1b6f40b6067fb5c1eae90540b7fbb1483609b42d48008d5752b6f0ab46c53b542e1be418"
        "944aabec7c50394a5bd2f797e1921cffd1c19a85f26eb381e0f817bcba5f85d2",
        16,
    ),
    int(
        "1717f637cccd08eff73e74b08b1f4291bb16dfab",
        16,
    ),
)
BOB_KEY = PrivateKey.from_numbers(
    int(
        "8a2c411ea3efd54da9a0301e99e81cfab1cf691fc14daac2ece20bf6fdf45bba5193039a04e7c97c8c5659275b315c08"
        "6a55afc262e2ed4e617e024412cf42462d746a49697e121d463f133d3e074b86c98a21b8af530111248906b58532d152"
        "59ab5522a4b485053506e06190db9eec783d5996f54f0297f07271f270c73a83",
        16,
    ),
    int(
        "a6ae4a3d6f215ddf72c3706ad2902dc5ccc17e87",
        16,
    ),
    int(
        "7fbe98190069016f394ad32d533cf2cd31d79a6d21372bf58b5c8a36d6bc8cc58cf2a400ab76e999a997d34c0158448e"
        "dc044f5e7f9801d0c87031044ec060675f2ddc79be5e7ecabeace844bedd3cf4b16a9277a53742289febd953a1a6945d"
        "7fd9bc98cc2e0807a55fc4edc1f3ff0ac2edecca82b2fc0cc7e633234873af1d",
        16,
    ),
    int(
        "3bbe2de9bb4dc2a1bcb31540bde7f93d4da5adeeeadc59edcd611b17017e3a44bb737f1cb05a30b1716ef51522ab72b7"
        "8f8b4975a4022364da05786032a4b9d4710ace859750bf786d9da879e15d09732d0eb9b160e81faf6b19383025ef031a"
        "aba06b97cf87052ca75ad6cb6943891c11e38f3487823ae4c1615bc51bdc40f5",
        16,
    ),
    int(
        "3e2c9d28d6734cd142e1f5316b5ca8d26ad8eb70",
        16,
    ),
)
CAROL_KEY = PrivateKey.from_numbers(
    int(
        "8bce7dc02f4b620dde443d2b6aacc24a2984079034cad1cc05cea2f27f54edbee2c2d4e7754eb15a5a64d7fe475dda04"
        "81e025c79b9c5576905481cc7a1078395939c28f2f61639103b88d6602c427b2cb6ddcd0d3a69cad3cf174af9353954e"
        "75a711334c72064158d6238c05b8d5e0a9f646b2f964d80560dfac7f091cd62d",
        16,
    ),
    int(
        "b9f01a524e60e74c33c430e178ff92d11c9d92f1",
        16,
    ),
    int(
        "348dcc1aa7339e42f7ddca075aa27d3c675f9d7008c61ec704ec7fd5044ab7fd533232f6a084094b150fb8448f8402e1"
        "802e3cd63c3121986ea0a63fd2c6dc24dff19764bf34f4b418937670c394eebd102dbe3917a53ee49d8fa953844055e1"
        "b2c64a1d3f5a909c3553234e4827814d8c4c8997db9d546d87eee9ed14b69133",
        16,
    ),
    int(
        "358b7a638fdbdb2ad9cac00b5570124bea871db8eb4e8f6cfd74ac92dd884b43ccfa84e5497b05ef2f60c34075d59178"
        "a789aacd73af44530f8dcd0852f6acb71cb6ad48effc7fa3be205ef3bd0e4053838cf61601be85248bde19dcc40b75e3"
        "a677c21ffa798602bfbd057a2a5bdb0f7a30b37b54ba460008adaea738b71447",
        16,
    ),
    int(
        "45e84ef781bf7109bc13b0615287e414a49b3f09",
        16,
    ),
)


def make_conv(
    name: str,
    key: PrivateKey,
    policy: Policy = Policy.ALWAYS,
    max_fragment_size: int | None = None,
    clock: FakeClock | None = None,
    instance_tag: int | None = None,
) -> Conversation:
    return Conversation(
        key,
        policy=policy,
        max_fragment_size=max_fragment_size,
        clock=clock if clock is not None else FakeClock(),
        rng=DeterministicRandom(name.encode()),
        instance_tag=instance_tag,
    )


def drain(conv: Conversation) -> list[Event]:
    out = []
    while (event := conv.next_event()) is not None:
        out.append(event)
    return out


@dataclass
class Link:
    """Two peers and the wire between them. `pump()` delivers until both outboxes are empty."""

    a: Conversation
    b: Conversation
    loss: float = 0.0
    reorder: float = 0.0
    duplicate: float = 0.0
    seed: int = 0
    sent_to_b: list[str] = field(default_factory=list)
    sent_to_a: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def _deliver(self, messages: list[str], target: Conversation, log: list[str]) -> None:
        batch = []
        for message in messages:
            log.append(message)
            if self._random.random() < self.loss:
                continue
            batch.append(message)
            if self._random.random() < self.duplicate:
                batch.append(message)
        if len(batch) > 1 and self._random.random() < self.reorder:
            i, j = self._random.sample(range(len(batch)), 2)
            batch[i], batch[j] = batch[j], batch[i]
        for message in batch:
            target.receive(message)

    def pump(self, limit: int = 200) -> int:
        rounds = 0
        while rounds < limit:
            to_b, to_a = self.a.data_to_send(), self.b.data_to_send()
            if not to_b and not to_a:
                return rounds
            self._deliver(to_b, self.b, self.sent_to_b)
            self._deliver(to_a, self.a, self.sent_to_a)
            rounds += 1
        raise AssertionError("the peers did not go quiet")
