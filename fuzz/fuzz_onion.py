"""Fuzz the Ricochet v3 core (`timb.net.onion`): the frame parser, the protobuf decoders and a
whole `OnionConnection` on either side.

Inputs are arbitrary bytes, or mutations of a genuine session (a TIMB client and server paired
through a fake link: version negotiation, authentication, a contact request, chat both ways, a file),
fed to a core whole and again in chunks cut where the fuzzer says.

Checked: the decoders raise nothing but `MessageError`, the packet reader nothing but
`FrameError`; a core raises nothing at all (a hostile peer is an event, never an exception),
the chunking never changes the events, and output and events stay bounded.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import sys

from fuzzlib import Provider, check, instrumented, mutate, run

with instrumented():
    from timb.common.random import DeterministicRandom
    from timb.common.secret import Secret
    from timb.net.onion import file_messages as fm
    from timb.net.onion import framing
    from timb.net.onion import messages as m
    from timb.net.onion.connection import OnionConnection, Role
    from timb.net.onion.errors import FrameError, MessageError
    from timb.net.onion.identity import OnionIdentity

CLIENT = OnionIdentity(Secret(bytes(range(32))))
SERVER = OnionIdentity(Secret(bytes(range(32, 64))))


def _core(role: Role) -> OnionConnection:
    return OnionConnection(
        role,
        SERVER if role is Role.SERVER else CLIENT,
        now=0,
        random=DeterministicRandom(b"fuzz"),
        peer=SERVER.address,
        is_contact=lambda _a: True,
    )


def _genuine() -> tuple[bytes, bytes]:
    """What a client and a server sent each other in one real session."""
    client, server = _core(Role.CLIENT), _core(Role.SERVER)
    sent = {Role.CLIENT: bytearray(), Role.SERVER: bytearray()}

    def pump() -> None:
        for _ in range(20):
            a, b = client.data_to_send(), server.data_to_send()
            sent[Role.CLIENT] += a
            sent[Role.SERVER] += b
            server.receive_data(a, 0) if a else None
            client.receive_data(b, 0) if b else None
            if not a and not b:
                return

    pump()
    client.send_message("hello " * 500)
    server.send_message("hi 🎉")
    pump()
    data = bytes(range(256)) * 300  # two file chunks
    client.send_file(1, len(data), "f.bin", hashlib.sha3_512(data).digest(), source=io.BytesIO(data), now=0)
    pump()
    server.accept_file(1, io.BytesIO(), 0)
    pump()
    return bytes(sent[Role.CLIENT]), bytes(sent[Role.SERVER])


TO_SERVER, TO_CLIENT = _genuine()


def _feed(role: Role, chunks: list[bytes]) -> tuple[list[object], int]:
    core = _core(role)
    out = 0
    for chunk in chunks:
        core.receive_data(chunk, 0)
        out += len(core.data_to_send())
    core.tick(20.0)
    events = core.take_events()
    return [repr(e) for e in events], out


def test_one_input(data: bytes) -> None:
    p = Provider(data)
    role = p.pick([Role.SERVER, Role.CLIENT])
    genuine = p.flag()
    base = TO_SERVER if role is Role.SERVER else TO_CLIENT
    raw = mutate(p, base) if genuine else p.rest()
    cuts = sorted({p.number(0, len(raw)) for _ in range(p.number(0, 8))})
    # (b"" is the end of the stream for a core, so no empty chunks)
    chunks = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True) if b > a]
    whole = _feed(role, [raw] if raw else [])
    chunked = _feed(role, chunks)
    check(whole[0] == chunked[0], "chunking changed the events")
    check(len(whole[0]) <= 1100, "events unbounded")
    with contextlib.suppress(FrameError):
        packets = framing.PacketReader().feed(raw)
        for packet in packets:
            for decode in (m.decode_control, m.decode_auth, m.decode_chat, m.decode_response, fm.decode_file):
                with contextlib.suppress(MessageError):
                    decode(packet.data)


if __name__ == "__main__":
    run(test_one_input, sys.argv)
