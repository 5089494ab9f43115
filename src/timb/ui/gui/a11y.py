"""Accessible names and descriptions: Qt's accessibility bridge hands them to screen readers
(AT-SPI on Linux). Every interactive control gets both (tests/gui/test_a11y.py walks the widgets)."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str, description: str = "") -> W:
    """Give ``widget`` an accessible name and description (already translated); returns it.
    The description also becomes the tooltip, so sighted keyboard users read the same words."""
    widget.setAccessibleName(name)
    widget.setAccessibleDescription(description or name)
    if description:
        widget.setToolTip(description)
    return widget
