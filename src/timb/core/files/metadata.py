"""Removing a file's own metadata before it is sent (EXIF/GPS of photos, author fields...).

mat2 (Debian package `mat2`) does the work. Its library needs the system's GObject bindings,
which the project's virtual environment does not have, so it runs as a program on a private
copy: the user's original is never touched, and what leaves is the cleaned copy. Blocking:
run it in a worker thread.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from timb.core.files.errors import MetadataStripError

MAT2 = "mat2"
TIMEOUT_SECONDS = 120.0
_UNSUPPORTED = "is not supported"
_NOTHING = "No metadata found"


@dataclass(frozen=True, slots=True)
class MetadataField:
    """One metadata field mat2 reported; the value is shown to the user, never logged."""

    name: str
    value: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class MetadataReport:
    """What mat2 found in a file and what is left in the copy to send.

    `cleaned` is the file to send: the cleaned copy, or None when mat2 does not know the
    type (`supported` False; the caller asks the user whether to send the original).
    """

    supported: bool
    found: tuple[MetadataField, ...]
    remaining: tuple[MetadataField, ...]
    cleaned: Path | None

    @property
    def removed(self) -> tuple[MetadataField, ...]:
        left = {item.name for item in self.remaining}
        return tuple(item for item in self.found if item.name not in left)


def strip_metadata(source: Path, workdir: Path) -> MetadataReport:
    """Clean a copy of `source` inside a new private folder under `workdir`.

    Raises:
        MetadataStripError: mat2 is missing, failed or timed out, or the file cannot be read.
    """
    program = shutil.which(MAT2)
    if program is None:
        raise MetadataStripError("mat2 is not installed: metadata cannot be removed")
    private = Path(tempfile.mkdtemp(prefix="timb-mat2-", dir=workdir))  # mode 0700
    copy = private / ("file" + _safe_suffix(source))
    try:
        shutil.copyfile(source, copy)
    except OSError as exc:
        raise MetadataStripError(f"the file cannot be read: {exc.strerror}") from None
    os.chmod(copy, 0o600)
    supported, found = _show(program, copy)
    if not supported:
        return MetadataReport(supported=False, found=(), remaining=(), cleaned=None)
    _run(program, [str(copy)], "clean")
    cleaned = copy.with_name(copy.stem + ".cleaned" + copy.suffix)
    if not cleaned.is_file():
        raise MetadataStripError("mat2 did not produce a cleaned copy")
    _, remaining = _show(program, cleaned)
    return MetadataReport(supported=True, found=found, remaining=remaining, cleaned=cleaned)


def _show(program: str, path: Path) -> tuple[bool, tuple[MetadataField, ...]]:
    """(supported, fields) from `mat2 --show`."""
    output = _run(program, ["--show", str(path)], "inspect")
    if _UNSUPPORTED in output:
        return False, ()
    if _NOTHING in output:
        return True, ()
    if not output.startswith("[+]"):
        raise MetadataStripError("mat2 could not read the file's metadata")
    return True, tuple(_fields(output.splitlines()[1:]))


def _fields(lines: list[str]) -> list[MetadataField]:
    fields = []
    for line in lines:
        name, colon, value = line.strip().partition(": ")
        if colon:
            fields.append(MetadataField(name=name, value=value))
        elif fields and line.strip():  # a value over several lines
            last = fields.pop()
            fields.append(MetadataField(name=last.name, value=last.value + "\n" + line.strip()))
    return fields


def _run(program: str, args: list[str], what: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent"}
    try:
        done = subprocess.run(  # a fixed program, arguments we built
            [program, *args],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIMEOUT_SECONDS,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        raise MetadataStripError(f"mat2 failed to {what} the file") from None
    output = done.stdout.strip("\n")
    if done.returncode != 0 or "something went wrong" in output:
        raise MetadataStripError(f"mat2 failed to {what} the file")
    return output


def _safe_suffix(source: Path) -> str:
    """The source's extension if plain (mat2 picks its parser by it), else none."""
    suffix = source.suffix.lower()
    if 1 < len(suffix) <= 11 and suffix[1:].isascii() and suffix[1:].isalnum():
        return suffix
    return ""
