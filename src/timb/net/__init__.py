"""Network adapters (XMPP, later IRC and onion peer-to-peer). They dial only through timb.tor."""
