"""Files to and from XMPP contacts (issue 15, the XMPP half): ``service.files.send_file``,
``accept_file``, ``reject_file``, ``cancel_file`` (JSON-RPC ``file.*``).

The rules (docs/files.md):

- Only in a private OTR session with a contact: the offer is the data of TLV 8 in that session
  (`timb.core.files.xmpp_offer`), and the extra symmetric key of its Data Message is the file's
  key, so the name, size and hash never leave OTR and the transfer has no key of its own on the
  wire. Without a private session nothing is offered, and the refusal says why.
- The bytes: CoyIM's framing (`encrypted_stream`: AES-128-CTR, HMAC-SHA-256, the MAC key
  revealed after), carried by in-band bytestreams (XEP-0047) through the server only, to the
  full address the receiver named inside OTR. Never a direct connection.
- Receiving: nothing is written before the user accepts, into the folder they name; an offer
  over the cap is refused at once; a stream is taken only from the contact that offered it
  (by its sid); the bytes go to a private partial file, and only once the MAC, the size and
  the SHA3-512 match does the file get its sanitised, never clobbering name. Never opened.
- Every message of a transfer must come in a session with the key the offer came in.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import secrets
import shutil
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from timb.common.clock import Clock
from timb.common.ids import Jid
from timb.core.errors import InvalidRequest, NotFound, Unavailable
from timb.core.events import CoreEvent, OtrState
from timb.core.file_events import FileChanged, FileKeyReceived, FileOffered, FileProgress
from timb.core.files import FileTransferError, IncomingFile, prepare_outgoing
from timb.core.files import xmpp_offer as wire
from timb.core.files.encrypted_stream import (
    StreamKeys,
    StreamOpener,
    encrypted_size,
)
from timb.core.files.errors import BadFileMessage, TransferRefused
from timb.core.files.transfer import State, TransferBook, TransferChanged
from timb.core.service.account_book import AccountBook
from timb.core.service.contact_book import ContactBook
from timb.core.service.trust_keeper import TrustKeeper
from timb.core.service.xmpp_file_parts import (
    FileOffer,
    IbbHost,
    LiveTransfer,
    files_of,
    full_jid_of,
    offer_result,
    safely,
    send_stream,
)
from timb.net import base as net
from timb.net.xmpp import ibb
from timb.otr import LocalError, PolicyViolation

DEFAULT_SIZE_CAP = 2 << 30
MAX_OFFERS_WAITING = 32  # per account; more are refused without asking
Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]
_PRIVATE = (OtrState.PRIVATE_UNVERIFIED, OtrState.PRIVATE_VERIFIED)


class XmppFiles:
    """The running file transfers of every XMPP account (in memory only)."""

    def __init__(
        self,
        accounts: AccountBook,
        contacts: ContactBook,
        trust: TrustKeeper,
        *,
        emit: Callable[[CoreEvent], None],
        spawn: Spawn,
        clock: Clock,
    ) -> None:
        self._accounts = accounts
        self._contacts = contacts
        self._trust = trust
        self._emit = emit
        self._spawn = spawn
        self.book = TransferBook(clock, DEFAULT_SIZE_CAP)
        self._live: dict[str, LiveTransfer] = {}
        self._sids: dict[tuple[str, str, str, bool], str] = {}

    # ---- commands ----

    async def send_file(
        self, account_id: str, contact: str, path: Path, strip_metadata: bool = True
    ) -> FileOffer:
        """Offer the file at ``path`` to ``contact`` inside the private OTR session, its metadata
        removed by mat2 unless ``strip_metadata`` is False. Its states come as `FileChanged`.

        Raises: ProfileError, NotFound, InvalidRequest (not a contact), TransferRefused (no
        private OTR session: files go encrypted), MetadataStripError, FileTransferError."""
        contact = str(Jid.parse(contact).bare)
        runtime = self._accounts.runtime(account_id)
        if not self._contacts.is_contact(account_id, contact):
            raise InvalidRequest("files go only to a contact")
        if runtime.otr_state(contact) not in _PRIVATE:
            raise TransferRefused(
                "files are only sent in a private OTR conversation: start one (and verify the contact)"
            )
        workdir = Path(tempfile.mkdtemp(prefix="timb-send-"))  # 0700: mat2's private copy
        try:
            ready = await asyncio.to_thread(prepare_outgoing, Path(path), workdir, strip=strip_metadata)
            sid = secrets.token_hex(16)
            offer = wire.encode(wire.Offer(sid, ready.name, ready.size, ready.digest))
            fingerprint = runtime.their_fingerprint(contact)
            key = runtime.act(lambda c: files_of(c).send_extra_key(contact, wire.USE_TIMB_FILE, offer))
        except (PolicyViolation, LocalError):
            shutil.rmtree(workdir, ignore_errors=True)
            raise TransferRefused("the private OTR session ended: start it again to send files") from None
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        transfer = self.book.offer(contact, ready.name, ready.size, private=True)
        live = LiveTransfer(account_id, contact, sid, True, ready.size, StreamKeys(key), fingerprint)
        live.path, live.workdir = ready.path, workdir
        self._add(transfer.id, live)
        self._changed(live, TransferChanged(transfer))
        return offer_result(transfer.id, ready.name, ready.size, ready.metadata, strip_metadata)

    async def accept_file(self, account_id: str, transfer: str, folder: Path) -> None:
        """Accept an offered file into ``folder`` (saved 0600 once MAC, size and SHA3-512 match).

        Raises: NotFound, Unavailable (the account is offline), FileTooLarge, FileTransferError."""
        live = self._incoming_offer(account_id, transfer)
        host = self._host(account_id)
        own = host.bound_jid
        if own is None:
            raise Unavailable("the account is not connected")
        incoming = IncomingFile(Path(folder), live.name, live.size, live.digest, cap=self.book.size_cap)
        live.incoming, live.opener = incoming, StreamOpener(live.keys)
        host.ibb_sink = functools.partial(self._on_ibb, account_id)
        self._changed(live, self.book.accept(transfer))
        self._tell(live, wire.Accept(live.sid, str(own)))

    def reject_file(self, account_id: str, transfer: str) -> None:
        """Refuse an offered file. Raises: NotFound."""
        live = self._incoming_offer(account_id, transfer)
        self._tell(live, wire.Answer(live.sid, "reject"))
        self._end(transfer, self.book.reject(transfer))

    def cancel_file(self, account_id: str, transfer: str) -> None:
        """Stop a transfer either way; the contact is told. Raises: NotFound."""
        live = self._own(account_id, transfer)
        if live.finishing:
            raise NotFound("the file is complete: it is being saved")
        self._tell(live, wire.Answer(live.sid, "cancel"))
        self._end(transfer, self.book.cancel(transfer))

    def account_offline(self, account_id: str) -> None:
        """The account lost its server: its transfers fail (an in-band bytestream does not
        outlive the session; the partial files go)."""
        for tid in [t for t, x in self._live.items() if x.account == account_id and not x.finishing]:
            fail = functools.partial(self.book.fail, tid, "the connection to the server ended")
            self._end(tid, safely(fail))

    def set_file_size_cap(self, limit: int) -> None:
        """Offers over ``limit`` bytes are refused without asking (for this session)."""
        if limit < 0:
            raise InvalidRequest("the cap is a number of bytes")
        self.book.size_cap = limit

    # ---- the contact's file messages (TLV 8 in its private session) ----

    def on_key(self, event: FileKeyReceived) -> None:
        """A TLV 8 of the contact's private session; anything malformed or out of place is
        ignored (nothing changes)."""
        if event.use != wire.USE_TIMB_FILE:
            return
        try:
            message = wire.decode(event.data)
        except BadFileMessage:
            return
        if isinstance(message, wire.Offer):
            self._offered(event, message)
            return
        # Our offer's answers first: a peer cannot take over our sid (`_offered` refuses it).
        tid = self._sids.get((event.account, event.contact, message.sid, True))
        if tid is None and isinstance(message, wire.Answer):
            tid = self._sids.get((event.account, event.contact, message.sid, False))
        live = self._live.get(tid) if tid is not None else None
        if tid is None or live is None or live.fingerprint != event.fingerprint:
            return  # unknown, or another key than the offer's: not this transfer's peer
        self._answered(tid, live, message)

    def _answered(self, tid: str, live: LiveTransfer, message: wire.FileMessage) -> None:
        state = self.book.get(tid).state
        match message:
            case wire.Accept(jid=jid) if live.outgoing and state is State.OFFERED:
                peer = full_jid_of(jid, live.contact)
                if peer is not None:
                    self._changed(live, self.book.accept(tid))
                    live.task = self._spawn(self._push(tid, live, peer))
            case wire.Answer(op="reject") if live.outgoing and state is State.OFFERED:
                self._end(tid, self.book.reject(tid, by_peer=True))
            case wire.Answer(op="cancel") if not live.finishing:
                self._end(tid, self.book.cancel(tid, by_peer=True))
            case wire.Answer(op="failed") if state is State.RUNNING and not live.finishing:
                self._end(tid, self.book.fail(tid, "the contact's client reported a failure"))
            case wire.Done() if live.outgoing and state is State.RUNNING:
                live.peer_done = True  # it checked MAC and hash: complete once our sending ended
                if live.task is None:
                    self._end(tid, self.book.complete(tid))
            case _:
                pass  # late, repeated or out of order: nothing changes

    def _offered(self, event: FileKeyReceived, offer: wire.Offer) -> None:
        account, contact = event.account, event.contact
        if any((account, contact, offer.sid, out) in self._sids for out in (True, False)):
            return  # a sid in use: not a new offer
        fp = event.fingerprint
        if (
            fp is None
            or self._trust.is_distrusted(account, contact, fp)
            or not self._contacts.is_contact(account, contact)
        ):
            # a stranger's, or under a key the user said is not the contact's: not shown
            self._send(account, contact, wire.Answer(offer.sid, "reject"))
            return
        waiting = sum(1 for x in self._live.values() if x.account == account and not x.outgoing)
        changed = self.book.offered(contact, offer.name, offer.size, private=True)
        keys = StreamKeys(event.key)
        live = LiveTransfer(account, contact, offer.sid, False, offer.size, keys, fp, offer.name)
        live.digest = offer.digest
        if changed.transfer.state is State.OFFERED and waiting >= MAX_OFFERS_WAITING:
            changed = TransferChanged(
                self.book.reject(changed.transfer.id).transfer, "too many files are waiting"
            )
        if changed.transfer.state is State.REJECTED:  # over the cap: refused without asking
            self._tell(live, wire.Answer(offer.sid, "reject"))
            self._changed(live, changed)
            self.book.forget(changed.transfer.id)
            return
        self._add(changed.transfer.id, live)
        verified = self._trust.is_verified(account, contact, fp)
        t = changed.transfer
        self._emit(FileOffered(account, contact, t.id, t.name, t.size, verified))

    # ---- the bytes: in-band bytestreams through the server ----

    async def _push(self, tid: str, live: LiveTransfer, peer: Jid) -> None:
        """Send the file to ``peer``; a failure ends the transfer and tells the contact."""
        try:
            await send_stream(self._host(live.account), live, peer, lambda n: self._progress(tid, live, n))
        except (net.NetError, OSError) as exc:
            reason = (
                "the file could not be read" if isinstance(exc, OSError) else f"the stream failed ({exc})"
            )
            self._tell(live, wire.Answer(live.sid, "failed"))
            self._end(tid, safely(lambda: self.book.fail(tid, f"{reason}: nothing more was sent")))
            return
        live.task = None  # sent: the transfer completes when the contact says it checked it
        if live.peer_done:
            self._end(tid, safely(lambda: self.book.complete(tid)))

    def _on_ibb(self, account: str, sender: Jid, element: ET.Element) -> None:
        """An IBB element from ``sender`` (the adapter's sink). A refusal raises RemoteError
        with the condition to answer and changes nothing, unless the bytes are wrong."""
        parsed = ibb.parse(element, ibb.MAX_BLOCK_SIZE)
        tid = self._sids.get((account, str(sender.bare), parsed.sid, False))
        live = self._live.get(tid) if tid is not None else None
        if tid is None or live is None or live.incoming is None or live.opener is None or live.finishing:
            raise net.RemoteError("item-not-found", "unknown in-band bytestream")
        if isinstance(parsed, ibb.Open):
            if live.receiver is not None or parsed.stanza != "iq":
                raise net.RemoteError("unexpected-request", "the bytestream is open already")
            live.receiver, live.stream_from = ibb.IbbReceiver(parsed, encrypted_size(live.size)), sender
            return
        if live.receiver is None or sender != live.stream_from:
            raise net.RemoteError("item-not-found", "unknown in-band bytestream")
        payload = live.receiver.receive(parsed)
        if isinstance(parsed, ibb.Close):
            live.finishing = True
            self._spawn(self._finish(tid, live))
            return
        try:
            plaintext = live.opener.feed(payload)
            live.incoming.write(plaintext)
        except FileTransferError as exc:
            reason = str(exc)
            self._tell(live, wire.Answer(live.sid, "failed"))
            self._end(tid, safely(lambda: self.book.fail(tid, reason)))
            raise net.RemoteError("not-acceptable", "the file is not what was offered") from None
        self._progress(tid, live, len(plaintext))

    async def _finish(self, tid: str, live: LiveTransfer) -> None:
        """Check the MAC, then size and SHA3-512 (in a thread), and name the file."""
        assert live.opener is not None and live.incoming is not None
        incoming = live.incoming
        try:
            mac_key = live.opener.finish()
            saved = await asyncio.to_thread(incoming.finish)
        except FileTransferError as exc:
            reason = f"{exc}: nothing was saved"
            self._tell(live, wire.Answer(live.sid, "failed"))
            self._end(tid, safely(lambda: self.book.fail(tid, reason)))
            return
        self._tell(live, wire.Done(live.sid, mac_key.reveal()))
        self._end(tid, safely(lambda: self.book.complete(tid)), saved_as=str(saved))

    # ---- helpers ----

    def _tell(self, live: LiveTransfer, message: wire.FileMessage) -> None:
        self._send(live.account, live.contact, message)

    def _send(self, account: str, contact: str, message: wire.FileMessage) -> None:
        """A file message to the contact, sent after the current event is handled (the
        conversations core may be in the middle of its pump); dropped without a private session."""
        data = wire.encode(message)

        async def send() -> None:
            runtime = self._accounts.runtimes.get(account)
            if runtime is None:
                return
            with contextlib.suppress(PolicyViolation, LocalError):
                runtime.act(lambda c: files_of(c).send_extra_key(contact, wire.USE_TIMB_FILE, data))

        self._spawn(send())

    def _host(self, account_id: str) -> IbbHost:
        adapter: object = self._accounts.runtime(account_id).link.adapter
        if not isinstance(adapter, IbbHost):
            raise Unavailable("the account is not connected to an XMPP server")
        return adapter

    def _progress(self, tid: str, live: LiveTransfer, count: int) -> None:
        try:
            progress = self.book.progress(tid, count)
        except TransferRefused:
            return  # ended meanwhile (cancelled): the bytes counted nowhere
        if progress is not None:
            t = progress.transfer
            self._emit(
                FileProgress(
                    live.account,
                    t.contact,
                    t.id,
                    t.direction.value,
                    t.done,
                    t.size,
                    progress.bytes_per_second,
                    progress.seconds_remaining,
                )
            )

    def _own(self, account_id: str, transfer: str) -> LiveTransfer:
        live = self._live.get(transfer)
        if live is None or live.account != account_id:
            raise NotFound("no such file transfer for this account")
        return live

    def _incoming_offer(self, account_id: str, transfer: str) -> LiveTransfer:
        live = self._own(account_id, transfer)
        if live.outgoing or self.book.get(transfer).state is not State.OFFERED:
            raise NotFound("no such file offer waiting for an answer")
        return live

    def _add(self, tid: str, live: LiveTransfer) -> None:
        self._live[tid] = live
        self._sids[(live.account, live.contact, live.sid, live.outgoing)] = tid

    def _end(self, tid: str, changed: TransferChanged | None, saved_as: str = "") -> None:
        """Forget the transfer, stop its sending, remove a partial file and mat2's copy."""
        live = self._live.pop(tid, None)
        if live is None:
            return
        self._sids.pop((live.account, live.contact, live.sid, live.outgoing), None)
        if live.task is not None and live.task is not asyncio.current_task():
            live.task.cancel()
        if live.workdir is not None:
            shutil.rmtree(live.workdir, ignore_errors=True)
        if live.incoming is not None and not saved_as:
            live.incoming.abort()
        if live.incoming is not None and not any(
            x.account == live.account and x.incoming is not None for x in self._live.values()
        ):
            self._stop_listening(live.account)
        self._changed(live, changed, saved_as)
        self.book.forget(tid)

    def _stop_listening(self, account_id: str) -> None:
        """No accepted file waits any more: in-band bytestreams get the privacy filter's answer."""
        runtime = self._accounts.runtimes.get(account_id)
        adapter: object = runtime.link.adapter if runtime is not None else None
        if isinstance(adapter, IbbHost):
            adapter.ibb_sink = None

    def _changed(self, live: LiveTransfer, changed: TransferChanged | None, saved_as: str = "") -> None:
        if changed is None:
            return
        t = changed.transfer
        self._emit(
            FileChanged(
                live.account,
                t.contact,
                t.id,
                t.direction.value,
                t.state.value,
                changed.reason,
                changed.by_peer,
                saved_as,
            )
        )
