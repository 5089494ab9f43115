"""The built-in bridge list (timb.tor.builtin): shipped, dated, validated as data, replaceable."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from timb.tor.builtin import FORMAT, load_bridge_file, load_builtin, parse_bridge_file
from timb.tor.errors import BridgeLineError

OBFS4 = (
    "obfs4 192.95.36.142:443 CDF2E852BF539B82BD10E27E9115A31734E378C2 "
    "cert=qUVQ0srL1JI/vO6V6m/24anYXiJD3QP2HgzUKQtQ7GRqqUvs7P+tG43RtAqdhLOALP7DJQ iat-mode=1"
)
MEEK = "meek_lite 192.0.2.20:80 url=https://1603026938.rsc.cdn77.org front=www.phpmyadmin.net"


def test_the_shipped_list_is_dated_and_has_the_three_transports() -> None:
    builtin = load_builtin()
    assert builtin.date >= datetime.date(2026, 1, 1)
    assert "pt_config.json" in builtin.source
    assert builtin.transports() == ("meek_lite", "obfs4", "snowflake")
    assert len(builtin.lines("obfs4")) >= 5 and builtin.recommended == "obfs4"
    assert all(b.kind == t for t in builtin.transports() for b in builtin.lines(t))
    assert builtin.lines("webtunnel") == ()


def test_a_tor_browser_pt_config_replaces_the_list(tmp_path: Path) -> None:
    doc = {
        "recommendedDefault": "obfs4",
        "pluggableTransports": {"lyrebird": "ClientTransportPlugin obfs4 exec ${pt_path}lyrebird"},
        "bridges": {"meek-azure": [MEEK], "obfs4": [OBFS4], "conjure": ["conjure 143.110.214.222:80 url=x"]},
    }
    path = tmp_path / "pt_config.json"
    path.write_text(json.dumps(doc))
    mine = load_bridge_file(path, date=datetime.date(2027, 2, 1))
    assert mine.date == datetime.date(2027, 2, 1) and mine.source == "pt_config.json"
    assert mine.transports() == ("meek_lite", "obfs4")  # conjure: not a transport TIMB runs


def test_a_file_without_a_date_shows_its_modification_day(tmp_path: Path) -> None:
    path = tmp_path / "pt_config.json"
    path.write_text(json.dumps({"pluggableTransports": {}, "bridges": {"obfs4": [OBFS4]}}))
    assert load_bridge_file(path).date == datetime.datetime.now(tz=datetime.UTC).date()


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ("not json", "file"),
        ("[" * 100_000, "file"),
        (json.dumps({"format": FORMAT, "date": "2026-12-03"}), "file"),
        (json.dumps({"bridges": {"obfs4": [OBFS4]}}), "file"),
        (json.dumps({"format": FORMAT, "date": "soon", "bridges": {"obfs4": [OBFS4]}}), "date"),
        (json.dumps({"format": FORMAT, "date": "2026-12-03", "bridges": {"obfs4": OBFS4}}), "obfs4"),
        (json.dumps({"format": FORMAT, "date": "2026-12-03", "bridges": {"obfs4": [MEEK]}}), "transport"),
        (json.dumps({"format": FORMAT, "date": "2026-12-03", "bridges": {}}), "bridges"),
        (
            json.dumps(
                {"format": FORMAT, "date": "2026-12-03", "bridges": {"obfs4": [OBFS4 + "\nExitRelay 1"]}}
            ),
            "line",
        ),
        (
            json.dumps({"format": FORMAT, "date": "2026-12-03", "bridges": {"obfs4": [OBFS4, "x"]}}),
            "transport",
        ),
    ],
)
def test_a_bad_file_is_refused_whole(doc: str, field: str) -> None:
    with pytest.raises(BridgeLineError) as info:
        parse_bridge_file(doc)
    assert info.value.field == field
