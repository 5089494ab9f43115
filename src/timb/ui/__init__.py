"""User interfaces: the Textual TUI and the command line / JSON-lines interface."""
