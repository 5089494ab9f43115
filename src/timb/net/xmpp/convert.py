"""slixmpp stanzas -> TIMB's typed events (timb.net.base). No I/O, no state.

Every function returns the event to emit, or None when the stanza means nothing to the core.
A stanza whose JID does not validate becomes an `ErrorEvent` (the stanza is dropped): the server
stamps ``from``, so this only happens with a broken or hostile server.
"""

from __future__ import annotations

from typing import Any

from slixmpp.jid import InvalidJID

from timb.common.errors import InvalidIdentifier
from timb.common.ids import Jid
from timb.net.base import (
    ErrorEvent,
    MessageAcked,
    MessageFailed,
    MessageIn,
    NetEvent,
    PresenceChanged,
    RemoteError,
    RosterItem,
    Subscription,
    SubscriptionRequest,
)

_BAD_JID = ErrorEvent(RemoteError("jid-malformed", "dropped a stanza with an invalid JID"))


def parse_jid(value: Any) -> Jid | None:
    try:
        return Jid.parse(str(value))
    except InvalidIdentifier:
        return None


def _sender(stanza: Any) -> Jid | None:
    # slixmpp validates the JID only when the attribute is read, and raises InvalidJID then.
    try:
        raw = stanza["from"]
    except InvalidJID:
        return None
    return parse_jid(raw)


def message(msg: Any) -> NetEvent | None:
    """A 1:1 message with a body (types chat and normal; groupchat and headline are ignored)."""
    if msg["type"] not in ("chat", "normal") or not msg["body"]:
        return None
    sender = _sender(msg)
    if sender is None:
        return _BAD_JID
    thread = str(msg["thread"]) or None
    return MessageIn(sender=sender, body=str(msg["body"]), id=msg["id"] or None, thread=thread)


def message_error(msg: Any) -> NetEvent:
    peer = _sender(msg)
    if peer is None:
        return _BAD_JID
    return MessageFailed(id=msg["id"] or None, peer=peer, condition=str(msg["error"]["condition"]))


def presence(pres: Any, own_full_jid: str) -> NetEvent | None:
    """Available/unavailable presence of someone else (our own resource's echo is ignored)."""
    jid = _sender(pres)
    if jid is None:
        return _BAD_JID
    if str(jid) == own_full_jid:
        return None
    available = pres["type"] != "unavailable"
    show = (str(pres["show"]) or None) if available else None
    return PresenceChanged(jid=jid, available=available, show=show)


def subscription_request(pres: Any) -> NetEvent:
    sender = _sender(pres)
    return _BAD_JID if sender is None else SubscriptionRequest(sender.bare)


def acked(stanza: Any) -> NetEvent | None:
    if stanza.name == "message" and stanza["id"]:
        return MessageAcked(str(stanza["id"]))
    return None


def roster_items(roster: Any, own_bare: Jid) -> tuple[RosterItem, ...]:
    """slixmpp's RosterNode as RosterItems, sorted; our own JID and removed items left out."""
    items = []
    for key in sorted(roster.keys()):
        jid = parse_jid(key)
        item = roster[key]
        if jid is None or jid.bare == own_bare or item["subscription"] == "remove":
            continue
        sub = Subscription(item["subscription"])
        items.append(RosterItem(jid.bare, item["name"] or None, sub, bool(item["pending_out"])))
    return tuple(items)
