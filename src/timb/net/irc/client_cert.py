"""An account's TLS client certificate (CertFP, SASL EXTERNAL) loaded into ssl from memory.

The certificate and its key come from the encrypted profile vault, as PEM in memory. Python's
``ssl`` loads a client certificate only from a path (``SSLContext.load_cert_chain``: there is no
in-memory variant, and OpenSSL's BIO loading is not exposed), so the key must pass through a
file without ever lying on a disk readable:

* **The key in that file is re-encrypted** (PKCS#8, AES-256) under a one-time random password
  that lives only in this process's memory and is handed to ``load_cert_chain``. Whatever the
  path holds is useless without it: a leftover after a crash, a backup of /tmp, another process
  that opens it.
* **On Linux the path is an anonymous memory file** (``os.memfd_create``, which OpenSSL opens as
  ``/proc/self/fd/N``): it has no name in any file system, is never written to a disk (swap
  aside), other users cannot open it, and it is gone once its one descriptor is closed, right
  after the load, on error too. Better than a temporary file, which a crash between writing and
  removing leaves behind and which /tmp on a disk keeps in its blocks.
* **Elsewhere** (no ``memfd_create``, or no ``/proc``): a file created 0600 with ``O_EXCL`` in a
  fresh 0700 temporary directory, both removed right after the load, on error too.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from timb.common.secret import Secret
from timb.net.errors import TlsError

MEMFD_NAME = "timb-irc-client-certificate"  # shows in /proc/<pid>/fd only while it is open
_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----\r?\n?", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    """A client certificate and its private key, PEM (certificate blocks and one unencrypted key
    block, in any order), held in memory only."""

    pem: Secret[bytes] = field(repr=False)


def load_client_certificate(ctx: ssl.SSLContext, cert: ClientCertificate | Path) -> None:
    """Give ``ctx`` the client certificate to present (see the module docstring for how).

    Raises: TlsError: the certificate or its key cannot be read (nothing is left behind).
    """
    if isinstance(cert, Path):  # a file the user keeps (tests, and power users): theirs to guard
        try:
            ctx.load_cert_chain(str(cert))
        except (OSError, ssl.SSLError) as exc:
            raise TlsError(f"the client certificate cannot be loaded: {type(exc).__name__}") from None
        return
    password = secrets.token_bytes(32)
    pem = _sealed(cert.pem.reveal(), password)
    try:
        with _private_path(pem) as path:
            ctx.load_cert_chain(path, password=password)
    except (OSError, ssl.SSLError) as exc:
        raise TlsError(f"the client certificate cannot be loaded: {type(exc).__name__}") from None


def _sealed(pem: bytes, password: bytes) -> bytes:
    """The certificate blocks, then the key encrypted under ``password``."""
    blocks = [m.group(0) for m in _BLOCK.finditer(pem)]
    certificates = [b for b in blocks if b.startswith(b"-----BEGIN CERTIFICATE-----")]
    keys = [b for b in blocks if b"PRIVATE KEY-----" in b.split(b"\n", 1)[0]]
    if not certificates or len(keys) != 1:
        raise TlsError("the client certificate needs a certificate and exactly one private key")
    try:
        key = serialization.load_pem_private_key(keys[0], password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise TlsError("the client certificate's key cannot be read") from None
    sealed = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )
    return b"".join(c if c.endswith(b"\n") else c + b"\n" for c in certificates) + sealed


@contextlib.contextmanager
def _private_path(data: bytes) -> Iterator[str]:
    """A path holding ``data`` that only this process reads, gone when the block ends."""
    memfd = getattr(os, "memfd_create", None)
    if memfd is not None and os.path.isdir("/proc/self/fd"):
        fd = memfd(MEMFD_NAME, getattr(os, "MFD_CLOEXEC", 0))
        try:
            _write_all(fd, data)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    directory = tempfile.mkdtemp(prefix="timb-irc-")  # 0700, a fresh name
    try:
        path = os.path.join(directory, "client.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
