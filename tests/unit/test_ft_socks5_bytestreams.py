"""XEP-0065 through the server's proxy only: a hostile offer never makes us dial elsewhere."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from timb.net.errors import RemoteError
from timb.net.xmpp import socks5_bytestreams as s5b

PROXY = s5b.Streamhost("proxy.example.onion", "proxy.example.onion", 7777)


def _offer(*hosts: tuple[str, str, str], sid: str = "vxf9n471bn46", mode: str = "tcp") -> ET.Element:
    query = ET.Element(f"{{{s5b.NS}}}query", {"sid": sid, "mode": mode})
    for jid, host, port in hosts:
        ET.SubElement(query, f"{{{s5b.NS}}}streamhost", {"jid": jid, "host": host, "port": port})
    return query


def test_our_own_offer_names_only_the_proxy_and_parses_back() -> None:
    parsed = s5b.parse_offer(ET.fromstring(ET.tostring(s5b.offer("sid1", PROXY))))
    assert parsed == s5b.StreamhostOffer("sid1", (PROXY,))
    assert s5b.choose_streamhost(parsed, PROXY) == PROXY


def test_a_direct_peer_streamhost_is_refused() -> None:
    offer = s5b.parse_offer(_offer(("romeo@montague.lit/orchard", "192.0.2.7", "5086")))
    with pytest.raises(RemoteError) as caught:
        s5b.choose_streamhost(offer, PROXY)
    assert caught.value.condition == "item-not-found"


def test_the_proxy_is_dialled_where_we_found_it_not_where_the_offer_says() -> None:
    hostile = _offer(
        ("romeo@montague.lit/orchard", "192.0.2.7", "5086"),
        (PROXY.jid, "198.51.100.9", "1080"),  # the proxy's name with the attacker's address
    )
    chosen = s5b.choose_streamhost(s5b.parse_offer(hostile), PROXY)
    assert chosen == PROXY


def test_without_a_proxy_on_our_server_nothing_is_dialled() -> None:
    offer = s5b.parse_offer(_offer((PROXY.jid, PROXY.host, "7777")))
    with pytest.raises(RemoteError):
        s5b.choose_streamhost(offer, None)


@pytest.mark.parametrize(
    "query",
    [
        _offer(("j", "h", "0")),
        _offer(("j", "h", "65536")),
        _offer(("j", "h", "-1")),
        _offer(("", "h", "1")),
        _offer(("j", "", "1")),
        _offer(("j", "h" * 300, "1")),
        _offer(sid=""),
        _offer(*[("j", "h", "1")] * 17),
        ET.Element("{urn:other}query", {"sid": "s"}),
    ],
)
def test_malformed_offers_are_bad_requests(query: ET.Element) -> None:
    with pytest.raises(RemoteError) as caught:
        s5b.parse_offer(query)
    assert caught.value.condition == "bad-request"


def test_udp_mode_is_not_acceptable() -> None:
    with pytest.raises(RemoteError) as caught:
        s5b.parse_offer(_offer(mode="udp"))
    assert caught.value.condition == "not-acceptable"


def test_the_destination_is_the_xeps_hash_as_a_domain() -> None:
    dst = s5b.destination("sid", "romeo@montague.lit/orchard", "juliet@capulet.lit/balcony")
    assert len(dst) == 40 and all(c in b"0123456789abcdef" for c in dst)
    assert dst != s5b.destination("sid", "juliet@capulet.lit/balcony", "romeo@montague.lit/orchard")
    request = s5b.connect_request(dst)
    assert request[:5] == bytes([5, 1, 0, 3, 40]) and request[5:45] == dst and request[45:] == b"\0\0"


def test_the_socks5_replies_are_checked() -> None:
    assert s5b.greeting() == b"\x05\x01\x00"
    s5b.check_method_reply(b"\x05\x00")
    with pytest.raises(RemoteError):
        s5b.check_method_reply(b"\x05\xff")
    assert s5b.connect_reply_length(bytes([5, 0, 0, 3, 40])) == 47
    assert s5b.connect_reply_length(bytes([5, 0, 0, 1, 127])) == 10
    for bad in [bytes([5, 1, 0, 3, 40]), bytes([4, 0, 0, 3, 40]), bytes([5, 0, 0, 9, 0]), b"\x05"]:
        with pytest.raises(RemoteError):
            s5b.connect_reply_length(bad)


def test_activation_and_used_elements() -> None:
    activation = s5b.activate("sid", "juliet@capulet.lit/balcony")
    assert activation.get("sid") == "sid"
    assert activation.findtext(f"{{{s5b.NS}}}activate") == "juliet@capulet.lit/balcony"
    used = s5b.used_streamhost(PROXY.jid).find(f"{{{s5b.NS}}}streamhost-used")
    assert used is not None and used.get("jid") == PROXY.jid
