"""The Qt desktop GUI (`timb gui`): Qt Widgets through PySide6 on the same `timb.core` service.

It holds a service (`service_api.ServiceApi`), never a network, an OTR session or tor (the
import-linter contracts say so). See docs/gui.md.
"""
