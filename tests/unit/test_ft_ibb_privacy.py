"""In-band bytestreams pass the client's privacy filter only while an accepted transfer waits."""

from __future__ import annotations

import pytest

from tests.unit.test_xmpp_privacy import _client, _iq, _sent
from timb.net.xmpp import privacy

OPEN = (
    "<iq xmlns='jabber:client' type='{kind}' id='o' from='bob@timb.test/r'>"
    "<open xmlns='http://jabber.org/protocol/ibb' sid='s' block-size='4096'/></iq>"
)


def test_ibb_is_answered_like_anything_unknown_until_a_transfer_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    xmpp = _client()
    sent = _sent(xmpp, monkeypatch)
    waiting = False
    keep = privacy.answer_unknown_iq(lambda: xmpp.boundjid, lambda: waiting)
    assert keep(_iq(xmpp, OPEN.format(kind="set"))) is None
    assert sent[-1]["error"]["condition"] == "service-unavailable"
    waiting = True
    stanza = _iq(xmpp, OPEN.format(kind="set"))
    assert keep(stanza) is stanza and len(sent) == 1
    assert keep(_iq(xmpp, OPEN.format(kind="get"))) is None and len(sent) == 2  # only sets
    assert xmpp.expects_ibb() is False  # the client's default: no transfer waits
