"""slixmpp stanzas to TIMB events (timb.net.xmpp.convert), on real stanza objects."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from slixmpp.stanza import Message, Presence

from timb.common import Jid
from timb.net.base import (
    ErrorEvent,
    MessageFailed,
    MessageIn,
    PresenceChanged,
    SubscriptionRequest,
)
from timb.net.xmpp import convert


def _msg(attrs: str, inner: str = "<body>hi</body>") -> Message:
    return Message(None, ET.fromstring(f"<message xmlns='jabber:client' {attrs}>{inner}</message>"))


def _pres(attrs: str, inner: str = "") -> Presence:
    return Presence(None, ET.fromstring(f"<presence xmlns='jabber:client' {attrs}>{inner}</presence>"))


def test_chat_message_becomes_message_in() -> None:
    event = convert.message(
        _msg("type='chat' id='m1' from='bob@timb.test/r'", "<body>hi</body><thread>t</thread>")
    )
    assert event == MessageIn(sender=Jid.parse("bob@timb.test/r"), body="hi", id="m1", thread="t")
    assert "hi" not in repr(event)


def test_groupchat_headline_and_bodyless_messages_are_ignored() -> None:
    assert convert.message(_msg("type='groupchat' from='room@muc.test/x'")) is None
    assert convert.message(_msg("type='headline' from='timb.test'")) is None
    assert convert.message(_msg("type='chat' from='bob@timb.test/r'", "<active/>")) is None


def test_an_invalid_sender_is_reported_not_delivered() -> None:
    # one slixmpp itself rejects, one it accepts but TIMB's Jid does not (non-ASCII domain)
    for sender in ("bad jid@timb.test/r", "bob@exämple.test/r"):
        event = convert.message(_msg(f"type='chat' from='{sender}'"))
        assert isinstance(event, ErrorEvent) and "jid-malformed" in str(event.error), sender
        assert isinstance(convert.presence(_pres(f"from='{sender}'"), "alice@timb.test/r1"), ErrorEvent)


def test_message_error_names_the_condition() -> None:
    stanza = _msg(
        "type='error' id='m2' from='nobody@timb.test'",
        "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
    )
    assert convert.message_error(stanza) == MessageFailed(
        "m2", Jid.parse("nobody@timb.test"), "service-unavailable"
    )


def test_presence_of_others_but_not_our_own_echo() -> None:
    me = "alice@timb.test/r1"
    assert convert.presence(_pres(f"from='{me}'"), me) is None
    assert convert.presence(_pres("from='bob@timb.test/r'", "<show>away</show>"), me) == PresenceChanged(
        Jid.parse("bob@timb.test/r"), True, "away"
    )
    gone = convert.presence(_pres("type='unavailable' from='bob@timb.test/r'"), me)
    assert gone == PresenceChanged(Jid.parse("bob@timb.test/r"), False, None)


def test_subscription_request_is_from_the_bare_jid() -> None:
    event = convert.subscription_request(_pres("type='subscribe' from='bob@timb.test/r'"))
    assert event == SubscriptionRequest(Jid.parse("bob@timb.test"))
