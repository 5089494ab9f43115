"""Instance tags (Protocol-v3, "Instance Tags").

"The smallest valid instance tag is 0x00000100. It is appropriate to set the destination instance
tag to '0' when an actual destination instance tag is not known."
"""

from __future__ import annotations

from timb.common.random import Random
from timb.otr.errors import LocalError

MIN_VALID_INSTANCE_TAG = 0x100
UNKNOWN_INSTANCE_TAG = 0


def generate_instance_tag(rng: Random) -> int:
    """A random tag in [0x100, 0xFFFFFFFF], uniformly by rejection (as libotr's otrl_instag_new)."""
    while True:
        tag = int.from_bytes(rng.randbytes(4), "big")
        if tag >= MIN_VALID_INSTANCE_TAG:
            return tag


def validate_instance_tag(tag: int) -> int:
    """Check a tag the caller gives us (for example a persisted one).

    Raises:
        LocalError: the tag is below 0x100 or does not fit in 32 bits.
    """
    if not MIN_VALID_INSTANCE_TAG <= tag <= 0xFFFFFFFF:
        raise LocalError("an instance tag is a 32-bit value of at least 0x100")
    return tag


def is_valid_sender(tag: int) -> bool:
    """Protocol-v3: a sender tag "less than 0x00000100" means the message is discarded."""
    return tag >= MIN_VALID_INSTANCE_TAG


def is_for_us(receiver: int, ours: int, *, zero_allowed: bool) -> bool:
    """Whether a message with this receiver tag is ours to read.

    Protocol-v3: "If a client receives a message that lists a destination instance tag different
    from its own, the client should discard the message"; 0 is accepted only where the spec allows it
    (the D-H Commit Message and fragments).
    """
    if receiver == UNKNOWN_INSTANCE_TAG:
        return zero_allowed
    return receiver == ours
