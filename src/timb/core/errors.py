"""The errors service commands raise (re-exported by `timb.core.service`).

Error tree::

    ServiceError
     ├── ProfileError        no profile unlocked, profile exists/missing, wrong passphrase, storage
     ├── NotFound            unknown account, contact or message
     ├── InvalidRequest      a bad argument (address, port, pin, policy, fingerprint, state)
     └── Unavailable         tor or the network cannot do it now

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


class Unavailable(ServiceError):
    pass
