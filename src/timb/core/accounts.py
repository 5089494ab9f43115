"""Account records and their serialisation into the vault section "accounts".

An `Account` is a value (frozen): the XMPP address, the password (a `Secret`), where to connect
(optional host, e.g. the server's .onion, and port), the SHA-256 pin of the server's TLS
certificate, whether to connect at start (default: never unless the user asked), and the Tor
isolation key: random, made once and stored, so that each account gets its own Tor circuits and
two accounts can never be linked by sharing one.

Errors: `AccountError`, in the core tree drawn in `timb.core.errors`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from timb.common.ids import Jid
from timb.common.random import Random
from timb.common.secret import Secret
from timb.core.errors import RecordError

DEFAULT_XMPP_PORT = 5222
DEFAULT_IRC_PORT = 6697
#: The chat networks an account can be on. An IRC account's address is ``nick@server``.
NETWORKS = ("xmpp", "irc")
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_PIN_RE = re.compile(r"[0-9a-f]{64}")
#: How an IRC account logs in: "auto" (its SASL key, else PLAIN with a non-empty password, else
#: no SASL) or one mechanism, whose credential must then be in the record.
SASL_AUTO = "auto"
SASL_MECHANISMS = (SASL_AUTO, "PLAIN", "EXTERNAL", "ECDSA-NIST256P-CHALLENGE")


class AccountError(RecordError):
    """An account field is invalid, or the account id is unknown or taken."""


@dataclass(frozen=True, slots=True)
class Account:
    """One XMPP account. Validated at construction; `password` never prints."""

    id: str
    jid: Jid
    password: Secret[str]
    isolation_key: str
    host: str | None = None
    port: int = DEFAULT_XMPP_PORT
    tls_pin_sha256: str | None = None
    auto_connect: bool = False
    network: str = "xmpp"
    # IRC: the P-256 key (PEM) for SASL ECDSA-NIST256P-CHALLENGE, kept only in the encrypted vault
    sasl_key_pem: Secret[str] | None = field(default=None, repr=False)
    # IRC: the TLS client certificate and its key (PEM) for CertFP / SASL EXTERNAL, vault only
    client_cert_pem: Secret[str] | None = field(default=None, repr=False)
    sasl_mechanism: str = SASL_AUTO  # IRC: one of SASL_MECHANISMS
    answer_ctcp_ping: bool = False  # IRC: answer CTCP PING (it tells that we are online, and our lag)

    def __post_init__(self) -> None:
        if self.network not in NETWORKS:
            raise AccountError(f"network must be one of {', '.join(NETWORKS)}")
        if not _ID_RE.fullmatch(self.id):
            raise AccountError("an account id is 1-64 letters, digits, '_', '.' or '-'")
        if not self.jid.local or self.jid.resource is not None:
            raise AccountError("an account address is a bare JID: user@server")
        if not 0 < self.port < 65536:
            raise AccountError("port must be 1-65535")
        if self.host is not None and not re.fullmatch(r"[A-Za-z0-9.-]{1,253}|\[[0-9a-fA-F:.]+\]", self.host):
            raise AccountError("host must be a host name, an .onion or an IP address")
        if self.tls_pin_sha256 is not None and not _PIN_RE.fullmatch(self.tls_pin_sha256):
            raise AccountError("the TLS pin is the SHA-256 of the certificate: 64 lower-case hex digits")
        if not re.fullmatch(r"[0-9a-f]{32}", self.isolation_key):
            raise AccountError("isolation key must be 32 hex digits")
        self._check_irc()

    def _check_irc(self) -> None:
        if self.sasl_mechanism not in SASL_MECHANISMS:
            raise AccountError(f"the SASL mechanism must be one of {', '.join(SASL_MECHANISMS)}")
        irc_only = (
            self.sasl_mechanism != SASL_AUTO,
            self.answer_ctcp_ping,
            self.client_cert_pem,
            self.sasl_key_pem,
        )
        if self.network != "irc" and any(irc_only):
            raise AccountError("SASL mechanisms, client certificates and CTCP PING are IRC settings")
        # A chosen mechanism without its credential could only fail at every connection.
        if self.sasl_mechanism == "EXTERNAL" and self.client_cert_pem is None:
            raise AccountError("SASL EXTERNAL needs the account's client certificate")
        if self.sasl_mechanism == "ECDSA-NIST256P-CHALLENGE" and self.sasl_key_pem is None:
            raise AccountError("SASL ECDSA-NIST256P-CHALLENGE needs the account's SASL key")
        if self.sasl_mechanism == "PLAIN" and not self.password.reveal():
            raise AccountError("SASL PLAIN needs a password")

    @property
    def connect_host(self) -> str:
        """Where to connect: the configured host, else the JID's domain (resolved by tor)."""
        return self.host or self.jid.domain

    def public(self) -> dict[str, Any]:
        """A description safe to show (no password, no isolation key)."""
        shown: dict[str, Any] = {
            "id": self.id,
            "jid": str(self.jid),
            "host": self.host,
            "port": self.port,
            "tls_pin_sha256": self.tls_pin_sha256,
            "auto_connect": self.auto_connect,
            "network": self.network,
        }
        if self.network == "irc":
            shown |= {"sasl_mechanism": self.sasl_mechanism, "answer_ctcp_ping": self.answer_ctcp_ping}
        return shown

    def to_record(self) -> dict[str, Any]:
        """The stored form (goes only into the encrypted vault)."""
        record = {**self.public(), "password": self.password.reveal(), "isolation_key": self.isolation_key}
        if self.sasl_key_pem is not None:
            record["sasl_key_pem"] = self.sasl_key_pem.reveal()
        if self.client_cert_pem is not None:
            record["client_cert_pem"] = self.client_cert_pem.reveal()
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Account:
        """Raises: AccountError if the record is malformed."""
        try:
            return cls(
                id=str(record["id"]),
                jid=Jid.parse(str(record["jid"])),
                password=Secret(str(record["password"])),
                isolation_key=str(record["isolation_key"]),
                host=None if record.get("host") is None else str(record["host"]),
                port=int(record.get("port", DEFAULT_XMPP_PORT)),
                tls_pin_sha256=record.get("tls_pin_sha256"),
                auto_connect=bool(record.get("auto_connect", False)),
                network=str(record.get("network", "xmpp")),
                sasl_key_pem=_optional_secret(record.get("sasl_key_pem")),
                client_cert_pem=_optional_secret(record.get("client_cert_pem")),
                sasl_mechanism=str(record.get("sasl_mechanism", SASL_AUTO)),
                answer_ctcp_ping=record.get("answer_ctcp_ping", False) is True,
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, AccountError):
                raise
            raise AccountError(f"stored account record is invalid: {type(exc).__name__}") from None


def _optional_secret(value: object) -> Secret[str] | None:
    return None if value is None else Secret(str(value))


def normalise_pin(pin: str | None) -> str | None:
    """Accept ``AB:CD:...`` or plain hex in any case; return 64 lower-case hex digits or None."""
    if pin is None:
        return None
    return re.sub(r"[\s:]", "", pin).lower()


class Accounts:
    """The account list of a profile, in insertion order."""

    def __init__(self, accounts: list[Account] | None = None) -> None:
        self._accounts: dict[str, Account] = {}
        for account in accounts or []:
            self._put_new(account)

    def add(
        self,
        account_id: str,
        jid: str,
        password: Secret[str],
        rng: Random,
        *,
        host: str | None = None,
        port: int | None = None,
        tls_pin_sha256: str | None = None,
        auto_connect: bool = False,
        network: str = "xmpp",
        **irc: Any,
    ) -> Account:
        """Create and add an account with a fresh isolation key. ``irc``: the IRC fields
        (``sasl_mechanism``, ``answer_ctcp_ping``, ``sasl_key_pem``, ``client_cert_pem``).

        Raises: AccountError (invalid field or id taken); InvalidIdentifier (bad JID).
        """
        account = Account(
            id=account_id,
            jid=Jid.parse(jid),
            password=password,
            isolation_key=rng.randbytes(16).hex(),
            host=host,
            port=port if port is not None else (DEFAULT_IRC_PORT if network == "irc" else DEFAULT_XMPP_PORT),
            tls_pin_sha256=normalise_pin(tls_pin_sha256),
            auto_connect=auto_connect,
            network=network,
            **irc,
        )
        self._put_new(account)
        return account

    def update(self, account_id: str, **changes: Any) -> Account:
        """Change fields (not id or isolation key). Raises: AccountError."""
        if {"id", "isolation_key"} & changes.keys():
            raise AccountError("an account's id and isolation key cannot change")
        account = replace(self.get(account_id), **changes)
        self._accounts[account_id] = account
        return account

    def remove(self, account_id: str) -> Account:
        """Raises: AccountError for an unknown id."""
        account = self.get(account_id)
        del self._accounts[account_id]
        return account

    def get(self, account_id: str) -> Account:
        """Raises: AccountError for an unknown id."""
        try:
            return self._accounts[account_id]
        except KeyError:
            raise AccountError(f"no account {account_id!r}") from None

    def __iter__(self) -> Iterator[Account]:
        return iter(list(self._accounts.values()))

    def __len__(self) -> int:
        return len(self._accounts)

    def _put_new(self, account: Account) -> None:
        if account.id in self._accounts:
            raise AccountError(f"an account {account.id!r} exists already")
        if any(a.jid == account.jid for a in self._accounts.values()):
            raise AccountError(f"{account.jid} is already an account")
        self._accounts[account.id] = account

    def to_section(self) -> dict[str, Any]:
        """The vault section "accounts": ``{"accounts": [record, ...]}`` in order."""
        return {"accounts": [a.to_record() for a in self._accounts.values()]}

    @classmethod
    def from_section(cls, section: dict[str, Any] | None) -> Accounts:
        """Raises: AccountError if a stored record is malformed."""
        records = (section or {}).get("accounts", [])
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise AccountError("the stored account list is malformed")
        return cls([Account.from_record(r) for r in records])
