"""What the XMPP client does not reveal, and what never reaches a log (no network)."""

from __future__ import annotations

import logging
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from slixmpp import JID
from slixmpp.stanza import Iq

from timb.net.xmpp import privacy
from timb.net.xmpp.client import SASL_MECHANISMS, TorClientXMPP
from timb.net.xmpp.tls import make_ssl_context

SECRET = "correct horse battery staple 7f3a"


class NoDialer:
    async def open_socket(self, host: str, port: int, *, isolation: str) -> object:
        raise AssertionError("no network in unit tests")


def _client() -> TorClientXMPP:
    xmpp = TorClientXMPP(
        "alice@timb.test/r1",
        "pw",
        dialer=NoDialer(),
        isolation="iso",
        ssl_context=make_ssl_context(),
        pin=None,
        direct_tls=False,
        on_failure=lambda e: None,
        on_crash=lambda e: None,
    )
    xmpp.boundjid = JID("alice@timb.test/r1")
    return xmpp


def _sent(xmpp: TorClientXMPP, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    sent: list[Any] = []
    monkeypatch.setattr(xmpp, "send", lambda data, use_filters=True: sent.append(data))
    return sent


def _iq(xmpp: TorClientXMPP, xml: str) -> Iq:
    return Iq(xmpp, ET.fromstring(xml))


FOREIGN = "from='eve@evil.test/x' to='alice@timb.test/r1'"


@pytest.mark.parametrize(
    "query",
    [
        f"<iq xmlns='jabber:client' type='get' id='q' {FOREIGN}><query xmlns='jabber:iq:version'/></iq>",
        f"<iq xmlns='jabber:client' type='get' id='q' {FOREIGN}><time xmlns='urn:xmpp:time'/></iq>",
        f"<iq xmlns='jabber:client' type='get' id='q' {FOREIGN}><query xmlns='jabber:iq:last'/></iq>",
        f"<iq xmlns='jabber:client' type='get' id='q' {FOREIGN}>"
        "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
        f"<iq xmlns='jabber:client' type='get' id='q' {FOREIGN}>"
        "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
        f"<iq xmlns='jabber:client' type='get' id='q' {FOREIGN}><vCard xmlns='vcard-temp'/></iq>",
        # a peer may not ping us (it would learn we are online) nor push our roster
        f"<iq xmlns='jabber:client' type='get' id='q' {FOREIGN}><ping xmlns='urn:xmpp:ping'/></iq>",
        f"<iq xmlns='jabber:client' type='set' id='q' {FOREIGN}><query xmlns='jabber:iq:roster'/></iq>",
        # our own server asking for the software version gets the same answer
        "<iq xmlns='jabber:client' type='get' id='q' from='timb.test'>"
        "<query xmlns='jabber:iq:version'/></iq>",
    ],
)
def test_queries_about_us_get_a_bare_service_unavailable(query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    xmpp = _client()
    sent = _sent(xmpp, monkeypatch)
    assert privacy.answer_unknown_iq(lambda: xmpp.boundjid)(_iq(xmpp, query)) is None
    assert len(sent) == 1
    reply = sent[0]
    assert reply["type"] == "error" and reply["id"] == "q"
    assert reply["error"]["condition"] == "service-unavailable"
    privacy.strip_error_text(reply)
    xml = str(reply)
    assert "version" not in xml and "disco" not in xml and "<text" not in xml and "identity" not in xml


@pytest.mark.parametrize(
    "query",
    [
        "<iq xmlns='jabber:client' type='set' id='r'><query xmlns='jabber:iq:roster'/></iq>",
        "<iq xmlns='jabber:client' type='set' id='r' from='alice@timb.test'>"
        "<query xmlns='jabber:iq:roster'/></iq>",
        "<iq xmlns='jabber:client' type='get' id='p' from='timb.test'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<iq xmlns='jabber:client' type='result' id='x' from='eve@evil.test/x'/>",
    ],
)
def test_roster_pushes_and_server_pings_pass(query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    xmpp = _client()
    sent = _sent(xmpp, monkeypatch)
    stanza = _iq(xmpp, query)
    assert privacy.answer_unknown_iq(lambda: xmpp.boundjid)(stanza) is stanza
    assert sent == []


def test_error_text_is_stripped_from_what_we_send() -> None:
    xmpp = _client()
    iq = _iq(xmpp, "<iq xmlns='jabber:client' type='get' id='z' from='eve@evil.test/x'/>").reply()
    iq["error"]["condition"] = "feature-not-implemented"
    iq["error"]["text"] = "No handlers registered for this request."
    iq["type"] = "error"
    out = str(privacy.strip_error_text(iq))
    assert "feature-not-implemented" in out
    assert "handlers" not in out and "<text" not in out


def test_only_the_needed_plugins_are_loaded() -> None:
    xmpp = _client()
    loaded = {name for name in xmpp.plugin if not name.startswith("feature_")}
    assert loaded == {"xep_0198", "xep_0199", "xep_0030"}
    forbidden = {"xep_0092", "xep_0202", "xep_0012", "xep_0115", "xep_0085", "xep_0184", "xep_0280"}
    forbidden |= {"xep_0313", "xep_0054", "xep_0084", "xep_0153", "xep_0065", "xep_0047", "xep_0234"}
    assert not loaded & forbidden
    assert xmpp.plugin["xep_0199"].keepalive is False


def test_stream_language_is_constant_not_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    xmpp = _client()
    assert "xml:lang='en'" in xmpp.stream_header
    msg = xmpp.make_message(mto="bob@timb.test", mbody="hi", mtype="chat")
    assert "de" not in (msg["lang"] or "")


def test_subscriptions_are_never_approved_automatically() -> None:
    xmpp = _client()
    assert xmpp.roster.auto_authorize is None
    assert xmpp.roster.auto_subscribe is False
    assert xmpp.client_roster.auto_authorize is None


def test_sasl_is_scram_or_plain_and_never_plain_without_tls() -> None:
    xmpp = _client()
    mechs = xmpp.plugin["feature_mechanisms"]
    assert set(mechs.use_mechs) == set(SASL_MECHANISMS)
    assert {m for m in SASL_MECHANISMS if not m.startswith("SCRAM-")} == {"PLAIN"}
    assert mechs.unencrypted_plain is False and mechs.unencrypted_scram is False
    assert xmpp.enable_plaintext is False


def test_slixmpp_records_reach_logs_without_their_arguments(caplog: pytest.LogCaptureFixture) -> None:
    privacy.install_log_redaction()
    privacy.install_log_redaction()  # idempotent
    caplog.set_level(logging.DEBUG)
    stream_log = logging.getLogger("slixmpp.xmlstream.xmlstream")
    stream_log.debug("SEND: %s", f"<message><body>{SECRET}</body></message>")
    stream_log.error("Parse error: %r", SECRET.encode())
    try:
        raise ValueError(SECRET)
    except ValueError:
        logging.getLogger("slixmpp.stanza.rootstanza").exception("Error handling %s stanza", SECRET)
    assert SECRET not in caplog.text
    assert "Parse error: %r" in caplog.text
    assert "Error handling %s stanza [ValueError]" in caplog.text
    assert "SEND" not in caplog.text  # DEBUG stanza dumps are not even formatted
    assert logging.getLogger("slixmpp").propagate is False


def test_an_exception_logged_as_the_message_shows_as_its_type(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # slixmpp's BaseXMPP.exception() logs an unexpected handler error as `log.exception(exception)`:
    # the record's msg is the exception object, whose text may quote what a peer sent.
    privacy.install_log_redaction()
    caplog.set_level(logging.DEBUG)
    try:
        raise ValueError(f"bad stanza <body>{SECRET}</body>")
    except ValueError as exc:
        logging.getLogger("slixmpp.basexmpp").exception(exc)
    assert SECRET not in caplog.text
    assert "slixmpp.basexmpp: <ValueError> [ValueError]" in caplog.text
