"""Errors of the file-safety part of the core (`timb.core.files`).

They are `ServiceError`s: a file command of the service raises them as they are. Messages
are safe to show to the user: they carry no file content, no key and no full path of the
sender's choosing.

Error tree::

    ServiceError
     └── FileTransferError       a file cannot be sent or received safely
          ├── FileTooLarge       over the size cap the user set
          ├── FileIntegrityError the bytes received are not what the sender declared (size, hash)
          ├── TransferRefused    no private OTR session, unknown transfer, or not in that state
          ├── MetadataStripError mat2 failed or is missing: the file is not sent as it is
          └── BadFileMessage     the contact's file message inside OTR is malformed
"""

from timb.core.errors import ServiceError


class FileTransferError(ServiceError):
    """A file cannot be sent or received safely."""


class FileTooLarge(FileTransferError):
    pass


class FileIntegrityError(FileTransferError):
    pass


class TransferRefused(FileTransferError):
    pass


class MetadataStripError(FileTransferError):
    pass


class BadFileMessage(FileTransferError):
    """The contact's file message (inside OTR) is malformed: ignored, nothing changes."""
