"""The fault campaign of issue 14: ``python -m timb.devnet.chaos --seed N --cycles N``.

Two TIMB clients (``alice``, a `TimbService` in this process; ``bob``, a ``timb jsonrpc``
subprocess) chat through the private Tor network and the onion Prosody with numbered,
checksummed messages while faults chosen from a printed seed are injected; after every cycle
both ends are checked (exactly once, in order, never shown sent and then lost, no plaintext on
the server or the profiles, the vault opens, no process left) and a table of figures is printed.

Modules: ``errors`` (their tree), ``ledger`` (the messages and the verdict, pure), ``plan``
(faults from the seed, pure), ``report`` (the table, pure), ``infra`` (the only importer of the
demo stack and of tor: network, Prosody, onion, fault primitives), ``peers`` (the two clients),
``runner`` (the campaign).
"""
