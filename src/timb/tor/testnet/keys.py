"""Keys of the private network's relays: authority certificates from ``tor-gencert`` and relay
fingerprints from ``tor --list-fingerprint``. Kept in each node's ``keys/`` so that a restart of
the network reuses them (an RSA-3072 authority identity key takes ~1 s of CPU to make).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
from pathlib import Path

from timb.tor.errors import TorStartError
from timb.tor.process import guard_offline
from timb.tor.torrc import DirAuthority, TorConfig

_LIST_FINGERPRINT = ("--list-fingerprint", "--quiet")


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


async def authority_certificate(keys: Path, dir_port: int) -> str:
    """(Re)issue the authority certificate for this run's DirPort; the identity key is kept.
    Returns the v3ident (the certificate's fingerprint)."""
    identity = keys / "authority_identity_key"
    argv = ["tor-gencert", "--passphrase-fd", "0", "-m", "12", "-a", f"127.0.0.1:{dir_port}"]
    argv += ["-i", str(identity), "-s", str(keys / "authority_signing_key")]
    argv += ["-c", str(keys / "authority_certificate")]
    if not identity.exists():
        argv.append("--create-identity-key")
    await _run(argv, stdin=b"\n")
    for line in (keys / "authority_certificate").read_text().splitlines():
        if line.startswith("fingerprint "):
            return line.split()[1]
    raise TorStartError("tor-gencert wrote a certificate without a fingerprint")


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
