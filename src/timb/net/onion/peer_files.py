"""`OnionPeer`'s file-transfer commands and events (a layer of the adapter, without I/O of its
own): each transfer runs on the contact's current connection, in its `OnionConnection` core
(`timb.net.onion.files`); a connection that ends ends its transfers (`FileDone`,
NETWORK_ERROR)."""

from __future__ import annotations

from timb.common.ids import OnionAddress
from timb.common.random import Random
from timb.net.onion import events as ev
from timb.net.onion import peer_events as pe
from timb.net.onion.connection import OnionConnection
from timb.net.onion.errors import OnionUsageError
from timb.net.onion.files import FileSink, FileSource

_ID_TRIES = 8


class PeerFiles:
    """Mixed into `OnionPeer`, which provides `_contact_connection` and `_flush_contact`."""

    _random: Random

    def _contact_connection(self, peer: OnionAddress) -> OnionConnection:
        """The contact's open connection. Raises: NotConnectedError."""
        raise NotImplementedError

    def _flush_contact(self, peer: OnionAddress) -> None:
        raise NotImplementedError

    def _now(self) -> float:
        raise NotImplementedError

    def send_file(self, peer: OnionAddress, size: int, name: str, digest: bytes, source: FileSource) -> int:
        """Offer ``size`` bytes read from ``source`` (hashed by the caller: SHA3-512) as ``name``;
        the transfer's id.

        Raises:
            NotConnectedError: ``peer`` is offline (file transfers do not wait).
            OnionUsageError: an empty file, a bad hash, too many transfers.
        """
        conn = self._contact_connection(peer)
        for _ in range(_ID_TRIES):
            file_id = int.from_bytes(self._random.randbytes(4), "big")
            if not conn.has_outgoing_file(file_id):
                conn.send_file(file_id, size, name, digest, source=source, now=self._now())
                self._flush_contact(peer)
                return file_id
        raise OnionUsageError("no free file id")

    def accept_file(self, peer: OnionAddress, file_id: int, sink: FileSink) -> None:
        """Raises: NotConnectedError, OnionUsageError (no such offer waiting)."""
        self._contact_connection(peer).accept_file(file_id, sink, self._now())
        self._flush_contact(peer)

    def reject_file(self, peer: OnionAddress, file_id: int) -> None:
        """Raises: NotConnectedError, OnionUsageError (no such offer waiting)."""
        self._contact_connection(peer).reject_file(file_id)
        self._flush_contact(peer)

    def cancel_file(self, peer: OnionAddress, file_id: int, *, outgoing: bool) -> None:
        """Raises: NotConnectedError, OnionUsageError (no such transfer)."""
        self._contact_connection(peer).cancel_file(file_id, outgoing=outgoing)
        self._flush_contact(peer)


def file_event(peer: OnionAddress, event: ev.ConnectionEvent) -> pe.PeerEvent | None:
    """The adapter event for a core's file event (None for any other event)."""
    match event:
        case ev.FileOffered(file_id=fid, size=size, name=name, file_hash=digest):
            return pe.FileOffer(peer, fid, size, name, digest)
        case ev.FileAnswered(file_id=fid):
            return pe.FileAccepted(peer, fid)
        case ev.FileProgress(file_id=fid, outgoing=out, done=done, size=size):
            return pe.FileMoved(peer, fid, out, done, size)
        case ev.FileEnded(file_id=fid, outgoing=out, end=end, by_peer=by_peer, error=error):
            return pe.FileDone(peer, fid, out, end, by_peer, error)
        case _:
            return None
