"""The safety of files themselves (issue 15): received names, saving, metadata.

Transport-free: nothing here dials, decrypts or opens a file for the user. A received file
reaches its final name only after its size and hash were checked (`IncomingFile.finish`);
the sender's name is never trusted (`sanitise_name`); metadata is stripped before sending
(`strip_metadata`, through mat2).
"""

from timb.core.files.errors import (
    FileIntegrityError,
    FileTooLarge,
    FileTransferError,
    MetadataStripError,
    TransferRefused,
)
from timb.core.files.metadata import MetadataReport, strip_metadata
from timb.core.files.names import MAX_NAME_BYTES, sanitise_name
from timb.core.files.outgoing import OutgoingFile, prepare_outgoing
from timb.core.files.saver import IncomingFile

__all__ = [
    "MAX_NAME_BYTES",
    "FileIntegrityError",
    "FileTooLarge",
    "FileTransferError",
    "IncomingFile",
    "MetadataReport",
    "MetadataStripError",
    "OutgoingFile",
    "TransferRefused",
    "prepare_outgoing",
    "sanitise_name",
    "strip_metadata",
]
