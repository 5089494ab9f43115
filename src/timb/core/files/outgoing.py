"""Preparing a file to send: what the user sees before it leaves, and what the offer declares.

Issue 15: "before a file leaves, TIMB offers to remove its metadata ... on by default for the
types mat2 knows, and shows what it found and removed. The user sees name, size and that it
is going encrypted." `prepare_outgoing` does that work once; the service shows the result,
and sends `OutgoingFile.path` (the cleaned copy, or the original where the user chose so or
mat2 does not know the type) with the declared size and SHA3-512 hash.

Blocking (mat2, hashing): run it in a worker thread.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from timb.core.files.errors import FileTooLarge, FileTransferError
from timb.core.files.metadata import MetadataReport, strip_metadata
from timb.core.files.names import sanitise_name
from timb.core.files.saver import DEFAULT_ALGORITHM

_READ = 1 << 20


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    """A file ready to offer. `name` is what the peer is told (no folder of ours leaks)."""

    path: Path
    name: str
    size: int
    digest: bytes
    metadata: MetadataReport | None  # None: the user chose to send it as it is

    @property
    def cleaned(self) -> bool:
        return self.metadata is not None and self.metadata.cleaned is not None


def prepare_outgoing(
    source: Path, workdir: Path, *, strip: bool = True, size_cap: int | None = None
) -> OutgoingFile:
    """Strip metadata (unless `strip` is False), then measure and hash what will be sent.

    Raises:
        MetadataStripError: mat2 failed on a type it knows: nothing is sent as it is silently.
        FileTooLarge: the file is over `size_cap`.
        FileTransferError: the file cannot be read.
    """
    report = strip_metadata(source, workdir) if strip else None
    path = report.cleaned if report is not None and report.cleaned is not None else source
    digest = hashlib.new(DEFAULT_ALGORITHM)
    size = 0
    try:
        with open(path, "rb") as file:
            while chunk := file.read(_READ):
                size += len(chunk)
                if size_cap is not None and size > size_cap:
                    raise FileTooLarge(f"the file is over the cap of {size_cap} bytes")
                digest.update(chunk)
    except OSError as exc:
        raise FileTransferError(f"the file cannot be read: {exc.strerror}") from None
    return OutgoingFile(path, sanitise_name(source.name), size, digest.digest(), report)
