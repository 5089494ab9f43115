"""File transfer, the CPU side: what TIMB's XMPP file path costs before the network.

Side by side in one run, on the same random bytes: (a) the reference, the bytes written to a
file as they are; (b) TIMB's in-band path without sockets: CoyIM-framed encryption, XEP-0047
chunks serialised to XML and parsed back (what the server relays), decryption, and the checked
save (`IncomingFile`, SHA3-512). The ratio (b)/(a) in throughput is the ceiling the transport
can reach; the network figures (IBB and the proxy vs a raw onion stream, issue 15) need the
adapter wiring and are still to come (docs/files.md).

Usage: python bench/ft_bench.py [--mb 5] [--rounds 3] [--block-size 4096]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree as ET

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from timb.common.secret import Secret  # noqa: E402
from timb.core.files import IncomingFile  # noqa: E402
from timb.core.files.encrypted_stream import (  # noqa: E402
    StreamKeys,
    StreamOpener,
    StreamSealer,
    encrypted_size,
)
from timb.net.xmpp.ibb import IbbReceiver, IbbSender, parse  # noqa: E402


def raw(folder: Path, data: bytes) -> float:
    start = time.perf_counter()
    path = folder / "raw.bin"
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - start
    path.unlink()
    return elapsed


def timb_ibb(folder: Path, data: bytes, block_size: int) -> float:
    key = Secret(os.urandom(32))
    start = time.perf_counter()
    sealer = StreamSealer(StreamKeys(key), os.urandom(16))
    sender = IbbSender("bench", block_size)
    receiver = IbbReceiver(sender.open(), max_bytes=encrypted_size(len(data)))
    opener = StreamOpener(StreamKeys(key))
    digest = hashlib.sha3_512(data).digest()  # the sender hashes for its offer
    with IncomingFile(folder, "bench.bin", len(data), digest, cap=len(data)) as incoming:
        pieces = [sealer.header(), sealer.seal(data), sealer.finish()]
        for element in sender.data(b"".join(pieces)):
            stanza = ET.tostring(element.to_element())
            incoming.write(opener.feed(receiver.receive(parse(ET.fromstring(stanza)))))
        opener.finish()
        saved = incoming.finish()
    elapsed = time.perf_counter() - start
    saved.unlink()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--block-size", type=int, default=4096)
    args = parser.parse_args()
    data = os.urandom(int(args.mb * 1024 * 1024))
    raws, ibbs = [], []
    with tempfile.TemporaryDirectory(prefix="timb-ft-bench-") as tmp:
        folder = Path(tmp)
        for _ in range(args.rounds):  # alternate, so both see the same machine load
            raws.append(raw(folder, data))
            ibbs.append(timb_ibb(folder, data, args.block_size))
    size_mb = len(data) / (1024 * 1024)
    raw_rate, ibb_rate = size_mb / statistics.median(raws), size_mb / statistics.median(ibbs)
    print(f"file {size_mb:.1f} MiB, {args.rounds} rounds, IBB block size {args.block_size}")
    print(f"reference (plain write + fsync): {raw_rate:8.1f} MiB/s")
    print(f"TIMB IBB path, no network:       {ibb_rate:8.1f} MiB/s")
    print(f"ratio TIMB/reference:            {ibb_rate / raw_rate:8.3f}x")


if __name__ == "__main__":
    main()
