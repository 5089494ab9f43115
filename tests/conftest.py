"""Shared test configuration. Fixtures for real parts live in tests/fixtures/, one module each."""

import os

# Every tor a test starts is on the private test network; the product refuses anything else.
os.environ["TIMB_OFFLINE"] = "1"

pytest_plugins = [
    "tests.fixtures.tor",
    "tests.fixtures.prosody",
    "tests.fixtures.otr_peers",
    "tests.fixtures.ircd",
    "tests.fixtures.ricochet",
]
