"""docs/architecture.md rules 5 and 6, checked on the source tree with `ast`.

5. Pure modules import no asyncio, socket, ssl, time, os.urandom or random: clock and
   randomness are passed in.
6. Only timb.tor opens sockets, and only to tor's own loopback ports; nothing resolves a host
   name locally. (asyncio's ``create_connection(sock=...)``, which wraps a socket tor handed
   over, is allowed anywhere: it dials nothing.)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "timb"

# Pure modules: whole packages, plus single parser modules named here.
PURE_PACKAGES = ["otr", "common"]
PURE_MODULES = [
    "tor/torrc.py",
    "tor/bridges.py",
    "tor/stall.py",
    "tor/testnet/schedule.py",
    "tor/control/reply.py",
    "tor/control/events.py",
    "tor/control/bootstrap.py",
    # the sans-I/O IRC client (issue 17): everything in net/irc but the asyncio adapter
    *(f"net/irc/{name}.py" for name in ("message", "limits", "flood", "ctcp", "sasl", "caps", "session")),
    *(f"net/irc/{name}.py" for name in ("events", "errors")),
    # in-band bytestreams for file transfer (issue 15): a sans-I/O codec
    "net/xmpp/ibb.py",
    "net/xmpp/socks5_bytestreams.py",
    # the Ricochet v3 core: every module of net/onion but the asyncio adapter and its redialler
    *(
        f"net/onion/{path.name}"
        for path in sorted((SRC / "net" / "onion").glob("*.py"))
        if path.name not in {"adapter.py", "dialing.py"}
    ),
]
# common/clock.py and common/random.py are the two doors to time and randomness.
PURE_EXEMPT = {"common/clock.py", "common/random.py"}

FORBIDDEN_IN_PURE = {"asyncio", "socket", "ssl", "time", "random", "selectors", "threading"}
RESOLVERS = {
    "getaddrinfo",
    "gethostbyname",
    "gethostbyname_ex",
    "gethostbyaddr",
    "getnameinfo",
    "get_dns_records",
}
DIALERS = {
    "create_connection",
    "open_connection",
    "connect_ex",
    "create_datagram_endpoint",
    "open_unix_connection",
}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        yield rel, ast.parse(path.read_text(), filename=str(path))


def _is_pure(rel: str) -> bool:
    if rel in PURE_EXEMPT:
        return False
    return rel in PURE_MODULES or any(rel.startswith(p + "/") for p in PURE_PACKAGES)


def _imported_roots(tree: ast.Module) -> Iterator[tuple[int, str, list[str]]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0], []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0], [a.name for a in node.names]


def test_source_tree_is_found() -> None:
    assert (SRC / "__init__.py").exists()
    assert any(_is_pure(rel) for rel, _ in _modules())


@pytest.mark.parametrize("rel,tree", list(_modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_pure_modules_take_clock_and_randomness_from_outside(rel: str, tree: ast.Module) -> None:
    if not _is_pure(rel):
        return
    for lineno, root, names in _imported_roots(tree):
        assert root not in FORBIDDEN_IN_PURE, f"{rel}:{lineno} pure module imports {root}"
        assert not (root == "os" and "urandom" in names), f"{rel}:{lineno} imports os.urandom"
        assert root != "secrets", f"{rel}:{lineno} pure module imports secrets"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "urandom":
            raise AssertionError(f"{rel}:{node.lineno} uses urandom")


@pytest.mark.parametrize("rel,tree", list(_modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_only_tor_opens_sockets_and_nothing_resolves(rel: str, tree: ast.Module) -> None:
    in_tor = rel.startswith("tor/")
    for lineno, root, _names in _imported_roots(tree):
        if not in_tor:
            assert root not in {
                "socket",
                "python_socks",
                "socks",
                "aiohttp",
                "httpx",
                "requests",
                "urllib3",
                "dns",
                "aiodns",
            }, f"{rel}:{lineno} imports {root}: only timb.tor may touch the network"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in RESOLVERS:
            # Overriding slixmpp's resolver is allowed; calling any resolver is not.
            raise AssertionError(f"{rel}:{node.lineno} calls {name}: no local name resolution")
        if name in DIALERS and not in_tor:
            keywords = {k.arg for k in node.keywords}
            assert "sock" in keywords, f"{rel}:{node.lineno} calls {name} without sock=: only timb.tor dials"
        if name == "urlopen":
            raise AssertionError(f"{rel}:{node.lineno} calls urlopen")
