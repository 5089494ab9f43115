"""The message, OTR, SMP and history commands of `TimbService`."""

from __future__ import annotations

from typing import Any

from timb.common.secret import Secret
from timb.core.errors import InvalidRequest, NotFound
from timb.core.events import (
    MessageState,
    TrustChanged,
    TrustLevel,
)
from timb.core.service_base import ServiceBase
from timb.core.storage.history import Direction
from timb.core.trust import VerificationMethod
from timb.otr import LocalError


class MessageCommands(ServiceBase):
    def send_message(self, account_id: str, contact: str, text: str) -> str:
        """Queue a message; returns its id. It stays PENDING until a private session exists.

        Raises: NotFound, InvalidRequest (bad address, the address is blocked, or a text OTR
        cannot carry).
        """
        runtime = self._runtime(account_id)
        name = self._parse_contact(contact)
        if self._is_blocked(account_id, name):
            raise InvalidRequest(f"{name} is blocked: unblock it first")
        try:
            msg_id = runtime.conversations.send(name, text)
        except LocalError as exc:
            raise InvalidRequest(str(exc)) from None
        self._pump(runtime)
        self._remember(account_id, name, Direction.OUTGOING, text)
        return msg_id

    def message_state(self, account_id: str, msg_id: str) -> MessageState:
        try:
            return self._runtime(account_id).conversations.message_state(msg_id)
        except KeyError:
            raise NotFound(f"no message {msg_id!r}") from None

    def start_otr(self, account_id: str, contact: str) -> None:
        runtime = self._runtime(account_id)
        runtime.conversations.start(self._parse_contact(contact))
        self._pump(runtime)

    def end_otr(self, account_id: str, contact: str) -> None:
        runtime = self._runtime(account_id)
        runtime.conversations.end(self._parse_contact(contact))
        self._pump(runtime)

    def fingerprints(self, account_id: str, contact: str | None = None) -> dict[str, Any]:
        """Our fingerprint; with a contact, theirs in the current session and every known one."""
        runtime = self._runtime(account_id)
        out: dict[str, Any] = {"ours": runtime.key.fingerprint().human()}
        if contact is not None:
            name = self._parse_contact(contact)
            theirs = runtime.conversations.their_fingerprint(name)
            out["theirs"] = theirs.human() if theirs else None
            out["known"] = [
                {"fingerprint": k.fingerprint.human(), "trust": k.level.value}
                for k in self._trust.fingerprints_for(account_id, name)
            ]
        return out

    async def set_trust(
        self, account_id: str, contact: str, fingerprint: str, trust: str = "verified"
    ) -> dict[str, Any]:
        """Mark a contact's fingerprint verified (checked by hand), distrusted or unverified.

        Raises: NotFound, InvalidRequest.
        """
        runtime = self._runtime(account_id)
        name = self._parse_contact(contact)
        fp = self._parse_fingerprint(fingerprint)
        try:
            level = TrustLevel(trust)
        except ValueError:
            raise InvalidRequest("trust must be verified, unverified or distrusted") from None
        if level is TrustLevel.VERIFIED:
            self._trust.verify(account_id, name, fp, VerificationMethod.MANUAL, self._clock.now())
        elif level is TrustLevel.DISTRUSTED:
            self._trust.distrust(account_id, name, fp)
        else:
            self._trust.unverify(account_id, name, fp)
        await self._save()
        self._emit(TrustChanged(account_id, name, fp, level))
        runtime.conversations.refresh_trust_and_flush(name)
        self._pump(runtime)
        return {"fingerprint": fp.human(), "trust": level.value}

    # -- identity verification (SMP) ---------------------------------------------------------

    def smp_start(
        self, account_id: str, contact: str, secret: Secret[str], question: str | None = None
    ) -> None:
        """Ask the contact to prove they know ``secret`` (the answer to ``question``, if given).
        The result comes as SmpFinished; success marks their key verified.

        Raises: NotFound, InvalidRequest (no private conversation, bad question).
        """
        runtime = self._runtime(account_id)
        try:
            runtime.conversations.smp_start(self._parse_contact(contact), secret, question)
        except LocalError as exc:
            raise InvalidRequest(str(exc)) from None
        self._pump(runtime)

    def smp_respond(self, account_id: str, contact: str, secret: Secret[str]) -> None:
        """Answer a SmpRequested. Raises: NotFound, InvalidRequest (nothing to answer)."""
        runtime = self._runtime(account_id)
        try:
            runtime.conversations.smp_respond(self._parse_contact(contact), secret)
        except LocalError as exc:
            raise InvalidRequest(str(exc)) from None
        self._pump(runtime)

    def smp_abort(self, account_id: str, contact: str) -> None:
        runtime = self._runtime(account_id)
        try:
            runtime.conversations.smp_abort(self._parse_contact(contact))
        except LocalError as exc:
            raise InvalidRequest(str(exc)) from None
        self._pump(runtime)

    # -- history (off unless the user turns it on) -----------------------------------------------

    async def set_history(self, account_id: str, contact: str, enabled: bool | None) -> None:
        """Turn history on or off for one conversation (None: back to the profile's setting,
        which is off by default). Existing logs are kept; `delete_history` removes them."""
        self._runtime(account_id)
        await self._recorder().set(account_id, self._parse_contact(contact), enabled)

    async def read_history(self, account_id: str, contact: str) -> list[dict[str, Any]]:
        """The recorded messages of one conversation, oldest first. Raises: ProfileError."""
        self._runtime(account_id)
        return await self._recorder().read(account_id, self._parse_contact(contact))

    async def delete_history(self, account_id: str, contact: str) -> None:
        self._runtime(account_id)
        await self._recorder().delete(account_id, self._parse_contact(contact))
