"""What the server allows (ISUPPORT, RPL_ISUPPORT 005) and the largest OTR fragment that fits.

Relaying a PRIVMSG, the server prepends our full source: the recipient gets
``:nick!user@host PRIVMSG target :payload`` and a line pushed past 512 bytes by that prefix is
cut (ngircd ends it in ``[CUT]``), which destroys an OTR fragment. We cannot know the host the
server shows for us (it may cloak it, and change it), so `max_payload` assumes the longest
prefix the server may add: NICKLEN, USERLEN (+1 for an ident-less ``~``) and HOSTLEN from
ISUPPORT, or conservative defaults where the server does not say. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from timb.net.irc.errors import UnsendableMessage
from timb.net.irc.message import MAX_LINE

#: Defaults where ISUPPORT is silent. HOSTLEN 64 (RFC 1035 labels; ngircd uses 63, InspIRCd
#: 64); USERLEN 20 (ngircd's CLIENT_USER_LEN; others use 10 or 12); NICKLEN 30 (RFC 2812 has 9,
#: but modern servers allow more and may not advertise it).
DEFAULT_NICKLEN = 30
DEFAULT_USERLEN = 20
DEFAULT_HOSTLEN = 64
_MIN_PAYLOAD = 64
#: The only channel types and STATUSMSG prefixes we believe from ISUPPORT: a hostile server
#: claiming ``CHANTYPES=b`` would otherwise turn the nick ``bob`` into a channel (plaintext).
CHANNEL_TYPES = "#&+!"
STATUS_PREFIXES = "~&@%+"
MAX_NICK = 64  #: a longer "nickname" from the server is not one (servers use 9 to 32)
_NOT_IN_NICK = frozenset(" ,*?!@:\x01\r\n\0")
_LENGTHS = {"NICKLEN": "nicklen", "USERLEN": "userlen", "HOSTLEN": "hostlen", "CHANNELLEN": "channellen"}


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Lengths the server enforces (only what we need). ``network`` is ISUPPORT NETWORK."""

    nicklen: int = DEFAULT_NICKLEN
    userlen: int = DEFAULT_USERLEN
    hostlen: int = DEFAULT_HOSTLEN
    channellen: int = 50
    chantypes: str = "#&"
    statusmsg: str = ""
    casemapping: str = "rfc1459"
    network: str | None = None

    def with_isupport(self, tokens: tuple[str, ...]) -> ServerLimits:
        """These limits updated from one 005 line's tokens (``NICKLEN=9``, ``-FOO``, ``BAR``).
        A value that is not a sane number is ignored, never trusted."""
        updates: dict[str, object] = {}
        for token in tokens:
            key, _, value = token.partition("=")
            name = _LENGTHS.get(key.upper())
            if name is not None and value.isdigit() and 0 < int(value) <= MAX_LINE:
                updates[name] = int(value)
            elif key.upper() == "CHANTYPES" and 0 < len(value) <= 4 and set(value) <= set(CHANNEL_TYPES):
                updates["chantypes"] = value
            elif key.upper() == "STATUSMSG" and len(value) <= 5 and set(value) <= set(STATUS_PREFIXES):
                updates["statusmsg"] = value
            elif key.upper() == "CASEMAPPING" and value in {"ascii", "rfc1459", "strict-rfc1459"}:
                updates["casemapping"] = value
            elif key.upper() == "NETWORK" and value:
                updates["network"] = value[:64]
        return replace(self, **updates) if updates else self  # type: ignore[arg-type]

    def is_channel(self, target: str) -> bool:
        return bool(target) and target[0] in self.chantypes

    def channel_of(self, target: str) -> str | None:
        """The channel a message target names, or None for a nickname. ``@#room`` (STATUSMSG:
        to the channel's operators only) is still ``#room``: a channel line, never a private one."""
        if self.is_channel(target):
            return target
        rest = target.lstrip(self.statusmsg) if self.statusmsg else target
        return rest if rest != target and self.is_channel(rest) else None

    def is_nick(self, name: str) -> bool:
        """Whether ``name`` can be a nickname: not empty, not a channel or a status-prefixed
        target, none of the characters IRC uses to separate or mask, at most `MAX_NICK`."""
        if not name or len(name) > MAX_NICK or not _NOT_IN_NICK.isdisjoint(name):
            return False
        return name[0] not in self.chantypes + self.statusmsg + CHANNEL_TYPES and not name[0].isdigit()

    def fold(self, name: str) -> str:
        """``name`` case-folded as the server compares names (CASEMAPPING)."""
        folded = name.lower()
        if self.casemapping == "rfc1459":
            folded = folded.translate(str.maketrans("[]\\~", "{}|^"))
        elif self.casemapping == "strict-rfc1459":
            folded = folded.translate(str.maketrans("[]\\", "{}|"))
        return folded


def longest_prefix(limits: ServerLimits) -> int:
    """Bytes of the longest ``:nick!user@host `` the server may put before a relayed line."""
    return 1 + limits.nicklen + 1 + (limits.userlen + 1) + 1 + limits.hostlen + 1


def max_payload(target: str, limits: ServerLimits, command: str = "PRIVMSG") -> int:
    """The largest payload (bytes) of ``COMMAND target :payload`` that still fits in 512 bytes
    with CR LF after the longest prefix the server may add. This is the OTR fragment size for
    messages to ``target``.

    Raises:
        UnsendableMessage: the target (or the lengths the server claims) leave no room for
            even a small fragment.
    """
    fixed = longest_prefix(limits) + len(command) + 1 + len(target.encode()) + 2 + 2
    room = MAX_LINE - fixed
    if room < _MIN_PAYLOAD:
        raise UnsendableMessage("the target name and the server's limits leave no room for a message")
    return room
