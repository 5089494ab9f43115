"""TIMB, the Tor Instant Messaging Bundle.

Layers (imports point down only; see docs/architecture.md and the import-linter contracts in
pyproject.toml)::

    ui  ->  core  ->  net | otr | tor  ->  common
"""

__version__ = "0.1.0"
