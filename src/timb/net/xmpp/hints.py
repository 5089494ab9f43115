"""Storage hints on OTR messages: the server and the user's other clients keep no copy.

An OTR message is useless anywhere but in the session it was made for, and a copy kept by the
server is a record of who talked to whom, when, and how much. libotr clients (Profanity, Pidgin's
XMPP plugins) mark every OTR message, and TIMB marks it the same way, so it does not stand out:

* XEP-0334 ``<no-store/>``: no archive (XEP-0313 MAM) and no offline storage by a server that
  honours the hint. Offline delivery is then up to the server; TIMB's core re-sends what was not
  confirmed, inside the session, so nothing depends on it.
* XEP-0334 ``<no-copy/>`` and XEP-0280 ``<private/>``: no message carbons to the user's other
  resources (Prosody's mod_carbons checks both).

The adapter knows nothing of OTR (``net`` never imports ``otr``): it recognises an OTR message by its
wire prefix. Every OTR message starts with ``?OTR`` (Query ``?OTRv..?``, Data ``?OTR:``, Error
``?OTR Error:``, fragments ``?OTR|`` and ``?OTR,``); a plaintext that a user starts with ``?OTR``
gets the hints too, which only keeps it out of archives.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

NS_HINTS = "urn:xmpp:hints"
NS_CARBONS = "urn:xmpp:carbons:2"
_OTR_PREFIX = "?OTR"
_HINTS = ((NS_HINTS, "no-store"), (NS_HINTS, "no-copy"), (NS_CARBONS, "private"))


def is_otr_message(body: str) -> bool:
    return body.startswith(_OTR_PREFIX)


def add_storage_hints(message: Any) -> None:
    """Add ``<no-store/>``, ``<no-copy/>`` and ``<private/>`` to a slixmpp Message (once)."""
    xml = message.xml
    for ns, name in _HINTS:
        tag = f"{{{ns}}}{name}"
        if xml.find(tag) is None:
            xml.append(ET.Element(tag))
