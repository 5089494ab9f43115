"""What the XMPP client does *not* say about its user, and what it never writes to a log.

The client loads no XEP plugin that answers questions about the user or the software
(XEP-0092 version, XEP-0202 time, XEP-0012 last activity, XEP-0115 caps, XEP-0054/0084 avatars,
XEP-0085 chat states, XEP-0184 receipts, XEP-0280 carbons, XEP-0313 MAM, file transfer), and it
does not rely on that alone:

* `answer_unknown_iq` is an incoming filter: every ``<iq type='get'|'set'>`` that is not a roster
  push from our own account or a ping from our own server is answered with a bare
  ``service-unavailable`` (what RFC 6120 section 8.4 recommends, and what a server answers for a
  client that is not there), so disco, version, time and last-activity queries all get the same
  reply, with no identity and no feature list. The one exception: in-band bytestream ``set``s
  (XEP-0047) while a file transfer the user accepted waits for its bytes (``expects_ibb``); the
  file part then refuses any stream it did not agree to inside OTR.
* `strip_error_text` is an outgoing filter that removes the human text from every error we send:
  slixmpp's texts ("No handlers registered for this request.", "Slixmpp got into trouble.") would
  name the library.
* ``xml:lang`` is the constant ``"en"`` (`STREAM_LANG`), never the user's locale.

Logging: slixmpp logs every stanza (``SEND:``/``RECV:``) at DEBUG and quotes raw stanzas in some
ERROR messages (parse errors). `install_log_redaction` makes the ``slixmpp`` logger stop
propagating, raises its level to INFO (so the DEBUG stanza dumps are never even formatted) and
forwards each remaining record to the ``timb.net.xmpp.slixmpp`` logger as its *format string
only*, with the arguments and the exception text dropped. Nothing a peer sent can reach a log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slixmpp import JID
from slixmpp.stanza import Iq
from slixmpp.xmlstream import StanzaBase

STREAM_LANG = "en"

#: The only plugins the client loads: stream management and ping (keepalive and our server's
#: pings). xep_0199 pulls in xep_0030 (disco); `answer_unknown_iq` keeps disco from answering.
PLUGINS = ("xep_0198", "xep_0199")

_NS_ROSTER = "jabber:iq:roster"
_NS_PING = "urn:xmpp:ping"
_NS_IBB = "http://jabber.org/protocol/ibb"

_log_redaction_installed = False


def _payload_namespaces(iq: Iq) -> set[str]:
    names = set()
    for child in iq.xml:
        tag = child.tag
        if tag.startswith("{"):
            names.add(tag[1:].split("}", 1)[0])
    return names


def answer_unknown_iq(
    own_jid: Callable[[], JID], expects_ibb: Callable[[], bool] = lambda: False
) -> Callable[[StanzaBase], StanzaBase | None]:
    """An ``in`` filter (see the module docstring). ``own_jid`` gives the bound JID now;
    ``expects_ibb``: an accepted file transfer waits for an in-band bytestream now."""

    def filter_iq(stanza: StanzaBase) -> StanzaBase | None:
        if not isinstance(stanza, Iq) or stanza["type"] not in ("get", "set"):
            return stanza
        me = own_jid()
        sender = stanza["from"]
        from_own_server = not sender.bare or sender.bare in (me.domain, me.bare)
        namespaces = _payload_namespaces(stanza)
        if namespaces == {_NS_ROSTER} and stanza["type"] == "set" and from_own_server:
            return stanza
        if namespaces == {_NS_PING} and stanza["type"] == "get" and from_own_server:
            return stanza
        if namespaces == {_NS_IBB} and stanza["type"] == "set" and expects_ibb():
            return stanza
        reply = stanza.reply()  # type: ignore[no-untyped-call]
        reply["type"] = "error"
        reply["error"]["type"] = "cancel"
        reply["error"]["condition"] = "service-unavailable"
        reply.send()
        return None

    return filter_iq


def strip_error_text(stanza: StanzaBase) -> StanzaBase:
    """An ``out`` filter: errors we send carry a condition, never a text (see the module docstring)."""
    error = stanza.get_plugin("error", check=True)
    if error is not None:
        del error["text"]
    return stanza


class _FormatOnly(logging.Handler):
    """Re-emits a slixmpp record as its format string alone, on timb's logger."""

    def __init__(self) -> None:
        super().__init__()
        self._target = logging.getLogger("timb.net.xmpp.slixmpp")

    def emit(self, record: logging.LogRecord) -> None:
        kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
        # A format string is ours to show; anything else (slixmpp logs `log.exception(exc)`, an
        # exception object whose text may quote a stanza) is shown as its type alone.
        msg = record.msg if isinstance(record.msg, str) else f"<{type(record.msg).__name__}>"
        text = msg if kind is None else f"{msg} [{kind}]"
        self._target.log(record.levelno, "%s: %s", record.name, text)


def install_log_redaction() -> None:
    """Keep stanzas and message bodies out of every log (see the module docstring). Idempotent."""
    global _log_redaction_installed  # noqa: PLW0603 - one process-wide switch
    if _log_redaction_installed:
        return
    root = logging.getLogger("slixmpp")
    root.propagate = False
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(_FormatOnly())
    _log_redaction_installed = True
