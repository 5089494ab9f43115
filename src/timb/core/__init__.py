"""The core service: profiles, accounts, contacts, conversations, OTR policy, trust, storage."""
