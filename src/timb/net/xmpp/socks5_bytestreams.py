"""SOCKS5 Bytestreams (XEP-0065), only through the server's own proxy, only through tor.

Sans-I/O: parsing a streamhost offer, the one policy that matters, and the SOCKS5 bytes the
adapter writes to the stream tor opened to the proxy. The issue's rule: never a direct peer
connection. A `streamhost` that is not the proxy we discovered on our own server is refused,
whatever host and port it names; and the proxy is dialled at the address *we* discovered
(through tor, by name: tor resolves, we never do), not at one the offer names.

XEP-0065 decides: DST.ADDR is "SHA1 Hash of: (SID + Requester JID + Target JID)" in hex,
sent as a domain name (ATYP 3) with port 0; a target that can use none of the streamhosts
answers <item-not-found/>.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from timb.net.errors import RemoteError

NS = "http://jabber.org/protocol/bytestreams"
_SOCKS_VERSION = 5
_NO_AUTH = 0
_CONNECT = 1
_ATYP_DOMAIN = 3
_MAX_STREAMHOSTS = 16


@dataclass(frozen=True, slots=True)
class Streamhost:
    jid: str
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class StreamhostOffer:
    sid: str
    streamhosts: tuple[Streamhost, ...]


def parse_offer(query: ET.Element) -> StreamhostOffer:
    """The <query/> of a bytestreams offer.

    Raises:
        RemoteError: "bad-request" (malformed, or too many streamhosts), "not-acceptable"
            (a mode other than tcp).
    """
    if query.tag != f"{{{NS}}}query":
        raise RemoteError("bad-request", "not a bytestreams query")
    sid = query.get("sid", "")
    if not 0 < len(sid) <= 128:
        raise RemoteError("bad-request", "invalid sid")
    if query.get("mode", "tcp") != "tcp":
        raise RemoteError("not-acceptable", "only tcp mode")
    hosts = query.findall(f"{{{NS}}}streamhost")
    if len(hosts) > _MAX_STREAMHOSTS:
        raise RemoteError("bad-request", "too many streamhosts")
    return StreamhostOffer(sid, tuple(_streamhost(h) for h in hosts))


def _streamhost(element: ET.Element) -> Streamhost:
    jid, host, port = element.get("jid", ""), element.get("host", ""), element.get("port", "")
    if not jid or not host or len(host) > 255 or not (port.isascii() and port.isdigit()):
        raise RemoteError("bad-request", "invalid streamhost")
    number = int(port)
    if not 0 < number < 65536:
        raise RemoteError("bad-request", "invalid streamhost port")
    return Streamhost(jid, host, number)


def choose_streamhost(offer: StreamhostOffer, server_proxy: Streamhost | None) -> Streamhost:
    """The streamhost to dial: our server's proxy as *we* discovered it, if the offer names it.

    Raises:
        RemoteError: "item-not-found": no proxy on our server, or the offer does not name it
            (every other streamhost would be a direct or third-party connection).
    """
    if server_proxy is not None:
        for host in offer.streamhosts:
            if host.jid == server_proxy.jid:
                return server_proxy
    raise RemoteError("item-not-found", "only the server's own proxy is used")


def destination(sid: str, requester_jid: str, target_jid: str) -> bytes:
    """XEP-0065 DST.ADDR: hex SHA-1 of sid + requester's full JID + target's full JID."""
    text = sid + requester_jid + target_jid
    return hashlib.sha1(text.encode("utf-8")).hexdigest().encode("ascii")  # noqa: S324 - the XEP's


def greeting() -> bytes:
    """SOCKS5 version 5, one method: no authentication (the proxy authorises by DST.ADDR)."""
    return bytes([_SOCKS_VERSION, 1, _NO_AUTH])


def check_method_reply(reply: bytes) -> None:
    """Raises: RemoteError "remote-server-not-found": the proxy refused no-auth."""
    if reply != bytes([_SOCKS_VERSION, _NO_AUTH]):
        raise RemoteError("remote-server-not-found", "the proxy refused the SOCKS5 greeting")


def connect_request(dst_addr: bytes) -> bytes:
    return bytes([_SOCKS_VERSION, _CONNECT, 0, _ATYP_DOMAIN, len(dst_addr)]) + dst_addr + b"\0\0"


def connect_reply_length(head: bytes) -> int:
    """The full length of the CONNECT reply whose first 5 bytes are `head`.

    Raises:
        RemoteError: "remote-server-not-found": the proxy refused, or answered malformed.
    """
    if len(head) < 5 or head[0] != _SOCKS_VERSION or head[1] != 0 or head[2] != 0:
        raise RemoteError("remote-server-not-found", "the proxy refused the connection")
    lengths = {1: 4, 4: 16}
    if head[3] == _ATYP_DOMAIN:
        return 4 + 1 + head[4] + 2
    if head[3] in lengths:
        return 4 + lengths[head[3]] + 2
    raise RemoteError("remote-server-not-found", "malformed proxy reply")


def used_streamhost(jid: str) -> ET.Element:
    """The target's answer: <query><streamhost-used jid=.../></query>."""
    query = ET.Element(f"{{{NS}}}query")
    ET.SubElement(query, f"{{{NS}}}streamhost-used", {"jid": jid})
    return query


def activate(sid: str, target_jid: str) -> ET.Element:
    """The requester's <query sid><activate>target</activate></query> to the proxy."""
    query = ET.Element(f"{{{NS}}}query", {"sid": sid})
    ET.SubElement(query, f"{{{NS}}}activate").text = target_jid
    return query


def offer(sid: str, proxy: Streamhost) -> ET.Element:
    """Our offer: the server's proxy and nothing else (never our own address)."""
    query = ET.Element(f"{{{NS}}}query", {"sid": sid, "mode": "tcp"})
    attrs = {"jid": proxy.jid, "host": proxy.host, "port": str(proxy.port)}
    ET.SubElement(query, f"{{{NS}}}streamhost", attrs)
    return query
