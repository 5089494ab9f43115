"""Developer tooling above the product: the private Tor network for developers, the demo stack and the
fault campaign.

Nothing in the product (``timb.core``, ``timb.net``, ``timb.otr``, ``timb.tor``, ``timb.common``,
the TUI and ``timb jsonrpc``) imports this package (an import-linter contract in pyproject.toml);
only the CLI's ``timb testnet`` and ``timb demo`` commands, ``make chaos`` and the tests do.

- `network`: the private Tor network as the CLI sees it (a thin facade over `timb.tor.testnet`).
- `demo`: everything ``timb demo`` runs (Prosody as an onion service, the demo bot, the script).
- `chaos`: the fault campaign (``python -m timb.devnet.chaos``, ``make chaos``; docs/reliability.md).
"""
