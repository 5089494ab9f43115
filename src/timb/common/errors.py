"""Errors of the common value types: the one drawing of their tree (tests/architecture checks it).

Error tree::

    ValueError
     └── InvalidIdentifier       a Jid, OnionAddress or Fingerprint that does not validate
"""


class InvalidIdentifier(ValueError):
    """A textual identifier (JID, onion address, fingerprint) failed validation."""
