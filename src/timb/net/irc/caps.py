"""IRCv3 capability negotiation (CAP 302) with SASL, as a state machine. Pure.

Transitions (https://ircv3.net/specs/extensions/capability-negotiation)::

    CAP_LS        <- CAP * LS * :...    more to come (302 multi-line)
                  <- CAP * LS :...      choose; REQ the wanted ones, or END if none
    CAP_REQ       <- CAP * ACK :...     sasl acked and configured -> SASL; else END
                  <- CAP * NAK :...     END (fatal if SASL was required)
    SASL          <- AUTHENTICATE ...   respond; 903 -> END; 902/904/905/906/907/908 -> fatal
    DONE

A server that never answers CAP (421, or 001 straight away) is fine unless SASL is configured:
an account with SASL never registers unauthenticated (fail closed).
"""

from __future__ import annotations

import enum

from timb.net.irc.errors import AuthError, NetError
from timb.net.irc.message import Message
from timb.net.irc.sasl import ChallengeReader, SaslExchange, SaslMechanism, encode_response

#: Capabilities we ask for where offered. Nothing else: every extra cap is a fingerprint.
WANTED = frozenset({"sasl", "message-tags", "server-time", "echo-message"})
_MAX_LS_LINES = 32
_SASL_FAIL = {"902", "904", "905", "906", "907", "908"}


class CapState(enum.Enum):
    CAP_LS = "cap-ls"
    CAP_REQ = "cap-req"
    SASL = "sasl"
    DONE = "done"


class CapNegotiation:
    """Feed server messages with `receive`; it returns what to send. `error` is set when the
    negotiation failed (then the session is over); `enabled` holds the acked capabilities."""

    def __init__(self, sasl: SaslMechanism | None, *, tls: bool) -> None:
        self.state = CapState.CAP_LS
        self.enabled: frozenset[str] = frozenset()
        self.error: NetError | None = None
        self.account: str | None = None
        self._sasl = sasl
        self._tls = tls
        self._offered: dict[str, str] = {}
        self._ls_lines = 0
        self._exchange: SaslExchange | None = None
        self._reader = ChallengeReader()

    def start(self) -> list[Message]:
        return [Message("CAP", ("LS", "302"))]

    def receive(self, msg: Message) -> list[Message]:
        """Handle one message addressed to the negotiation (CAP, AUTHENTICATE, 90x).

        Raises: MalformedLine: a SASL challenge that is not base64 or too long.
        """
        if self.state is CapState.DONE:
            return []
        if msg.command == "CAP" and len(msg.params) >= 3:
            return self._cap(msg.params[1].upper(), msg.params[2:])
        if msg.command == "900" and len(msg.params) >= 3:
            self.account = msg.params[2][:64]
        elif self.state is CapState.SASL:
            return self._sasl_reply(msg)
        return []

    def _sasl_reply(self, msg: Message) -> list[Message]:
        if msg.command == "AUTHENTICATE" and msg.params:
            return self._authenticate(msg.params[0])
        if msg.command == "903":
            return self._end()
        if msg.command in _SASL_FAIL:
            return self._fail(AuthError(f"the server refused SASL {self._mech_name()} ({msg.command})"))
        return []

    def no_cap_support(self) -> list[Message]:
        """The server registered us (001) or refused CAP (421) before negotiating."""
        if self._sasl is not None and self.state is not CapState.DONE:
            return self._fail(AuthError("the server does not support SASL, which this account requires"))
        self.state = CapState.DONE
        return []

    def _cap(self, sub: str, args: tuple[str, ...]) -> list[Message]:
        if sub == "LS" and self.state is CapState.CAP_LS:
            more = len(args) >= 2 and args[0] == "*"
            self._ls_lines += 1
            if self._ls_lines > _MAX_LS_LINES:
                return self._fail(AuthError("the server's capability list never ends"))
            for token in args[-1].split():
                key, _, value = token.partition("=")
                self._offered[key] = value
            return [] if more else self._choose()
        if sub == "ACK" and self.state is CapState.CAP_REQ:
            self.enabled = frozenset(args[-1].split()) & WANTED
            return self._after_ack()
        if sub == "NAK" and self.state is CapState.CAP_REQ:
            if self._sasl is not None:
                return self._fail(AuthError("the server refused the sasl capability"))
            return self._end()
        return []

    def _choose(self) -> list[Message]:
        wanted = set(WANTED & self._offered.keys())
        if self._sasl is None:
            wanted.discard("sasl")
        else:
            problem = self._sasl_problem()
            if problem:
                return self._fail(AuthError(problem))
        if not wanted:
            return self._end()
        self.state = CapState.CAP_REQ
        return [Message("CAP", ("REQ", " ".join(sorted(wanted))))]

    def _sasl_problem(self) -> str | None:
        assert self._sasl is not None
        if "sasl" not in self._offered:
            return "the server does not offer SASL, which this account requires"
        mechs = self._offered["sasl"]
        if mechs and self._sasl.name not in mechs.split(","):
            return f"the server does not offer SASL {self._sasl.name}"
        if self._sasl.name == "PLAIN" and not self._tls:
            return "refusing SASL PLAIN without TLS (the password would travel in clear)"
        if self._sasl.name == "EXTERNAL" and not self._tls:
            # EXTERNAL's credential is the TLS client certificate: without TLS the server could
            # only log us in by something else about the connection (Tor hides the address).
            return "refusing SASL EXTERNAL without TLS (there is no client certificate to present)"
        return None

    def _after_ack(self) -> list[Message]:
        if self._sasl is None:
            return self._end()
        if "sasl" not in self.enabled:
            return self._fail(AuthError("the server did not enable SASL"))
        self.state = CapState.SASL
        self._exchange = SaslExchange(self._sasl)
        return [Message("AUTHENTICATE", (self._sasl.name,))]

    def _authenticate(self, param: str) -> list[Message]:
        assert self._exchange is not None
        challenge = self._reader.feed(param)  # MalformedLine propagates: the session ends it
        if challenge is None:
            return []
        try:
            response = self._exchange.respond(challenge)
        except AuthError as exc:
            return [Message("AUTHENTICATE", ("*",)), *self._fail(exc)]
        return [Message("AUTHENTICATE", (chunk,)) for chunk in encode_response(response)]

    def _mech_name(self) -> str:
        return self._sasl.name if self._sasl is not None else "?"

    def _end(self) -> list[Message]:
        self.state = CapState.DONE
        return [Message("CAP", ("END",))]

    def _fail(self, error: NetError) -> list[Message]:
        self.state = CapState.DONE
        self.error = error
        return []
