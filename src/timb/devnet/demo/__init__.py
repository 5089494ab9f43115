"""The demo stack: everything `timb demo` runs on this machine, on loopback only.

- `prosody`: Debian's Prosody with a generated config in the demo directory (its own pidfile,
  data, self-signed certificate; c2s on one free port of 127.0.0.1; s2s and HTTP off).
- `bot`: the demo contact, a headless TIMB service that answers every message over OTR and
  answers SMP with the demo secret.
- `stack`: the private Tor network (`timb.devnet.network`), Prosody as an onion service on it, the
  two accounts, the user's profile and the bot; torn down in reverse order.

Error tree (every function that can fail)::

    timb.core.errors.Unavailable     a process would not start, or tor or Prosody failed

Nothing here imports a UI; `timb.ui.cli.demo` drives it.
"""
