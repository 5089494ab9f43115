"""The OTR state badge: how private a conversation is, in words and in colour, always visible."""

from __future__ import annotations

from typing import Final

from textual.reactive import reactive
from textual.widgets import Static

from timb.core.events import OtrState

# Words first: colour alone fails on monochrome terminals and for colour-blind people.
BADGE_WORDS: Final[dict[OtrState, str]] = {
    OtrState.NOT_PRIVATE: "NOT PRIVATE",
    OtrState.PRIVATE_UNVERIFIED: "PRIVATE, UNVERIFIED",
    OtrState.PRIVATE_VERIFIED: "PRIVATE, VERIFIED",
    OtrState.FINISHED: "FINISHED (not private)",
}
BADGE_CLASSES: Final[dict[OtrState, str]] = {
    OtrState.NOT_PRIVATE: "-not-private",
    OtrState.PRIVATE_UNVERIFIED: "-unverified",
    OtrState.PRIVATE_VERIFIED: "-verified",
    OtrState.FINISHED: "-finished",
}


class OtrBadge(Static):
    """Shows one conversation's `OtrState`; set ``badge.state`` to change it."""

    DEFAULT_CSS = """
    OtrBadge { width: auto; padding: 0 1; text-style: bold; }
    OtrBadge.-not-private { background: $error; color: $text; }
    OtrBadge.-unverified { background: $warning; color: black; }
    OtrBadge.-verified { background: $success; color: black; }
    OtrBadge.-finished { background: $secondary; color: $text; }
    """

    state: reactive[OtrState] = reactive(OtrState.NOT_PRIVATE)

    def __init__(self, state: OtrState = OtrState.NOT_PRIVATE, *, id: str | None = None) -> None:
        super().__init__(BADGE_WORDS[state], id=id, markup=False)
        self.set_reactive(OtrBadge.state, state)
        self.add_class(BADGE_CLASSES[state])

    def watch_state(self, old: OtrState, new: OtrState) -> None:
        self.remove_class(BADGE_CLASSES[old])
        self.add_class(BADGE_CLASSES[new])
        self.update(BADGE_WORDS[new])
