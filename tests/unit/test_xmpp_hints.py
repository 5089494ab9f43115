"""XEP-0334 and XEP-0280 storage hints on every OTR message the adapter sends (timb.net.xmpp.hints)."""

from __future__ import annotations

import asyncio
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from slixmpp import ClientXMPP

from timb.common import Jid
from timb.net.xmpp import hints
from timb.net.xmpp.adapter import XmppAdapter

OTR_BODIES = [
    "?OTRv3?",
    "?OTRv23? alice has requested an Off-the-Record private conversation.",
    "?OTR:AAMDAAAAAQAAAAEAAADAVf3Ei72ZgFeKqWvLMnuVPVCwxktsOZ1QdjeLp6jn62mCVJKsEK5k==.",
    "?OTR Error: You sent encrypted data which was unexpected",
    "?OTR|5a73a599|27e31597,00001,00003,?OTR:AAMDJ+MVmSfjFZcAAAAAAQAAAAIAAADA,",
    "?OTR,00001,00002,?OTR:AAIC,",
]


def _sent_stanza(body: str) -> ET.Element:
    """What `XmppAdapter.send_message` puts on the wire for `body` (the stream is faked), parsed
    back from its serialization in the client's namespace."""
    sent: list[Any] = []
    client = ClientXMPP("alice@timb.test/r", "pw")

    class Session:
        def make_message(self, **kw: Any) -> Any:
            return client.make_message(**kw)

        def request_ack_after_queued(self) -> None:
            pass

    adapter = object.__new__(XmppAdapter)
    adapter._require_session = Session  # type: ignore[method-assign]
    client.send = lambda stanza, *a, **k: sent.append(stanza)  # type: ignore[method-assign]
    asyncio.run(adapter.send_message(Jid.parse("bob@timb.test"), body))
    [stanza] = sent
    wire = str(stanza)  # slixmpp leaves out the stream's default namespace on the top element
    assert wire.startswith("<message ") and "xmlns=" not in wire.split(">", 1)[0]
    return ET.fromstring(wire.replace("<message ", "<message xmlns='jabber:client' ", 1))


@pytest.mark.parametrize("body", OTR_BODIES)
def test_every_otr_message_carries_no_store_no_copy_and_private(body: str) -> None:
    xml = _sent_stanza(body)
    assert xml.find("{urn:xmpp:hints}no-store") is not None
    assert xml.find("{urn:xmpp:hints}no-copy") is not None
    assert xml.find("{urn:xmpp:carbons:2}private") is not None
    assert xml.findtext("{jabber:client}body") == body
    assert xml.get("type") == "chat"
    # Exactly these three children besides the body: nothing else names the client.
    assert sorted(child.tag for child in xml) == [
        "{jabber:client}body",
        "{urn:xmpp:carbons:2}private",
        "{urn:xmpp:hints}no-copy",
        "{urn:xmpp:hints}no-store",
    ]


@pytest.mark.parametrize("body", ["hello", " ?OTR: not at the start", "?otr lower case", ""])
def test_plaintext_gets_no_hints(body: str) -> None:
    xml = _sent_stanza(body) if body else None
    assert not hints.is_otr_message(body)
    if xml is not None:
        assert [child.tag for child in xml] == ["{jabber:client}body"]


def test_hints_are_added_once() -> None:
    client = ClientXMPP("alice@timb.test/r", "pw")
    msg = client.make_message(mto="bob@timb.test", mbody="?OTR:AAMD", mtype="chat")
    hints.add_storage_hints(msg)
    hints.add_storage_hints(msg)
    assert len(list(msg.xml)) == 4
