"""Resident memory of one client whose server-side roster holds N contacts.

Each measurement runs in a fresh child process (``xmpp_bench.py --memory-child JSON``), so
nothing the parent loaded counts. The child reads VmRSS from /proc/self/status (after
``gc.collect()``) three times: after its imports and attaching to tor ("before"), once the session
is up ("connected"), and once the roster the server pushed is loaded ("roster"). Kinds:

* ``timb``: TIMB's `XmppAdapter` (the component that holds the roster; `TimbService` does not keep
  its own copy of it) with `TorClient` as the dialer; the roster is ``adapter.roster()``.
* ``bare``: the benchmark's stock-slixmpp `BareClient`; the roster is ``get_roster()``.
* ``service``: the whole TIMB client core, a `TimbService` whose profile (made beforehand by
  `prepare_profile`, passphrase-encrypted) holds the same N contacts; "before" is after unlocking
  the profile; the roster is awaited through the account link's adapter.

The roster is filled beforehand by `fill_roster`: N roster sets (RFC 6121 §2.3) from the account
itself, pipelined in batches, over tor like everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from slixmpp import JID

from _xmpp_bare import BareClient

ROOT = Path(__file__).resolve().parents[1]
CHILD_TIMEOUT = 300.0
_BATCH = 100


def rss_kib() -> int:
    """VmRSS of this process in KiB (after a garbage collection)."""
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status (not Linux?)")


async def fill_roster(
    jid: str, password: str, count: int, *, onion: str, socks_port: int, ca_file: Path
) -> None:
    """Put ``count`` contacts (contactNNNN@domain) in ``jid``'s roster on the server."""
    client = BareClient(jid, password, socks_port=socks_port, ca_file=ca_file)
    try:
        await client.start(onion, 5222)
        domain = client.boundjid.domain
        for first in range(0, count, _BATCH):
            batch = range(first, min(first + _BATCH, count))
            futures = [
                client.update_roster(JID(f"contact{i:04d}@{domain}"), name=f"Contact {i}", timeout=120)
                for i in batch
            ]
            await asyncio.gather(*(f for f in futures if f is not None))
    finally:
        await client.stop()


async def _measure_timb(p: dict[str, Any]) -> dict[str, int]:
    from timb.common.ids import Jid  # noqa: PLC0415 - the child imports only what its kind needs
    from timb.common.secret import Secret  # noqa: PLC0415
    from timb.net.xmpp.adapter import XmppAccount, XmppAdapter  # noqa: PLC0415
    from timb.net.xmpp.tls import CertificatePin  # noqa: PLC0415
    from timb.tor.client import TorClient  # noqa: PLC0415

    tor = await TorClient.attach("127.0.0.1", p["control_port"], cookie_path=p["cookie_path"])
    account = XmppAccount(
        jid=Jid.parse(p["jid"]),
        password=Secret(p["password"]),
        host=p["onion"],
        pin=CertificatePin.from_hex(p["pin"]),
    )
    adapter = XmppAdapter(account, tor)

    async def drain() -> None:
        async for _ in adapter.events():
            pass

    drainer = asyncio.create_task(drain())
    try:
        figures = {"before": rss_kib()}
        await adapter.connect()
        figures["connected"] = rss_kib()
        figures["contacts"] = len(await adapter.roster())
        figures["roster"] = rss_kib()
        await adapter.disconnect()
    finally:
        drainer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await drainer
        await tor.close()
    return figures


async def _measure_bare(p: dict[str, Any]) -> dict[str, int]:
    client = BareClient(p["jid"], p["password"], socks_port=p["socks_port"], ca_file=Path(p["ca_file"]))
    session = asyncio.Event()
    client.add_event_handler("session_start", lambda _: session.set())
    figures = {"before": rss_kib()}
    try:
        starting = asyncio.create_task(client.start(p["onion"], 5222))  # start() also fetches the roster
        await session.wait()
        figures["connected"] = rss_kib()  # roster request just sent; its answer may be arriving
        await starting
        figures["contacts"] = len(client.client_roster)
        figures["roster"] = rss_kib()
    finally:
        await client.stop()
    return figures


PASSPHRASE = "benchmark passphrase"


async def prepare_profile(
    directory: Path, jid: str, password: str, contacts: int, *, onion: str, pin: str
) -> None:
    """A TIMB profile with one account and ``contacts`` contacts (offline: no tor needed)."""
    from timb.common.secret import Secret  # noqa: PLC0415
    from timb.core.service import TimbService  # noqa: PLC0415

    async with TimbService(directory) as service:
        await service.create_profile(Secret(PASSPHRASE))
        await service.add_account("main", jid, Secret(password), host=onion, tls_pin_sha256=pin)
        domain = jid.partition("@")[2]
        for i in range(contacts):
            await service.add_contact("main", f"contact{i:04d}@{domain}")


async def _measure_service(p: dict[str, Any]) -> dict[str, int]:
    from timb.common.secret import Secret  # noqa: PLC0415
    from timb.core.events import ConnectionState, ConnectionStateChanged  # noqa: PLC0415
    from timb.core.service import TimbService, TorSettings  # noqa: PLC0415

    tor = TorSettings(control_port=p["control_port"], cookie_path=Path(p["cookie_path"]))
    async with TimbService(Path(p["profile"]), tor=tor) as service:
        connected = asyncio.Event()

        async def watch() -> None:
            async for event in service.events():
                if isinstance(event, ConnectionStateChanged) and event.state is ConnectionState.CONNECTED:
                    connected.set()

        watcher = asyncio.create_task(watch())
        await service.unlock_profile(Secret(PASSPHRASE))
        figures = {"before": rss_kib(), "profile contacts": len(service.list_contacts("main"))}
        await service.connect("main")
        await asyncio.wait_for(connected.wait(), CHILD_TIMEOUT)
        figures["connected"] = rss_kib()
        # The service keeps no roster of its own; its adapter (slixmpp's roster) does. The runtime
        # table is private, but the account link and its adapter are what a UI would reach.
        adapter = service._accounts.runtimes["main"].link.adapter
        assert adapter is not None
        figures["contacts"] = len(await adapter.roster())
        figures["roster"] = rss_kib()
        await service.close()
        await watcher
    return figures


def child_main(arg: str) -> int:
    """Entry point of a child: measure, print one JSON line."""
    params = json.loads(arg)
    kinds = {"timb": _measure_timb, "bare": _measure_bare, "service": _measure_service}
    measure = kinds[params["kind"]]
    print(json.dumps(asyncio.run(measure(params))), flush=True)
    return 0


async def run_child(params: dict[str, Any]) -> dict[str, int]:
    """Run one measurement in a child process (its own process group, killed on any exit)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bench" / "xmpp_bench.py"), "--memory-child", json.dumps(params),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        start_new_session=True, env={**os.environ, "TIMB_OFFLINE": "1"},
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), CHILD_TIMEOUT)
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"memory child {params['kind']} failed:\n{err.decode(errors='replace')[-3000:]}")
    result: dict[str, int] = json.loads(out.decode().strip().splitlines()[-1])
    return result
