"""The privacy badge: the open conversation's OTR state in words, colour and an icon.

Words first (colour alone fails the colour-blind and screen readers): NOT PRIVATE, PRIVATE
UNVERIFIED, PRIVATE VERIFIED, FINISHED. The colours keep a dark text on a light fill or the reverse,
so they read in dark, light and high-contrast themes alike.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStyle, QWidget

from timb.core.events import OtrState
from timb.ui.gui.a11y import named
from timb.ui.gui.i18n import tr

# state -> (colour of the fill, colour of the text, standard icon)
_LOOK: dict[OtrState, tuple[str, str, QStyle.StandardPixmap]] = {
    OtrState.NOT_PRIVATE: ("#b00020", "#ffffff", QStyle.StandardPixmap.SP_MessageBoxCritical),
    OtrState.PRIVATE_UNVERIFIED: ("#f0c000", "#000000", QStyle.StandardPixmap.SP_MessageBoxWarning),
    OtrState.PRIVATE_VERIFIED: ("#1b7f3b", "#ffffff", QStyle.StandardPixmap.SP_DialogApplyButton),
    OtrState.FINISHED: ("#4a4a4a", "#ffffff", QStyle.StandardPixmap.SP_DialogCancelButton),
}


def badge_words(state: OtrState) -> str:
    return {
        OtrState.NOT_PRIVATE: tr("NOT PRIVATE"),
        OtrState.PRIVATE_UNVERIFIED: tr("PRIVATE UNVERIFIED"),
        OtrState.PRIVATE_VERIFIED: tr("PRIVATE VERIFIED"),
        OtrState.FINISHED: tr("FINISHED"),
    }[state]


def badge_explanation(state: OtrState) -> str:
    return {
        OtrState.NOT_PRIVATE: tr("No private session: messages wait, nothing is sent in the clear."),
        OtrState.PRIVATE_UNVERIFIED: tr("Encrypted, but you have not verified who holds the other key."),
        OtrState.PRIVATE_VERIFIED: tr("Encrypted to a key you verified."),
        OtrState.FINISHED: tr("They ended the private session: messages wait until you start a new one."),
    }[state]


class PrivacyBadge(QWidget):
    """Shows one `OtrState`; `state` is what it shows now."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = QLabel(self)
        self.words = QLabel(self)
        self.words.setObjectName("badge-words")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.icon)
        layout.addWidget(self.words, 1)
        self.setObjectName("privacy-badge")
        self.setAttribute(
            Qt.WidgetAttribute.WA_StyledBackground, True
        )  # else a stylesheet fill is not painted
        self.state = OtrState.NOT_PRIVATE
        self.set_state(OtrState.NOT_PRIVATE)

    def set_state(self, state: OtrState) -> None:
        self.state = state
        self.paint(state, badge_words(state), badge_explanation(state))

    def paint(self, look: OtrState, words: str, explanation: str) -> None:
        """``words`` on the colours and icon of ``look`` (the onion chat's badge shares them)."""
        fill, text, icon = _LOOK[look]
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.icon.setPixmap(self.style().standardIcon(icon).pixmap(size, size))
        self.words.setText(words)
        self.setStyleSheet(
            f"#privacy-badge {{ background: {fill}; border-radius: 4px; }}"
            f" QLabel {{ color: {text}; background: transparent; font-weight: bold; }}"
        )
        for widget in (self, self.words):  # a badge not shown yet would keep its first colours
            self.style().unpolish(widget)
            self.style().polish(widget)
        named(self, tr("Privacy: {state}").format(state=words), explanation)
