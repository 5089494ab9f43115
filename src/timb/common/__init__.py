"""Value types shared by every layer: identifiers, secrets, the clock and randomness.

Errors: the tree is drawn once, in `timb.common.errors`.
"""

from timb.common.errors import InvalidIdentifier
from timb.common.ids import Fingerprint, Jid, OnionAddress
from timb.common.secret import Secret

__all__ = ["Fingerprint", "InvalidIdentifier", "Jid", "OnionAddress", "Secret"]
