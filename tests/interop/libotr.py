"""A ctypes harness over Debian's libotr 4.1.1 (``libotr.so.5``): the reference OTR peer.

`LibotrPeer` is one libotr client: its own ``OtrlUserState``, account name, DSA key (generated with
``otrl_privkey_generate`` into a file, or read from one), instance tag and policy. Everything libotr
puts on the wire (``inject_message``, ``otrl_message_sending`` results, fragments) lands in the
peer's outbox; everything libotr tells the application (gone_secure, SMP and message events, new
fingerprints, symmetric keys) is recorded in ``events``.

Struct layouts and enum values are copied from /usr/include/libotr (libotr5-dev 4.1.1); the
reference tests cross-check the ``ConnContext`` offsets against a C program compiled with gcc.

A Python exception inside a callback cannot propagate through C: the callbacks record it in
``callback_errors`` and every public method raises `CallbackFailed` at its end, so a broken
callback fails the test instead of vanishing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

# --- constants (proto.h, instag.h, message.h, context.h, tlv.h) -------------------------------

POLICY_ALLOW_V1 = 0x01
POLICY_ALLOW_V2 = 0x02
POLICY_ALLOW_V3 = 0x04
POLICY_REQUIRE_ENCRYPTION = 0x08
POLICY_SEND_WHITESPACE_TAG = 0x10
POLICY_WHITESPACE_START_AKE = 0x20
POLICY_ERROR_START_AKE = 0x40
POLICY_NEVER = 0x00
POLICY_MANUAL = POLICY_ALLOW_V2 | POLICY_ALLOW_V3
POLICY_OPPORTUNISTIC = (
    POLICY_ALLOW_V2
    | POLICY_ALLOW_V3
    | POLICY_SEND_WHITESPACE_TAG
    | POLICY_WHITESPACE_START_AKE
    | POLICY_ERROR_START_AKE
)
POLICY_ALWAYS = (
    POLICY_ALLOW_V2
    | POLICY_ALLOW_V3
    | POLICY_REQUIRE_ENCRYPTION
    | POLICY_WHITESPACE_START_AKE
    | POLICY_ERROR_START_AKE
)
# libotr with only version 2 allowed: what an old Pidgin (or python-potr) speaks.
POLICY_ALWAYS_V2 = POLICY_ALWAYS & ~POLICY_ALLOW_V3

INSTAG_MASTER = 0
INSTAG_BEST = 1
INSTAG_RECENT = 2
INSTAG_RECENT_RECEIVED = 3
INSTAG_RECENT_SENT = 4
MIN_VALID_INSTAG = 0x100

FRAGMENT_SEND_SKIP = 0
FRAGMENT_SEND_ALL = 1
FRAGMENT_SEND_ALL_BUT_FIRST = 2
FRAGMENT_SEND_ALL_BUT_LAST = 3

MSGSTATE_PLAINTEXT = 0
MSGSTATE_ENCRYPTED = 1
MSGSTATE_FINISHED = 2

TLV_DISCONNECTED = 0x0001
TLV_SYMKEY = 0x0008

SMP_EVENTS = (
    "none",
    "error",
    "abort",
    "cheated",
    "ask_for_answer",
    "ask_for_secret",
    "in_progress",
    "success",
    "failure",
)
MSG_EVENTS = (
    "none",
    "encryption_required",
    "encryption_error",
    "connection_ended",
    "setup_error",
    "msg_reflected",
    "msg_resent",
    "rcvdmsg_not_in_private",
    "rcvdmsg_unreadable",
    "rcvdmsg_malformed",
    "log_heartbeat_rcvd",
    "log_heartbeat_sent",
    "rcvdmsg_general_err",
    "rcvdmsg_unencrypted",
    "rcvdmsg_unrecognized",
    "rcvdmsg_for_other_instance",
)
ERROR_CODES = ("none", "encryption_error", "msg_not_in_private", "msg_unreadable", "msg_malformed")

LIBOTR_SONAME = "libotr.so.5"
PROTOCOL = "xmpp"


class LibotrError(RuntimeError):
    """libotr returned an error code (a gcry_error_t) or refused a call."""


class CallbackFailed(AssertionError):
    """A Python callback raised while libotr was calling it; the original is the __cause__."""


# --- structs ----------------------------------------------------------------------------------


class OtrlTLV(ctypes.Structure):
    pass


OtrlTLV._fields_ = [
    ("type", ctypes.c_ushort),
    ("len", ctypes.c_ushort),
    ("data", ctypes.POINTER(ctypes.c_ubyte)),
    ("next", ctypes.POINTER(OtrlTLV)),
]


class FingerprintStruct(ctypes.Structure):
    """context.h ``Fingerprint`` (renamed: timb.common has a Fingerprint)."""

    _fields_ = [
        ("next", ctypes.c_void_p),
        ("tous", ctypes.c_void_p),
        ("fingerprint", ctypes.POINTER(ctypes.c_ubyte)),
        ("context", ctypes.c_void_p),
        ("trust", ctypes.c_char_p),
    ]


class OtrlSMState(ctypes.Structure):
    _fields_ = [
        *[(name, ctypes.c_void_p) for name in ("secret", "x2", "x3", "g1", "g2", "g3", "g3o")],
        *[(name, ctypes.c_void_p) for name in ("p", "q", "pab", "qab")],
        ("nextExpected", ctypes.c_int),
        ("received_question", ctypes.c_int),
        ("sm_prog_state", ctypes.c_int),
    ]


class ConnContext(ctypes.Structure):
    """context.h ``struct context``. ``auth`` (OtrlAuthInfo, 256 bytes, 8-aligned) stays opaque."""

    _fields_ = [
        ("next", ctypes.c_void_p),
        ("tous", ctypes.c_void_p),
        ("context_priv", ctypes.c_void_p),
        ("username", ctypes.c_char_p),
        ("accountname", ctypes.c_char_p),
        ("protocol", ctypes.c_char_p),
        ("m_context", ctypes.c_void_p),
        ("recent_rcvd_child", ctypes.c_void_p),
        ("recent_sent_child", ctypes.c_void_p),
        ("recent_child", ctypes.c_void_p),
        ("our_instance", ctypes.c_uint),
        ("their_instance", ctypes.c_uint),
        ("msgstate", ctypes.c_int),
        ("auth", ctypes.c_uint64 * 32),
        ("fingerprint_root", FingerprintStruct),
        ("active_fingerprint", ctypes.POINTER(FingerprintStruct)),
        ("sessionid", ctypes.c_ubyte * 20),
        ("sessionid_len", ctypes.c_size_t),
        ("sessionid_half", ctypes.c_int),
        ("protocol_version", ctypes.c_uint),
        ("otr_offer", ctypes.c_int),
        ("app_data", ctypes.c_void_p),
        ("app_data_free", ctypes.c_void_p),
        ("smstate", ctypes.POINTER(OtrlSMState)),
    ]


class OtrlInsTag(ctypes.Structure):
    _fields_ = [
        ("next", ctypes.c_void_p),
        ("tous", ctypes.c_void_p),
        ("accountname", ctypes.c_char_p),
        ("protocol", ctypes.c_char_p),
        ("instag", ctypes.c_uint),
    ]


# Offsets measured with gcc on Debian's headers; tests/interop/test_reference_peers.py re-measures.
CONTEXT_OFFSETS = {
    "our_instance": 80,
    "their_instance": 84,
    "msgstate": 88,
    "auth": 96,
    "fingerprint_root": 352,
    "active_fingerprint": 392,
    "sessionid": 400,
    "sessionid_len": 424,
    "protocol_version": 436,
    "smstate": 464,
}
assert ctypes.sizeof(ConnContext) == 472, "ConnContext layout does not match libotr 4.1.1"
for _name, _offset in CONTEXT_OFFSETS.items():
    assert getattr(ConnContext, _name).offset == _offset, _name

V = ctypes.c_void_p
S = ctypes.c_char_p
UB = ctypes.POINTER(ctypes.c_ubyte)
# OtrlMessageAppOps, in header order (message.h). gcry_error_t and OtrlPolicy are unsigned int.
OPS_PROTOTYPES: list[tuple[str, Any]] = [
    ("policy", ctypes.CFUNCTYPE(ctypes.c_uint, V, V)),
    ("create_privkey", ctypes.CFUNCTYPE(None, V, S, S)),
    ("is_logged_in", ctypes.CFUNCTYPE(ctypes.c_int, V, S, S, S)),
    ("inject_message", ctypes.CFUNCTYPE(None, V, S, S, S, S)),
    ("update_context_list", ctypes.CFUNCTYPE(None, V)),
    ("new_fingerprint", ctypes.CFUNCTYPE(None, V, V, S, S, S, UB)),
    ("write_fingerprints", ctypes.CFUNCTYPE(None, V)),
    ("gone_secure", ctypes.CFUNCTYPE(None, V, V)),
    ("gone_insecure", ctypes.CFUNCTYPE(None, V, V)),
    ("still_secure", ctypes.CFUNCTYPE(None, V, V, ctypes.c_int)),
    ("max_message_size", ctypes.CFUNCTYPE(ctypes.c_int, V, V)),
    ("account_name", ctypes.CFUNCTYPE(V, V, S, S)),
    ("account_name_free", ctypes.CFUNCTYPE(None, V, V)),
    ("received_symkey", ctypes.CFUNCTYPE(None, V, V, ctypes.c_uint, UB, ctypes.c_size_t, UB)),
    ("otr_error_message", ctypes.CFUNCTYPE(V, V, V, ctypes.c_int)),
    ("otr_error_message_free", ctypes.CFUNCTYPE(None, V, V)),
    ("resent_msg_prefix", ctypes.CFUNCTYPE(V, V, V)),
    ("resent_msg_prefix_free", ctypes.CFUNCTYPE(None, V, V)),
    ("handle_smp_event", ctypes.CFUNCTYPE(None, V, ctypes.c_int, V, ctypes.c_ushort, S)),
    ("handle_msg_event", ctypes.CFUNCTYPE(None, V, ctypes.c_int, V, S, ctypes.c_uint)),
    ("create_instag", ctypes.CFUNCTYPE(None, V, S, S)),
    ("convert_msg", ctypes.CFUNCTYPE(None, V, V, ctypes.c_int, ctypes.POINTER(S), S)),
    ("convert_free", ctypes.CFUNCTYPE(None, V, V, S)),
    ("timer_control", ctypes.CFUNCTYPE(None, V, ctypes.c_uint)),
]


class OtrlMessageAppOps(ctypes.Structure):
    _fields_ = OPS_PROTOTYPES


assert ctypes.sizeof(OtrlMessageAppOps) == 24 * ctypes.sizeof(ctypes.c_void_p)


# --- the library ------------------------------------------------------------------------------


@functools.cache
def load() -> ctypes.CDLL:
    """Load libotr.so.5, declare the functions used here and call ``otrl_init(4, 1, 1)``.

    Raises:
        OSError: the library is missing (the tests must fail then, not skip).
        LibotrError: otrl_init refused the version.
    """
    lib = ctypes.CDLL(LIBOTR_SONAME)
    P = ctypes.POINTER
    decl: dict[str, tuple[Any, list[Any]]] = {
        "otrl_init": (ctypes.c_uint, [ctypes.c_uint, ctypes.c_uint, ctypes.c_uint]),
        "otrl_version": (S, []),
        "otrl_userstate_create": (V, []),
        "otrl_userstate_free": (None, [V]),
        "otrl_privkey_generate": (ctypes.c_uint, [V, S, S, S]),
        "otrl_privkey_read": (ctypes.c_uint, [V, S]),
        "otrl_privkey_fingerprint": (S, [V, ctypes.c_char_p, S, S]),
        "otrl_privkey_fingerprint_raw": (V, [V, P(ctypes.c_ubyte), S, S]),
        "otrl_instag_generate": (ctypes.c_uint, [V, S, S, S]),
        "otrl_instag_find": (P(OtrlInsTag), [V, S, S]),
        "otrl_proto_default_query_msg": (V, [S, ctypes.c_uint]),
        "otrl_message_sending": (
            ctypes.c_uint,
            [V, P(OtrlMessageAppOps), V, S, S, S, ctypes.c_uint, S, V, P(V), ctypes.c_int, V, V, V],
        ),
        "otrl_message_receiving": (
            ctypes.c_int,
            [V, P(OtrlMessageAppOps), V, S, S, S, S, P(V), P(P(OtrlTLV)), V, V, V],
        ),
        "otrl_message_free": (None, [V]),
        "otrl_tlv_free": (None, [P(OtrlTLV)]),
        "otrl_tlv_new": (P(OtrlTLV), [ctypes.c_ushort, ctypes.c_ushort, P(ctypes.c_ubyte)]),
        "otrl_message_disconnect": (None, [V, P(OtrlMessageAppOps), V, S, S, S, ctypes.c_uint]),
        "otrl_message_disconnect_all_instances": (None, [V, P(OtrlMessageAppOps), V, S, S, S]),
        "otrl_message_initiate_smp": (
            None,
            [V, P(OtrlMessageAppOps), V, V, ctypes.c_char_p, ctypes.c_size_t],
        ),
        "otrl_message_initiate_smp_q": (
            None,
            [V, P(OtrlMessageAppOps), V, V, S, ctypes.c_char_p, ctypes.c_size_t],
        ),
        "otrl_message_respond_smp": (None, [V, P(OtrlMessageAppOps), V, V, ctypes.c_char_p, ctypes.c_size_t]),
        "otrl_message_abort_smp": (None, [V, P(OtrlMessageAppOps), V, V]),
        "otrl_message_symkey": (
            ctypes.c_uint,
            [
                V,
                P(OtrlMessageAppOps),
                V,
                V,
                ctypes.c_uint,
                P(ctypes.c_ubyte),
                ctypes.c_size_t,
                P(ctypes.c_ubyte),
            ],
        ),
        "otrl_context_find": (P(ConnContext), [V, S, S, S, ctypes.c_uint, ctypes.c_int, V, V, V]),
        "otrl_context_find_recent_secure_instance": (P(ConnContext), [P(ConnContext)]),
    }
    for name, (restype, argtypes) in decl.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    err = lib.otrl_init(4, 1, 1)
    if err:
        raise LibotrError(f"otrl_init(4, 1, 1) failed: {err:#x}")
    return lib


def version() -> str:
    raw: bytes = load().otrl_version()
    return raw.decode()


def human_fingerprint(raw: bytes) -> str:
    """libotr's otrl_privkey_hash_to_human: five groups of eight upper-case hex digits."""
    h = raw.hex().upper()
    return " ".join(h[i : i + 8] for i in range(0, 40, 8))


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoneSecure:
    username: str


@dataclass(frozen=True, slots=True)
class GoneInsecure:
    username: str


@dataclass(frozen=True, slots=True)
class StillSecure:
    username: str
    is_reply: bool


@dataclass(frozen=True, slots=True)
class NewFingerprint:
    username: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class SmpEvent:
    username: str
    kind: str  # one of SMP_EVENTS
    progress: int
    question: str | None


@dataclass(frozen=True, slots=True)
class MsgEvent:
    username: str
    kind: str  # one of MSG_EVENTS
    message: str | None
    err: int


@dataclass(frozen=True, slots=True)
class ReceivedSymkey:
    username: str
    use: int
    usedata: bytes
    key: bytes


@dataclass(frozen=True, slots=True)
class ReceivedTlv:
    username: str
    type: int
    data: bytes


F = TypeVar("F", bound=Callable[..., Any])


def _username(ctx: int | None) -> str:
    if not ctx:
        return ""
    raw = ctypes.cast(ctx, ctypes.POINTER(ConnContext)).contents.username
    return raw.decode() if raw else ""


def _decode(ptr: int | None) -> str | None:
    return ctypes.string_at(ptr).decode("utf-8") if ptr else None


class LibotrPeer:
    """One libotr client (account ``account``/xmpp) with its own userstate.

    Args:
        account: our account name (libotr's accountname).
        workdir: where the key and instance-tag files live (the fixture gives a temp dir).
        policy: OTRL_POLICY_* bits, read by libotr through the ``policy`` callback each time.
        max_message_size: what the ``max_message_size`` callback answers; 0 = no fragmentation.
        keyfile: an existing libotr private-key file to read; otherwise a key is generated with
            ``otrl_privkey_generate`` into ``workdir/<account>.key``.

    Raises:
        LibotrError: key generation or reading failed.
    """

    _seq = itertools.count()

    def __init__(
        self,
        account: str,
        workdir: Path,
        *,
        policy: int = POLICY_ALWAYS,
        max_message_size: int = 0,
        keyfile: Path | None = None,
    ) -> None:
        self.lib = load()
        self.account = account
        self.name = account
        self.workdir = workdir
        self.policy = policy
        self.max_message_size = max_message_size
        self.events: list[object] = []
        self.callback_errors: list[BaseException] = []
        self.outbox: list[tuple[str, str]] = []
        self.timer_interval = 0
        self._acct = account.encode()
        self._proto = PROTOCOL.encode()
        self._error_strings = {
            code: ctypes.create_string_buffer(f"libotr-harness error {name}".encode())
            for code, name in enumerate(ERROR_CODES)
        }
        self._ops, self._callbacks = self._make_ops()
        self.keyfile = keyfile or workdir / f"{account}-{next(self._seq)}.key"
        self.userstate: int | None = None
        self._open_userstate(generate=keyfile is None)

    # --- setup ---------------------------------------------------------------------------------

    def _open_userstate(self, *, generate: bool) -> None:
        us = self.lib.otrl_userstate_create()
        if not us:
            raise LibotrError("otrl_userstate_create returned NULL")
        self.userstate = us
        path = str(self.keyfile).encode()
        if generate:
            err = self.lib.otrl_privkey_generate(us, path, self._acct, self._proto)
            if err:
                raise LibotrError(f"otrl_privkey_generate failed: {err:#x}")
        else:
            err = self.lib.otrl_privkey_read(us, path)
            if err:
                raise LibotrError(f"otrl_privkey_read({self.keyfile}) failed: {err:#x}")
            if self.fingerprint_raw() is None:
                raise LibotrError(f"{self.keyfile} has no key for {self.account}/{PROTOCOL}")
        tagfile = self.workdir / f"{self.account}-{next(self._seq)}.instag"
        err = self.lib.otrl_instag_generate(us, str(tagfile).encode(), self._acct, self._proto)
        if err:
            raise LibotrError(f"otrl_instag_generate failed: {err:#x}")

    def restart(self) -> int:
        """Forget every session: a new userstate and a new instance tag, the same key.

        This is a client that crashed or was restarted. Returns the new instance tag.
        """
        old = self.our_instance_tag
        self.close()
        self._open_userstate(generate=False)
        while self.our_instance_tag == old:  # 2^32 tags: a repeat is a one-in-four-billion event
            self.close()
            self._open_userstate(generate=False)
        return self.our_instance_tag

    def close(self) -> None:
        if self.userstate:
            self.lib.otrl_userstate_free(self.userstate)
            self.userstate = None

    def _guard(self, default: Any) -> Callable[[F], F]:
        def wrap(fn: F) -> F:
            @functools.wraps(fn)
            def inner(*args: Any) -> Any:
                try:
                    return fn(*args)
                except BaseException as exc:  # recorded, then raised by _check()
                    self.callback_errors.append(exc)
                    return default

            return inner  # type: ignore[return-value]

        return wrap

    def _make_ops(self) -> tuple[OtrlMessageAppOps, dict[str, Any]]:
        impl: dict[str, tuple[Callable[..., Any], Any]] = {
            "policy": (lambda _op, _ctx: self.policy, POLICY_NEVER),
            "create_privkey": (self._cb_create_privkey, None),
            "is_logged_in": (lambda _op, _a, _p, _r: 1, 1),
            "inject_message": (self._cb_inject, None),
            "update_context_list": (lambda _op: None, None),
            "new_fingerprint": (self._cb_new_fingerprint, None),
            "write_fingerprints": (lambda _op: None, None),
            "gone_secure": (lambda _op, ctx: self.events.append(GoneSecure(_username(ctx))), None),
            "gone_insecure": (lambda _op, ctx: self.events.append(GoneInsecure(_username(ctx))), None),
            "still_secure": (
                lambda _op, ctx, reply: self.events.append(StillSecure(_username(ctx), bool(reply))),
                None,
            ),
            "max_message_size": (lambda _op, _ctx: self.max_message_size, 0),
            "received_symkey": (self._cb_symkey, None),
            "otr_error_message": (self._cb_error_message, None),
            "otr_error_message_free": (lambda _op, _msg: None, None),
            "handle_smp_event": (self._cb_smp_event, None),
            "handle_msg_event": (self._cb_msg_event, None),
            "create_instag": (self._cb_create_instag, None),
            "timer_control": (self._cb_timer_control, None),
        }
        ops = OtrlMessageAppOps()
        keep: dict[str, Any] = {}
        prototypes = dict(OPS_PROTOTYPES)
        for name, (fn, default) in impl.items():
            # Keep every CFUNCTYPE object alive as long as the peer: libotr holds raw pointers.
            keep[name] = prototypes[name](self._guard(default)(fn))
            setattr(ops, name, keep[name])
        return ops, keep

    # --- callbacks -----------------------------------------------------------------------------

    def _cb_create_privkey(self, _op: Any, acct: bytes, proto: bytes) -> None:
        raise LibotrError(f"libotr asked to create a key for {acct!r}/{proto!r}: it should exist")

    def _cb_create_instag(self, _op: Any, acct: bytes, proto: bytes) -> None:
        raise LibotrError(f"libotr asked to create an instance tag for {acct!r}/{proto!r}")

    def _cb_inject(self, _op: Any, acct: bytes, proto: bytes, recipient: bytes, message: bytes) -> None:
        self.outbox.append((recipient.decode(), message.decode("utf-8")))

    def _cb_new_fingerprint(self, _op: Any, _us: Any, _a: bytes, _p: bytes, user: bytes, fp: Any) -> None:
        raw = bytes(fp[:20])
        self.events.append(NewFingerprint(user.decode(), human_fingerprint(raw)))

    def _cb_symkey(self, _op: Any, ctx: Any, use: int, usedata: Any, usedatalen: int, key: Any) -> None:
        data = bytes(usedata[:usedatalen]) if usedatalen else b""
        self.events.append(ReceivedSymkey(_username(ctx), use, data, bytes(key[:32])))

    def _cb_error_message(self, _op: Any, _ctx: Any, code: int) -> int | None:
        return ctypes.addressof(self._error_strings[code])

    def _cb_smp_event(self, _op: Any, event: int, ctx: Any, progress: int, question: bytes | None) -> None:
        q = question.decode("utf-8") if question is not None else None
        self.events.append(SmpEvent(_username(ctx), SMP_EVENTS[event], progress, q))

    def _cb_msg_event(self, _op: Any, event: int, ctx: Any, message: bytes | None, err: int) -> None:
        text = message.decode("utf-8", "replace") if message is not None else None
        self.events.append(MsgEvent(_username(ctx), MSG_EVENTS[event], text, err))

    def _cb_timer_control(self, _op: Any, interval: int) -> None:
        self.timer_interval = interval

    def _check(self) -> None:
        if self.callback_errors:
            first = self.callback_errors[0]
            raise CallbackFailed(
                f"{len(self.callback_errors)} libotr callback(s) raised: {first!r}"
            ) from first

    # --- the peer interface --------------------------------------------------------------------

    def take_outgoing(self) -> list[tuple[str, str]]:
        """Everything libotr injected since the last call, as (recipient, wire) pairs."""
        out, self.outbox = self.outbox, []
        return out

    def send(
        self, to: str, text: str, *, instance: int = INSTAG_BEST, tlvs: tuple[tuple[int, bytes], ...] = ()
    ) -> list[str]:
        """Give libotr a message the user typed; returns what goes on the wire, in order.

        With OTRL_FRAGMENT_SEND_ALL libotr injects every fragment itself; if libotr leaves the
        message alone (no OTR for this contact), the plaintext itself is what would be sent.

        Raises:
            LibotrError: otrl_message_sending failed (the message must not be sent then).
        """
        pending = self.take_outgoing()
        newmsg = ctypes.c_void_p()
        chain = self._tlv_chain(tlvs)
        err = self.lib.otrl_message_sending(
            self.userstate, ctypes.byref(self._ops), None, self._acct, self._proto, to.encode(),
            instance, text.encode("utf-8"), chain, ctypes.byref(newmsg), FRAGMENT_SEND_ALL,
            None, None, None,
        )  # fmt: skip
        if chain:
            self.lib.otrl_tlv_free(chain)
        replacement = _decode(newmsg.value)
        if newmsg.value:
            self.lib.otrl_message_free(newmsg.value)
        wire = self._split_outgoing(to, pending)
        self._check()
        if err:
            raise LibotrError(f"otrl_message_sending failed: {err:#x}")
        if not wire:
            wire = [replacement if replacement is not None else text]
        return wire

    def _split_outgoing(self, to: str, pending: list[tuple[str, str]]) -> list[str]:
        """What libotr injected for ``to`` during one call; the rest stays queued after ``pending``."""
        injected = self.take_outgoing()
        self.outbox = pending + [(r, w) for r, w in injected if r != to]
        return [w for r, w in injected if r == to]

    def _tlv_chain(self, tlvs: tuple[tuple[int, bytes], ...]) -> Any:
        head = None
        for type_, data in reversed(tlvs):
            buf = (ctypes.c_ubyte * max(len(data), 1)).from_buffer_copy(data or b"\0")
            node = self.lib.otrl_tlv_new(type_, len(data), buf)
            node.contents.next = head if head is not None else ctypes.POINTER(OtrlTLV)()
            head = node
        return head

    def receive(self, frm: str, wire: str) -> str | None:
        """Give libotr one message from the network; returns what the user sees, or None.

        TLVs that came with a data message are recorded as `ReceivedTlv` events.
        """
        newmsg = ctypes.c_void_p()
        tlvs = ctypes.POINTER(OtrlTLV)()
        internal = self.lib.otrl_message_receiving(
            self.userstate, ctypes.byref(self._ops), None, self._acct, self._proto, frm.encode(),
            wire.encode("utf-8"), ctypes.byref(newmsg), ctypes.byref(tlvs), None, None, None,
        )  # fmt: skip
        shown = _decode(newmsg.value)
        if newmsg.value:
            self.lib.otrl_message_free(newmsg.value)
        node = tlvs
        while node:
            t = node.contents
            self.events.append(ReceivedTlv(frm, t.type, bytes(t.data[: t.len]) if t.len else b""))
            node = t.next
        if tlvs:
            self.lib.otrl_tlv_free(tlvs)
        self._check()
        if internal:
            return None
        return shown if shown is not None else wire

    def start(self, to: str) -> list[str]:
        """The default query message (``?OTRv23?...`` per policy), to send to ``to``."""
        ptr = self.lib.otrl_proto_default_query_msg(self._acct, self.policy)
        try:
            query = _decode(ptr)
        finally:
            self.lib.otrl_message_free(ptr)
        assert query is not None
        return [query]

    def end(self, to: str, *, instance: int | None = None) -> list[str]:
        """End the private conversation(s): libotr sends a Disconnected TLV if it was encrypted."""
        pending = self.take_outgoing()
        if instance is None:
            self.lib.otrl_message_disconnect_all_instances(
                self.userstate, ctypes.byref(self._ops), None, self._acct, self._proto, to.encode()
            )
        else:
            self.lib.otrl_message_disconnect(
                self.userstate, ctypes.byref(self._ops), None, self._acct, self._proto, to.encode(), instance
            )
        wire = self._split_outgoing(to, pending)
        self._check()
        return wire

    # --- state ---------------------------------------------------------------------------------

    def context(self, to: str, instance: int | None = None) -> ConnContext | None:
        """The ConnContext for ``to``: the given instance, or the most recently used secure one."""
        wanted = INSTAG_MASTER if instance is None else instance
        ptr = self.lib.otrl_context_find(
            self.userstate, to.encode(), self._acct, self._proto, wanted, 0, None, None, None
        )
        if not ptr:
            return None
        if instance is None:
            # The child used most recently if it is encrypted (libotr's own "recent secure"
            # choice compares times at one-second resolution, which is a coin toss in tests).
            recent = ptr.contents.recent_child
            if (
                recent
                and ctypes.cast(recent, ctypes.POINTER(ConnContext)).contents.msgstate == MSGSTATE_ENCRYPTED
            ):
                ptr = ctypes.cast(recent, ctypes.POINTER(ConnContext))
            else:
                best = self.lib.otrl_context_find_recent_secure_instance(ptr)
                if best:
                    ptr = best
        found: ConnContext = ptr.contents
        return found

    def _context_ptr(self, to: str) -> int:
        ctx = self.context(to)
        if ctx is None:
            raise LibotrError(f"no context for {to}")
        return ctypes.addressof(ctx)

    def is_encrypted(self, to: str) -> bool:
        ctx = self.context(to)
        return ctx is not None and ctx.msgstate == MSGSTATE_ENCRYPTED

    def msgstate(self, to: str) -> int:
        ctx = self.context(to)
        return ctx.msgstate if ctx is not None else MSGSTATE_PLAINTEXT

    def protocol_version(self, to: str) -> int:
        ctx = self.context(to)
        return ctx.protocol_version if ctx is not None else 0

    def their_instance_tag(self, to: str) -> int:
        ctx = self.context(to)
        return ctx.their_instance if ctx is not None else 0

    def ssid(self, to: str) -> bytes:
        ctx = self.context(to)
        return bytes(ctx.sessionid[: ctx.sessionid_len]) if ctx is not None else b""

    @property
    def our_instance_tag(self) -> int:
        tag = self.lib.otrl_instag_find(self.userstate, self._acct, self._proto)
        return tag.contents.instag if tag else 0

    def fingerprint_raw(self) -> bytes | None:
        buf = (ctypes.c_ubyte * 20)()
        ok = self.lib.otrl_privkey_fingerprint_raw(self.userstate, buf, self._acct, self._proto)
        return bytes(buf) if ok else None

    def fingerprint(self) -> str:
        """Our fingerprint as libotr reports it (otrl_privkey_fingerprint)."""
        buf = ctypes.create_string_buffer(45)
        if not self.lib.otrl_privkey_fingerprint(self.userstate, buf, self._acct, self._proto):
            raise LibotrError("otrl_privkey_fingerprint returned NULL")
        return buf.value.decode()

    def their_fingerprint(self, to: str) -> str | None:
        """The fingerprint of the key ``to`` authenticated with in the current session."""
        ctx = self.context(to)
        if ctx is None or not ctx.active_fingerprint:
            return None
        fp = ctx.active_fingerprint.contents.fingerprint
        return human_fingerprint(bytes(fp[:20])) if fp else None

    # --- SMP and the extra symmetric key -------------------------------------------------------

    def _smp_call(self, fn: Callable[..., None], to: str, *args: Any) -> list[str]:
        pending = self.take_outgoing()
        fn(self.userstate, ctypes.byref(self._ops), None, self._context_ptr(to), *args)
        wire = self._split_outgoing(to, pending)
        self._check()
        return wire

    def smp_start(self, to: str, secret: str, question: str | None = None) -> list[str]:
        s = secret.encode("utf-8")
        if question is None:
            return self._smp_call(self.lib.otrl_message_initiate_smp, to, s, len(s))
        return self._smp_call(self.lib.otrl_message_initiate_smp_q, to, question.encode("utf-8"), s, len(s))

    def smp_respond(self, to: str, secret: str) -> list[str]:
        s = secret.encode("utf-8")
        return self._smp_call(self.lib.otrl_message_respond_smp, to, s, len(s))

    def smp_abort(self, to: str) -> list[str]:
        return self._smp_call(self.lib.otrl_message_abort_smp, to)

    def symkey(self, to: str, use: int, usedata: bytes) -> tuple[bytes, list[str]]:
        """otrl_message_symkey: our extra symmetric key, and the TLV 8 message telling the peer."""
        pending = self.take_outgoing()
        key = (ctypes.c_ubyte * 32)()
        data = (ctypes.c_ubyte * max(len(usedata), 1)).from_buffer_copy(usedata or b"\0")
        err = self.lib.otrl_message_symkey(
            self.userstate, ctypes.byref(self._ops), None, self._context_ptr(to), use, data, len(usedata), key
        )
        wire = self._split_outgoing(to, pending)
        self._check()
        if err:
            raise LibotrError(f"otrl_message_symkey failed: {err:#x}")
        return bytes(key), wire

    # --- event helpers -------------------------------------------------------------------------

    def events_of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def smp_kinds(self) -> list[str]:
        return [e.kind for e in self.events if isinstance(e, SmpEvent)]

    def msg_kinds(self) -> list[str]:
        return [e.kind for e in self.events if isinstance(e, MsgEvent)]
