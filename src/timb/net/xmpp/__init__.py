"""XMPP over Tor, on slixmpp."""
