"""The campaign: set up, then per cycle a burst both ways with one fault struck into it, the
recovery measured by a probe each way, and the checks; at the end a drain, the profiles
re-opened and verified, everything stopped and the leftovers counted.

A cycle's recovery time runs from the moment the fault is over (the process killed, the freeze
or outage lifted, the server back) until a new message has been displayed at both ends; a cycle
that does not recover within ``recovery_limit_s`` is a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from timb.common.secret import Secret
from timb.core.profile import Profile, ProfilePaths
from timb.core.service import ServiceError
from timb.core.storage import StorageError
from timb.devnet.chaos import ledger
from timb.devnet.chaos.checks import audit_log, audit_violations, auditing, install_hook, process_alive
from timb.devnet.chaos.errors import PeerGone, RpcError
from timb.devnet.chaos.infra import Infra
from timb.devnet.chaos.ledger import Stream, Verdict
from timb.devnet.chaos.peers import (
    ACCOUNT,
    PASSPHRASE,
    SMP_SECRET,
    Changes,
    Hooks,
    JumpClock,
    LocalPeer,
    Login,
    RpcPeer,
)
from timb.devnet.chaos.plan import Fault, FaultKind
from timb.devnet.chaos.report import Tally, table

PROFILE_ERROR = -32001


@dataclass
class Options:
    seed: int
    faults: list[Fault]
    directory: Path
    recovery_limit_s: float = 150.0
    drain_s: float = 90.0
    say: Callable[[str], None] = print


@dataclass
class Result:
    tally: Tally
    verdict: Verdict
    elapsed_s: float
    details: list[str] = field(default_factory=list)

    def table(self) -> str:
        return table(self.tally, self.verdict, self.elapsed_s)


class Campaign:
    def __init__(self, options: Options) -> None:
        self.o = options
        self.run_tag = f"{options.seed & 0xFFFFFFFF:08x}{secrets.token_hex(2)}"
        self.streams = {"alice": Stream(self.run_tag, "alice"), "bob": Stream(self.run_tag, "bob")}
        self.tally = Tally(options.seed)
        self.changes = Changes()
        self.clock = JumpClock()
        self.infra = Infra(options.directory)
        d = options.directory
        self.alice: LocalPeer | None = None
        self.bob: RpcPeer | None = None
        self._audit_path = d / "bob-audit.jsonl"
        self._seen_bad = (0, 0, 0)
        self._seen_lost = 0
        self._smp_started = False

    def _note(self, text: str) -> None:
        """A finding or an oddity: printed at once and kept for the table."""
        self.tally.notes.append(text)
        self.o.say(f"  note: {text}")

    # ---- callbacks from the peers ----

    def _display(self, peer: str, text: str) -> None:
        sender = "bob" if peer == "alice" else "alice"
        life = len(self.bob.pids) if peer == "bob" and self.bob is not None else 1
        self.streams[sender].displayed_text(text, life)

    def _state(self, peer: str, msg_id: str, state: str) -> None:
        self.streams[peer].state_shown(msg_id, state)

    # ---- the run ----

    async def run(self) -> Result:
        started = time.monotonic()
        install_hook()
        audit_log.clear()
        self.o.say(f"chaos: seed {self.o.seed}, {len(self.o.faults)} cycles, run tag {self.run_tag}")
        try:
            await self._setup()
            for n, fault in enumerate(self.o.faults, 1):
                await self._cycle(n, fault)
            await self._drain()
            await self._verify_profiles()
        finally:
            auditing.clear()
            await self._teardown()
        verdict = self.streams["alice"].verdict() + self.streams["bob"].verdict()
        return Result(self.tally, verdict, time.monotonic() - started)

    def _jid(self, name: str) -> str:
        return self.infra.accounts[name].jid

    async def _open(self, peer: LocalPeer | RpcPeer, *, create: bool, connect: bool = True) -> None:
        other = "bob" if peer.name == "alice" else "alice"
        acct = self.infra.accounts[peer.name]
        login = Login(acct.jid, acct.password, self._jid(other), self.infra.onion, self.infra.cert_pin)
        await peer.open(login, create=create, connect=connect)

    async def _setup(self) -> None:
        await self.infra.start()
        self.o.say(f"chaos: network, onion Prosody {self.infra.onion[:16]}... and client tors up")
        d = self.o.directory
        hooks = Hooks(self._display, self._state, self.changes)
        self.alice = LocalPeer(d / "alice", self.infra.tors["alice"].settings(), self.clock, hooks)
        self.bob = RpcPeer(d / "bob", self.infra.tors["bob"].settings(), self._audit_path, hooks)
        auditing.set()
        await self._open(self.alice, create=True)
        await self._open(self.bob, create=True)
        recovered = await self._probe(time.monotonic())
        if recovered is None:
            raise RuntimeError("the two clients never chatted: no campaign without a working start")
        self.o.say(f"chaos: first private messages both ways after {recovered:.1f} s")

    async def _type_alice(self) -> None:
        assert self.alice is not None
        stream = self.streams["alice"]
        seq = stream.next_seq()
        stream.typed_as(seq, self.alice.send(self._jid("bob"), ledger.compose(self.run_tag, "alice", seq)))

    async def _type_bob(self) -> None:
        assert self.bob is not None
        stream = self.streams["bob"]
        seq = stream.next_seq()
        try:
            msg_id = await self.bob.send(self._jid("alice"), ledger.compose(self.run_tag, "bob", seq))
        except PeerGone:
            # Typed, but the UI died before it answered: it never showed this message as sent.
            stream.typed_as(seq, f"unanswered-{seq}")
            raise
        except (RpcError, TimeoutError) as exc:
            # Refused (or no answer): the text must then never be displayed; if it is, the
            # display is counted as "never typed" and this note says why it was refused.
            self._note(f"bob's message #{seq} was refused: {type(exc).__name__} {exc}")
            raise
        stream.typed_as(seq, msg_id)

    async def _burst(self, n: int) -> None:
        for _ in range(n):
            await self._type_alice()
            try:
                await self._type_bob()
            except (PeerGone, RpcError):
                pass  # killed mid-burst, or asked before the restarted client unlocked
            except TimeoutError:
                self._note("bob did not answer message.send in time")

    async def _probe(self, since: float) -> float | None:
        """One new message each way; seconds from ``since`` until both are displayed, or None."""
        await self._ensure_bob()
        a, b = self.streams["alice"], self.streams["bob"]
        a_seq, b_seq = a._issued, b._issued
        await self._type_alice()
        with contextlib.suppress(PeerGone, RpcError):
            await self._type_bob()
        ok = await self.changes.until(
            lambda: a_seq in a.displayed and (b_seq in b.displayed or b_seq in b.dropped),
            self.o.recovery_limit_s,
        )
        return time.monotonic() - since if ok else None

    async def _ensure_bob(self) -> None:
        """A bob that died on its own (not by our kill) is noted and started again."""
        assert self.bob is not None
        if self.bob.proc is not None and self.bob.proc.returncode is None:
            return
        if self.bob.proc is not None:
            self._note(f"bob's process ended by itself (exit {self.bob.proc.returncode})")
            await self.bob.kill()
            self.streams["bob"].sender_killed()
        await self._restart_bob()

    async def _restart_bob(self) -> None:
        assert self.bob is not None
        try:
            await self._open(self.bob, create=False)
        except RpcError as exc:
            if exc.code == PROFILE_ERROR:
                self.tally.corrupt_vaults += 1
                self._note(f"bob's profile did not open after a fault: {exc}")
            raise

    async def _kill_bob(self) -> None:
        assert self.bob is not None
        await self.bob.kill()
        self.streams["bob"].sender_killed()

    async def _cycle(self, n: int, fault: Fault) -> None:
        burst = asyncio.create_task(self._burst(fault.burst))
        await asyncio.sleep(fault.delay_s)
        jump = await self._strike(fault)
        ended = time.monotonic()
        if fault.kind in (FaultKind.KILL_MID_BURST, FaultKind.KILL_MID_AKE, FaultKind.KILL_MID_SMP,
                          FaultKind.KILL_MID_SAVE):  # fmt: skip
            await self._restart_bob()
        await burst
        recovery = await self._probe(ended)
        self.clock.offset -= jump
        self.tally.record(fault.kind, recovery)
        self._check(n, fault, recovery)
        await self._vaults_as_a_crash_leaves_them(n, fault)

    async def _vaults_as_a_crash_leaves_them(self, n: int, fault: Fault) -> None:
        """After each cycle, both clients' vaults as they are on disk now (what a kill at this
        instant would leave) must unlock: copied, so the running clients keep their locks, and
        unlocked in a thread, so alice's event loop does not stall for the KDF."""
        for name in ("alice", "bob"):
            problem = await asyncio.to_thread(_unlock_a_copy, self.o.directory / name)
            if problem is not None:
                self.tally.corrupt_vaults += 1
                self._note(f"cycle {n} ({fault.kind.value}): {name}'s vault on disk: {problem}")

    async def _strike(self, fault: Fault) -> float:
        """Do the fault; returns the clock jump to undo after the cycle (0 for other faults)."""
        assert self.alice is not None and self.alice.service is not None and self.bob is not None
        match fault.kind:
            case FaultKind.KILL_MID_BURST:
                await self._kill_bob()
            case FaultKind.KILL_MID_AKE:
                self.alice.service.start_otr(ACCOUNT, self._jid("bob"))
                await asyncio.sleep(fault.delay_s / 3)
                await self._kill_bob()
            case FaultKind.KILL_MID_SMP:
                self.bob.fire("smp.start", account=ACCOUNT, contact=self._jid("alice"), secret=SMP_SECRET)
                await asyncio.sleep(fault.delay_s / 3)
                await self._kill_bob()
            case FaultKind.KILL_MID_SAVE:
                self.bob.fire("settings.set", auto_connect=bool(int(fault.delay_s * 1000) % 2))
                await asyncio.sleep(fault.delay_s / 50)
                await self._kill_bob()
            case FaultKind.PROSODY_RESTART:
                await self.infra.restart_prosody()
            case FaultKind.PROSODY_FREEZE:
                await self.infra.freeze_prosody(fault.duration_s)
            case FaultKind.DISABLE_NETWORK:
                await self.infra.disable_network(fault.side, fault.duration_s)
            case FaultKind.TOR_FREEZE:
                await self.infra.freeze(self.infra.tors[fault.side].pid, fault.duration_s)
            case FaultKind.DISK_FULL:
                await self._disk_full()
            case FaultKind.CLOCK_JUMP:
                self.clock.offset += fault.jump_s
                return fault.jump_s
        return 0.0

    async def _disk_full(self) -> None:
        """No file of bob's may grow while he saves his profile and writes history."""
        assert self.bob is not None
        self.bob.limit_file_size(0)
        try:
            dummy = f"full{secrets.token_hex(3)}@timb.test"
            try:
                await self.bob.call("contact.add", account=ACCOUNT, jid=dummy)
            except RpcError:
                self.tally.disk_full_refusals += 1  # the save failed, as it must: the fault bit
            else:
                self._note("a vault save succeeded under RLIMIT_FSIZE 0: the disk-full fault did not bite")
            for _ in range(3):
                with contextlib.suppress(RpcError):
                    await self._type_bob()
                await self._type_alice()
            await self.changes.until(lambda: False, 2.0)  # let the history writes meet the limit
        finally:
            if self.bob.proc is not None and self.bob.proc.returncode is None:
                self.bob.limit_file_size(None)

    def _check(self, n: int, fault: Fault, recovery: float | None) -> None:
        v = self.streams["alice"].verdict() + self.streams["bob"].verdict()
        bad = (v.duplicated, v.out_of_order, v.corrupt)
        what = f"cycle {n} ({fault.kind.value}, {fault})"
        if v.lost != self._seen_lost:
            lost = {
                s: {seq: "/".join(self.streams[s].states.get(seq, [])) for seq in self.streams[s].lost_seqs()}
                for s in self.streams
            }
            self._note(f"{what}: shown sent, not displayed (yet), with their states: {lost}")
            self._seen_lost = v.lost
        if bad != self._seen_bad:
            dups = {s: self.streams[s].duplicated_seqs() for s in self.streams}
            strays = {s: self.streams[s].strays[-5:] for s in self.streams}
            self._note(
                f"{what}: duplicated/out-of-order/corrupt now {bad}; duplicates {dups}; corrupt {strays}"
            )
            self._seen_bad = bad
        if self.run_tag.encode() in self.infra.server_bytes():
            self.tally.plaintext += 1
            self._note(f"{what}: a message text is in Prosody's files")
        if recovery is None:
            assert self.alice is not None and self.bob is not None
            self._note(
                f"{what}: hang; alice's connection {self.alice.trail[-4:]}, bob's {self.bob.trail[-4:]}"
                f" (now {time.monotonic():.1f})"
            )
        status = "hang" if recovery is None else f"recovered in {recovery:.1f} s"
        self.o.say(f"  cycle {n:>3} {fault.kind.value:<26} {status:<22} typed {v.typed} delivered "
                   f"{v.delivered} lost {v.lost} dup {v.duplicated}")  # fmt: skip

    async def _drain(self) -> None:
        """Wait until every message not dropped with a killed client is displayed (or give up)."""
        await self._ensure_bob()
        done = await self.changes.until(
            lambda: not self.streams["alice"].missing() and not self.streams["bob"].missing(), self.o.drain_s
        )
        if not done:
            missing = {s: self.streams[s].missing() for s in self.streams}
            lost = {s: self.streams[s].lost_seqs() for s in self.streams}
            self._note(f"after the drain still missing {missing}; of those shown sent: {lost}")

    async def _verify_profiles(self) -> None:
        """Both clients closed and opened again from disk: the vault unlocks, the history reads
        back intact and holds nothing that was not displayed; no profile file holds a text."""
        assert self.alice is not None and self.bob is not None
        await self.bob.close()
        await self.alice.close()
        for peer in (self.alice, self.bob):
            try:
                await self._open(peer, create=False, connect=False)
                history = await peer.history(self._jid("bob" if peer.name == "alice" else "alice"))
            except (RpcError, PeerGone) as exc:
                self.tally.corrupt_vaults += 1
                self._note(f"{peer.name}'s profile did not open or read: {exc}")
                continue
            finally:
                await peer.close()
            self._check_history(peer.name, history)
        for name in ("alice", "bob"):
            blob = b"".join(p.read_bytes() for p in (self.o.directory / name).rglob("*") if p.is_file())
            if self.run_tag.encode() in blob:
                self.tally.plaintext += 1
                self._note(f"{name}'s profile directory holds a message text in the clear")

    def _check_history(self, name: str, history: list[str]) -> None:
        # History records what was written and what was displayed; only texts of the run count.
        for text in history:
            parsed = ledger.parse(self.run_tag, text)
            if parsed is None or not parsed.intact:
                self.tally.corrupt_vaults += 1
                self._note(f"{name}'s history holds a text that is not intact")
                return

    async def _teardown(self) -> None:
        for peer in (self.bob, self.alice):
            if peer is not None:
                with contextlib.suppress(ServiceError, RpcError, PeerGone, OSError):
                    await peer.close()
        await self.infra.stop()
        pids = self.infra.pids() + (self.bob.pids if self.bob else [])
        self.tally.leftover_processes = sum(1 for pid in pids if process_alive(pid))
        self.tally.client_starts = len(self.bob.pids) if self.bob else 0
        bob_log = self._bob_log()
        self.tally.audited_connects = sum(1 for kind, _ in audit_log + bob_log if kind == "connect")
        for v in audit_violations(audit_log, self.infra.tor_ports()) + audit_violations(
            bob_log, self.infra.tor_ports()
        ):
            self.tally.plaintext += 1
            self._note(f"a client dialled outside tor: {v}")

    def _bob_log(self) -> list[tuple[str, object]]:
        if not self._audit_path.exists():
            return []
        entries = [json.loads(line) for line in self._audit_path.read_text().splitlines()]
        return [(e[0], e[1]) for e in entries]


def _unlock_a_copy(root: Path) -> str | None:
    """Unlock a copy of the vault (and its backup) of the profile at ``root``; None if it
    opens, else what went wrong. (The copy of each file is whole: saves replace it by rename.)"""
    paths = ProfilePaths.of(root)
    with tempfile.TemporaryDirectory(prefix="timb-chaos-vault-") as tmp:
        for source in (paths.vault, paths.backup):
            if source.exists():
                shutil.copy2(source, Path(tmp) / source.name)
        try:
            Profile.unlock(Secret(PASSPHRASE), Path(tmp)).close()
        except (StorageError, OSError) as exc:
            return f"{type(exc).__name__}: {exc}"
    return None
