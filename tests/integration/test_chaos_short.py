"""The short fault campaign (issue 14) in ``make test``: every fault kind without an open finding
struck once into a chat between an in-process service and a ``timb jsonrpc`` client, on a
private Tor network and an onion Prosody of its own (timb.devnet.chaos), with a fixed seed.

Nothing typed may be lost or shown twice (but for the open finding named below), nothing may
leak (server files, profile files, any dial outside tor), every vault must open again, no cycle
may hang and no process may be left.
The faults must really have happened: each kind is counted, every kill restarted the client.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from timb.devnet.chaos.plan import DEFAULT, KILLS, FaultKind, plan
from timb.devnet.chaos.runner import Campaign, Options

pytestmark = [pytest.mark.integration, pytest.mark.timeout(280)]

SEED = 20261203


async def test_a_few_cycles_of_each_fault_lose_duplicate_and_leak_nothing(tmp_path: Path) -> None:
    # Short freezes and outages: the long campaign (docs/reliability.md) goes past the time-outs.
    faults = plan(SEED, len(DEFAULT), DEFAULT, each_once=True, freeze_s=5.0)
    result = await Campaign(
        Options(SEED, faults, tmp_path, recovery_limit_s=90.0, drain_s=60.0, say=print)
    ).run()
    print(result.table())
    t, v = result.tally, result.verdict
    # The one open finding (docs/reliability.md, finding 8): a client killed while the save of
    # the ids it showed is on its way shows those again in its next process (duplicated_across;
    # test_core_conversations_service.py::test_a_message_is_shown_only_once_its_id_is_on_disk,
    # strict xfail). Nothing may be lost: findings 2 and 4 are fixed (100 cycles, 0 lost).
    lost = v.lost
    dup = v.duplicated - v.duplicated_across
    assert (lost, dup, v.out_of_order, v.corrupt) == (0, 0, 0, 0), result.table()
    assert (t.plaintext, t.corrupt_vaults, t.leftover_processes) == (0, 0, 0), result.table()
    assert not sum(t.hangs.values()), result.table()
    # Not vacuous: the chat went on, every fault struck, every kill restarted the client, the
    # audit hooks saw the clients' connects.
    assert v.typed > 5 * len(faults) and v.delivered > 0
    assert set(t.faults) == set(DEFAULT) and t.cycles == len(faults)
    assert t.client_starts == 1 + sum(t.faults[k] for k in KILLS) + 1  # + the final re-open
    assert t.audited_connects > 0
    assert t.disk_full_refusals == t.faults[FaultKind.DISK_FULL]
