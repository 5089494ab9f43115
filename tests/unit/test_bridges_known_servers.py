"""Known server onions (`timb.tor.known_servers`): the shipped list (every CoyIM entry is a v2
address, so all are retired, never dialled), a user's list used whole or not at all, and the
lookup. Nothing is dialled here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from timb.common.ids import OnionAddress
from timb.core.errors import Unavailable
from timb.core.service.account_book import _known_onion
from timb.tor.errors import KnownServersError
from timb.tor.known_servers import ENV_FILE, FORMAT, known_onion, load_known_servers, parse_known_servers

ONION = OnionAddress.from_public_key(bytes(range(32)))


def _doc(*servers: object) -> str:
    return json.dumps({"format": FORMAT, "date": "2026-12-01", "source": "test", "servers": list(servers)})


def test_the_shipped_list_is_dated_and_dials_no_v2_address() -> None:
    shipped = load_known_servers()
    assert shipped.date.year >= 2026
    assert shipped.onion_for("jabber.ccc.de") is None  # listed by CoyIM as v2: retired
    raw = json.loads(Path(__file__).parents[2].joinpath("src/timb/tor/known_servers.json").read_text())
    assert len(raw["retired"]) >= 19 and all(len(e["onion"]) == 22 for e in raw["retired"])


def test_a_user_list_maps_a_domain_to_its_onion(tmp_path: Path) -> None:
    path = tmp_path / "known.json"
    path.write_text(_doc({"domain": "Chat.Example.org.", "protocol": "xmpp", "onion": f"{ONION}"}))
    known = load_known_servers(path)
    assert known.onion_for("chat.example.org") == ONION
    assert known.onion_for("CHAT.example.org") == ONION
    assert known.onion_for("chat.example.org", "irc") is None
    assert known.onion_for("other.example.org") is None


@pytest.mark.parametrize(
    ("servers", "entry", "field"),
    [
        ([{"domain": "a.example", "onion": "okj7xc6j2szr2y75.onion"}], 1, "onion"),
        ([{"domain": "a.example", "onion": str(ONION)}, {"domain": "b.example", "onion": "x"}], 2, "onion"),
        ([{"domain": "a example", "onion": str(ONION)}], 1, "domain"),
        ([{"domain": "a.example", "protocol": "smtp", "onion": str(ONION)}], 1, "protocol"),
        ([{"domain": "a.example", "onion": str(ONION)}] * 2, 2, "domain"),
        (["a.example"], 1, "entry"),
    ],
)
def test_a_bad_entry_refuses_the_whole_file(servers: list[object], entry: int, field: str) -> None:
    with pytest.raises(KnownServersError) as caught:
        parse_known_servers(_doc(*servers))
    assert (caught.value.entry, caught.value.field) == (entry, field)


@pytest.mark.parametrize(
    ("text", "field"),
    [("{", "file"), ('{"format": "other"}', "format"), (json.dumps({"format": FORMAT, "date": "x"}), "date")],
)
def test_a_bad_file_is_refused(text: str, field: str) -> None:
    with pytest.raises(KnownServersError, match=field):
        parse_known_servers(text)


def test_the_users_list_replaces_the_shipped_one_and_a_bad_one_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "known.json"
    path.write_text(_doc({"domain": "chat.example.org", "onion": str(ONION)}))
    assert known_onion("chat.example.org", environ={ENV_FILE: str(path)}) == ONION
    assert known_onion("chat.example.org", environ={}) is None
    path.write_text("{ damaged")
    with pytest.raises(KnownServersError):
        known_onion("chat.example.org", environ={ENV_FILE: str(path)})
    with pytest.MonkeyPatch.context() as env:
        env.setenv(ENV_FILE, str(path))
        with pytest.raises(Unavailable, match="known servers"):
            _known_onion("chat.example.org")  # never silently through an exit relay
