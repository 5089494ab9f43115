"""Bring an OTR identity from Pidgin, Adium or Tor Messenger (libotr's files), and take it out.

libotr keeps every account's DSA key in one S-expression file (``otr.private_key``) and the
contacts' fingerprints with their trust in a tab-separated file (``otr.fingerprints``); both
name accounts by address (``user@server``, sometimes with ``/resource``) and protocol
(``prpl-jabber`` for XMPP in Pidgin). Import takes the key whose account is this account's
address, and the fingerprints recorded for it; export writes the same formats, new files only,
readable by the user alone (they hold the private key).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, replace
from pathlib import Path

from timb.common.errors import InvalidIdentifier
from timb.common.ids import Jid
from timb.core.errors import InvalidRequest
from timb.core.service.account_book import AccountBook
from timb.core.service.results import KeyExport, KeyImport
from timb.core.service.session import ProfileSession
from timb.core.service.translate import translated
from timb.core.service.trust_keeper import TrustKeeper
from timb.core.trust import LIBOTR_XMPP_PROTOCOL
from timb.otr import PrivateKey
from timb.otr.keyfiles import (
    PrivateKeyEntry,
    parse_fingerprints,
    parse_private_keys,
    serialize_fingerprints,
    serialize_private_keys,
)


@dataclass(frozen=True, slots=True)
class Imported:
    key: PrivateKey
    fingerprints: int


def _bare(address: str) -> str | None:
    try:
        return str(Jid.parse(address).bare)
    except InvalidIdentifier:
        return None


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidRequest(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError:  # a NUL in the path: no file can have that name
        raise InvalidRequest("cannot read the file: its name holds a NUL") from None


def _write_new(path: Path, text: str) -> None:
    """Create ``path`` (never overwrite) with mode 0600, fsync'd."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidRequest(f"{path} exists already: choose a new file") from None
    except OSError as exc:
        raise InvalidRequest(f"cannot create {path}: {exc.strerror or exc}") from None
    except ValueError:  # a NUL in the path
        raise InvalidRequest("cannot create the file: its name holds a NUL") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())


async def read_libotr(
    account_id: str,
    address: str,
    trust: TrustKeeper,
    private_key_path: Path | str,
    fingerprints_path: Path | str | None,
) -> Imported:
    """The key for ``address`` from a libotr key file; the fingerprints file merged into trust.

    Raises: InvalidRequest (unreadable or malformed file, naming the line; no key for ``address``).
    """
    with translated():
        keys = parse_private_keys(await asyncio.to_thread(_read, Path(private_key_path)))
        trusted = (
            parse_fingerprints(await asyncio.to_thread(_read, Path(fingerprints_path)))
            if fingerprints_path is not None
            else []
        )
    mine = [k for k in keys if _bare(k.account) == address]
    if not mine:
        found = ", ".join(sorted({k.account for k in keys})) or "none"
        raise InvalidRequest(f"the key file has no key for {address} (it has: {found})")
    # Pidgin's XMPP key first when the file has several protocols for the same address.
    entry = sorted(mine, key=lambda k: k.protocol != LIBOTR_XMPP_PROTOCOL)[0]
    key = entry.to_private_key()
    imported = trust.import_libotr(
        trusted, lambda acct, _proto: account_id if _bare(acct) == address else None
    )
    return Imported(key, imported)


async def write_libotr(
    account_id: str,
    address: str,
    key: PrivateKey,
    *,
    trust: TrustKeeper,
    private_key_path: Path | str,
    fingerprints_path: Path | str | None,
) -> int:
    """Write the key (and the account's fingerprints); returns how many fingerprints.

    Raises: InvalidRequest (a file exists or cannot be created).
    """
    entry = PrivateKeyEntry.from_numbers(address, LIBOTR_XMPP_PROTOCOL, key.numbers())
    await asyncio.to_thread(_write_new, Path(private_key_path), serialize_private_keys([entry]))
    entries = [replace(e, account=address) for e in trust.export_libotr() if e.account == account_id]
    if fingerprints_path is not None:
        await asyncio.to_thread(_write_new, Path(fingerprints_path), serialize_fingerprints(entries))
    return len(entries)


class Identity:
    """The libotr import and export commands of the service."""

    def __init__(self, session: ProfileSession, accounts: AccountBook, trust: TrustKeeper) -> None:
        self._session = session
        self._accounts = accounts
        self._trust = trust

    async def import_libotr(
        self, account_id: str, private_key_path: Path | str, fingerprints_path: Path | str | None
    ) -> KeyImport:
        runtime = self._accounts.runtime(account_id)
        if runtime.link.running:
            raise InvalidRequest(f"disconnect {account_id} before importing a key")
        address = str(runtime.account.jid.bare)
        imported = await read_libotr(account_id, address, self._trust, private_key_path, fingerprints_path)
        self._accounts.rekey(runtime, imported.key)
        await self._session.save()
        return KeyImport(imported.key.fingerprint(), imported.fingerprints)

    async def export_libotr(
        self, account_id: str, private_key_path: Path | str, fingerprints_path: Path | str | None
    ) -> KeyExport:
        runtime = self._accounts.runtime(account_id)
        address = str(runtime.account.jid.bare)
        count = await write_libotr(
            account_id,
            address,
            runtime.key,
            trust=self._trust,
            private_key_path=private_key_path,
            fingerprints_path=fingerprints_path,
        )
        return KeyExport(runtime.key.fingerprint(), count)
