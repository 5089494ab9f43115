"""im.ricochet.file-transfer in the sans-I/O core: two OnionConnections through a fake link, and
hostile peers injecting packets on the file channel."""

from __future__ import annotations

import contextlib
import hashlib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.onion_pair import Pair, make_pair
from timb.net.onion import file_messages as fm
from timb.net.onion import framing, wire
from timb.net.onion.connection import OnionConnection
from timb.net.onion.errors import MessageError, OnionUsageError
from timb.net.onion.events import (
    FileAnswered,
    FileEnd,
    FileEnded,
    FileOffered,
    FileProgress,
    ProtocolViolation,
)
from timb.net.onion.files import MAX_TRANSFERS, STALL_TIMEOUT, WINDOW
from timb.net.onion.state import Direction

DATA = bytes(range(256)) * 800  # 204,800 bytes: four chunks


class Sink:
    def __init__(self, fail: bool = False) -> None:
        self.data = bytearray()
        self.fail = fail

    def write(self, data: bytes, /) -> None:
        if self.fail:
            raise OSError("disk full")
        self.data += data


def contacts() -> Pair:
    pair = make_pair(server_knows=lambda a: True, client_knows=lambda a: True)
    pair.pump()
    pair.take()
    return pair


def offer(sender: OnionConnection, data: bytes = DATA, file_id: int = 7, digest: bytes | None = None) -> None:
    digest = hashlib.sha3_512(data).digest() if digest is None else digest
    sender.send_file(file_id, len(data), "report.pdf", digest, source=io.BytesIO(data), now=1000.0)


def ends(events: list[object]) -> list[FileEnded]:
    return [e for e in events if isinstance(e, FileEnded)]


def inject(pair: Pair, to_receiver: bool, msg: fm.FileMessage) -> None:
    """A packet on the client's outbound file channel, as a hostile peer would write it."""
    ch = pair.client._file_channel(Direction.OUTBOUND)
    assert ch is not None
    target = pair.server if to_receiver else pair.client
    target.receive_data(framing.encode_packet(ch.ident, fm.encode_file(msg)), pair.now)


@pytest.mark.parametrize("sender_side", ["client", "server"])
def test_a_file_goes_both_ways_in_acknowledged_chunks_with_its_hash_checked(sender_side: str) -> None:
    pair = contacts()
    sender, receiver = (pair.client, pair.server) if sender_side == "client" else (pair.server, pair.client)
    offer(sender)
    pair.pump()
    c, s = pair.take()
    got_s, got_r = (c, s) if sender_side == "client" else (s, c)
    assert got_r == [FileOffered(7, len(DATA), "report.pdf", hashlib.sha3_512(DATA).digest())]
    assert got_s == []
    sink = Sink()
    receiver.accept_file(7, sink, pair.now)
    pair.pump()
    c, s = pair.take()
    got_s, got_r = (c, s) if sender_side == "client" else (s, c)
    assert bytes(sink.data) == DATA
    assert got_s[0] == FileAnswered(7, True)
    assert [e.done for e in got_s if isinstance(e, FileProgress)] == [64512, 129024, 193536, len(DATA)]
    assert ends(got_s) == [FileEnded(7, True, FileEnd.COMPLETED)]
    assert ends(got_r) == [FileEnded(7, False, FileEnd.COMPLETED)]
    assert sender.is_open and receiver.is_open


def test_a_rejected_offer_ends_on_both_sides_and_nothing_is_written() -> None:
    pair = contacts()
    offer(pair.client)
    pair.pump()
    pair.server.reject_file(7)
    pair.pump()
    c, _s = pair.take()
    assert ends(c) == [FileEnded(7, True, FileEnd.REJECTED, by_peer=True)]
    with pytest.raises(OnionUsageError):
        pair.server.accept_file(7, Sink(), pair.now)


def test_cancel_on_either_side() -> None:
    pair = contacts()
    offer(pair.client, file_id=1)
    offer(pair.client, file_id=2)
    pair.pump()
    pair.client.cancel_file(1, outgoing=True)
    sink = Sink()
    pair.server.accept_file(2, sink, pair.now)
    pair.server.cancel_file(2, outgoing=False)  # the sender's chunk, still on the way, is dropped quietly
    pair.pump()
    c, s = pair.take()
    assert FileEnded(1, False, FileEnd.CANCELLED, by_peer=True) in s
    assert FileEnded(2, True, FileEnd.CANCELLED, by_peer=True) in c
    assert not any(isinstance(e, ProtocolViolation) for e in c + s)
    assert sink.data == b""


def test_a_hash_mismatch_is_bad_hash_for_the_receiver_and_a_failure_for_the_sender() -> None:
    pair = contacts()
    offer(pair.client, digest=hashlib.sha3_512(b"something else").digest())
    pair.pump()
    pair.server.accept_file(7, Sink(), pair.now)
    pair.pump()
    c, s = pair.take()
    assert ends(s) == [FileEnded(7, False, FileEnd.BAD_HASH)]
    assert ends(c) == [FileEnded(7, True, FileEnd.FAILED, by_peer=True)]


def test_an_empty_file_or_a_bad_hash_length_is_refused_locally() -> None:
    pair = contacts()
    with pytest.raises(OnionUsageError):
        offer(pair.client, data=b"")
    with pytest.raises(OnionUsageError):
        offer(pair.client, digest=b"short")
    not_contacts = make_pair()
    not_contacts.pump()
    with pytest.raises(OnionUsageError):
        offer(not_contacts.client)


def test_a_sink_that_fails_ends_the_transfer_and_tells_the_sender() -> None:
    pair = contacts()
    offer(pair.client)
    pair.pump()
    pair.server.accept_file(7, Sink(fail=True), pair.now)
    pair.pump()
    c, s = pair.take()
    assert ends(s) == [FileEnded(7, False, FileEnd.FILESYSTEM_ERROR)]
    assert ends(c) == [FileEnded(7, True, FileEnd.CANCELLED, by_peer=True)]


# ---- hostile senders ----


def accepted(pair: Pair, data: bytes = DATA) -> Sink:
    offer(pair.client, data=data)
    pair.pump()
    sink = Sink()
    pair.server.accept_file(7, sink, pair.now)
    pair.client.data_to_send()  # what the honest sender would answer is dropped: the test speaks
    pair.server.data_to_send()
    pair.take()
    return sink


def test_a_sender_that_sends_more_than_it_declared_fails_and_nothing_more_is_written() -> None:
    pair = contacts()
    sink = accepted(pair, data=b"0123456789")
    inject(pair, True, fm.FileChunk(7, b"0123456789!"))
    [end] = ends(pair.server.take_events())
    assert end.end is FileEnd.FAILED and isinstance(end.error, MessageError)
    assert sink.data == b""
    assert pair.server.is_open


def test_chunks_unasked_are_typed_errors_and_change_nothing() -> None:
    pair = contacts()
    offer(pair.client)
    pair.pump()
    pair.take()
    inject(pair, True, fm.FileChunk(99, b"x"))  # no such transfer
    assert [type(e) for e in pair.server.take_events()] == [ProtocolViolation]
    inject(pair, True, fm.FileChunk(7, b"x"))  # offered, the user has not accepted
    [end] = ends(pair.server.take_events())
    assert end.end is FileEnd.FAILED and end.by_peer and isinstance(end.error, MessageError)
    with pytest.raises(OnionUsageError):
        pair.server.accept_file(7, Sink(), pair.now)


def test_a_chunk_after_completion_is_a_typed_error_and_the_file_is_unchanged() -> None:
    pair = contacts()
    sink = accepted(pair, data=b"abc")
    inject(pair, True, fm.FileChunk(7, b"abc"))
    assert ends(pair.server.take_events()) == [FileEnded(7, False, FileEnd.COMPLETED)]
    inject(pair, True, fm.FileChunk(7, b"abc"))
    assert [type(e) for e in pair.server.take_events()] == [ProtocolViolation]
    assert sink.data == b"abc"


def test_a_chunk_over_63_kib_closes_the_file_channel_and_ends_its_transfers() -> None:
    pair = contacts()
    sink = accepted(pair)
    inject(pair, True, fm.FileChunk(7, b"x" * 64))  # fine
    too_big = wire.bytes_field(4, wire.varint_field(1, 7) + wire.bytes_field(2, b"x" * (fm.MAX_CHUNK + 1)))
    with pytest.raises(MessageError):
        fm.decode_file(too_big)
    ch = pair.client._file_channel(Direction.OUTBOUND)
    assert ch is not None
    pair.server.receive_data(framing.encode_packet(ch.ident, too_big), pair.now)
    events = pair.server.take_events()
    assert FileEnded(7, False, FileEnd.NETWORK_ERROR) in events
    assert any(isinstance(e, ProtocolViolation) for e in events)
    assert len(sink.data) == 64 and pair.server.is_open


def test_offers_over_the_size_limit_or_the_count_are_refused_at_once() -> None:
    pair = contacts()
    pair.server.max_file_size = 1000
    offer(pair.client, data=b"x" * 1001, file_id=1)
    pair.pump()
    c, s = pair.take()
    assert ends(c) == [FileEnded(1, True, FileEnd.REJECTED, by_peer=True)]
    assert s == []
    for i in range(MAX_TRANSFERS):
        offer(pair.client, data=b"y", file_id=100 + i)
    pair.pump()
    pair.take()
    h = fm.FileHeader(555, 1, "z", hashlib.sha3_512(b"z").digest())
    inject(pair, True, h)
    assert pair.server.take_events() == []
    assert fm.encode_file(fm.FileHeaderAck(555, False)) in pair.server.data_to_send()


# ---- hostile receivers ----


def running(pair: Pair, data: bytes = DATA) -> None:
    offer(pair.client, data=data)
    pair.pump()
    pair.take()
    inject(pair, False, fm.FileHeaderResponse(7, fm.FileResponse.Accept))
    pair.client.data_to_send()  # the first chunk: the hostile receiver will not acknowledge it
    pair.take()


def test_a_receiver_that_acknowledges_bytes_we_did_not_send_fails_the_transfer() -> None:
    pair = contacts()
    running(pair)
    inject(pair, False, fm.FileChunkAck(7, 10**9))
    [end] = ends(pair.client.take_events())
    assert end.end is FileEnd.FAILED and isinstance(end.error, MessageError)
    assert pair.client.data_to_send() == framing.encode_packet(
        pair.client._file_channel(Direction.OUTBOUND).ident,  # type: ignore[union-attr]
        fm.encode_file(fm.FileTransferCompleteNotification(7, fm.FileTransferResult.Failure)),
    )


def test_success_claimed_before_the_last_acknowledgement_is_a_failure() -> None:
    pair = contacts()
    running(pair)
    inject(pair, False, fm.FileTransferCompleteNotification(7, fm.FileTransferResult.Success))
    [end] = ends(pair.client.take_events())
    assert end.end is FileEnd.FAILED and end.error is not None


def test_a_receiver_that_never_acknowledges_stalls_the_transfer() -> None:
    pair = contacts()
    running(pair)
    pair.client.tick(pair.now + STALL_TIMEOUT - 1)
    assert ends(pair.client.take_events()) == []
    pair.client.tick(pair.now + STALL_TIMEOUT)
    assert ends(pair.client.take_events()) == [FileEnded(7, True, FileEnd.STALLED)]


def test_a_receiver_message_on_the_senders_side_closes_the_channel() -> None:
    pair = contacts()
    running(pair)
    inject(pair, False, fm.FileChunk(7, b"x"))
    events = pair.client.take_events()
    assert FileEnded(7, True, FileEnd.NETWORK_ERROR) in events
    assert any(isinstance(e, ProtocolViolation) for e in events)
    assert pair.client.is_open


def test_the_connection_closing_ends_every_transfer() -> None:
    pair = contacts()
    running(pair)
    pair.client.close()
    assert FileEnded(7, True, FileEnd.NETWORK_ERROR) in pair.client.take_events()


# ---- the codec ----


def test_encodings_match_hand_computed_bytes() -> None:
    assert fm.encode_file(fm.FileChunkAck(7, 300)) == bytes.fromhex("2a05080710ac02")
    assert fm.encode_file(fm.FileHeaderResponse(7, fm.FileResponse.Reject)) == bytes.fromhex("1a0408071001")
    header = fm.FileHeader(1, 5, "a", b"\x00" * 64)
    assert fm.decode_file(fm.encode_file(header)) == header


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        bytes.fromhex("2a020807"),  # FileChunkAck without bytes_received
        bytes.fromhex("0a0a08011005" + "1a0161" + "2201aa"[:4]),  # truncated header
        bytes.fromhex("0a0c080110051a016122030000ff"),  # a 3-byte hash
        bytes.fromhex("1a0408071005"),  # response 5
        bytes.fromhex("2a05080710ac021a0408071000"),  # two members
    ],
)
def test_malformed_packets_are_message_errors(raw: bytes) -> None:
    with pytest.raises(MessageError):
        fm.decode_file(raw)


@given(st.binary(max_size=300))
def test_hostile_bytes_decode_or_raise_message_error(raw: bytes) -> None:
    with contextlib.suppress(MessageError):
        fm.decode_file(raw)


def test_the_sender_keeps_a_window_of_chunks_and_takes_acks_only_in_order() -> None:
    pair = contacts()
    offer(pair.client)
    pair.pump()
    pair.take()
    inject(pair, False, fm.FileHeaderResponse(7, fm.FileResponse.Accept))
    out = pair.client.data_to_send()
    chunks = list(framing.PacketReader().feed(out))
    assert len(chunks) == min(WINDOW, 4)  # DATA is four chunks
    inject(pair, False, fm.FileChunkAck(7, 2 * fm.MAX_CHUNK))  # the second chunk's end, first
    [end] = ends(pair.client.take_events())
    assert end.end is FileEnd.FAILED and isinstance(end.error, MessageError)
