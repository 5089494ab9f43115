"""Fuzz `Vault.unlock` (timb.core.storage) on damaged and crafted vault files.

Set up once: a real vault (tiny scrypt parameters, so each try is fast). Each input mutates its
bytes, optionally recomputes the SHA-256 trailer (as an attacker who knows the format would), or
replaces the JSON header with one the fuzzer writes (hostile KDF names and parameters, salts,
nesting), then unlocks it with the right or a wrong passphrase.

Checked: nothing but `StorageError` subclasses escapes `unlock`; a file that opens was opened with
the right passphrase and holds exactly the original document (GCM and the check value allow no
other outcome). Headers asking for more than a few MiB of KDF memory are skipped: their bounds are
unit-tested (tests/unit/test_vault.py) and deriving them here would only make the fuzzer slow.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

from fuzzlib import Provider, check, instrumented, mutate, run

with instrumented():
    from timb.common.secret import Secret
    from timb.core.storage.errors import StorageError
    from timb.core.storage.kdf import ScryptParams
    from timb.core.storage.vault import BACKUP_NAME, VAULT_NAME, Vault

PW = Secret("correct horse battery staple")
WRONG = Secret("correct horse battery stapler")
DOCUMENT = {"otr": {"key": "k1", "list": [1, 2.5, None, True]}, "trust": {"bob": ["AB" * 20, "smp"]}}
# run_all.py gives each harness a work directory it removes afterwards (libFuzzer exits from C,
# so no cleanup of ours would run).
WORK = Path(tempfile.mkdtemp(prefix="vault-", dir=os.environ.get("TIMB_FUZZ_WORKDIR")))
_seed_dir = WORK / "seed"
Vault.create(_seed_dir, PW, kdf=ScryptParams(log2_n=4, r=1, p=1), data=DOCUMENT).lock()  # type: ignore[arg-type]
GENUINE = (_seed_dir / VAULT_NAME).read_bytes()
HEADER_END = 12 + int.from_bytes(GENUINE[10:12], "big")
PROFILE = WORK / "profile"
Vault.create(PROFILE, PW, kdf=ScryptParams(log2_n=4, r=1, p=1)).lock()
KDF_NAMES = ("scrypt", "argon2id", "pbkdf2", "", None, 1, ["scrypt"])
MAX_KDF_BYTES = 8 * 1024 * 1024


def _kdf_cost(blob: bytes) -> int:
    """The memory the header's KDF would use (0 if it would be refused before deriving)."""
    try:
        header = json.loads(blob[12 : 12 + int.from_bytes(blob[10:12], "big")])
        kdf = header["kdf"]
        if kdf.get("name") == "scrypt":
            return int(128 * kdf["r"] * (1 << min(int(kdf["log2_n"]), 40)) * kdf["p"])
        if kdf.get("name") == "argon2id":
            return int(1024 * kdf["m"] * kdf["t"])
    except Exception:
        return 0
    return 0


def _crafted_header(p: Provider) -> bytes:
    if p.flag():
        return p.blob(600)
    kdf: dict[str, object] = {"name": p.pick(KDF_NAMES)}
    for key in ("log2_n", "r", "p", "m", "t"):
        if p.flag():
            kdf[key] = p.pick((p.number(0, 70), -1, 2**64, "8", 1.5, True, None))
    salt = base64.b64encode(p.blob(80)).decode() if p.flag() else p.text(30)
    doc: object = {"kdf": kdf, "salt": salt}
    if p.number(0, 7) == 0:
        doc = [doc] if p.flag() else {"kdf": [kdf], "salt": salt}
    return json.dumps(doc).encode()


def _file(p: Provider) -> bytes:
    mode = p.number(0, 2)
    if mode == 0:
        return p.rest()
    if mode == 1:
        blob = mutate(p, GENUINE)
    else:
        header = _crafted_header(p)
        body = GENUINE[HEADER_END:-32]
        blob = GENUINE[:10] + len(header).to_bytes(2, "big") + header + body + GENUINE[-32:]
    if p.flag():  # reseal: recompute the SHA-256 trailer over the (damaged) rest
        blob = blob[:-32] + hashlib.sha256(blob[:-32]).digest()
    return blob


def test_one_input(data: bytes) -> None:
    p = Provider(data)
    right = p.flag()
    blob = _file(p)
    if _kdf_cost(blob) > MAX_KDF_BYTES:
        return
    from_backup = p.flag()
    (PROFILE / (BACKUP_NAME if from_backup else VAULT_NAME)).write_bytes(blob)
    (PROFILE / (VAULT_NAME if from_backup else BACKUP_NAME)).write_bytes(GENUINE)
    try:
        vault = Vault.unlock(PROFILE, PW if right else WRONG, from_backup=from_backup)
    except StorageError:
        return
    with vault:
        check(right, "a wrong passphrase opened the vault")
        check(vault.data == DOCUMENT, "a damaged vault opened with different contents")


if __name__ == "__main__":
    run(test_one_input, sys.argv)
