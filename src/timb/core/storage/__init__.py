"""Encrypted storage: the profile vault and (opt-in) history."""
