"""Flows: the multi-step dialogs of the TUI (verification, contact requests, blocking, removal).

A flow is given a `FlowHost` (what it may ask of the app: the service, the main screen, dialogs,
notices) and never imports the app: attributes come down, results go back through the host's
methods. The layers inside the TUI (an import-linter contract): app > flows > screens > widgets.
"""
