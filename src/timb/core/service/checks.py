"""Checks every command applies to text that comes from a UI or a script.

A Python ``str`` can hold a lone surrogate (``"\\ud800"``: JSON allows it as an escape), which is
not Unicode and cannot be encoded as UTF-8: it would fail deep inside OTR, the vault's KDF or
the XMPP stream, far from the request. Commands refuse it at the door instead.
"""

from __future__ import annotations

from timb.core.errors import InvalidRequest, ServiceError


def is_unicode(text: str) -> bool:
    """True unless ``text`` holds a lone surrogate (anything else encodes as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def require_unicode(text: str, what: str, error: type[ServiceError] = InvalidRequest) -> str:
    """Return ``text``. Raises: ``error`` (InvalidRequest by default) naming ``what``, never the text."""
    if not is_unicode(text):
        raise error(f"{what} is not valid Unicode (it holds a lone surrogate)")
    return text
