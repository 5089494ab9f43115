"""Widgets of the TIMB terminal UI."""
