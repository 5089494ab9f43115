"""The one table that turns a lower layer's error into the service error a UI sees.

Commands run their calls into storage, accounts, trust, identifiers, key files and OTR inside
``with translated():``; whatever those layers raise for a bad request or a refusing disk leaves the
service as one of `timb.core.errors`' classes, with the lower layer's (secret-free) message and no
chained traceback. An error that is not in the table is a bug and propagates unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Final

from timb.common.errors import InvalidIdentifier
from timb.core.accounts import AccountError
from timb.core.errors import InvalidRequest, ProfileError, ServiceError, Unavailable
from timb.core.storage.vault import StorageError, WrongPassphrase
from timb.core.trust import TrustStoreError
from timb.net import base as net
from timb.net.irc.errors import UnsendableMessage
from timb.otr import LocalError
from timb.otr.keyfiles import KeyFileError
from timb.tor.errors import TorError

Message = Callable[[Exception], str]

# Most specific first: the first row whose type matches decides.
TABLE: Final[tuple[tuple[type[Exception], type[ServiceError], Message], ...]] = (
    (WrongPassphrase, ProfileError, lambda _exc: "wrong passphrase"),
    (StorageError, ProfileError, str),
    (TrustStoreError, ProfileError, str),
    (AccountError, InvalidRequest, str),
    (InvalidIdentifier, InvalidRequest, str),
    (KeyFileError, InvalidRequest, str),
    (LocalError, InvalidRequest, str),  # a text or an SMP step OTR refuses (caller misuse)
    (net.NotConnectedError, Unavailable, lambda _exc: "the account is not connected"),
    (UnsendableMessage, InvalidRequest, str),  # IRC: a line we will not send (CR/LF, too long)
    (TorError, Unavailable, lambda exc: f"tor: {exc}"),
)

_TYPES: Final = tuple(row[0] for row in TABLE)


def service_error(
    exc: Exception,
    context: str = "",
    wording: Mapping[type[Exception], str] | None = None,
    kind: type[ServiceError] | None = None,
) -> ServiceError:
    """The service error for ``exc`` (a type in `TABLE`): its message prefixed by ``context``,
    or the message ``wording`` gives for its type (a command that knows better words); of class
    ``kind`` when given (reading the stored profile, where any bad value means a damaged profile)."""
    for layer_kind, table_kind, message in TABLE:
        if isinstance(exc, layer_kind):
            service_kind = kind or table_kind
            for special, text in (wording or {}).items():
                if isinstance(exc, special):
                    return service_kind(text)
            return service_kind(context + message(exc))
    raise TypeError(f"no translation for {type(exc).__name__}")


@contextmanager
def translated(
    context: str = "",
    wording: Mapping[type[Exception], str] | None = None,
    kind: type[ServiceError] | None = None,
) -> Iterator[None]:
    """Raise what the block raises as a service error (see `service_error`); service errors pass."""
    try:
        yield
    except ServiceError:
        raise
    except _TYPES as exc:
        raise service_error(exc, context, wording, kind) from None
