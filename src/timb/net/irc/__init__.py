"""IRC over Tor (issue 17): a small client on a pure IRCv3 message parser.

Pure (no asyncio, socket, ssl, time): `message` (parse/serialize lines), `limits` (ISUPPORT and
the OTR fragment size), `flood` (the send queue's token bucket; the clock is passed in), `ctcp`
(what we refuse to answer), `sasl` (PLAIN, EXTERNAL, ECDSA-NIST256P-CHALLENGE), `caps` (CAP
negotiation), `session` (the sans-I/O client: registration, nick collisions, PING, events).
`adapter` runs a session on a stream tor handed over. docs/irc.md says why no library.
"""
