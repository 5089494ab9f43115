"""The core layer's errors: the one drawing of their tree (tests/architecture checks it).

Service commands raise only `ServiceError`s (re-exported by `timb.core.service`). The record
errors are raised by core's own value types (accounts, the trust store) and translated by the
service into `InvalidRequest` or `ProfileError`; they stay `ValueError`s for callers that
validate input with them.

Error tree::

    Exception
     └── ServiceError            base of every error a service command raises
          ├── ProfileError       no profile unlocked, profile exists/missing, wrong passphrase, storage
          ├── NotFound           unknown account, contact or message
          ├── InvalidRequest     a bad argument (address, port, pin, policy, fingerprint, state)
          │    └── ConfirmationRequired  the first message in an IRC channel was not confirmed
          └── Unavailable        tor or the network cannot do it now
    ValueError
     └── RecordError             a core record is invalid
          ├── AccountError       invalid field, unknown or duplicate account id, bad stored record
          └── TrustStoreError    a stored trust store is malformed, or an empty (account, contact)

Messages are safe to show to the user: they never carry a secret.
"""


class ServiceError(Exception):
    """Base of every error a service command raises."""


class ProfileError(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class InvalidRequest(ServiceError):
    pass


class ConfirmationRequired(InvalidRequest):
    """A plaintext channel message needs the user's explicit confirmation first (nothing left)."""


class Unavailable(ServiceError):
    pass


class RecordError(ValueError):
    """A record of the core (an account, the trust store) is invalid."""
