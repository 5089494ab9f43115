"""python-potr 1.0.2 (OTR v2 only) as a reference peer with the same interface as `LibotrPeer`.

potr leaves several jobs to the application; this harness does them the way a client would:
it resends a message held while the AKE ran (potr only stores it in ``lastMessage``), sends it
*after* the AKE reply that completed the session (potr would otherwise encrypt it before its own
Signature message leaves), and turns potr's exceptions and SMP progress into the same event
objects `LibotrPeer` records (GoneSecure, SmpEvent, MsgEvent, ...).
"""

from __future__ import annotations

from typing import Any

from tests.interop import potr_shim

potr_shim.apply()

import potr.context as pctx  # noqa: E402  (after the shim, on purpose)
import potr.crypt as pcrypt  # noqa: E402
import potr.proto as pproto  # noqa: E402
from potr.compatcrypto import DSAKey  # noqa: E402

from tests.interop.libotr import (  # noqa: E402
    GoneInsecure,
    GoneSecure,
    MsgEvent,
    NewFingerprint,
    ReceivedTlv,
    SmpEvent,
    human_fingerprint,
)

POLICY_ALWAYS = {"ALLOW_V1": False, "ALLOW_V2": True, "REQUIRE_ENCRYPTION": True, "SEND_TAG": False}
POLICY_OPPORTUNISTIC = {"ALLOW_V1": False, "ALLOW_V2": True, "REQUIRE_ENCRYPTION": False, "SEND_TAG": True}
PROTOCOL = "xmpp"


def generate_key() -> Any:
    """A potr DSAKey (DSA-1024 from pycryptodome, through the shim)."""
    return DSAKey.generate()


class _Context(pctx.Context):  # type: ignore[misc]
    def __init__(self, account: _Account, peername: str) -> None:
        self.harness: PotrPeer = account.harness
        super().__init__(account, peername)

    def getPolicy(self, key: str) -> bool:
        return bool(self.harness.policy.get(key, False))

    def inject(self, msg: bytes, appdata: Any = None) -> None:
        self.harness.outbox.append((self.peer, msg.decode("utf-8")))

    def setState(self, newstate: int) -> None:
        if self.state == pctx.STATE_ENCRYPTED and newstate != pctx.STATE_ENCRYPTED:
            self.harness.events.append(GoneInsecure(self.peer))
        super().setState(newstate)

    def _wentEncrypted(self) -> None:
        first = self.state != pctx.STATE_ENCRYPTED
        super()._wentEncrypted()
        fp = human_fingerprint(self.crypto.theirPubkey.fingerprint())
        if fp not in self.harness.seen_fingerprints:
            self.harness.seen_fingerprints.add(fp)
            self.harness.events.append(NewFingerprint(self.peer, fp))
        if first:
            self.harness.events.append(GoneSecure(self.peer))
        self.harness.went_secure_with.append(self.peer)


class _Account(pctx.Account):  # type: ignore[misc]
    contextclass = _Context

    def __init__(self, harness: PotrPeer, name: str, key: Any, max_message_size: int) -> None:
        self.harness = harness
        super().__init__(name, PROTOCOL, max_message_size, privkey=key)

    def loadPrivkey(self) -> None:
        return None

    def savePrivkey(self) -> None:
        return None

    def saveTrusts(self) -> None:
        return None


class PotrPeer:
    """One python-potr client. Same interface as `LibotrPeer` (send/receive/start/end/...).

    Args:
        account: our account name.
        policy: potr policy flags (ALLOW_V2, REQUIRE_ENCRYPTION, SEND_TAG).
        max_message_size: potr fragments messages longer than this (0 = never).
        key: a potr DSAKey to reuse; a fresh one is generated otherwise.
    """

    def __init__(
        self,
        account: str,
        *,
        policy: dict[str, bool] | None = None,
        max_message_size: int = 0,
        key: Any = None,
    ) -> None:
        self.name = account
        self.policy = dict(POLICY_ALWAYS if policy is None else policy)
        self.events: list[object] = []
        self.outbox: list[tuple[str, str]] = []
        self.seen_fingerprints: set[str] = set()
        self.went_secure_with: list[str] = []
        self.key = key if key is not None else generate_key()
        self.account = _Account(self, account, self.key, max_message_size)

    @property
    def max_message_size(self) -> int:
        return int(self.account.maxMessageSize)

    @max_message_size.setter
    def max_message_size(self, value: int) -> None:
        self.account.maxMessageSize = value

    def ctx(self, to: str) -> Any:
        return self.account.getContext(to)

    def take_outgoing(self) -> list[tuple[str, str]]:
        out, self.outbox = self.outbox, []
        return out

    def _split_outgoing(self, to: str, pending: list[tuple[str, str]]) -> list[str]:
        injected = self.take_outgoing()
        self.outbox = pending + [(r, w) for r, w in injected if r != to]
        return [w for r, w in injected if r == to]

    def send(self, to: str, text: str) -> list[str]:
        """Encrypt (or hold, per policy) what the user typed; returns the wire messages."""
        pending = self.take_outgoing()
        try:
            ret = self.ctx(to).sendMessage(pctx.FRAGMENT_SEND_ALL, text.encode("utf-8"))
        except pctx.NotEncryptedError:
            # FINISHED: the peer ended the session; like libotr, nothing is sent.
            self.events.append(MsgEvent(to, "connection_ended", None, 0))
            ret = None
        wire = self._split_outgoing(to, pending)
        if ret is not None:
            wire.append(ret.decode("utf-8") if isinstance(ret, bytes) else str(ret))
        return wire

    def receive(self, frm: str, wire: str) -> str | None:
        """One message from the network; returns what the user sees, or None."""
        ctx = self.ctx(frm)
        before = len(self.went_secure_with)
        shown: str | None
        tlvs: list[Any] = []
        try:
            text, tlvs = ctx.receiveMessage(wire.encode("utf-8"))
            shown = text.decode("utf-8") if text else None
        except pctx.NotOTRMessage as exc:
            shown = _text(exc.args[0])
        except pctx.UnencryptedMessage as exc:
            shown = _text(exc.args[0])
            self.events.append(MsgEvent(frm, "rcvdmsg_unencrypted", shown, 0))
        except pctx.ErrorReceived as exc:
            self.events.append(MsgEvent(frm, "rcvdmsg_general_err", repr(exc.args[0]), 0))
            shown = None
        except pctx.NotEncryptedError:
            self.events.append(MsgEvent(frm, "rcvdmsg_not_in_private", None, 0))
            shown = None
        except pcrypt.InvalidParameterError:
            self.events.append(MsgEvent(frm, "rcvdmsg_unreadable", None, 0))
            shown = None
        self._record_tlvs(frm, ctx, tlvs)
        if len(self.went_secure_with) > before and ctx.lastMessage and ctx.mayRetransmit:
            held, ctx.lastMessage, ctx.mayRetransmit = ctx.lastMessage, None, 0
            ctx.sendMessage(pctx.FRAGMENT_SEND_ALL, held)
        return shown

    def _record_tlvs(self, frm: str, ctx: Any, tlvs: list[Any]) -> None:
        smp_seen = False
        for tlv in tlvs:
            self.events.append(ReceivedTlv(frm, tlv.typ, bytes(tlv.getPayload())))
            if isinstance(tlv, pproto.SMP1QTLV):
                self.events.append(SmpEvent(frm, "ask_for_answer", 25, tlv.msg.decode("utf-8")))
            elif isinstance(tlv, pproto.SMP1TLV):
                self.events.append(SmpEvent(frm, "ask_for_secret", 25, None))
            elif isinstance(tlv, pproto.SMPABORTTLV):
                self.events.append(SmpEvent(frm, "abort", 0, None))
            elif isinstance(tlv, pproto.SMPTLV):
                smp_seen = True
        smp = ctx.crypto.smp
        if smp_seen and smp is not None:
            if smp.prog == pcrypt.SMPPROG_SUCCEEDED:
                self.events.append(SmpEvent(frm, "success", 100, None))
            elif smp.prog == pcrypt.SMPPROG_FAILED:
                self.events.append(SmpEvent(frm, "failure", 100, None))
            elif smp.prog == pcrypt.SMPPROG_CHEATED:
                self.events.append(SmpEvent(frm, "cheated", 0, None))
            else:
                self.events.append(SmpEvent(frm, "in_progress", 60, None))

    def start(self, to: str) -> list[str]:
        return [self.account.getDefaultQueryMessage(self.ctx(to).getPolicy).decode("ascii")]

    def end(self, to: str) -> list[str]:
        pending = self.take_outgoing()
        self.ctx(to).disconnect()
        return self._split_outgoing(to, pending)

    def is_encrypted(self, to: str) -> bool:
        return bool(self.ctx(to).state == pctx.STATE_ENCRYPTED)

    def msgstate(self, to: str) -> int:
        return int(self.ctx(to).state)  # potr uses libotr's numbering: 0, 1, 2

    def protocol_version(self, to: str) -> int:
        return 2 if self.is_encrypted(to) else 0

    def ssid(self, to: str) -> bytes:
        return bytes(self.ctx(to).crypto.sessionId or b"")

    def fingerprint(self) -> str:
        return human_fingerprint(self.key.fingerprint())

    def their_fingerprint(self, to: str) -> str | None:
        key = self.ctx(to).crypto.theirPubkey
        return human_fingerprint(key.fingerprint()) if key is not None else None

    def _smp(self, to: str, call: Any, *args: Any) -> list[str]:
        pending = self.take_outgoing()
        call(*args)
        return self._split_outgoing(to, pending)

    def smp_start(self, to: str, secret: str, question: str | None = None) -> list[str]:
        q = question.encode("utf-8") if question is not None else None
        return self._smp(to, self.ctx(to).smpInit, secret.encode("utf-8"), q)

    def smp_respond(self, to: str, secret: str) -> list[str]:
        return self._smp(to, self.ctx(to).smpGotSecret, secret.encode("utf-8"))

    def smp_abort(self, to: str) -> list[str]:
        return self._smp(to, self.ctx(to).smpAbort)

    def smp_kinds(self) -> list[str]:
        return [e.kind for e in self.events if isinstance(e, SmpEvent)]

    def msg_kinds(self) -> list[str]:
        return [e.kind for e in self.events if isinstance(e, MsgEvent)]

    def events_of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def close(self) -> None:
        """Nothing to free; here for the common interface."""


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
