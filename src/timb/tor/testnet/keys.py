"""Keys of the private network's relays: authority certificates from ``tor-gencert`` and relay
fingerprints from ``tor --list-fingerprint``. Kept in each node's ``keys/`` so that a restart of
the network reuses them (an RSA-3072 authority identity key takes ~1 s of CPU to make).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import os
import re
import shutil
from pathlib import Path

from timb.tor.errors import TorStartError
from timb.tor.process import guard_offline
from timb.tor.torrc import DirAuthority, TorConfig

_LIST_FINGERPRINT = ("--list-fingerprint", "--quiet")


def emptied_but_keys(d: Path) -> Path:
    """Node directory ``d`` (created 0700), emptied of everything but its keys: a stale
    consensus or state from a previous run must not leak into this one."""
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    for entry in d.iterdir():
        if entry.name in {"keys", "fingerprint", "fingerprint-ed25519"}:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    return d


def restore_keys(cache: Path | None, data_dir: Path) -> bool:
    """Copy the keys of node ``data_dir.name`` from ``cache`` into ``data_dir`` if it has none.

    Returns True if keys were restored.
    """
    source = None if cache is None else cache / data_dir.name
    if source is None or (data_dir / "keys" / "secret_id_key").exists():
        return False
    if not (source / "fingerprint").exists():
        return False
    shutil.copytree(source / "keys", data_dir / "keys", dirs_exist_ok=True)
    shutil.copy2(source / "fingerprint", data_dir / "fingerprint")
    return True


def save_keys(cache: Path | None, data_dir: Path) -> None:
    """Keep the keys of ``data_dir`` in ``cache`` (once; a concurrent writer may win the race,
    the rename makes the entry appear whole or not at all)."""
    if cache is None or (cache / data_dir.name).exists():
        return
    cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = cache / f".{data_dir.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(data_dir / "keys", tmp / "keys")
    shutil.copy2(data_dir / "fingerprint", tmp / "fingerprint")
    try:
        tmp.rename(cache / data_dir.name)
    except OSError:  # another process stored the same node's keys first
        shutil.rmtree(tmp, ignore_errors=True)


async def relay_fingerprint(tor_binary: str, data_dir: Path, nickname: str, or_port: int) -> str:
    """The relay fingerprint of the tor in ``data_dir``, generating its keys with
    ``tor --list-fingerprint`` unless they exist (then they are reused).

    Raises:
        TorStartError: tor failed, or wrote no readable fingerprint.
    """
    cached = data_dir / "fingerprint"
    if not cached.exists() or not (data_dir / "keys" / "secret_id_key").exists():
        # A keygen torrc is still a testing torrc: TestingTorNetwork refuses the default
        # authorities, so a dummy loopback DirAuthority stands in for the real ones.
        dummy = DirAuthority("dummy", 1, 1, "0" * 40, "0" * 40)
        config = TorConfig(
            (
                ("TestingTorNetwork", "1"),
                ("DataDirectory", str(data_dir)),
                ("Nickname", nickname),
                ("ORPort", f"127.0.0.1:{or_port}"),
                ("SocksPort", "0"),
                ("DirAuthority", dummy.line()),
            )
        )
        guard_offline(config.as_getconf())
        torrc = data_dir / "torrc.keygen"
        torrc.write_text(config.render())
        await _run([tor_binary, "-f", str(torrc), "--defaults-torrc", "/dev/null", *_LIST_FINGERPRINT])
    return read_fingerprint(cached)


def read_fingerprint(path: Path) -> str:
    # "nickname FINGERPRINT"; tor writes it at start (and --list-fingerprint does).
    parts = path.read_text().split()
    if len(parts) != 2 or not re.fullmatch(r"[0-9A-F]{40}", parts[1]):
        raise TorStartError(f"cannot read a relay fingerprint from {path}")
    return parts[1]


CERTIFICATE_MARGIN_DAYS = 7


async def authority_certificate(keys: Path) -> tuple[str, bool]:
    """The authority certificate in ``keys``: reused while it is valid for another
    CERTIFICATE_MARGIN_DAYS, else (re)issued with tor-gencert (the identity key is kept, or
    made once). The certificate names no address (tor-gencert without ``-a``), so one that was
    issued for an earlier run's DirPort serves every later run, and a network starts without
    running tor-gencert (0.3-1 s per authority on a loaded machine).

    Returns (v3ident, whether a new certificate was issued).

    Raises:
        TorStartError: tor-gencert failed or wrote no fingerprint.
    """
    cert = keys / "authority_certificate"
    fingerprint = _usable_certificate(cert)
    if fingerprint is not None:
        return fingerprint, False
    identity = keys / "authority_identity_key"
    argv = ["tor-gencert", "--passphrase-fd", "0", "-m", "12"]
    argv += ["-i", str(identity), "-s", str(keys / "authority_signing_key"), "-c", str(cert)]
    if not identity.exists():
        argv.append("--create-identity-key")
    await _run(argv, stdin=b"\n")
    fingerprint = _usable_certificate(cert)
    if fingerprint is None:
        raise TorStartError("tor-gencert wrote a certificate without a fingerprint")
    return fingerprint, True


def _usable_certificate(cert: Path) -> str | None:
    """The certificate's fingerprint, if it exists, names no address and is not about to expire."""
    try:
        lines = cert.read_text().splitlines()
    except FileNotFoundError:
        return None
    fields = dict(line.split(" ", 1) for line in lines if " " in line)
    if "dir-address" in fields or "fingerprint" not in fields:
        return None  # issued for one run's DirPort by an older TIMB: reissue
    try:
        expires = datetime.datetime.strptime(fields.get("dir-key-expires", ""), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    margin = datetime.timedelta(days=CERTIFICATE_MARGIN_DAYS)
    if expires.replace(tzinfo=datetime.UTC) < datetime.datetime.now(tz=datetime.UTC) + margin:
        return None
    return fields["fingerprint"].strip()


def refresh_cached_certificate(cache: Path | None, data_dir: Path) -> None:
    """Replace the cached certificate and signing key of node ``data_dir.name`` with the ones
    just issued (each file renamed into place, so a concurrent reader sees old or new)."""
    target = None if cache is None else cache / data_dir.name / "keys"
    if target is None or not target.is_dir():
        return
    for name in ("authority_signing_key", "authority_certificate"):
        tmp = target / f".{name}.{os.getpid()}.tmp"
        shutil.copy2(data_dir / "keys" / name, tmp)
        tmp.replace(target / name)


async def _run(argv: list[str], *, stdin: bytes = b"") -> None:
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
    except OSError as e:
        raise TorStartError(f"cannot execute {argv[0]}: {e.strerror}") from e
    try:
        async with asyncio.timeout(60):
            out, _ = await proc.communicate(stdin)
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    if proc.returncode != 0:
        tail = "\n".join(out.decode(errors="replace").splitlines()[-10:])
        raise TorStartError(f"{argv[0]} failed with status {proc.returncode}", log_tail=tail)
