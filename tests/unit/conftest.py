"""Fixtures shared by the unit tests."""

from __future__ import annotations

import ctypes
import ctypes.util

import pytest


@pytest.fixture(scope="session")
def libotr() -> ctypes.CDLL:
    """libotr.so.5 through ctypes, with the prototypes the key-file tests call."""
    name = ctypes.util.find_library("otr") or "libotr.so.5"
    # No skip: `make test` installs libotr5, and a missing reference peer must fail loudly.
    lib = ctypes.CDLL(name)
    lib.otrl_init(4, 1, 1)
    lib.otrl_userstate_create.restype = ctypes.c_void_p
    lib.otrl_userstate_free.argtypes = [ctypes.c_void_p]
    lib.otrl_privkey_generate.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
    lib.otrl_privkey_read.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.otrl_privkey_fingerprint.restype = ctypes.c_char_p
    lib.otrl_privkey_fingerprint.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
    ]
    lib.otrl_context_find.restype = ctypes.c_void_p
    lib.otrl_context_find.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    lib.otrl_context_find_fingerprint.restype = ctypes.c_void_p
    lib.otrl_context_find_fingerprint.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_void_p,
    ]
    lib.otrl_context_set_trust.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.otrl_privkey_write_fingerprints.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.otrl_privkey_read_fingerprints.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    return lib
