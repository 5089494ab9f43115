"""A fake ``service.onion`` for the TUI tests: the GUI's fake (tests/gui/fake_onion.py: the same
commands, results and errors as `OnionPart`, state in dicts) plus the file commands, and the
helpers a test uses to play the peer. `test_onion_tui.py` checks every command the TUI calls
(`timb.ui.tui.onion_api.OnionApi`) against the real class's signature."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from pathlib import Path

from tests.gui.fake_onion import FakeOnion as GuiFakeOnion
from tests.gui.fake_onion import address
from timb.core.errors import InvalidRequest, NotFound, Unavailable
from timb.core.files.errors import FileTransferError
from timb.core.onion_events import (
    OnionContactRequested,
    OnionFileChanged,
    OnionFileOffered,
    OnionMessageReceived,
    OnionMessageState,
    OnionMessageStateChanged,
    OnionPresenceChanged,
)
from timb.core.service.onion_files import OnionFileOffer
from timb.core.service.onion_part import OnionContactInfo, OnionIdentityInfo

__all__ = ["FakeOnion", "address"]


class FakeOnion(GuiFakeOnion):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.files: dict[str, tuple[str, str, str]] = {}  # transfer -> (identity, contact, direction)

    # -- the file commands ------------------------------------------------------------------------

    async def send_file(
        self, identity_id: str, contact: str, path: Path, strip_metadata: bool = True
    ) -> OnionFileOffer:
        self.calls.append(("send_file", identity_id, contact, path, strip_metadata))
        self._identity(identity_id)
        entry = self.contacts[identity_id].get(self._parse(contact))
        if entry is None or entry.status != "contact":
            raise InvalidRequest("files go only to a contact")
        if not entry.online:
            raise Unavailable("the contact is not online: files go only while both are")
        try:
            size = await asyncio.to_thread(os.path.getsize, path)
        except OSError:
            raise FileTransferError("the file cannot be read") from None
        transfer = f"t{len(self.files) + 1}"
        self.files[transfer] = (identity_id, entry.contact, "outgoing")
        self._emit(OnionFileChanged(identity_id, entry.contact, transfer, "outgoing", "offered"))
        return OnionFileOffer(transfer, Path(path).name, size, "removed" if strip_metadata else "kept")

    def _own(self, identity_id: str, transfer: str) -> tuple[str, str, str]:
        self._identity(identity_id)
        found = self.files.get(transfer)
        if found is None or found[0] != identity_id:
            raise NotFound("no such file transfer for this identity")
        return found

    async def accept_file(self, identity_id: str, transfer: str, folder: Path) -> None:
        self.calls.append(("accept_file", identity_id, transfer, folder))
        _, contact, _ = self._own(identity_id, transfer)
        self._emit(OnionFileChanged(identity_id, contact, transfer, "incoming", "running"))

    def reject_file(self, identity_id: str, transfer: str) -> None:
        self.calls.append(("reject_file", identity_id, transfer))
        _, contact, direction = self._own(identity_id, transfer)
        self._emit(OnionFileChanged(identity_id, contact, transfer, direction, "rejected"))

    def cancel_file(self, identity_id: str, transfer: str) -> None:
        self.calls.append(("cancel_file", identity_id, transfer))
        _, contact, direction = self._own(identity_id, transfer)
        self._emit(OnionFileChanged(identity_id, contact, transfer, direction, "cancelled"))

    # -- what a peer (or the network) does: test helpers ------------------------------------------

    def make(self, identity_id: str) -> None:
        """An identity, as if created earlier (no call recorded)."""
        n = len(self.identities) + 1
        self.identities[identity_id] = OnionIdentityInfo(identity_id, address(n), "", False, None, False)
        self.contacts[identity_id] = {}

    def request(self, identity_id: str, contact: str, nickname: str = "", message: str = "") -> None:
        self.stranger_asks(identity_id, contact)
        self._emit(OnionContactRequested(identity_id, contact, nickname, message))

    def befriend(self, identity_id: str, contact: str, *, online: bool = True, verified: bool = True) -> None:
        """``contact`` is a contact (their connection up when ``online``)."""
        self.contacts[identity_id][contact] = OnionContactInfo(contact, "contact", verified, "", online)
        self._emit(OnionPresenceChanged(identity_id, contact, online))

    def says(self, identity_id: str, contact: str, text: str) -> None:
        verified = self.contacts[identity_id][contact].verified
        self._emit(OnionMessageReceived(identity_id, contact, text, verified))

    def moves(self, msg_id: str, state: OnionMessageState) -> None:
        identity, contact = self.waiting[msg_id]
        if state in (OnionMessageState.DELIVERED, OnionMessageState.FAILED):
            del self.waiting[msg_id]
        self._emit(OnionMessageStateChanged(msg_id, state, identity, contact))

    def offers(self, identity_id: str, contact: str, name: str, size: int) -> str:
        transfer = f"t{len(self.files) + 1}"
        self.files[transfer] = (identity_id, contact, "incoming")
        verified = self.contacts[identity_id][contact].verified
        self._emit(OnionFileOffered(identity_id, contact, transfer, name, size, verified))
        return transfer

    def online(self, identity_id: str) -> bool:
        return self.identities[identity_id].online

    def set_online(self, identity_id: str, online: bool) -> None:
        self.identities[identity_id] = replace(self.identities[identity_id], online=online)
