"""The demo's bridge proof (`timb.devnet.demo.bridge`): what the user's tor says over its control
port is accepted only when every guard, connection and first hop is the bridge; a tor that
went around it, in any one of those ways, fails the demo with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from timb.core.errors import Unavailable
from timb.devnet import network as devnet
from timb.devnet.demo import bridge as demo_bridge
from timb.tor.bridge_control import BridgeState
from timb.tor.bridges import parse_bridge_line
from timb.tor.client import TorClient
from timb.tor.control.events import BootstrapStatus

FP = "28F15F2EE2F93F859E4B2DC2C3B3C97151DB2B31"
RELAY = "E7819EDB44F4663BF68D3E2E465E986ED0B185C3"
LINE = parse_bridge_line(
    f"obfs4 127.0.0.1:48485 {FP} cert=Ft3Laeym79eJtCR5uaKJhanVtastJ+AU6x5Tx2jNAQhd0ADGtrcyF9nK4Cpie"
    "YuzqXhCYg iat-mode=0"
)
CLIENT = devnet.DevnetClient(9050, 9051, Path("/nonexistent/cookie"), Path("/nonexistent"), 4242)


def circuit(n: int, first: str, status: str = "BUILT") -> str:
    return f"{n} {status} ${first}~bridge0,${RELAY}~relay1,$AAAA{FP[4:]}~relay0 PURPOSE=GENERAL"


GOOD = {
    "entry-guards": f"${FP}~bridge0 up",
    "orconn-status": f"${FP}~bridge0 CONNECTED",
    "circuit-status": "\n".join([circuit(1, FP), circuit(2, FP), "3 LAUNCHED PURPOSE=GENERAL"]),
}


class FakeControl:
    def __init__(self, info: dict[str, str]) -> None:
        self.info = info

    async def get_info(self, *keys: str) -> dict[str, str]:
        return {k: self.info[k] for k in keys}


class FakeTor:
    def __init__(self, info: dict[str, str]) -> None:
        self.control = FakeControl(info)
        self.closed = False

    async def close(self) -> None:
        self.closed = True


def fake_tor(
    monkeypatch: pytest.MonkeyPatch,
    info: dict[str, str],
    *,
    uses: bool = True,
    bridges: tuple[str, ...] | None = None,
) -> FakeTor:
    tor = FakeTor(info)

    async def attach(*_args: Any, **_kwargs: Any) -> FakeTor:
        return tor

    async def state(_tor: Any) -> BridgeState:
        lines = (LINE.torrc_value(),) if bridges is None else bridges
        return BridgeState(uses, lines, BootstrapStatus(100, "done", "Done"))

    monkeypatch.setattr(TorClient, "attach", attach)
    monkeypatch.setattr(demo_bridge, "bridge_state", state)
    return tor


def test_server_ids_in_every_form_name_the_fingerprint() -> None:
    assert demo_bridge.server_fingerprint(f"${FP}~bridge0") == FP
    assert demo_bridge.server_fingerprint(f"${FP.lower()}=bridge0") == FP
    assert demo_bridge.server_fingerprint(f"${FP}") == FP
    assert demo_bridge.server_fingerprint("127.0.0.1:9001") == "127.0.0.1:9001"  # never a fingerprint


def test_orconn_status_lines() -> None:
    value = f"${FP}~bridge0 CONNECTED\n127.0.0.1:9001 LAUNCHED\n\ngarbage"
    assert demo_bridge.parse_orconn_status(value) == [
        (f"${FP}~bridge0", "CONNECTED"),
        ("127.0.0.1:9001", "LAUNCHED"),
    ]


def test_the_line_is_shown_without_its_cert() -> None:
    shown = demo_bridge.describe_line(LINE)
    assert shown == f"obfs4 127.0.0.1:48485 {FP} cert=..."
    assert LINE.param("cert") not in shown  # type: ignore[operator]


async def test_a_tor_only_through_the_bridge_is_proved(monkeypatch: pytest.MonkeyPatch) -> None:
    tor = fake_tor(monkeypatch, GOOD)
    proof = await demo_bridge.prove_bridge(CLIENT, LINE)
    assert proof.first_hops == (FP, FP) and proof.connections == (FP,) and proof.guards == (FP,)
    assert tor.closed
    line = proof.summary(CLIENT.pid)
    assert "went over the obfs4 bridge" in line and "pid 4242" in line and FP[:8] in line


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"entry-guards": f"${FP}~bridge0 up\n${RELAY}~relay1 up"}, "entry guards"),
        ({"orconn-status": f"${FP}~bridge0 CONNECTED\n${RELAY}~relay1 CONNECTED"}, "connections go to"),
        ({"orconn-status": "127.0.0.1:9001 CONNECTED"}, "connections go to"),
        ({"orconn-status": ""}, "connections go to"),
        ({"circuit-status": f"{circuit(1, FP)}\n{circuit(2, RELAY)}"}, "circuits start at"),
        ({"circuit-status": f"{circuit(1, FP, 'LAUNCHED')}"}, "circuits start at"),  # none built
    ],
)
async def test_any_way_around_the_bridge_fails(
    monkeypatch: pytest.MonkeyPatch, change: dict[str, str], reason: str
) -> None:
    fake_tor(monkeypatch, {**GOOD, **change})
    with pytest.raises(Unavailable, match=reason):
        await demo_bridge.prove_bridge(CLIENT, LINE)


@pytest.mark.parametrize(
    ("uses", "bridges"),
    [
        (False, None),
        (True, ()),
        (True, (LINE.torrc_value(), f"127.0.0.1:9001 {RELAY}")),
        (True, (f"127.0.0.1:9001 {RELAY}",)),
    ],
)
async def test_a_tor_not_set_to_only_our_bridge_fails(
    monkeypatch: pytest.MonkeyPatch, uses: bool, bridges: tuple[str, ...] | None
) -> None:
    fake_tor(monkeypatch, GOOD, uses=uses, bridges=bridges)
    with pytest.raises(Unavailable, match="not set to use only the demo's bridge"):
        await demo_bridge.prove_bridge(CLIENT, LINE)


async def test_a_line_without_fingerprint_cannot_be_proved() -> None:
    with pytest.raises(Unavailable, match="no fingerprint"):
        await demo_bridge.prove_bridge(CLIENT, parse_bridge_line("127.0.0.1:9001"))


def test_the_stack_refuses_an_unknown_transport(tmp_path: Path) -> None:
    from timb.devnet.demo.stack import DemoStack  # noqa: PLC0415

    with pytest.raises(ValueError, match="obfs4"):
        DemoStack(tmp_path, say=print, bridge="snowflake")
