"""The OTR extra symmetric key (TLV 8) for the service: the one hook file transfer needs.

`Conversations` drops the OTR events it has no rule for, TLV 8 among them, and has no command
that sends one. `FileConversations` adds both, and nothing else:

* `send_extra_key` sends TLV 8 (its 4-byte use and use-specific data) in a Data Message of the
  contact's *private* session and returns the 32-byte key it yields; refused
  (`PolicyViolation`) without a private session or under a key the user distrusted, so no
  offer is ever sent in the clear or to a key the user refused.
* a TLV 8 in the contact's authenticated Data Message becomes `FileKeyReceived` (with the
  session's fingerprint), given to ``on_file_key`` (the service's file part): not a core event,
  so no UI ever sees the key.

libotr: "the extra symmetric key is derived from the same secret as the current message keys"
(OTRv3 spec, "Extra symmetric key"), so both ends hold the same key for that Data Message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from timb.common.secret import Secret
from timb.core.conversations import Conversations
from timb.core.file_events import FileKeyReceived
from timb.core.routing import ContactState, Session
from timb.otr import PolicyViolation
from timb.otr import events as otr


class FileConversations(Conversations):
    """`Conversations` with the extra symmetric key (module docstring). ``on_file_key``, a
    keyword argument beside `Conversations`' own, receives each `FileKeyReceived`."""

    def __init__(
        self,
        *args: Any,
        on_file_key: Callable[[FileKeyReceived], None] = lambda _event: None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._on_file_key = on_file_key

    def send_extra_key(self, contact: str, use: int, data: bytes) -> Secret[bytes]:
        """TLV 8 to ``contact``'s private session; the key it yields.

        Raises:
            PolicyViolation: no private session, or its key is distrusted.
            LocalError: ``use`` or ``data`` do not fit in TLV 8.
        """
        c = self._contact(contact)
        session = c.private()
        if session is None or self._distrusted(c, session):
            raise PolicyViolation("files go only in a private OTR conversation")
        key = session.conv.extra_symmetric_key(use, data)
        self._drain(c, session)
        return key

    def _on_otr_event(self, c: ContactState, session: Session, event: otr.Event) -> None:
        if isinstance(event, otr.ExtraSymmetricKeyReceived):
            # Only an encrypted, authenticated Data Message carries TLVs: the session is private.
            fingerprint = session.conv.their_fingerprint
            self._on_file_key(
                FileKeyReceived(self.account, c.name, event.use, event.data, event.key, fingerprint)
            )
            return
        super()._on_otr_event(c, session, event)
