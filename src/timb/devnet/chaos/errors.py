"""The fault campaign's errors: the one drawing of their tree (tests/architecture checks it).

Error tree::

    ChaosError               a client of the campaign did not answer as a client should
     ├── PeerGone            its process died (or was killed) while a call waited for the answer
     └── RpcError            a JSON-RPC error reply (code and message, never parameter values)
"""

from __future__ import annotations

from typing import Any


class ChaosError(Exception):
    """Base of the campaign's errors."""


class PeerGone(ChaosError):
    """The peer's process died (or was killed) while a call waited for its answer."""


class RpcError(ChaosError):
    """A JSON-RPC error reply (code and message, never parameter values)."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(f"{method}: {error.get('code')} {error.get('message')}")
        self.code = int(error.get("code", 0))
