"""SASL credentials for IRC accounts, made and kept in the profile: ECDSA keys and client
certificates.

Networks such as OFTC and Atheme-based ones let a user log in with a key instead of a password
(the key never crosses the wire; the server's challenge is signed). `make_irc_sasl_key` makes a
new P-256 key, stores it in the account record (which lives only in the encrypted vault) and
returns its public part for the user to register (``/msg NickServ SET PUBKEY <key>``). From the
next connection on, the account logs in with it; an account with SASL never registers
unauthenticated (`timb.net.irc.caps`).

`make_irc_client_certificate` makes the account's TLS client certificate (CertFP, SASL EXTERNAL;
`irc_credentials`), presented from the next connection on, and returns its fingerprints and the
``/msg NickServ CERT ADD`` command; `update_account(sasl_mechanism="EXTERNAL")` then logs in with
it (no password).
"""

from __future__ import annotations

from dataclasses import dataclass

from timb.common.secret import Secret
from timb.core.accounts import Account
from timb.core.errors import InvalidRequest
from timb.core.service.account_book import AccountBook
from timb.core.service.irc_credentials import (
    IrcClientCertificate,
    describe_certificate,
    new_client_certificate,
    new_sasl_key,
)
from timb.net.irc.sasl import public_key_b64

MECHANISM = "ECDSA-NIST256P-CHALLENGE"


@dataclass(frozen=True, slots=True)
class IrcSaslKey:
    """The public part of an account's SASL key, and how to register it."""

    account: str
    mechanism: str
    public_key: str  # the compressed point, base64, as NickServ wants it
    register: str  # the command to send once, logged in by password, to register it


class IrcSasl:
    """The SASL key commands (``service.irc_sasl``)."""

    def __init__(self, accounts: AccountBook) -> None:
        self._accounts = accounts

    async def make_irc_sasl_key(self, account_id: str) -> IrcSaslKey:
        """A new key for the account (replacing any earlier one), used from the next connection.
        Raises: ProfileError, NotFound, InvalidRequest (not an IRC account)."""
        self._irc(account_id)
        await self._accounts.update(account_id, sasl_key_pem=new_sasl_key())
        return self.irc_sasl_key(account_id)

    def irc_sasl_key(self, account_id: str) -> IrcSaslKey:
        """The account's key, public part. Raises: NotFound, InvalidRequest (no key, not IRC)."""
        pem = self._irc(account_id).sasl_key_pem
        if pem is None:
            raise InvalidRequest(f"account {account_id!r} has no SASL key: make one first")
        public = public_key_b64(Secret(pem.reveal().encode()))
        return IrcSaslKey(account_id, MECHANISM, public, f"/msg NickServ SET PUBKEY {public}")

    async def make_irc_client_certificate(self, account_id: str) -> IrcClientCertificate:
        """A new client certificate for the account (replacing any earlier one: register the new
        fingerprint), presented from the next connection. Raises: ProfileError, NotFound,
        InvalidRequest (not an IRC account)."""
        self._irc(account_id)
        await self._accounts.update(account_id, client_cert_pem=new_client_certificate())
        return self.irc_client_certificate(account_id)

    def irc_client_certificate(self, account_id: str) -> IrcClientCertificate:
        """The account's client certificate: fingerprints, never the key. Raises: NotFound,
        InvalidRequest (none made, not IRC)."""
        return describe_certificate(self._irc(account_id))

    def _irc(self, account_id: str) -> Account:
        account = self._accounts.runtime(account_id).account
        if account.network != "irc":
            raise InvalidRequest(f"account {account_id!r} is not an IRC account")
        return account
