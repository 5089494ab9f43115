"""Tor control-port protocol: a pure reply parser and an asyncio client."""
