"""Where a probe's time goes: a tap on `TorClientXMPP`'s writes and reads (bench only).

For each client it records when a ``<message`` stanza was last written to the transport (towards
tor; with coalesced writes, when the iteration's joined write went out) and when data holding a
``<message`` was last read from it. For one probe, ``written - sent`` is the sender's side (core,
OTR, queues, the event loop), ``read - written`` the network (tor, the onion service, Prosody, tor
again) and ``arrived - read`` the receiver's side. It also knows every client, so a mode can
change slixmpp's XEP-0198 ack-request window.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

from timb.net.xmpp.client import TorClientXMPP

last_written: dict[str, float] = {}
bytes_written: dict[str, int] = {}  # everything written, by client (stanzas, acks, whitespace)
last_read: dict[str, float] = {}
clients: weakref.WeakSet[TorClientXMPP] = weakref.WeakSet()

_real_send_raw = TorClientXMPP.send_raw
_real_flush = TorClientXMPP._flush_writes
_real_data_received = TorClientXMPP.data_received


def _send_raw(self: TorClientXMPP, data: str | bytes) -> None:
    _real_send_raw(self, data)
    clients.add(self)
    jid = str(self.boundjid.bare)
    bytes_written[jid] = bytes_written.get(jid, 0) + len(data if isinstance(data, bytes) else data.encode())
    is_message = (data[:8] if isinstance(data, bytes) else data[:8].encode()) == b"<message"
    if is_message and not self.coalesce_writes:  # written now; otherwise at the flush
        last_written[jid] = time.perf_counter()


def _flush_writes(self: TorClientXMPP) -> None:
    # The coalesced write: the time the bytes went to the transport.
    has_message = any(chunk.startswith(b"<message") for chunk in self._pending_writes)
    _real_flush(self)
    if has_message:
        last_written[str(self.boundjid.bare)] = time.perf_counter()


def _data_received(self: TorClientXMPP, data: bytes | str) -> None:
    if (b"<message" if isinstance(data, bytes) else "<message") in data:  # type: ignore[operator]
        last_read[str(self.boundjid.bare)] = time.perf_counter()
    _real_data_received(self, data)


def install() -> None:
    TorClientXMPP.send_raw = _send_raw  # type: ignore[method-assign]
    TorClientXMPP._flush_writes = _flush_writes  # type: ignore[method-assign]
    TorClientXMPP.data_received = _data_received  # type: ignore[method-assign]


def set_sm_window(window: int) -> None:
    """slixmpp's own XEP-0198 ack request every `window` stanzas (0: never), on every client."""
    for client in list(clients):
        plugin: Any = client.plugin["xep_0198"]
        plugin.window = window
        plugin.window_counter = window


def split(sender: str, receiver: str, sent: float, arrived: float) -> tuple[float, float, float] | None:
    """(sender side, network, receiver side) in ms, or None when the tap saw no such probe."""
    written, read = last_written.get(sender), last_read.get(receiver)
    if written is None or read is None or not sent <= written <= read <= arrived:
        return None
    return (written - sent) * 1000, (read - written) * 1000, (arrived - read) * 1000
