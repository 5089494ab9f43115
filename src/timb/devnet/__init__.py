"""Developer tooling above core (demo stack, private-network helpers, fault campaign).

The product never imports it."""
