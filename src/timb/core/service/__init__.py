"""`TimbService`: commands in, typed events out. What every UI holds instead of a network.

The service owns the profile (the vault), the accounts, one `Conversations` core per account
(the only place where the network meets OTR), the Tor client and the network adapters. Every
task it starts belongs to its `TaskGroup` (``async with TimbService(...) as service``): exceptions
are never swallowed. Expected trouble on the network (tor not ready, server unreachable, wrong
password) becomes `ConnectionStateChanged` and `ErrorEvent`; a bug ends the service loudly.

Commands raise only `ServiceError`s (the tree is drawn once, in `timb.core.errors`), so a UI
needs nothing else. What lower layers raise becomes one of these in one place: the table in `translate`.

The parts
---------
`TimbService` (`facade`) holds no state of its own: it composes parts with one job each, wired
together at construction (each part gets the few parts or callables it uses; none reaches into
another, none inherits from another)::

    facade.TimbService          the commands, each delegated to the part that owns it
     ├── tasks.TaskOwner         the task group: every task the service starts
     ├── session.ProfileSession  the unlocked vault, settings, policies, saves (one lock)
     ├── trust_keeper.TrustKeeper  contacts' keys and the user's trust in them
     ├── contact_book.ContactBook  contacts and blocked addresses (vault sections)
     ├── history.HistoryPart     message history (off unless turned on)
     ├── account_book.AccountBook  accounts, OTR keys, and one runtime per account
     │    ├── runtime.AccountRuntime  one account: its Conversations, link, presence;
     │    │                           `act` flushes after every command by construction
     │    └── account_book.Networks   how an account gets its adapter (through tor)
     ├── contacts.Contacts       contact, subscription and blocking commands
     ├── messaging.Messaging     message, OTR, trust, SMP and history commands
     ├── identity.Identity       libotr key and fingerprint import/export
     ├── tor_connection.TorConnection  the bridges choice (tor_settings: the torrc it gives)
     ├── onions.Onions           onion services published for the UI
     ├── channels.Channels       IRC channels (plaintext by nature, with their banner)
     ├── irc_sasl.IrcSasl        SASL keys of IRC accounts
     ├── onion_part.OnionPart    serverless onion identities, contacts, messages
     │    ├── onion_runtime / onion_store  one identity online; what the vault keeps
     │    └── onion_files.OnionFiles  Ricochet's file channel
     └── xmpp_files.XmppFiles    files with XMPP contacts inside OTR, bytes over IBB
    tor: `timb.core.tor_link.TorLink`

How to add a network
--------------------
A new network (IRC, serverless onion chat) is a new part, never a mixin: its adapter comes from
`Networks` (XMPP accounts use `default_adapter_factory`; give a new account kind its factory
there). If the network needs state beyond an `AccountRuntime` (an onion identity's own service
and contact requests, say), write a runtime class of its own beside `AccountRuntime` with the
same surface (`act` that flushes, `on_net_event`, `link`), owned by a book part like
`AccountBook`, and let the facade delegate the new commands to it. Errors of the new layer get a
row in `translate.TABLE`, not a try/except in a command.

Nothing about a message is written unless history is turned on for it (docs/core.md).
"""

from __future__ import annotations

from pathlib import Path

from timb.core.errors import InvalidRequest, NotFound, ProfileError, ServiceError, Unavailable
from timb.core.profile import Profile
from timb.core.service.facade import TimbService
from timb.core.service.session import POLICIES
from timb.core.tor_link import TorSettings

__all__ = [
    "POLICIES",
    "InvalidRequest",
    "NotFound",
    "ProfileError",
    "ServiceError",
    "TimbService",
    "TorSettings",
    "Unavailable",
    "default_profile_dir",
]


def default_profile_dir() -> Path:
    """The per-user profile directory (platformdirs)."""
    return Profile.default_directory()
