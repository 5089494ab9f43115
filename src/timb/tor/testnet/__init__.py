"""The private Tor network on loopback (tests, demo, benchmarks): never the public one.

Modules: ``network`` (`TestNetwork`: authorities, relays, clients, an optional obfs4 bridge),
``bridge`` (the bridge relay's torrc and its bridge line), ``keys`` (tor-gencert and
fingerprints, cached), ``wait`` (consensus and bootstrap polling), ``state`` (the state file).
"""

from timb.tor.testnet.network import (
    CLIENT,
    ProgressCallback,
    TestNetwork,
    bootstrap_status,
    wait_bootstrapped,
)
from timb.tor.testnet.state import ClientInfo, NetworkState, NodeState, StateFile

__all__ = [
    "CLIENT",
    "ClientInfo",
    "NetworkState",
    "NodeState",
    "ProgressCallback",
    "StateFile",
    "TestNetwork",
    "bootstrap_status",
    "wait_bootstrapped",
]
