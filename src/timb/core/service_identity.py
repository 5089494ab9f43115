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
from dataclasses import replace
from pathlib import Path
from typing import Any

from timb.common.errors import InvalidIdentifier
from timb.common.ids import Jid
from timb.core.errors import InvalidRequest
from timb.core.service_base import ServiceBase
from timb.core.trust import LIBOTR_XMPP_PROTOCOL
from timb.otr.keyfiles import (
    KeyFileError,
    PrivateKeyEntry,
    parse_fingerprints,
    parse_private_keys,
    serialize_fingerprints,
    serialize_private_keys,
)


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


def _write_new(path: Path, text: str) -> None:
    """Create ``path`` (never overwrite) with mode 0600, fsync'd."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidRequest(f"{path} exists already: choose a new file") from None
    except OSError as exc:
        raise InvalidRequest(f"cannot create {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())


class IdentityCommands(ServiceBase):
    async def import_libotr(
        self, account_id: str, private_key_path: Path | str, fingerprints_path: Path | str | None = None
    ) -> dict[str, Any]:
        """Replace the account's OTR key with its key from a libotr ``otr.private_key`` file and
        merge the contacts' fingerprints (and their trust) from ``otr.fingerprints``.

        The account must be disconnected (its conversations restart with the new key; messages
        still pending fail). Returns ``{"fingerprint": ours, "fingerprints_imported": n}``.

        Raises: NotFound, InvalidRequest (unreadable or malformed file, naming the line; no key
        for this account's address; the account is connected).
        """
        runtime = self._runtime(account_id)
        if runtime.link.running:
            raise InvalidRequest(f"disconnect {account_id} before importing a key")
        address = str(runtime.account.jid.bare)
        try:
            keys = parse_private_keys(await asyncio.to_thread(_read, Path(private_key_path)))
            trusted = (
                parse_fingerprints(await asyncio.to_thread(_read, Path(fingerprints_path)))
                if fingerprints_path is not None
                else []
            )
        except KeyFileError as exc:
            raise InvalidRequest(str(exc)) from None
        mine = [k for k in keys if _bare(k.account) == address]
        if not mine:
            found = ", ".join(sorted({k.account for k in keys})) or "none"
            raise InvalidRequest(f"the key file has no key for {address} (it has: {found})")
        # Pidgin's XMPP key first when the file has several protocols for the same address.
        entry = sorted(mine, key=lambda k: k.protocol != LIBOTR_XMPP_PROTOCOL)[0]
        key = entry.to_private_key()
        imported = self._trust.import_libotr(
            trusted, self._clock.now(), lambda acct, _proto: account_id if _bare(acct) == address else None
        )
        for contact in list(self._contacts(account_id)):
            runtime.conversations.fail_pending(contact)
        self._pump(runtime)
        self._otr_keys()[account_id] = [format(n, "x") for n in key.numbers()]
        self._runtime_for(runtime.account, key)
        await self._save()
        return {"fingerprint": key.fingerprint().human(), "fingerprints_imported": imported}

    async def export_libotr(
        self, account_id: str, private_key_path: Path | str, fingerprints_path: Path | str | None = None
    ) -> dict[str, Any]:
        """Write the account's OTR key as a libotr ``otr.private_key`` file (and the contacts'
        fingerprints as ``otr.fingerprints``), account named by its address, protocol
        ``prpl-jabber``. Files are created new with mode 0600. Distrusted fingerprints are
        written unverified (libotr has no such state).

        Returns ``{"fingerprint": ours, "fingerprints_exported": n}``.

        Raises: NotFound, InvalidRequest (the file exists or cannot be created).
        """
        runtime = self._runtime(account_id)
        address = str(runtime.account.jid.bare)
        entry = PrivateKeyEntry.from_numbers(address, LIBOTR_XMPP_PROTOCOL, runtime.key.numbers())
        await asyncio.to_thread(_write_new, Path(private_key_path), serialize_private_keys([entry]))
        entries = [
            replace(e, account=address) for e in self._trust.export_libotr() if e.account == account_id
        ]
        if fingerprints_path is not None:
            await asyncio.to_thread(_write_new, Path(fingerprints_path), serialize_fingerprints(entries))
        return {"fingerprint": runtime.key.fingerprint().human(), "fingerprints_exported": len(entries)}
