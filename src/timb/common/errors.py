"""Errors of the common value types."""


class InvalidIdentifier(ValueError):
    """A textual identifier (JID, onion address, fingerprint) failed validation."""
