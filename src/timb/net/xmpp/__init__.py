"""XMPP over Tor, on slixmpp 1.17.0 (see docs/xmpp.md).

``XmppAdapter(XmppAccount(...), dialer)`` is one account's connection (timb.net.base.Adapter);
the dialer is timb.tor's ``TorClient``. Modules: ``adapter`` (events, reconnection), ``client``
(the slixmpp subclass that dials only through the dialer), ``tls`` (trust and the certificate
pin), ``privacy`` (what is never said, never logged), ``errors`` (the error tree).
"""

from timb.net.xmpp.adapter import ReconnectPolicy, XmppAccount, XmppAdapter
from timb.net.xmpp.tls import CertificatePin

__all__ = ["CertificatePin", "ReconnectPolicy", "XmppAccount", "XmppAdapter"]
