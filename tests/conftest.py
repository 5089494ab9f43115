"""Shared test configuration. Fixtures for real parts live in tests/fixtures/, one module each."""

import os
from collections.abc import Iterator

import pytest

from timb.core.storage import vault
from timb.core.storage.kdf import Argon2idParams, ScryptParams, argon2id_available

# Every tor a test starts is on the private test network; the product refuses anything else.
os.environ["TIMB_OFFLINE"] = "1"

pytest_plugins = [
    "tests.fixtures.tor",
    "tests.fixtures.prosody",
    "tests.fixtures.otr_peers",
    "tests.fixtures.ircd",
    "tests.fixtures.ricochet",
]

# The smallest parameters the vault accepts: a profile made with them opens as any other.
QUICK_KDF = (
    Argon2idParams(memory_cost=8, iterations=1, lanes=1) if argon2id_available() else ScryptParams(4, 1, 1)
)


@pytest.fixture(autouse=True)
def _quick_passphrase_kdf(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Profiles made by unit, TUI and GUI tests use QUICK_KDF: they make and unlock ~470 of
    them, and the real Argon2id (128 MiB, 6 passes: about 1 s here each) was a fifth of the
    suite's time while testing nothing of theirs. The real stack (tests/integration, and every
    `timb` subprocess) keeps the real parameters; the vault's tests give theirs explicitly and
    check the default itself (tests/unit/test_vault.py::test_default_kdf_is_memory_hard)."""
    if "integration" not in request.node.path.parts:
        monkeypatch.setattr(vault, "default_kdf_params", lambda: QUICK_KDF)
    yield
