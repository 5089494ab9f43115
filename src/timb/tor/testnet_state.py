"""Moved to `timb.tor.testnet.state` (kept for importers outside timb.tor until they move)."""

from timb.tor.testnet.state import ClientInfo, NetworkState, NodeState, StateFile

__all__ = ["ClientInfo", "NetworkState", "NodeState", "StateFile"]
