"""Screens and dialogs of the TIMB terminal UI."""
