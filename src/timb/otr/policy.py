"""OTR policies (Protocol-v3, "Policies"), with libotr's values and presets (libotr proto.h)."""

from __future__ import annotations

import enum


class Policy(enum.Flag):
    """The spec's boolean flags. Version 1 is not supported, so ALLOW_V1 (0x01) does not exist."""

    NEVER = 0
    ALLOW_V2 = 0x02
    ALLOW_V3 = 0x04
    REQUIRE_ENCRYPTION = 0x08
    SEND_WHITESPACE_TAG = 0x10
    WHITESPACE_START_AKE = 0x20
    ERROR_START_AKE = 0x40

    # libotr's presets: OTRL_POLICY_MANUAL, _OPPORTUNISTIC and _ALWAYS all allow v2 and v3.
    MANUAL = ALLOW_V2 | ALLOW_V3
    OPPORTUNISTIC = ALLOW_V2 | ALLOW_V3 | SEND_WHITESPACE_TAG | WHITESPACE_START_AKE | ERROR_START_AKE
    ALWAYS = ALLOW_V2 | ALLOW_V3 | REQUIRE_ENCRYPTION | WHITESPACE_START_AKE | ERROR_START_AKE


def allowed_versions(policy: Policy) -> frozenset[int]:
    """The OTR protocol versions the policy allows (empty: OTR is disabled entirely)."""
    versions = set()
    if Policy.ALLOW_V2 in policy:
        versions.add(2)
    if Policy.ALLOW_V3 in policy:
        versions.add(3)
    return frozenset(versions)


def best_version(policy: Policy, offered: frozenset[int]) -> int | None:
    """Protocol-v3: version 3 if offered and allowed, "otherwise" version 2 if both; else None."""
    common = allowed_versions(policy) & offered
    return max(common) if common else None
