"""Make python-potr 1.0.2 run on Python 3.11 with pycryptodome instead of pycrypto.

python-potr pins pycrypto, which no longer builds (and has CVEs); it is installed with
``pip install --no-deps`` beside pycryptodome. Three legacy pycrypto APIs it uses fail at run time
on pycryptodome; this module replaces exactly those with the same mathematics and leaves the rest
of potr untouched:

1. AES-CTR with potr's callable ``Counter`` (pycryptodome wants ``nonce``/``initial_value``):
   the counter block is ``prefix (8 bytes) || val (8 bytes)``, incremented per 16-byte block.
2. ``DsaKey.sign(M, K)`` / ``verify(M, sig)`` (removed): raw DSA on ``bytes_to_long(M)`` with
   pycryptodome's ``_sign`` / ``_verify``, which is what pycrypto computed (no truncation to q).
3. ``DSA.generate(1024).key`` (gone): the numbers are attributes of the key now.

``apply()`` is idempotent; importing ``tests.interop.potr_peer`` applies it.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

import potr.compatcrypto
import potr.compatcrypto.pycrypto as pc
import potr.crypt
from Crypto.Cipher import AES
from Crypto.PublicKey import DSA
from potr.utils import bytes_to_long, long_to_bytes


class _CounterCipher:
    """AES-128-CTR whose 128-bit counter block starts at potr's Counter and advances it."""

    __slots__ = ("_cipher", "_counter")

    def __init__(self, key: bytes, counter: Any) -> None:
        self._counter = counter
        start = counter.byteprefix() + long_to_bytes(counter.val, 8)
        self._cipher = AES.new(key, AES.MODE_CTR, nonce=b"", initial_value=start)

    def _advance(self, n: int) -> None:
        # pycrypto called the counter once per block; keep its val where pycrypto left it.
        self._counter.val += (n + 15) // 16

    def encrypt(self, data: bytes) -> bytes:
        out: bytes = self._cipher.encrypt(data)
        self._advance(len(data))
        return out

    def decrypt(self, data: bytes) -> bytes:
        out: bytes = self._cipher.decrypt(data)
        self._advance(len(data))
        return out


def aes_ctr(key: bytes, counter: Any = 0) -> _CounterCipher:
    if isinstance(counter, int):
        counter = pc.Counter(counter)
    if not isinstance(counter, pc.Counter):
        raise TypeError("potr AESCTR wants an int or a potr Counter")
    return _CounterCipher(key, counter)


def _dsa_sign(self: Any, data: bytes) -> bytes:
    k = pc.randrange(2, self.priv.q)
    r, s = self.priv._sign(bytes_to_long(data), k)
    return bytes(long_to_bytes(r, 20) + long_to_bytes(s, 20))


def _dsa_verify(self: Any, data: bytes, sig: bytes) -> bool:
    r, s = bytes_to_long(sig[:20]), bytes_to_long(sig[20:])
    return bool(self.pub._verify(bytes_to_long(data), (r, s)))


def _dsa_generate(cls: Any) -> Any:
    key = DSA.generate(1024)
    return cls((key.y, key.g, key.p, key.q, key.x), private=True)


def apply() -> None:
    """Patch potr in place (once)."""
    if getattr(pc, "_timb_shim_applied", False):
        return
    installed = importlib.metadata.version("python-potr")
    assert installed == "1.0.2", f"this shim is written for python-potr 1.0.2, found {installed}"
    for module in (pc, potr.compatcrypto, potr.crypt):
        module.AESCTR = aes_ctr
    pc.DSAKey.sign = _dsa_sign
    pc.DSAKey.verify = _dsa_verify
    pc.DSAKey.generate = classmethod(_dsa_generate)
    pc._timb_shim_applied = True
