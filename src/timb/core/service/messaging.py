"""Message commands: sending, OTR sessions, fingerprints and trust, SMP, and history.

Every command that drives a conversation goes through the account runtime's `act`, which flushes
what the conversations core produced. See `TimbService` for each contract.
"""

from __future__ import annotations

from timb.common.ids import Fingerprint
from timb.common.secret import Secret
from timb.core.errors import InvalidRequest, NotFound
from timb.core.events import MessageState, TrustLevel
from timb.core.service.account_book import AccountBook
from timb.core.service.checks import require_unicode
from timb.core.service.contact_book import ContactBook, parse_contact
from timb.core.service.history import HistoryPart
from timb.core.service.results import Fingerprints, HeldNotice, HistoryItem, KnownKey, SendResult
from timb.core.service.session import ProfileSession
from timb.core.service.translate import translated
from timb.core.service.trust_keeper import TrustKeeper


class Messaging:
    """The message commands of the service."""

    def __init__(
        self,
        session: ProfileSession,
        accounts: AccountBook,
        book: ContactBook,
        trust: TrustKeeper,
        history: HistoryPart,
    ) -> None:
        self._session = session
        self._accounts = accounts
        self._book = book
        self._trust = trust
        self._history = history

    def send(self, account_id: str, contact: str, text: str) -> SendResult:
        runtime = self._accounts.runtime(account_id)
        name = parse_contact(contact)
        self._book.refuse_blocked(account_id, name)
        require_unicode(text, "the text")  # never let it reach OTR (it cannot be encoded)
        with translated():
            # The history records it when it goes out, and how (MessageSent), not now.
            msg_id = runtime.act(lambda c: c.send(name, text))
        return SendResult(msg_id, runtime.message_state(msg_id))

    def held(self, account_id: str, contact: str) -> list[str]:
        runtime = self._accounts.runtime(account_id)
        name = parse_contact(contact)
        return runtime.act(lambda c: c.held(name))

    def held_notice(self, account_id: str, contact: str) -> HeldNotice:
        runtime = self._accounts.runtime(account_id)
        name = parse_contact(contact)
        ids = runtime.act(lambda c: c.held(name))
        written_for, offered = runtime.act(lambda c: c.held_keys(name))
        return HeldNotice(tuple(ids), tuple(sorted(written_for, key=lambda f: f.hex)), offered)

    def release_held(self, account_id: str, contact: str, fingerprint: str) -> None:
        runtime = self._accounts.runtime(account_id)
        name = parse_contact(contact)
        with translated():
            fp = Fingerprint.from_hex(fingerprint)
            runtime.act(lambda c: c.release_held(name, fp))
        # Only once the release went through: the key the user just chose is theirs from now on.
        self._trust.accept(account_id, name, fp)

    def discard_held(self, account_id: str, contact: str) -> None:
        runtime = self._accounts.runtime(account_id)
        name = parse_contact(contact)
        runtime.act(lambda c: c.discard_held(name))

    def message_state(self, account_id: str, msg_id: str) -> MessageState:
        runtime = self._accounts.runtime(account_id)
        try:
            return runtime.message_state(msg_id)
        except KeyError:
            raise NotFound(f"no message {msg_id!r}") from None

    def start(self, account_id: str, contact: str) -> None:
        name = parse_contact(contact)
        self._accounts.runtime(account_id).act(lambda c: c.start(name))

    def end(self, account_id: str, contact: str) -> None:
        name = parse_contact(contact)
        self._accounts.runtime(account_id).act(lambda c: c.end(name))

    def fingerprints(self, account_id: str, contact: str | None = None) -> Fingerprints:
        runtime = self._accounts.runtime(account_id)
        ours = runtime.key.fingerprint()
        if contact is None:
            return Fingerprints(ours)
        name = parse_contact(contact)
        known = tuple(KnownKey(k.fingerprint, k.level) for k in self._trust.known(account_id, name))
        return Fingerprints(ours, runtime.their_fingerprint(name), known)

    async def set_trust(
        self, account_id: str, contact: str, fingerprint: str, trust: str = "verified"
    ) -> KnownKey:
        runtime = self._accounts.runtime(account_id)
        name = parse_contact(contact)
        with translated():
            fp = Fingerprint.from_hex(fingerprint)
        try:
            level = TrustLevel(trust)
        except ValueError:
            raise InvalidRequest("trust must be verified, unverified or distrusted") from None
        with translated():
            self._trust.set_level(account_id, name, fp, level)
        await self._session.save()
        self._trust.announce(account_id, name, fp, level)
        runtime.act(lambda c: c.refresh_trust_and_flush(name))
        return KnownKey(fp, level)

    def smp_start(
        self, account_id: str, contact: str, secret: Secret[str], question: str | None = None
    ) -> None:
        name = parse_contact(contact)
        require_unicode(secret.reveal(), "the secret")
        require_unicode(question or "", "the question")
        with translated():
            self._accounts.runtime(account_id).act(lambda c: c.smp_start(name, secret, question))

    def smp_respond(self, account_id: str, contact: str, secret: Secret[str]) -> None:
        name = parse_contact(contact)
        require_unicode(secret.reveal(), "the secret")
        with translated():
            self._accounts.runtime(account_id).act(lambda c: c.smp_respond(name, secret))

    def smp_abort(self, account_id: str, contact: str) -> None:
        name = parse_contact(contact)
        with translated():
            self._accounts.runtime(account_id).act(lambda c: c.smp_abort(name))

    # -- history (off unless the user turns it on) --------------------------------------------------------

    async def set_history(self, account_id: str, contact: str, enabled: bool | None) -> None:
        self._accounts.runtime(account_id)
        await self._history.set(account_id, parse_contact(contact), enabled)

    async def read_history(self, account_id: str, contact: str) -> list[HistoryItem]:
        self._accounts.runtime(account_id)
        return await self._history.read(account_id, parse_contact(contact))

    async def delete_history(self, account_id: str, contact: str) -> None:
        self._accounts.runtime(account_id)
        await self._history.delete(account_id, parse_contact(contact))
